import { ConfigurationError, down } from '../core';
import { type Command, JSON_OPTION, optionalInteger } from '../command';
import { DATABASE_USAGE, LOCK_USAGE, databaseOptions, lockOptions, runMigrate } from './migrate-options';

export const downCommand: Command = {
  name: 'down',
  summary: 'Revert applied migrations above a version, newest first, running their Down sections.',
  usage: `down ${DATABASE_USAGE} --to N ${LOCK_USAGE}`,
  options: {
    ...databaseOptions,
    to: {
      type: 'string',
      value: '<N>',
      required: true,
      description: 'The version to go back to; 0 reverts every migration (no default: reverting loses data).',
    },
    ...lockOptions,
    ...JSON_OPTION,
  },
  examples: [
    {
      comment: 'Revert the migrations above version 2',
      command: 'down --dir migrations --database postgres://app@localhost/client1 --to 2',
    },
  ],
  async run(values, _positionals, context) {
    const to = optionalInteger(values, 'to');
    // No default: reverting is destructive, so the target is always explicit (0 reverts everything).
    if (to === undefined)
      throw new ConfigurationError('missing --to N: the version to go back to (0 reverts every migration)');
    return runMigrate(values, context, 'reverted', (url, set, options) => down(url, set, { ...options, to }));
  },
};
