import { checkUserSeed, type UserSeed } from '@db-migrate/core';
import { type OptionValues, optionalString } from '../command';

/** Rows for verify's data check and apply's pre-flight: SQL files (repeatable) or a command, run in the current directory. */
export const seedOptions = {
  'seed-sql': { type: 'string', multiple: true },
  'seed-command': { type: 'string' },
} as const;

export const SEED_USAGE = '[--seed-sql <file> [--seed-sql <file>...] | --seed-command "<cmd>"]';

export function readSeed(values: OptionValues): UserSeed | undefined {
  const raw = values['seed-sql'];
  const sqlFiles = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((v): v is string => typeof v === 'string');
  return checkUserSeed({ sqlFiles, command: optionalString(values, 'seed-command'), dir: process.cwd() }, { sql: '--seed-sql', command: '--seed-command' });
}
