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
import type { Client } from 'pg';
import { downLocked, status as readStatus, upLocked } from '../applier/migrator';
import { readAppliedRecords } from '../applier/records';
import { databaseStatus, inconsistencyReason } from '../applier/state';
import { ConfigurationError, errorMessage } from '../errors';
import { ident } from '../diff/sql';
import type { Migration } from '../migrations/store';
import { checkUserSeed, type UserSeed } from '../seed/user-seed';
import { readStartingVersions, runPreflight } from './preflight';
import { DEFAULT_CONCURRENCY } from './runner';
import { type Logger, silentLogger } from '../logger';
import type { Drift } from './consistency';
import { checkTargetVersion, latestVersion, planTarget } from './plan';
import type { FleetReport } from './report';
import { isTransientFailure } from './retry';
import type { AttemptOutcome, ReachableTarget } from './runner';
import { type FleetCheckOptions, type VersionedRunContext, compareWithVersion, runVersionedFleet } from './versioned-run';

export type { FleetCheckOptions } from './versioned-run';

export interface FleetApplyOptions extends FleetCheckOptions {
  /** Plan only: read versions and check drift, run nothing. */
  readonly dryRun?: boolean;
  /** Bring every target to this version: revert those above it (Down sections), apply up to it below. Default: the latest. */
  readonly to?: number;
  /** The canary: stop starting targets once this many have had a migration fail; the rest are `not-started`. */
  readonly maxFailures?: number;
  /** Rows for the pre-flight's seeded copies (seed-sql files or a seed-command). */
  readonly seed?: UserSeed;
}

/** Applies the pending migrations to every target whose schema matches its version. Never throws for a target. */
export async function applyFleet(options: FleetApplyOptions): Promise<FleetReport> {
  // A bad --to stops the run before any database is touched.
  const to = checkTargetVersion(options.set, options.to);
  const dryRun = !!options.dryRun;
  const maxFailures = options.maxFailures;
  if (maxFailures !== undefined && (!Number.isSafeInteger(maxFailures) || maxFailures < 1)) {
    throw new ConfigurationError(`--max-failures must be a whole number of at least 1, got ${maxFailures}`);
  }
  const seed = checkUserSeed(options.seed);
  // The pre-flight rehearses a real run; a dry run changes nothing and only plans.
  const beforeTargets = dryRun
    ? undefined
    : async (context: VersionedRunContext) =>
        runPreflight({
          set: options.set,
          to,
          fromVersions: await readStartingVersions(options.targets, options.set, { concurrency: options.concurrency ?? DEFAULT_CONCURRENCY, connectTimeoutMs: options.connectTimeoutMs }),
          expected: context.expected,
          ...(seed ? { seed } : {}),
          logger: context.logger,
        });
  return runVersionedFleet(
    { mode: 'apply', to, dryRun, verb: dryRun ? 'planning' : 'migrating', versionPhrase: `to version ${to}`, ...(beforeTargets ? { beforeTargets } : {}), ...(maxFailures !== undefined ? { maxFailures } : {}) },
    options,
    checkLocked,
  );
}

/** Only the consistency check of every target (no migration runs); `drifted` for each difference. */
export async function checkFleetDrift(options: FleetCheckOptions): Promise<FleetReport> {
  const to = latestVersion(options.set);
  return runVersionedFleet({ mode: 'drift', to, dryRun: false, verb: 'checking', versionPhrase: `latest version ${to}` }, options, checkLocked);
}

async function checkLocked(client: Client, target: ReachableTarget, context: VersionedRunContext): Promise<AttemptOutcome> {
  const { set, mode, to, options } = context;
  const database = target.database;
  const records = await readAppliedRecords(client, database);
  const warnings: string[] = [...records.notes];
  const applied = records.applied;
  const status = databaseStatus(database, set, applied);
  const from = status.currentVersion;
  const reason = inconsistencyReason(status, set);
  if (reason) return { status: 'failed', fromVersion: from, error: reason, warnings };
  for (const changed of status.migrations.filter((m) => m.changedSinceApplied)) {
    warnings.push(`${changed.fileName} has changed since it was applied to ${database}`);
  }

  let drift: Drift | undefined;
  try {
    drift = await compareWithVersion(target, from, context, warnings);
  } catch (error) {
    // No expected schema (its migrations fail on an empty database) or the catalog could not be read.
    return { status: 'failed', fromVersion: from, error: `${database}: ${errorMessage(error)}`, transient: isTransientFailure(error), warnings };
  }
  if (drift) {
    if (applied.length === 0) {
      warnings.push(`no migrations are recorded on ${database}: if its schema was built before db-migrate, adopt it with a baseline (db-migrate baseline --to N, or mode: baseline)`);
    }
    return { status: mode === 'drift' ? 'drifted' : 'postponed', fromVersion: from, drift, warnings };
  }

  const plan = planTarget(status, set, to);
  const names = plan.migrations.map((m) => m.fileName);
  if (mode === 'drift') return { status: 'consistent', fromVersion: from, migrations: names, warnings };
  if (plan.direction === 'none') return { status: 'up-to-date', fromVersion: from, toVersion: from, warnings };
  const direction = plan.direction;
  if (plan.problems.length > 0) {
    return { status: 'failed', fromVersion: from, direction, error: `${database}: cannot revert to version ${to}: ${plan.problems.join('; ')}`, warnings };
  }
  if (context.dryRun) {
    const rowsAtRisk = direction === 'up' ? await tablesWithRowsAtRisk(client, plan.migrations) : [];
    return { status: 'pending', fromVersion: from, toVersion: to, direction, migrations: names, warnings, ...(rowsAtRisk.length > 0 ? { rowsAtRisk } : {}) };
  }

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
  const after = await compareWithVersion(target, reached, context, warnings).catch((error: unknown) => error as Error);
  const base = { fromVersion: from, toVersion: reached, direction, migrations: ran, warnings };
  if (run.error) {
    const left =
      after instanceof Error
        ? ` (could not check its schema afterwards: ${errorMessage(after)})`
        : after
          ? `; its schema now differs from the schema of version ${reached} (${after.statements} difference${after.statements === 1 ? '' : 's'})`
          : `; it is left at version ${reached}, unchanged by the failed migration`;
    return {
      status: 'failed',
      ...base,
      error: run.error.message + left,
      ...(run.error.fileName ? { failedMigration: run.error.fileName } : {}),
      ...(after && !(after instanceof Error) ? { drift: after } : {}),
      // A migration that may have left changes behind (notransaction, or one that committed itself) would
      // repeat them, or meet its own leftovers as drift and be reported postponed: never retried.
      transient: !run.error.partial && isTransientFailure(run.error, run.error.sqlState),
    };
  }
  if (after instanceof Error) return { status: 'failed', ...base, error: `${database}: migrated, but could not check its schema afterwards: ${errorMessage(after)}` };
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

/** The table of a `fails-on-existing-rows` hazard: recorded with it, else read from the differ's wording. */
function hazardTable(hazard: { readonly message: string; readonly table?: string }): string | undefined {
  return hazard.table ?? /^adds column (\S+)\.[^.\s]+ NOT NULL/.exec(hazard.message)?.[1];
}

/**
 * Dry run: the tables a pending migration's `fails-on-existing-rows` statement touches (from the hazards
 * recorded in its metadata) that hold rows on this target, each as `table (file)`.
 */
async function tablesWithRowsAtRisk(client: Client, migrations: readonly Migration[]): Promise<string[]> {
  const found: string[] = [];
  for (const migration of migrations) {
    for (const hazard of migration.metadata?.hazards ?? []) {
      if (hazard.code !== 'fails-on-existing-rows') continue;
      const table = hazardTable(hazard);
      const [schema, name] = table?.includes('.') ? [table.slice(0, table.indexOf('.')), table.slice(table.indexOf('.') + 1)] : ['public', table];
      if (!name) continue;
      // A table an earlier pending migration creates does not exist yet: it has no rows here.
      const { rows } = await client
        .query<{ has: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${ident(schema)}.${ident(name)}) AS has`)
        .catch(() => ({ rows: [{ has: false }] }));
      const entry = `${schema}.${name} (${migration.fileName})`;
      if (rows[0]?.has && !found.includes(entry)) found.push(entry);
    }
  }
  return found;
}
