import { up } from '../core';
import { type Command, JSON_OPTION, optionalInteger } from '../command';
import { DATABASE_USAGE, LOCK_USAGE, databaseOptions, lockOptions, runMigrate } from './migrate-options';

export const upCommand: Command = {
  name: 'up',
  summary: 'Apply pending migrations to a database (each in a transaction, under a lock).',
  usage: `up ${DATABASE_USAGE} [--to N] ${LOCK_USAGE}`,
  options: {
    ...databaseOptions,
    to: {
      type: 'string',
      value: '<N>',
      description: 'Apply up to this version only.',
      default: 'the newest migration',
    },
    ...lockOptions,
    ...JSON_OPTION,
  },
  examples: [
    { comment: 'Apply every pending migration to the database in DATABASE_URL', command: 'up --dir migrations' },
    {
      comment: 'Apply up to version 3 only',
      command: 'up --dir migrations --database postgres://app@localhost/client1 --to 3',
    },
  ],
  run: (values, _positionals, context) =>
    runMigrate(values, context, 'applied', (url, set, options) => {
      const to = optionalInteger(values, 'to');
      return up(url, set, { ...options, ...(to !== undefined ? { to } : {}) });
    }),
};
