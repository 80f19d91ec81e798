/**
 * up, down and status against one database. up and down never throw: they return a MigrationRun with
 * one result per migration they meant to run and the error that stopped them (kysely's shape), so a
 * fleet run can report every database. The lock, the session settings and the consistency checks live
 * here; the transaction around each migration lives in execute.ts.
 */
import type { Client } from 'pg';
import { performance } from 'node:perf_hooks';
import { ConfigurationError, environmentProblem, errorMessage } from '../errors';
import { describeDatabase } from '../database-url';
import { type Logger, silentLogger } from '../logger';
import type { Migration, MigrationSet } from '../migrations/store';
import { type ConnectOptions, cancelRunningStatement, connectDatabase } from '../pg/connect';
import { interruptSignal } from '../process/cleanup';
import { executeMigration } from './execute';
import { LockRetry, type LockRetryOptions, lockTimeoutOf } from './lock-retry';
import { type DatabaseLockOptions, LockWaitTimeoutError, withDatabaseLock } from './lock';
import { type MigrationPlan, planMigrations } from './plan';
import {
  type BookkeepingPresence,
  ensureTrackingTables,
  hasUserTables,
  readAppliedMigrations,
  readAppliedRecords,
  removeCreatedBookkeeping,
} from './records';
import { type MigrationDirection, MigrationError, type MigrationResult, type MigrationRun } from './result';
import { type DatabaseStatus, databaseStatus } from './state';

export interface SessionOptions extends LockRetryOptions {
  /** SET statement_timeout for the migrations' statements (ms; absent keeps the server's setting). */
  readonly statementTimeoutMs?: number;
}

/** Called on the migration's connection after each migration that ran, with the version reached. */
export type AfterEachMigration = (
  client: Client,
  step: { readonly migration: Migration; readonly version: number },
) => Promise<void>;

export interface MigrateOptions extends DatabaseLockOptions, SessionOptions {
  readonly logger?: Logger;
  readonly afterEach?: AfterEachMigration;
  /** Stops the run: the running statement is cancelled (its migration rolls back), no migration starts after. Default: the process's SIGINT/SIGTERM. */
  readonly signal?: AbortSignal;
}

export interface UpOptions extends MigrateOptions {
  /** Apply up to and including this version (default: all). */
  readonly to?: number;
}

export interface DownOptions extends MigrateOptions {
  /** Revert every applied version above this one, newest first; 0 reverts everything. */
  readonly to: number;
}

/** For the *Locked functions, which run on a connection that already holds withDatabaseLock. */
export interface LockedOptions {
  /** How to name the database in messages; defaults to the client's host:port/db. */
  readonly database?: string;
}

/** host:port/db of a connected client. */
export function describeClient(client: Client): string {
  return `${client.host}:${client.port}/${client.database ?? ''}`;
}

/**
 * Each migration starts from the session's defaults plus our timeouts: a SET inside one migration
 * (search_path, a timeout) must not leak into the next one. Sent with the migration's BEGIN. Sync's
 * statements start from the same settings.
 */
export function sessionStatements(options: SessionOptions): string[] {
  const statements = ['RESET ALL', `SET lock_timeout = ${lockTimeoutOf(options)}`];
  if (options.statementTimeoutMs !== undefined)
    statements.push(`SET statement_timeout = ${Math.floor(options.statementTimeoutMs)}`);
  return statements;
}

function notRun(migrations: readonly Migration[], direction: MigrationDirection): MigrationResult[] {
  return migrations.map((m) => ({
    version: m.version,
    fileName: m.fileName,
    direction,
    status: 'not-run',
    noTransaction: (direction === 'up' ? m.parsed.up : m.parsed.down)?.noTransaction ?? false,
    durationMs: 0,
  }));
}

export interface RunPlanOptions extends SessionOptions {
  readonly logger?: Logger;
  /** Where each lock timeout and the pause after it are reported (default: logger). */
  readonly lockRetryLogger?: Logger;
  readonly afterEach?: AfterEachMigration;
  /** See MigrateOptions.signal. */
  readonly signal?: AbortSignal;
}

/** `SIGINT` for the process's own interruption, else whatever the caller aborted with. */
function interruptionName(signal: AbortSignal): string {
  return typeof signal.reason === 'string' ? signal.reason : 'a signal';
}

/**
 * Runs a plan made by planMigrations on a connection that holds withDatabaseLock: each migration in its
 * own transaction (or statement by statement for `notransaction`), stopping at the first failure. A
 * refused plan runs nothing. Never throws.
 */
export function runPlan(
  client: Client,
  set: MigrationSet,
  plan: MigrationPlan,
  options: RunPlanOptions = {},
): Promise<MigrationRun> {
  return executePlan(client, set, plan, options);
}

/** A run that fails before any migration went through removes the bookkeeping it created: nothing is left behind. */
async function executePlan(
  client: Client,
  set: MigrationSet,
  plan: MigrationPlan,
  options: RunPlanOptions,
): Promise<MigrationRun> {
  let before: BookkeepingPresence | undefined;
  const run = await executeSteps(client, set, plan, options, (present) => {
    before = present;
  });
  const created = before && (!before.tracking || !before.schema || !before.checksums);
  if (created && run.error && !run.results.some((r) => r.status === 'applied'))
    await removeCreatedBookkeeping(client, before!);
  return run;
}

async function executeSteps(
  client: Client,
  set: MigrationSet,
  plan: MigrationPlan,
  options: RunPlanOptions,
  bookkeepingBefore: (present: BookkeepingPresence) => void,
): Promise<MigrationRun> {
  const { database, direction, migrations: todo } = plan;
  const logger = options.logger ?? silentLogger;
  const results: MigrationResult[] = [];
  let version = plan.from;
  if (plan.refusal) return { database, results: notRun(todo, direction), version, error: plan.refusal };
  if (todo.length === 0) return { database, results, version };
  const lockRetry = new LockRetry(client, options, options.lockRetryLogger ?? logger);
  try {
    // Only now, with work to do, is the bookkeeping created or checked for writing: nothing pending
    // writes nothing (a read-only role may run up on a database that is up to date).
    bookkeepingBefore(await ensureTrackingTables(client, database));
    const session = sessionStatements(options);
    const signal = options.signal ?? interruptSignal();
    // An interruption cancels the statement running: its migration rolls back instead of running on.
    const cancel = () => void cancelRunningStatement(client);
    for (const [index, migration] of todo.entries()) {
      if (signal.aborted) {
        const message = `${database}: interrupted by ${interruptionName(signal)} before ${migration.fileName}, which did not start`;
        return {
          database,
          results: [...results, ...notRun(todo.slice(index), direction)],
          version,
          error: new MigrationError(message, { kind: 'interrupted', database }),
        };
      }
      const noTransaction = (direction === 'up' ? migration.parsed.up : migration.parsed.down!).noTransaction;
      const started = performance.now();
      signal.addEventListener('abort', cancel, { once: true });
      let error = await executeMigration(client, migration, direction, database, session, lockRetry).finally(() =>
        signal.removeEventListener('abort', cancel),
      );
      // A statement cut off by the statement_timeout this run set: a longer one would let it finish.
      if (error?.sqlState === '57014' && options.statementTimeoutMs && !signal.aborted)
        error = new MigrationError(error.message, {
          ...error,
          remedies: [{ kind: 'option', option: 'statementTimeout', change: 'raise' }],
        });
      if (error && signal.aborted) {
        const left = error.partial
          ? 'what it ran before stays, and it is not recorded'
          : 'it was cut off and rolled back';
        const message = `${database}: interrupted by ${interruptionName(signal)} during ${migration.fileName}: ${left}`;
        error = new MigrationError(message, {
          kind: 'interrupted',
          database,
          fileName: migration.fileName,
          version: migration.version,
          partial: error.partial,
        });
      }
      const durationMs = Math.round(performance.now() - started);
      results.push({
        version: migration.version,
        fileName: migration.fileName,
        direction,
        status: error ? 'failed' : 'applied',
        noTransaction,
        durationMs,
      });
      // The message quotes the statement's start; --verbose shows all of it.
      if (error?.statement)
        logger.debug(
          `${migration.fileName}${error.line ? ` line ${error.line}` : ''}: the failing statement, whole:\n${error.statement}`,
        );
      if (error)
        return { database, results: [...results, ...notRun(todo.slice(index + 1), direction)], version, error };
      const position = set.migrations.indexOf(migration);
      version = direction === 'up' ? migration.version : (set.migrations[position - 1]?.version ?? 0);
      const verb = direction === 'up' ? 'applied' : 'reverted';
      logger.info(`${migration.fileName}: ${verb}${noTransaction ? ' (notransaction)' : ''} in ${durationMs} ms`);
      await options.afterEach?.(client, { migration, version });
    }
    return { database, results, version };
  } catch (error) {
    // The role may not record migrations here (a missing right, foreign bookkeeping): said as it is.
    if (error instanceof ConfigurationError)
      return {
        database,
        results,
        version,
        error: new MigrationError(errorMessage(error), { kind: 'bookkeeping', database }),
      };
    // Bookkeeping outside any migration failed, or the connection broke between migrations.
    const message = `${database}: ${environmentProblem(error) ?? errorMessage(error)}`;
    return { database, results, version, error: new MigrationError(message, { kind: 'sql', database }, error) };
  } finally {
    await lockRetry.close();
  }
}

/** Reads where the database stands, plans (planMigrations) and runs the plan (runPlan). Never throws. */
async function runMigrations(
  client: Client,
  set: MigrationSet,
  direction: MigrationDirection,
  options: MigrateOptions & LockedOptions & { to?: number },
): Promise<MigrationRun> {
  const database = options.database ?? describeClient(client);
  const logger = options.logger ?? silentLogger;
  let status: DatabaseStatus;
  try {
    // Read only: the bookkeeping is created (as sql-migrate does) once there is something to record, and
    // removed again when a first run fails (executePlan).
    status = databaseStatus(database, set, await readAppliedMigrations(client, database));
  } catch (error) {
    // The role may not record migrations here (a missing right, foreign bookkeeping): said as it is.
    if (error instanceof ConfigurationError)
      return {
        database,
        results: [],
        error: new MigrationError(errorMessage(error), { kind: 'bookkeeping', database }),
      };
    const message = `${database}: ${environmentProblem(error) ?? errorMessage(error)}`;
    return { database, results: [], error: new MigrationError(message, { kind: 'sql', database }, error) };
  }
  const plan = planMigrations(status, set, { direction, ...(options.to !== undefined ? { to: options.to } : {}) });
  if (!plan.refusal) {
    for (const changed of status.migrations.filter((m) => m.changedSinceApplied)) {
      logger.warning(`${database}: ${changed.fileName} has changed since it was applied`);
    }
  }
  const run = await executePlan(client, set, plan, options);
  if (!run.error || run.results.some((r) => r.status === 'applied')) return run;
  // A database built before db-migrate: its tables are there, so the first migration fails on them.
  if (
    direction === 'up' &&
    status.currentVersion === 0 &&
    run.error.kind === 'sql' &&
    (await hasUserTables(client).catch(() => false))
  ) {
    const hint =
      `; no migrations are recorded on ${database} but it already has tables: if its schema was built before db-migrate, ` +
      `adopt it with a baseline instead of running the migrations (db-migrate baseline, or the apply action with mode: baseline)`;
    return { ...run, error: new MigrationError(run.error.message + hint, run.error, run.error.cause) };
  }
  return run;
}

/** Applies pending migrations (up to `to`) on a connection that holds withDatabaseLock. */
export function upLocked(
  client: Client,
  set: MigrationSet,
  options: UpOptions & LockedOptions = {},
): Promise<MigrationRun> {
  return runMigrations(client, set, 'up', options);
}

/** Reverts applied migrations above `to`, newest first, on a connection that holds withDatabaseLock. */
export function downLocked(
  client: Client,
  set: MigrationSet,
  options: DownOptions & LockedOptions,
): Promise<MigrationRun> {
  return runMigrations(client, set, 'down', options);
}

async function withLockOrError(
  url: string,
  options: MigrateOptions,
  fn: (client: Client, database: string) => Promise<MigrationRun>,
): Promise<MigrationRun> {
  const database = describeDatabase(url);
  try {
    return await withDatabaseLock(url, (client) => fn(client, database), options);
  } catch (error) {
    const kind = error instanceof LockWaitTimeoutError ? 'lock-timeout' : 'connection';
    const message = error instanceof ConfigurationError ? errorMessage(error) : `${database}: ${errorMessage(error)}`;
    return { database, results: [], error: new MigrationError(message, { kind, database }, error) };
  }
}

/**
 * Applies the pending migrations of `set` to the database at `url`, in order, each in its own
 * transaction (or statement by statement for `notransaction`), under the migration lock.
 */
export function up(url: string, set: MigrationSet, options: UpOptions = {}): Promise<MigrationRun> {
  return withLockOrError(url, options, (client, database) => upLocked(client, set, { ...options, database }));
}

/** Runs the Down sections of the applied versions above `options.to`, newest first, under the migration lock. */
export function down(url: string, set: MigrationSet, options: DownOptions): Promise<MigrationRun> {
  return withLockOrError(url, options, (client, database) => downLocked(client, set, { ...options, database }));
}

/** Where the database stands against `set`. Read-only; throws a ConfigurationError when it cannot connect. */
export async function status(url: string, set: MigrationSet, options: ConnectOptions = {}): Promise<DatabaseStatus> {
  const client = await connectDatabase(url, options);
  try {
    const database = describeDatabase(url);
    const records = await readAppliedRecords(client, database);
    return { ...databaseStatus(database, set, records.applied), notes: records.notes };
  } finally {
    await client.end().catch(() => undefined);
  }
}
