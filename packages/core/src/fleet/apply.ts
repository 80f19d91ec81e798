/**
 * Fleet apply and the drift check. For every target, in parallel:
 *   1. connect and take the migration lock (the applier's advisory lock);
 *   2. read its version from gorp_migrations;
 *   3. compare its live schema with the schema that version implies (built once per version, shared);
 *   4. drifted: postponed, nothing run; consistent: run the applier's plan (planMigrations: pending
 *      migrations, or a revert to `to`) through the applier, each migration in its own transaction;
 *   5. compare again with the schema of the version reached.
 * The drift check stops after step 3. Nothing here throws for one target's sake: each gets an outcome.
 */
import type { Remedy } from '../remedy';
import type { Client } from 'pg';
import { LOCK_NOT_AVAILABLE } from '../applier/lock-retry';
import { runPlan } from '../applier/migrator';
import { checkTargetVersion, latestVersion, planMigrations } from '../applier/plan';
import { readAppliedMigrations, readAppliedRecords } from '../applier/records';
import { databaseStatus } from '../applier/state';
import { ConfigurationError, errorMessage } from '../errors';
import { ident } from '../diff/sql';
import type { Migration } from '../migrations/store';
import { type Acknowledgement, allowMarkerLine, parseAcknowledgement, readMarkers } from '../intent/acknowledgements';
import { checkUserSeed, type UserSeed } from '../seed/user-seed';
import { migrationStatements, type PendingStatement } from '../prechecks/statements';
import { precheckRefusal, runPrechecks } from '../prechecks/run';
import type { PrecheckOptions } from '../prechecks/types';
import { readStartingVersions, runPreflight } from './preflight';
import {
  dataAtRisk,
  dataAtRiskMessage,
  dataAtRiskRemedies,
  type VersionInventories,
  versionInventories,
} from './data-at-risk';
import { DEFAULT_CONCURRENCY } from './runner';
import { type Logger, silentLogger, timed } from '../logger';
import type { Drift } from './consistency';
import type { FailureEvidence, FleetReport } from './report';
import type { MigrationError } from '../applier/result';
import type { PrecheckReport } from '../prechecks/types';
import { isTransientFailure } from './retry';
import type { AttemptOutcome, ReachableTarget } from './runner';
import {
  type FleetCheckOptions,
  type VersionedRunContext,
  compareWithVersion,
  runVersionedFleet,
} from './versioned-run';

export type { FleetCheckOptions } from './versioned-run';

export interface FleetApplyOptions extends FleetCheckOptions {
  /** Plan only: read versions and check drift, run nothing. */
  readonly dryRun?: boolean;
  /** Bring every target to this version: revert those above it (Down sections), apply up to it below. Default: the latest. */
  readonly to?: number;
  /** How `to` is named in error messages: the front end's word for it (the CLI `--to`, the action `input "to-version"`). */
  readonly toInput?: string;
  /** The canary: stop starting targets once this many have had a migration fail; the rest are `not-started`. */
  readonly maxFailures?: number;
  /** Rows for the pre-flight's seeded copies (seed-sql files or a seed-command). */
  readonly seed?: UserSeed;
  /**
   * Acknowledged data losses, as `drops-data public.orders.note` (the DB-Migrate-Allow syntax), beside the
   * marker lines of the migrations that run. A run that would lose data a target holds (a Down section
   * of a revert, or a migration whose file does not acknowledge its loss) is refused on that target.
   */
  readonly allow?: readonly string[];
  /** Bounds of the pre-checks run on each target before it is touched, and the large-table limit (docs/prechecks.md). */
  readonly prechecks?: PrecheckOptions;
}

/**
 * What a run may lose on a target: measured by the pre-flight, acknowledged by the options and the files;
 * and the pre-checks' bounds.
 */
interface DataGuard {
  readonly inventories: VersionInventories;
  readonly acknowledged: readonly Acknowledgement[];
  readonly prechecks: PrecheckOptions;
  /** migrationStatements, parsed once per run for each plan (the targets' plans repeat). */
  readonly statements: (migrations: readonly Migration[], direction: 'up' | 'down') => Promise<PendingStatement[]>;
}

/** migrationStatements memoized by the plan's files and direction. */
function statementsOnce(): DataGuard['statements'] {
  const parsed = new Map<string, Promise<PendingStatement[]>>();
  return (migrations, direction) => {
    const key = `${direction} ${migrations.map((m) => m.fileName).join(' ')}`;
    let found = parsed.get(key);
    if (!found) parsed.set(key, (found = migrationStatements(migrations, direction)));
    return found;
  };
}

/** Applies the pending migrations to every target whose schema matches its version. Never throws for a target. */
export async function applyFleet(options: FleetApplyOptions): Promise<FleetReport> {
  // A bad target version stops the run before any database is touched.
  const to = checkTargetVersion(options.set, options.to, options.toInput);
  const dryRun = !!options.dryRun;
  const maxFailures = options.maxFailures;
  if (maxFailures !== undefined && (!Number.isSafeInteger(maxFailures) || maxFailures < 1)) {
    throw new ConfigurationError(
      `the maximum of failed targets must be a whole number of at least 1, got ${maxFailures}`,
      {
        option: 'maxFailures',
      },
    );
  }
  const seed = checkUserSeed(options.seed);
  const acknowledged = (options.allow ?? []).map((text) => parseAcknowledgement(text, 'the allow option'));
  // The pre-flight rehearses the run on copies and measures what holds data at each version it passes:
  // a dry run has it too (it touches no target), so it says what the real run would refuse.
  const inventories = versionInventories();
  const beforeTargets = (context: VersionedRunContext) =>
    timed(
      context.logger,
      'pre-flight',
      preflightStartingVersions(options, to, seed).then((fromVersions) =>
        runPreflight({
          set: options.set,
          to,
          fromVersions,
          expected: context.expected,
          inventories,
          ...(seed ? { seed } : {}),
          logger: context.logger,
        }),
      ),
    );
  const guard: DataGuard = {
    inventories,
    acknowledged,
    prechecks: options.prechecks ?? {},
    statements: statementsOnce(),
  };
  return runVersionedFleet(
    {
      mode: 'apply',
      to,
      dryRun,
      verb: dryRun ? 'planning' : 'migrating',
      versionPhrase: `to version ${to}`,
      beforeTargets,
      beforeLock: upToDateBeforeLock,
      ...(maxFailures !== undefined ? { maxFailures } : {}),
    },
    options,
    (client, target, context) => checkLocked(client, target, context, guard),
  );
}

/**
 * Where the pre-flight starts. Without a seed and with nothing to revert, from the empty database alone:
 * the schema at every version is the one its migrations build from empty (the consistency check makes
 * each target prove it), so the chain 0 -> `to` rehearses every pending migration of every target, and
 * reading the targets' versions beforehand (a second connection to each) buys nothing. Seeded copies, and
 * reverts, need the targets' real starting versions.
 */
async function preflightStartingVersions(
  options: FleetApplyOptions,
  to: number,
  seed: UserSeed | undefined,
): Promise<number[]> {
  if (!seed && to === latestVersion(options.set)) return [0];
  return readStartingVersions(options.targets, options.set, {
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
    connectTimeoutMs: options.connectTimeoutMs,
  });
}

/** Only the consistency check of every target (no migration runs); `drifted` for each difference. */
export async function checkFleetDrift(options: FleetCheckOptions): Promise<FleetReport> {
  const to = latestVersion(options.set);
  return runVersionedFleet(
    { mode: 'drift', to, dryRun: false, verb: 'checking', versionPhrase: `latest version ${to}` },
    options,
    checkLocked,
  );
}

/** A target's records and the applier's plan for it: what runs, and why not. */
async function readPlan(client: Client, target: ReachableTarget, context: VersionedRunContext) {
  const database = target.database;
  const records = await readAppliedRecords(client, database);
  const warnings: string[] = [...records.notes];
  const status = databaseStatus(database, context.set, records.applied);
  // The applier's own plan: what runs, and why not (inconsistent records, an irreversible step).
  const plan = planMigrations(status, context.set, { to: context.to });
  for (const changed of status.migrations.filter((m) => m.changedSinceApplied)) {
    warnings.push(`${changed.fileName} has changed since it was applied to ${database}`);
  }
  return { records, warnings, status, from: status.currentVersion, plan };
}

/** Nothing to run: the target is not touched, so neither its schema, a pre-flight nor the lock is needed. */
function upToDate({ plan, from, warnings }: Awaited<ReturnType<typeof readPlan>>): AttemptOutcome | undefined {
  if (plan.migrations.length > 0 || plan.refusal) return undefined;
  return { status: 'up-to-date', fromVersion: from, toVersion: from, warnings };
}

/**
 * Apply's look before the lock: a target with nothing to run is reported up-to-date from its records
 * alone (each migration commits with its record, so they are never half-written), without taking the
 * migration lock; any other target goes on under the lock, where its records are read again.
 */
async function upToDateBeforeLock(
  client: Client,
  target: ReachableTarget,
  context: VersionedRunContext,
): Promise<AttemptOutcome | undefined> {
  return upToDate(await readPlan(client, target, context));
}

async function checkLocked(
  client: Client,
  target: ReachableTarget,
  context: VersionedRunContext,
  guard?: DataGuard,
): Promise<AttemptOutcome> {
  const { set, mode, to, options } = context;
  const database = target.database;
  const read = await readPlan(client, target, context);
  const { records, warnings, from, plan } = read;
  const applied = records.applied;
  if (plan.refusal?.kind === 'inconsistent')
    return {
      status: mode === 'drift' ? 'failed' : 'refused',
      fromVersion: from,
      error: plan.refusal.message,
      warnings,
    };
  const nothingToRun = mode === 'apply' ? upToDate(read) : undefined;
  if (nothingToRun) return nothingToRun;
  if (mode === 'apply' && !plan.refusal) {
    // The pre-flight starts now and runs while this target and the others are read; it is awaited
    // before anything is changed (below).
    context.preflight().catch(() => undefined);
    // The after-check will need the schema of the version reached: asked for first, it is built from an
    // empty database at once instead of after the chain of lower versions the first targets ask for.
    if (!context.dryRun) context.expected.get(to).catch(() => undefined);
  }
  let drift: Drift | undefined;
  try {
    drift = await compareWithVersion(client, from, context, warnings);
  } catch (error) {
    // No expected schema (its migrations fail on an empty database) or the catalog could not be read.
    // A failed pre-flight names the migration at fault: that explains it better.
    const preflightStopped = mode === 'apply' && !plan.refusal ? await context.preflight() : undefined;
    if (preflightStopped) return { status: 'not-started', fromVersion: from, error: preflightStopped, warnings };
    return {
      status: 'failed',
      fromVersion: from,
      error: `${database}: ${errorMessage(error)}`,
      transient: isTransientFailure(error),
      warnings,
    };
  }
  if (drift) {
    if (applied.length === 0) {
      warnings.push(
        `no migrations are recorded on ${database}: if its schema was built before db-migrate, adopt it with a baseline (db-migrate baseline, or the apply action's mode: baseline)`,
      );
    }
    return { status: mode === 'drift' ? 'drifted' : 'postponed', fromVersion: from, drift, warnings };
  }

  const names = plan.migrations.map((m) => m.fileName);
  if (mode === 'drift') return { status: 'consistent', fromVersion: from, migrations: names, warnings };
  if (plan.migrations.length === 0) return { status: 'up-to-date', fromVersion: from, toVersion: from, warnings };
  const direction = plan.direction;
  if (plan.refusal) return { status: 'refused', fromVersion: from, direction, error: plan.refusal.message, warnings };
  // Read with the records: a role that could not record the run is refused before anything runs, dry run or not.
  if (records.unwritable)
    return { status: 'refused', fromVersion: from, direction, error: records.unwritable, warnings };
  let prechecks: PrecheckReport | undefined;
  // Read-only queries on this target's own rows, before anything runs on it (docs/prechecks.md); they
  // overlap the pre-flight.
  const markers = direction === 'up' ? plan.migrations.flatMap((m) => readMarkers(m.text, m.path).allow) : [];
  if (guard)
    prechecks = await runPrechecks(client, {
      statements: await guard.statements(plan.migrations, direction),
      acknowledged: [...guard.acknowledged, ...markers],
      options: guard.prechecks,
    });
  // Nothing below may change a target, or read what the pre-flight measured, before it has passed.
  const preflightStopped = await context.preflight();
  if (preflightStopped) return { status: 'not-started', fromVersion: from, error: preflightStopped, warnings };
  if (guard && prechecks) {
    const refused = await refusedLosses(client, database, plan.migrations, { from, to, direction }, guard, warnings);
    if (refused)
      return {
        status: 'refused',
        fromVersion: from,
        direction,
        error: refused.message,
        ...(refused.remedies ? { remedies: refused.remedies } : {}),
        warnings,
      };
    const stopped = precheckRefusal(prechecks, direction === 'up');
    if (stopped)
      return {
        status: 'refused',
        fromVersion: from,
        direction,
        error: `${database}: ${direction === 'down' ? 'reverting' : 'migrating'} from version ${from} to ${to}: ${stopped.message}`,
        remedies: stopped.remedies,
        prechecks,
        warnings,
      };
  }
  const precheckFields = prechecks ? { prechecks } : {};
  if (context.dryRun) {
    const rowsAtRisk = direction === 'up' ? await tablesWithRowsAtRisk(client, plan.migrations) : [];
    return {
      status: 'pending',
      fromVersion: from,
      toVersion: to,
      direction,
      migrations: names,
      warnings,
      ...precheckFields,
      ...(rowsAtRisk.length > 0 ? { rowsAtRisk } : {}),
    };
  }

  // The applier's per-migration lines would drown the progress lines of a large fleet: debug only.
  const quiet: Logger = {
    ...silentLogger,
    info: (m) => context.logger.debug(`${target.name}: ${m}`),
    warning: (m) => context.logger.debug(`${target.name}: ${m}`),
  };
  // Lock timeouts and who blocks are worth seeing as they happen: warnings, named by target.
  const lockRetryLogger: Logger = { ...quiet, warning: (m) => context.logger.warning(`${target.name}: ${m}`) };
  const session = {
    logger: quiet,
    signal: context.signal,
    lockRetryLogger,
    ...(options.lockTimeoutMs !== undefined ? { lockTimeoutMs: options.lockTimeoutMs } : {}),
    ...(options.lockRetryBudgetMs !== undefined ? { lockRetryBudgetMs: options.lockRetryBudgetMs } : {}),
    ...(options.statementTimeoutMs !== undefined ? { statementTimeoutMs: options.statementTimeoutMs } : {}),
  };
  const run = await runPlan(client, set, plan, session);
  const ran = run.results.filter((r) => r.status === 'applied').map((r) => r.fileName);
  if (run.error?.kind === 'interrupted') {
    // The process is about to exit (its shadow server with it): the version is read, the schema not compared.
    const reached = await readAppliedMigrations(client)
      .then((records) => databaseStatus(database, set, records).currentVersion)
      .catch(() => run.version ?? from);
    return {
      status: 'interrupted',
      fromVersion: from,
      toVersion: reached,
      direction,
      migrations: ran,
      warnings,
      error: `${run.error.message}; it is left at version ${reached}`,
    };
  }

  // The after-check reads on the same connection; only when a failure broke it (killed, reset) does a
  // second connection read the version and the schema.
  const check = async (on: Client) => {
    const reached = run.error
      ? databaseStatus(database, set, await readAppliedMigrations(on)).currentVersion
      : (run.version ?? from);
    return { reached, after: await compareWithVersion(on, reached, context, warnings) };
  };
  const checked = await check(client)
    .catch((error: unknown) =>
      run.error ? context.connections.use(target.url, connectOptions(options), check) : Promise.reject(error),
    )
    .catch((error: unknown) => ({ reached: run.version ?? from, after: error as Error }));
  const { reached, after } = checked;
  const base = { fromVersion: from, toVersion: reached, direction, migrations: ran, warnings, ...precheckFields };
  if (run.error) {
    const left =
      after instanceof Error
        ? ` (could not check its schema afterwards: ${errorMessage(after)})`
        : after
          ? `; its schema now differs from the schema of version ${reached} (${after.statements} difference${after.statements === 1 ? '' : 's'})`
          : `; it is left at version ${reached}, unchanged by the failed migration`;
    // The headline, what the target is left at, then PostgreSQL's detail lines.
    const [headline, ...evidenceLines] = run.error.message.split('\n');
    return {
      status: 'failed',
      ...base,
      error: [headline + left, ...evidenceLines].join('\n'),
      ...(run.error.remedies ? { remedies: run.error.remedies } : {}),
      evidence: migrationEvidence(run.error),
      ...(run.error.fileName ? { failedMigration: run.error.fileName } : {}),
      ...(after && !(after instanceof Error) ? { drift: after } : {}),
      // A migration that may have left changes behind (notransaction, or one that committed itself) would
      // repeat them, or meet its own leftovers as drift and be reported postponed: never retried.
      // A lock timeout was already retried patiently by the applier, within its budget.
      transient:
        !run.error.partial &&
        run.error.sqlState !== LOCK_NOT_AVAILABLE &&
        isTransientFailure(run.error, run.error.sqlState),
    };
  }
  if (after instanceof Error)
    return {
      status: 'failed',
      ...base,
      error: `${database}: migrated, but could not check its schema afterwards: ${errorMessage(after)}`,
    };
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

/** The failing statement and PostgreSQL's error fields of a migration error, as the report carries them. */
function migrationEvidence(error: MigrationError): FailureEvidence {
  const { fileName, line, statement, sqlState, detail, hint, constraint, table, column, dataType, where } = error;
  const fields = {
    file: fileName,
    line,
    statement,
    sqlState,
    detail,
    hint,
    constraint,
    table,
    column,
    dataType,
    where,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as FailureEvidence;
}

/**
 * Why the plan must not run here: a loss the pre-flight measured from this target's version to `to`,
 * whose object holds data on this target, that neither an acknowledgement (allow) nor (for migrations up)
 * a marker line of one of the migrations names; the acknowledgements that would let it run are the
 * remedies. Undefined when it may run.
 */
async function refusedLosses(
  client: Client,
  database: string,
  migrations: readonly Migration[],
  run: { readonly from: number; readonly to: number; readonly direction: 'up' | 'down' },
  guard: DataGuard,
  warnings: string[],
): Promise<{ readonly message: string; readonly remedies?: readonly Remedy[] } | undefined> {
  const what = `${database}: ${run.direction === 'down' ? 'reverting' : 'migrating'} from version ${run.from} to ${run.to}`;
  const measured = guard.inventories.losses(run.from, run.to);
  if (!measured)
    return {
      message: `${what}: what it loses could not be measured on a copy (see the pre-flight lines), so nothing was run`,
    };
  // The pre-flight stopped early on a failure it leaves to the targets (a deadlock, a lock timeout): what
  // lies beyond was not rehearsed, and the target is likely to stop at the same migration.
  if (measured.through !== run.to)
    warnings.push(
      `what the migrations beyond version ${measured.through} lose could not be measured: the pre-flight stopped there on a failure it left to the databases`,
    );
  const losses = measured.losses;
  if (losses.length === 0) return undefined;
  // A migration's marker lines acknowledge what it loses going up; a Down section's losses only allow.
  const markers = run.direction === 'up' ? migrations.flatMap((m) => readMarkers(m.text, m.path).allow) : [];
  const atRisk = await dataAtRisk(client, losses, [...guard.acknowledged, ...markers]);
  if (atRisk.length === 0) return undefined;
  const message = dataAtRiskMessage(what, atRisk, 'nothing was run');
  const remedies = dataAtRiskRemedies(atRisk);
  if (run.direction === 'down') return { message, remedies };
  return {
    message: `${message}, or add the line${atRisk.length === 1 ? '' : 's'} ${atRisk.map((r) => `"${allowMarkerLine(r.loss)}"`).join(' ')} to the migration that loses it (verify asks for it too)`,
    remedies,
  };
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
      const table = hazard.table; // recorded by the differ with the hazard (never read from its wording)
      const [schema, name] = table?.includes('.')
        ? [table.slice(0, table.indexOf('.')), table.slice(table.indexOf('.') + 1)]
        : ['public', table];
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

function connectOptions(options: FleetCheckOptions): { connectTimeoutMs?: number } {
  return options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {};
}
