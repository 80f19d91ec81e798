/**
 * Fleet apply and the drift check. For every target, in parallel:
 *   1. connect and take the migration lock (the applier's advisory lock);
 *   2. read its version from gorp_migrations;
 *   3. compare its live schema with the schema that version implies (built once per version, shared);
 *   4. drifted: postponed, nothing run; consistent: apply the pending migrations (or revert to `to`)
 *      through the applier, each in its own transaction;
 *   5. compare again with the schema of the version reached.
 * The drift check stops after step 3. Nothing here throws for one target's sake: each gets an outcome.
 */
import { performance } from 'node:perf_hooks';
import type { Client } from 'pg';
import { type DatabaseLockOptions, withDatabaseLock } from '../applier/lock';
import { type SessionOptions, downLocked, status as readStatus, upLocked } from '../applier/migrator';
import { readAppliedMigrations } from '../applier/records';
import { databaseStatus, inconsistencyReason } from '../applier/state';
import { type DiffOptions, introspect } from '../diff';
import { errorMessage } from '../errors';
import { type Logger, silentLogger } from '../logger';
import type { MigrationSet } from '../migrations/store';
import { openShadowServer } from '../shadow/shadow-server';
import { parseShadowSpec, type ShadowSpec } from '../shadow/spec';
import type { ShadowServer } from '../shadow/types';
import { compareWithExpected, type Drift, serverMajor } from './consistency';
import { type ExpectedSchemas, expectedSchemas } from './expected-schemas';
import { checkTargetVersion, latestVersion, planTarget } from './plan';
import { type FleetMode, type FleetReport, countOutcomes } from './report';
import { isTransientFailure, type RetryOptions } from './retry';
import { type AttemptOutcome, DEFAULT_CONCURRENCY, type ReachableTarget, runFleet } from './runner';
import type { Target } from './targets';

export interface FleetCheckOptions extends SessionOptions {
  readonly set: MigrationSet;
  readonly targets: readonly Target[];
  /** Where expected schemas are built: `embedded` (default), `docker` or a postgres URL (see parseShadowSpec). */
  readonly shadow?: string | ShadowSpec;
  /** PostgreSQL major of an embedded or docker shadow server; match the targets' servers. */
  readonly postgresVersion?: number;
  readonly concurrency?: number;
  readonly retry?: RetryOptions;
  /** How long to wait for another run's migration lock on a target (see DatabaseLockOptions). */
  readonly lockWaitTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  /** Schema selection for the comparisons (e.g. excludeSchemas for a schema another tool manages). */
  readonly diffOptions?: DiffOptions;
  readonly logger?: Logger;
}

export interface FleetApplyOptions extends FleetCheckOptions {
  /** Plan only: read versions and check drift, run nothing. */
  readonly dryRun?: boolean;
  /** Bring every target to this version: revert those above it (Down sections), apply up to it below. Default: the latest. */
  readonly to?: number;
}

/** Applies the pending migrations to every target whose schema matches its version. Never throws for a target. */
export function applyFleet(options: FleetApplyOptions): Promise<FleetReport> {
  return checkFleet('apply', options);
}

/** Only the consistency check of every target (no migration runs); `drifted` for each difference. */
export function checkFleetDrift(options: FleetCheckOptions): Promise<FleetReport> {
  return checkFleet('drift', options);
}

interface Context {
  readonly mode: FleetMode;
  readonly set: MigrationSet;
  readonly to: number;
  readonly dryRun: boolean;
  readonly expected: ExpectedSchemas;
  readonly options: FleetApplyOptions;
  readonly logger: Logger;
}

async function checkFleet(mode: 'apply' | 'drift', options: FleetApplyOptions): Promise<FleetReport> {
  const started = performance.now();
  const logger = options.logger ?? silentLogger;
  const { set, targets } = options;
  // Bad options stop the run before any database is touched.
  const to = mode === 'drift' ? latestVersion(set) : checkTargetVersion(set, options.to);
  const shadowSpec = typeof options.shadow === 'object' ? options.shadow : parseShadowSpec(options.shadow, '--shadow');
  const dryRun = mode === 'apply' && !!options.dryRun;
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const what = mode === 'drift' ? 'checking' : dryRun ? 'planning' : 'migrating';
  logger.info(
    `${what} ${targets.length} database${targets.length === 1 ? '' : 's'} against ${set.migrations.length} migration${set.migrations.length === 1 ? '' : 's'} ` +
      `in ${set.dir} (${mode === 'apply' ? `to version ${to}` : `latest version ${to}`}), ${concurrency} at a time${dryRun ? '; dry run: nothing is changed' : ''}`,
  );

  // The shadow server starts only when a first target needs an expected schema.
  let server: Promise<ShadowServer> | undefined;
  const openServer = () => (server ??= openShadowServer(shadowSpec, { major: options.postgresVersion, logger }));
  const expected = expectedSchemas(openServer, set, { logger });
  const context: Context = { mode, set, to, dryRun, expected, options, logger };
  try {
    const outcomes = await runFleet(mode, targets, (target) => checkTarget(target, context), { concurrency, retry: options.retry, logger });
    return {
      mode,
      dryRun,
      target: String(to),
      targets: outcomes,
      counts: countOutcomes(outcomes),
      durationMs: Math.round(performance.now() - started),
      expectedSchemas: expected.stats(),
    };
  } finally {
    if (server) await (await server.catch(() => undefined))?.close();
  }
}

function lockOptions(context: Context): DatabaseLockOptions {
  const { options } = context;
  return {
    logger: context.logger,
    ...(options.lockWaitTimeoutMs !== undefined ? { lockWaitTimeoutMs: options.lockWaitTimeoutMs } : {}),
    ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
  };
}

/** Compares the live schema with the schema of `version`; warns when the servers' majors differ. */
async function consistency(target: ReachableTarget, version: number, context: Context, warnings: string[]): Promise<Drift | undefined> {
  // Both settle before either failure is thrown: no read is left running unobserved.
  const [expectedResult, liveResult] = await Promise.allSettled([context.expected.get(version), introspect(target.url)]);
  if (expectedResult.status === 'rejected') throw expectedResult.reason;
  if (liveResult.status === 'rejected') throw liveResult.reason;
  const expected = expectedResult.value;
  const live = liveResult.value;
  const liveMajor = serverMajor(live.serverVersion);
  const expectedMajor = serverMajor(expected.catalog.serverVersion);
  if (liveMajor !== expectedMajor) {
    const warning = `runs PostgreSQL ${liveMajor} but expected schemas are built on PostgreSQL ${expectedMajor}: set the postgres version to ${liveMajor} if definitions differ only in how they print`;
    if (!warnings.includes(warning)) warnings.push(warning);
  }
  return compareWithExpected(live, expected.catalog, version, context.options.diffOptions);
}

function checkTarget(target: ReachableTarget, context: Context): Promise<AttemptOutcome> {
  return withDatabaseLock(target.url, (client) => checkLocked(client, target, context), lockOptions(context));
}

async function checkLocked(client: Client, target: ReachableTarget, context: Context): Promise<AttemptOutcome> {
  const { set, mode, to, options } = context;
  const database = target.database;
  const warnings: string[] = [];
  const status = databaseStatus(database, set, await readAppliedMigrations(client));
  const from = status.currentVersion;
  const reason = inconsistencyReason(status, set);
  if (reason) return { status: 'failed', fromVersion: from, error: reason, warnings };
  for (const changed of status.migrations.filter((m) => m.changedSinceApplied)) {
    warnings.push(`${changed.fileName} has changed since it was applied to ${database}`);
  }

  let drift: Drift | undefined;
  try {
    drift = await consistency(target, from, context, warnings);
  } catch (error) {
    // No expected schema (its migrations fail on an empty database) or the catalog could not be read.
    return { status: 'failed', fromVersion: from, error: `${database}: ${errorMessage(error)}`, transient: isTransientFailure(error), warnings };
  }
  if (drift) return { status: mode === 'drift' ? 'drifted' : 'postponed', fromVersion: from, drift, warnings };

  const plan = planTarget(status, set, to);
  const names = plan.migrations.map((m) => m.fileName);
  if (mode === 'drift') return { status: 'consistent', fromVersion: from, migrations: names, warnings };
  if (plan.direction === 'none') return { status: 'up-to-date', fromVersion: from, toVersion: from, warnings };
  const direction = plan.direction;
  if (plan.problems.length > 0) {
    return { status: 'failed', fromVersion: from, direction, error: `${database}: cannot revert to version ${to}: ${plan.problems.join('; ')}`, warnings };
  }
  if (context.dryRun) return { status: 'pending', fromVersion: from, toVersion: to, direction, migrations: names, warnings };

  // The applier's per-migration lines would drown the progress lines of a large fleet: debug only.
  const quiet: Logger = { ...silentLogger, info: (m) => context.logger.debug(`${target.name}: ${m}`), warning: (m) => context.logger.debug(`${target.name}: ${m}`) };
  const session = {
    database,
    logger: quiet,
    to,
    ...(options.lockTimeoutMs !== undefined ? { lockTimeoutMs: options.lockTimeoutMs } : {}),
    ...(options.statementTimeoutMs !== undefined ? { statementTimeoutMs: options.statementTimeoutMs } : {}),
  };
  const run = direction === 'up' ? await upLocked(client, set, session) : await downLocked(client, set, session);
  const ran = run.results.filter((r) => r.status === 'applied').map((r) => r.fileName);

  let reached = run.version ?? from;
  if (run.error) {
    // The connection may be gone (killed, reset): read the version again on a fresh one.
    reached = await readStatus(target.url, set, { connectTimeoutMs: options.connectTimeoutMs })
      .then((s) => s.currentVersion)
      .catch(() => reached);
  }
  const after = await consistency(target, reached, context, warnings).catch((error: unknown) => error as Error);
  const base = { fromVersion: from, toVersion: reached, direction, migrations: ran, warnings };
  if (run.error) {
    const left =
      after instanceof Error
        ? ` (could not check its schema afterwards: ${after.message})`
        : after
          ? `; its schema now differs from the schema of version ${reached} (${after.statements} difference${after.statements === 1 ? '' : 's'})`
          : `; it is left at version ${reached}, unchanged by the failed migration`;
    return {
      status: 'failed',
      ...base,
      error: run.error.message + left,
      ...(after && !(after instanceof Error) ? { drift: after } : {}),
      transient: isTransientFailure(run.error, run.error.sqlState),
    };
  }
  if (after instanceof Error) return { status: 'failed', ...base, error: `${database}: migrated, but could not check its schema afterwards: ${after.message}` };
  if (after) {
    return {
      status: 'failed',
      ...base,
      drift: after,
      error: `${database}: migrated ${from} → ${reached}, but its schema differs from the schema of version ${reached} (${after.statements} difference${after.statements === 1 ? '' : 's'}): a migration behaves differently here than on an empty database, or someone changed the schema meanwhile`,
    };
  }
  return { status: 'applied', ...base };
}
