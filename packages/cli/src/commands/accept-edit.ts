import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { ConfigurationError, acceptEdit } from '../core';
import { type Command, JSON_OPTION, optionalString, printResult } from '../command';

/** `Name <email>` from git's configuration in the migration's repository, when it is set. */
function gitIdentity(dir: string): string | undefined {
  const read = (key: string) =>
    spawnSync('git', ['-C', dir, 'config', key], { encoding: 'utf8' }).stdout?.trim() || undefined;
  const [name, email] = [read('user.name'), read('user.email')];
  return name && email ? `${name} <${email}>` : (name ?? email);
}

export const acceptEditCommand: Command = {
  name: 'accept-edit',
  summary:
    'Accept a hand edit of a generated migration: record its new checksum in the metadata, so the edit warning stops.',
  usage: 'accept-edit <migration-file> [--reason "<why>"] [--by "<who>"]',
  details: [
    'Writes "edit_accepted" (checksum, at, by, reason) into the migration\'s NNNN.json. verify then reports the edit as accepted; an edit made after that warns again.',
  ],
  options: {
    reason: {
      type: 'string',
      value: '"<why>"',
      description: 'Why the file was edited, kept in the metadata for reviewers.',
    },
    by: {
      type: 'string',
      value: '"<who>"',
      description: 'Who accepted the edit.',
      default: 'git config user.name <user.email>',
    },
    ...JSON_OPTION,
  },
  examples: [
    {
      comment: 'After making an index CONCURRENTLY by hand',
      command: 'accept-edit migrations/0004_add_orders_index.sql --reason "index built concurrently"',
    },
  ],
  allowPositionals: true,
  async run(values, positionals, { stdout }) {
    if (positionals.length !== 1)
      throw new ConfigurationError(`expected one migration file; got ${positionals.length} argument(s)`);
    const file = positionals[0];
    const result = await acceptEdit(file, {
      by: optionalString(values, 'by') ?? gitIdentity(dirname(file)),
      reason: optionalString(values, 'reason'),
    });
    await printResult(
      values,
      stdout,
      `accepted the edit of ${file}: ${result.accepted.checksum} recorded in ${result.metadataPath}\n`,
      result,
    );
    return 0;
  },
};
