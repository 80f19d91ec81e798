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
  type CommandContext,
  type OptionTable,
  type OptionValues,
  givenIntegers,
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
export const STATEMENT_LIMIT_USAGE = '[--lock-timeout ms] [--lock-retry-budget ms] [--statement-timeout ms]';
export const LOCK_USAGE = `${STATEMENT_LIMIT_USAGE} [--lock-wait-timeout ms]`;

/**
 * --database (a URL, or env:VAR), else the url-env of --target in --targets, else DATABASE_URL; registered
 * as a secret before anything can print it.
 */
async function databaseUrl(values: OptionValues): Promise<string> {
  const value = optionalString(values, 'database');
  const targetsFile = optionalString(values, 'targets');
  const target = optionalString(values, 'target');
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

/** The database (its URL registered as a secret), then the migrations directory, read and checked (its warnings printed). */
export async function databaseAndMigrations(
  values: OptionValues,
  logger: Logger,
): Promise<{ url: string; set: MigrationSet }> {
  const url = await databaseUrl(values);
  const set = await readMigrationDir(requiredString(values, 'dir'));
  for (const warning of set.warnings) logger.warning(warning);
  return { url, set };
}

/** up and down: the database and its migrations, the run (`migrate`), then its report (`verb`: applied, reverted). */
export async function runMigrate(
  values: OptionValues,
  { logger, stdout }: CommandContext,
  verb: string,
  migrate: (url: string, set: MigrationSet, options: MigrateOptions) => Promise<MigrationRun>,
): Promise<number> {
  const { url, set } = await databaseAndMigrations(values, logger);
  return finishMigrateRun(await migrate(url, set, migrateOptions(values, logger)), verb, values, stdout);
}

/** --lock-timeout, --lock-retry-budget and --statement-timeout, those given. */
export function statementLimits(values: OptionValues) {
  return givenIntegers(values, {
    lockTimeoutMs: 'lock-timeout',
    lockRetryBudgetMs: 'lock-retry-budget',
    statementTimeoutMs: 'statement-timeout',
  });
}

function migrateOptions(values: OptionValues, logger: Logger): MigrateOptions {
  return { logger, ...statementLimits(values), ...givenIntegers(values, { lockWaitTimeoutMs: 'lock-wait-timeout' }) };
}

/**
 * Prints how many migrations `verb` (applied, reverted) and the version now; after a failure only when some
 * did run (the error line says the rest), then fails with the error.
 */
async function finishMigrateRun(
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
  const remedies = run.error?.remedies ? { remedies: run.error.remedies } : {};
  if (run.error?.outcome === 'refused')
    throw new ConfigurationError(`refused, nothing ran: ${run.error.message}`, remedies);
  if (run.error) throw new ConfigurationError(run.error.message, remedies);
  return 0;
}
