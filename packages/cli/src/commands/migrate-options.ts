/** The options up, down and status share: where the migrations are and which database to migrate. */
import type { MigrateOptions, MigrationRun, MigrationSet, Logger } from '@db-migrate/core';
import {
  ConfigurationError,
  DEFAULT_LOCK_RETRY_BUDGET_MS,
  DEFAULT_LOCK_TIMEOUT_MS,
  loadTargets,
  readMigrationDir,
  registerUrlSecrets,
} from '../core';
import {
  type OptionTable,
  type OptionValues,
  optionalInteger,
  optionalString,
  printResult,
  requiredString,
} from '../command';

export const migrationsDirOption: OptionTable = {
  dir: {
    type: 'string',
    value: '<migrations-dir>',
    required: true,
    description: 'The migrations directory (NNNN_name.sql files and their NNNN.json metadata).',
  },
};

export const databaseOptions: OptionTable = {
  ...migrationsDirOption,
  database: {
    type: 'string',
    value: '<url>|env:VAR',
    env: 'DATABASE_URL',
    description:
      'The database, as a postgres:// URL; env:VAR reads it from the variable VAR (no password in shell history).',
  },
  targets: {
    type: 'string',
    value: '<file>',
    description: 'A targets file: with --target, the database is read from the url-env of that entry.',
  },
  target: { type: 'string', value: '<name>', description: 'The entry of --targets to work on.' },
};

export const lockOptions: OptionTable = {
  'lock-timeout': {
    type: 'string',
    value: '<ms>',
    description:
      'lock_timeout of each migration statement: a lock not granted in time is given up, so application queries never queue long behind it, and tried again after a pause. 0 waits for ever (no timeout, no retry).',
    default: () => `${DEFAULT_LOCK_TIMEOUT_MS}`,
  },
  'lock-retry-budget': {
    type: 'string',
    value: '<ms>',
    description:
      'How long a migration keeps trying again after lock timeouts (pauses included) before it fails, naming who blocked it. 0: no retry.',
    default: () => `${DEFAULT_LOCK_RETRY_BUDGET_MS} (10 min)`,
  },
  'statement-timeout': {
    type: 'string',
    value: '<ms>',
    description: 'statement_timeout of each migration statement.',
    default: "the server's",
  },
  'lock-wait-timeout': {
    type: 'string',
    value: '<ms>',
    description: "How long to wait for another db-migrate run holding the database's migration lock; 0 waits for ever.",
    default: '300000 (5 min)',
  },
};

export const DATABASE_USAGE = '--dir <migrations-dir> [--database <url>|env:VAR | --targets <file> --target <name>]';
export const LOCK_USAGE =
  '[--lock-timeout ms] [--lock-retry-budget ms] [--statement-timeout ms] [--lock-wait-timeout ms]';

/**
 * --database (a URL, or env:VAR), else the url-env of --target in --targets, else DATABASE_URL; registered
 * as a secret before anything can print it.
 */
export async function databaseUrl(values: OptionValues): Promise<string> {
  const value = typeof values.database === 'string' && values.database !== '' ? values.database : undefined;
  const targetsFile = typeof values.targets === 'string' && values.targets !== '' ? values.targets : undefined;
  const target = typeof values.target === 'string' && values.target !== '' ? values.target : undefined;
  if (value && targetsFile) throw new ConfigurationError('give --database or --targets with --target, not both');
  if (targetsFile || target) {
    if (!targetsFile || !target)
      throw new ConfigurationError('--targets and --target go together: the file, and the name of the database in it');
    const [one] = await loadTargets({ targetsFile, only: [target] });
    if (!one.url) throw new ConfigurationError(`${target}: ${one.problem}`);
    return one.url;
  }
  const fromEnv = value && /^env:(.*)$/.exec(value);
  if (fromEnv) {
    const url = process.env[fromEnv[1]]?.trim();
    if (!url)
      throw new ConfigurationError(
        `--database env:${fromEnv[1]}: the environment variable ${fromEnv[1]} is not set or empty`,
      );
    return registerUrlSecrets(url);
  }
  const url = value ?? process.env.DATABASE_URL;
  if (!url)
    throw new ConfigurationError(
      'missing --database <url> (or env:VAR, --targets <file> --target <name>, or the DATABASE_URL environment variable)',
    );
  return registerUrlSecrets(url);
}

/** Reads and validates the migrations directory, printing its warnings. */
export async function readMigrations(values: OptionValues, logger: Logger): Promise<MigrationSet> {
  const set = await readMigrationDir(requiredString(values, 'dir'));
  for (const warning of set.warnings) logger.warning(warning);
  return set;
}

/** --lock-timeout, --lock-retry-budget and --statement-timeout, those given. */
export function statementLimits(values: OptionValues): {
  lockTimeoutMs?: number;
  lockRetryBudgetMs?: number;
  statementTimeoutMs?: number;
} {
  const lockTimeoutMs = optionalInteger(values, 'lock-timeout');
  const lockRetryBudgetMs = optionalInteger(values, 'lock-retry-budget');
  const statementTimeoutMs = optionalInteger(values, 'statement-timeout');
  return {
    ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}),
    ...(lockRetryBudgetMs !== undefined ? { lockRetryBudgetMs } : {}),
    ...(statementTimeoutMs !== undefined ? { statementTimeoutMs } : {}),
  };
}

export function migrateOptions(values: OptionValues, logger: Logger): MigrateOptions {
  const lockWaitTimeoutMs = optionalInteger(values, 'lock-wait-timeout');
  return { logger, ...statementLimits(values), ...(lockWaitTimeoutMs !== undefined ? { lockWaitTimeoutMs } : {}) };
}

/**
 * Prints how many migrations `verb` (applied, reverted) and the version now; after a failure only when some
 * did run (the error line says the rest), then fails with the error.
 */
export async function finishMigrateRun(
  run: MigrationRun,
  verb: string,
  values: OptionValues,
  stdout: (text: string) => void,
): Promise<number> {
  const count = run.results.filter((r) => r.status === 'applied').length;
  const at = run.version === undefined ? '' : `, now at version ${run.version}`;
  const text = `${run.database}: ${count} migration${count === 1 ? '' : 's'} ${verb}${at}\n`;
  // A --json report is written whatever happened: it says refused or failed, with the evidence.
  if (!run.error || count > 0 || optionalString(values, 'json')) await printResult(values, stdout, text, run);
  if (run.error?.outcome === 'refused') throw new ConfigurationError(`refused, nothing ran: ${run.error.message}`);
  if (run.error) throw new ConfigurationError(run.error.message);
  return 0;
}
