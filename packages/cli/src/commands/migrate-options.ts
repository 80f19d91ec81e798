/** The options up, down and status share: where the migrations are and which database to migrate. */
import { ConfigurationError, DEFAULT_LOCK_RETRY_BUDGET_MS, DEFAULT_LOCK_TIMEOUT_MS, type MigrateOptions, type MigrationRun, type MigrationSet, type Logger, readMigrationDir, registerUrlSecrets } from '@db-migrate/core';
import { type OptionTable, type OptionValues, optionalInteger, optionalString, printResult, requiredString } from '../command';

export const migrationsDirOption: OptionTable = {
  dir: { type: 'string', value: '<migrations-dir>', required: true, description: 'The migrations directory (NNNN_name.sql files and their NNNN.json metadata).' },
};

export const databaseOptions: OptionTable = {
  ...migrationsDirOption,
  database: { type: 'string', value: '<url>', env: 'DATABASE_URL', description: 'The database, as a postgres:// URL.' },
};

export const lockOptions: OptionTable = {
  'lock-timeout': {
    type: 'string',
    value: '<ms>',
    description: 'lock_timeout of each migration statement: a lock not granted in time is given up, so application queries never queue long behind it, and tried again after a pause. 0 waits for ever (no timeout, no retry).',
    default: `${DEFAULT_LOCK_TIMEOUT_MS}`,
  },
  'lock-retry-budget': {
    type: 'string',
    value: '<ms>',
    description: 'How long a migration keeps trying again after lock timeouts (pauses included) before it fails, naming who blocked it. 0: no retry.',
    default: `${DEFAULT_LOCK_RETRY_BUDGET_MS} (10 min)`,
  },
  'statement-timeout': { type: 'string', value: '<ms>', description: 'statement_timeout of each migration statement.', default: "the server's" },
  'lock-wait-timeout': { type: 'string', value: '<ms>', description: 'How long to wait for another db-migrate run holding the database\'s migration lock; 0 waits for ever.', default: '300000 (5 min)' },
};

export const DATABASE_USAGE = '--dir <migrations-dir> [--database <url>]';
export const LOCK_USAGE = '[--lock-timeout ms] [--lock-retry-budget ms] [--statement-timeout ms] [--lock-wait-timeout ms]';

/** --database, else DATABASE_URL; registered as a secret before anything can print it. */
export function databaseUrl(values: OptionValues): string {
  const value = values.database;
  const url = typeof value === 'string' && value !== '' ? value : process.env.DATABASE_URL;
  if (!url) throw new ConfigurationError('missing --database <url> (or the DATABASE_URL environment variable)');
  return registerUrlSecrets(url);
}

/** Reads and validates the migrations directory, printing its warnings. */
export async function readMigrations(values: OptionValues, logger: Logger): Promise<MigrationSet> {
  const set = await readMigrationDir(requiredString(values, 'dir'));
  for (const warning of set.warnings) logger.warning(warning);
  return set;
}

/** --lock-timeout, --lock-retry-budget and --statement-timeout, those given. */
export function statementLimits(values: OptionValues): { lockTimeoutMs?: number; lockRetryBudgetMs?: number; statementTimeoutMs?: number } {
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
export async function finishMigrateRun(run: MigrationRun, verb: string, values: OptionValues, stdout: (text: string) => void): Promise<number> {
  const count = run.results.filter((r) => r.status === 'applied').length;
  const at = run.version === undefined ? '' : `, now at version ${run.version}`;
  const text = `${run.database}: ${count} migration${count === 1 ? '' : 's'} ${verb}${at}\n`;
  // A --json report is written whatever happened: it says refused or failed, with the evidence.
  if (!run.error || count > 0 || optionalString(values, 'json')) await printResult(values, stdout, text, run);
  if (run.error?.outcome === 'refused') throw new ConfigurationError(`refused, nothing ran: ${run.error.message}`);
  if (run.error) throw new ConfigurationError(run.error.message);
  return 0;
}
