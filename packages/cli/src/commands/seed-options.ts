import type { UserSeed } from '@db-migrate/core';
import { checkUserSeed } from '../core';
import { type OptionTable, type OptionValues, everyString, optionalString } from '../command';

/** Rows for verify's data check and apply's pre-flight: SQL files (repeatable) or a command, run in the current directory. */
export const seedOptions: OptionTable = {
  'seed-sql': {
    type: 'string',
    multiple: true,
    value: '<file>',
    description:
      "SQL file putting rows in the base version's database (repeatable, run in order); tables left empty get synthetic rows.",
    default: 'synthetic rows in every table',
  },
  'seed-command': {
    type: 'string',
    value: '"<cmd>"',
    description: 'Command putting rows in the database named by DATABASE_URL (instead of --seed-sql).',
  },
};

export const SEED_USAGE = '[--seed-sql <file> [--seed-sql <file>...] | --seed-command "<cmd>"]';

export function readSeed(values: OptionValues): UserSeed | undefined {
  return checkUserSeed(
    { sqlFiles: everyString(values, 'seed-sql'), command: optionalString(values, 'seed-command'), dir: process.cwd() },
    { sql: '--seed-sql', command: '--seed-command' },
  );
}
