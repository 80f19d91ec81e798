/**
 * Staging sync: make each target's schema equal the schema source at a ref, without migrations or
 * versions (the way a staging database follows the schema's main branch). The schema is built once in a
 * shadow database and introspected; then, for every target in parallel and under the migration lock,
 * the live schema is diffed against it and the difference applied in ONE transaction. Statements that
 * PostgreSQL refuses inside a transaction run outside it, one by one, and the outcome says so: enum
 * values the other statements use before it (they must be committed to be usable), the rest (CREATE
 * INDEX CONCURRENTLY) after it. Afterwards the target is compared again.
 */
import { performance } from 'node:perf_hooks';
import type { Client } from 'pg';
import { concurrentBuild, dropLeftInvalidIndexes, snapshotBeforeBuild } from '../applier/invalid-index';
import { withDatabaseLock } from '../applier/lock';
import { isLockTimeout, LockRetry } from '../applier/lock-retry';
import { sessionStatements } from '../applier/migrator';
import { type ChangePart, splitChange } from '../create/split';
import { type Catalog, type DiffOptions, type DiffStatement, diffCatalogs, introspect, renderMarkedSql } from '../diff';
import { filterCatalog } from '../diff/filter';
import { errorMessage } from '../errors';
import { redact } from '../redact';
import { serverErrorFields, serverErrorLines } from '../pg/error-fields';
import { type Acknowledgement, parseAcknowledgement, unacknowledged } from '../intent/acknowledgements';
import { dataLosses, readDataInventory } from '../data-loss/measure';
import { ALLOW_EMPTY_GOAL, emptyGoalProblem } from '../schema-source/empty-goal';
import type { RemedyWording } from '../remedy';
import { sqlStatements } from '../prechecks/statements';
import { precheckRefusal, runPrechecks } from '../prechecks/run';
import type { PrecheckOptions } from '../prechecks/types';
import { type Logger, silentLogger } from '../logger';
import { cancelRunningStatement } from '../pg/connect';
import { buildSchemaAt } from '../schema-source/build';
import { interruptSignal } from '../process/cleanup';
import { describeSchemaSource, type SchemaSource } from '../schema-source/schema-source';
import { withShadowServer } from '../shadow/shadow-server';
import { parseShadowSpec, type ShadowSpec } from '../shadow/spec';
import { CONSISTENCY_DIFF_OPTIONS } from './consistency';
import { dataAtRisk, dataAtRiskMessage, dataAtRiskRemedies } from './data-at-risk';
import { predictedLosses } from './sync-losses';
import { type FleetReport, countOutcomes } from './report';
import { isTransientFailure, type RetryOptions } from './retry';
import { type AttemptOutcome, DEFAULT_CONCURRENCY, type ReachableTarget, runFleet } from './runner';
import type { Target } from './targets';

export interface SyncOptions {
  readonly targets: readonly Target[];
  /** Where the desired schema comes from. */
  readonly source: SchemaSource;
  /** The ref of the schema source to sync to (default HEAD). */
  readonly ref?: string;
  /** Where the schema is built: `embedded` (default), `docker` or a postgres URL. */
  readonly shadow?: string | ShadowSpec;
  readonly postgresVersion?: number;
  /** Show what would run on each target; change nothing. */
  readonly dryRun?: boolean;
  readonly concurrency?: number;
  /** Targets worked on at once on one server (host:port). */
  readonly concurrencyPerHost?: number;
  readonly retry?: RetryOptions;
  readonly lockWaitTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  /** SET lock_timeout for the sync statements (ms; default DEFAULT_LOCK_TIMEOUT_MS, 0 waits for ever). */
  readonly lockTimeoutMs?: number;
  /** How long to keep retrying after a lock timeout (ms; default DEFAULT_LOCK_RETRY_BUDGET_MS). */
  readonly lockRetryBudgetMs?: number;
  readonly statementTimeoutMs?: number;
  readonly diffOptions?: DiffOptions;
  /**
   * Acknowledged data losses, as `drops-data public.old_orders` (the DB-Migrate-Allow syntax). A table or
   * column holding data that the sync would drop (or a type it would narrow, an enum value it would
   * remove), unacknowledged, stops that target's sync.
   */
  readonly allow?: readonly string[];
  /** Bounds of the pre-checks run on each target before it is touched, and the large-table limit (docs/prechecks.md). */
  readonly prechecks?: PrecheckOptions;
  /** Sync even when the schema build has no tables and the target has some. */
  readonly allowEmptyGoal?: boolean;
  /** Stops a build command running longer than this (DEFAULT_BUILD_TIMEOUT_MS). */
  readonly buildTimeoutMs?: number;
  readonly logger?: Logger;
  /** Words the remedies in the progress lines: the front end's (the CLI's flags, an action's inputs). */
  readonly wordRemedy?: RemedyWording;
  /** Stops the run: no target starts after it, and the statement running is cancelled. Default: the process's SIGINT/SIGTERM. */
  readonly signal?: AbortSignal;
}

/** Syncs every target to the schema at `ref`. Throws only when the schema itself cannot be built. */
export async function syncFleet(options: SyncOptions): Promise<FleetReport> {
  const started = performance.now();
  const logger = options.logger ?? silentLogger;
  const ref = options.ref ?? 'HEAD';
  const shadowSpec = typeof options.shadow === 'object' ? options.shadow : parseShadowSpec(options.shadow);
  const dryRun = !!options.dryRun;
  const diffOptions = { ...CONSISTENCY_DIFF_OPTIONS, ...options.diffOptions };
  const allow = (options.allow ?? []).map((text) => parseAcknowledgement(text, 'the allow option'));
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;

  // The schema is built and read once; the shadow server is gone before the first target is touched.
  const { goal, sha } = await withShadowServer(
    shadowSpec,
    { postgresVersion: options.postgresVersion, logger },
    async (server) => {
      const db = await server.createDatabase();
      const build = await buildSchemaAt(options.source, ref, db, { logger, timeoutMs: options.buildTimeoutMs });
      return { goal: await introspect(db.url), sha: build.sha };
    },
  );
  const commit = sha ? `${sha.slice(0, 12)} (${ref})` : ref;
  const n = options.targets.length;
  logger.info(
    `syncing ${n} database${n === 1 ? '' : 's'} to the schema at ${commit}, ${concurrency} at a time${dryRun ? '; dry run: nothing is changed' : ''}`,
  );

  const signal = options.signal ?? interruptSignal();
  const outcomes = await runFleet(
    'sync',
    options.targets,
    (target) =>
      withDatabaseLock(
        target.url,
        (client) =>
          interruptible(client, signal, () =>
            syncLocked(client, target, goal, {
              ...options,
              dryRun,
              diffOptions,
              acknowledged: allow,
              build: describeSchemaSource(options.source),
              commit,
            }),
          ),
        {
          logger,
          ...(options.lockWaitTimeoutMs !== undefined ? { lockWaitTimeoutMs: options.lockWaitTimeoutMs } : {}),
          ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
        },
      ),
    {
      concurrency,
      ...(options.concurrencyPerHost !== undefined ? { concurrencyPerHost: options.concurrencyPerHost } : {}),
      retry: options.retry,
      logger,
      signal,
      ...(options.wordRemedy ? { wordRemedy: options.wordRemedy } : {}),
    },
  );
  const interrupted = signal.aborted
    ? { interrupted: typeof signal.reason === 'string' ? signal.reason : 'a signal' }
    : {};
  return {
    mode: 'sync',
    dryRun,
    target: commit,
    targets: outcomes,
    counts: countOutcomes(outcomes),
    durationMs: Math.round(performance.now() - started),
    ...interrupted,
  };
}

/**
 * Runs one target's sync so that an interruption cancels the statement running (the transaction rolls
 * back); a failure that follows it is `interrupted`, never retried.
 */
async function interruptible(
  client: Client,
  signal: AbortSignal,
  attempt: () => Promise<AttemptOutcome>,
): Promise<AttemptOutcome> {
  const cancel = () => void cancelRunningStatement(client);
  signal.addEventListener('abort', cancel, { once: true });
  try {
    const outcome = await attempt();
    if (outcome.status !== 'failed' || !signal.aborted) return outcome;
    const [headline, ...evidence] = (outcome.error ?? '').split('\n');
    const why = typeof signal.reason === 'string' ? signal.reason : 'a signal';
    return {
      ...outcome,
      status: 'interrupted',
      transient: false,
      error: [`${headline} (interrupted by ${why}: the statement running was cancelled)`, ...evidence].join('\n'),
    };
  } finally {
    signal.removeEventListener('abort', cancel);
  }
}

/** Tables of a catalog (not views), as `schema.name`; pass it filtered, without the migration bookkeeping. */
function tablesOf(catalog: Catalog): string[] {
  return [...catalog.relations.values()]
    .filter((r) => r.kind === 'table' || r.kind === 'partitioned table')
    .map((r) => `${r.schema}.${r.name}`)
    .sort();
}

/** Why this target's sync must not run: the schema build has no tables while the target has some. */
function emptyGoalRefusal(
  current: Catalog,
  goal: Catalog,
  options: { readonly allowEmptyGoal?: boolean; readonly build: string; readonly commit: string },
): string | undefined {
  return emptyGoalProblem({
    goalTables: tablesOf(goal).length,
    tables: tablesOf(current),
    other: 'the database',
    build: options.build,
    commit: options.commit,
    allowEmptyGoal: options.allowEmptyGoal,
  });
}

function excerpt(sql: string): string {
  const text = sql.trim().replace(/\s+/g, ' ');
  return text.length > 80 ? text.slice(0, 80) + ' …' : text;
}

function describeStatements(statements: readonly DiffStatement[]): string[] {
  return statements.map((s) => `${s.action} ${s.object.kind} ${s.object.name}`);
}

async function syncLocked(
  client: Client,
  target: ReachableTarget,
  goal: Catalog,
  options: SyncOptions & {
    readonly dryRun: boolean;
    readonly diffOptions: DiffOptions;
    readonly acknowledged: readonly Acknowledgement[];
    readonly build: string;
    readonly commit: string;
  },
): Promise<AttemptOutcome> {
  const database = target.database;
  const live = await introspect(client);
  const statements = diffCatalogs(live, goal, options.diffOptions);
  if (statements.length === 0) return { status: 'up-to-date', statements: 0 };
  const liveFiltered = filterCatalog(live, options.diffOptions);
  const goalFiltered = filterCatalog(goal, options.diffOptions);
  const refused = emptyGoalRefusal(liveFiltered, goalFiltered, options);
  if (refused)
    return {
      status: 'refused',
      statements: 0,
      error: redact(`${database}: ${refused}; nothing was changed`),
      remedies: [ALLOW_EMPTY_GOAL],
    };
  // Outside the transaction: enum values that later statements use must be committed before them
  // (the differ emits those ADD VALUE IF NOT EXISTS, safe to repeat); anything else that cannot run in a
  // transaction (CREATE INDEX CONCURRENTLY) goes after it, once what it needs exists.
  // The later steps of non-blocking forms (VALIDATE after ADD ... NOT VALID, CREATE INDEX CONCURRENTLY...)
  // run once the first step committed, each in its own transaction or outside one, as create's files would.
  const firstStep = statements.filter((s) => s.step === 0);
  const laterParts = splitChange(statements.filter((s) => s.step > 0));
  const inside = firstStep.filter((s) => s.transactional);
  const first = firstStep.filter((s) => !s.transactional && s.object.kind === 'enum');
  const last = firstStep.filter((s) => !s.transactional && s.object.kind !== 'enum');
  const warnings = statements
    .filter((s) => s.destructive)
    .map((s) => `destructive: ${s.action} ${s.object.kind} ${s.object.name}`);
  const planned = { sql: renderMarkedSql(statements), changes: describeStatements(statements) };
  const outsideCount =
    first.length + last.length + laterParts.filter((p) => p.outside).reduce((n, p) => n + p.up.length, 0);
  const counts = { statements: statements.length, ...(outsideCount ? { outsideTransaction: outsideCount } : {}) };
  // Read-only queries on this target's own rows, before anything runs on it (docs/prechecks.md).
  const prechecks = await runPrechecks(client, {
    statements: await sqlStatements(
      statements.map((s) => s.sql),
      'sync statement',
    ),
    acknowledged: options.acknowledged,
    options: options.prechecks ?? {},
  });
  /** Refused before any statement ran: the plan, the pre-checks and the warnings go with it. */
  const refuseUntouched = (error: string, remedies: AttemptOutcome['remedies']): AttemptOutcome => ({
    status: 'refused',
    statements: 0,
    sync: planned,
    prechecks,
    warnings,
    error: redact(error),
    remedies,
  });
  const stopped = precheckRefusal(prechecks, false);
  if (stopped) return refuseUntouched(`${database}: the sync: ${stopped.message}`, stopped.remedies);
  // What the statements lose, read before anything runs, so the dry run refuses as the real run does.
  const atRisk = await dataAtRisk(
    client,
    predictedLosses(liveFiltered, goalFiltered, statements),
    options.acknowledged,
  );
  if (atRisk.length > 0)
    return refuseUntouched(
      dataAtRiskMessage(`${database}: the sync`, atRisk, 'nothing was changed'),
      dataAtRiskRemedies(atRisk),
    );
  if (options.dryRun) return { status: 'pending', ...counts, sync: planned, prechecks, warnings };

  await client.query(sessionStatements(options).join('; '));
  const logger = options.logger ?? silentLogger;
  const lockRetry = new LockRetry(client, options, {
    ...logger,
    warning: (m) => logger.warning(`${target.name}: ${m}`),
  });
  try {
    return await syncStatements(client, database, goal, options, {
      statements,
      inside,
      first,
      last,
      laterParts,
      warnings,
      planned,
      counts,
      lockRetry,
    });
  } finally {
    await lockRetry.close();
  }
}

interface SyncPlan {
  readonly statements: readonly DiffStatement[];
  readonly inside: readonly DiffStatement[];
  readonly first: readonly DiffStatement[];
  readonly last: readonly DiffStatement[];
  /** The later steps of non-blocking forms, each in its own transaction or outside one. */
  readonly laterParts: readonly ChangePart[];
  readonly warnings: string[];
  readonly planned: { sql: string; changes: string[] };
  readonly counts: { statements: number; outsideTransaction?: number };
  readonly lockRetry: LockRetry;
}

/** Runs the statements: outside the transaction before it, the transaction, outside after it, the later steps; then compares again. */
async function syncStatements(
  client: Client,
  database: string,
  goal: Catalog,
  options: SyncOptions & { readonly diffOptions: DiffOptions; readonly acknowledged: readonly Acknowledgement[] },
  plan: SyncPlan,
): Promise<AttemptOutcome> {
  const { statements, inside, first, last, laterParts, warnings, planned, counts, lockRetry } = plan;

  let ranOutside = 0;
  let committed = false;
  let ranLater = 0;
  const failure = (
    error: unknown,
    what: string,
    consequence: string,
    retryable = true,
    statement?: string,
  ): AttemptOutcome => {
    const fields = serverErrorFields(error);
    return {
      status: 'failed',
      statements: (committed ? inside.length : 0) + ranOutside + ranLater,
      ...(ranOutside ? { outsideTransaction: ranOutside } : {}),
      sync: planned,
      warnings,
      error: [
        redact(
          `${database}: ${what}: ${errorMessage(error)}${isLockTimeout(error) ? ` (${lockRetry.exhausted()})` : ''}; ${consequence}`,
        ),
        ...serverErrorLines(fields),
      ].join('\n'),
      evidence: { ...(statement ? { statement: redact(statement.trim()) } : {}), ...fields },
      // A lock timeout was already retried patiently here, within its budget.
      transient: retryable && !isLockTimeout(error) && isTransientFailure(error, (error as { code?: string }).code),
    };
  };
  const runOutside = async (list: readonly DiffStatement[], when: string): Promise<AttemptOutcome | undefined> => {
    for (const [index, statement] of list.entries()) {
      lockRetry.reset();
      const build = concurrentBuild(statement.sql);
      for (;;) {
        const snapshot = build ? await snapshotBeforeBuild(client, build) : undefined;
        try {
          await lockRetry.watch(() => client.query(statement.sql), `${database}: "${excerpt(statement.sql)}"`);
          ranOutside++;
          break;
        } catch (error) {
          // A failed CREATE INDEX CONCURRENTLY leaves an invalid index: dropped, so a lock timeout can be tried again.
          const cleanup = build
            ? await dropLeftInvalidIndexes(client, snapshot, error, {
                waitMs: lockRetry.cleanupWaitMs(),
                lockTimeoutMs: lockRetry.lockTimeoutMs,
              })
            : undefined;
          const clean = !cleanup || cleanup.left.length === 0;
          if (
            isLockTimeout(error) &&
            clean &&
            (await lockRetry.retryAfterTimeout(`${database}: "${excerpt(statement.sql)}"`, 'it runs again'))
          )
            continue;
          const left = list.length - index - 1 + (when === 'before' ? inside.length + last.length : 0);
          // Enum values (before) are added with IF NOT EXISTS, all or nothing: safe to retry. What runs after
          // (CREATE INDEX CONCURRENTLY) can fail half-done, leaving an invalid index that a new diff takes
          // for the real one if it could not be dropped: a retry would report success. Not retried.
          const outcome = failure(
            error,
            `"${excerpt(statement.sql)}" (which cannot run in a transaction, ${when} it) failed`,
            `${ranOutside} statement(s) ran, ${left} did not`,
            when === 'before',
            statement.sql,
          );
          return cleanup ? { ...outcome, error: redact(outcome.error + cleanup.note) } : outcome;
        }
      }
    }
    return undefined;
  };

  const early = await runOutside(first, 'before');
  if (early) return early;
  let current: DiffStatement | undefined;
  /** Runs the statements of a transaction, `current` naming the one running. */
  const runEach = async (list: readonly DiffStatement[]) => {
    for (const statement of list) {
      current = statement;
      await lockRetry.watch(() => client.query(statement.sql), `${database}: "${excerpt(statement.sql)}"`);
    }
    current = undefined;
  };
  /**
   * After a transaction failed: rolls it back; true when it ran into a lock timeout and, within the retry
   * budget, runs again whole (`again` says so in the log); else what failed, for the error.
   */
  const rollBack = async (error: unknown, again: string): Promise<true | string> => {
    await client.query('ROLLBACK').catch(() => undefined);
    if (
      current &&
      isLockTimeout(error) &&
      (await lockRetry.retryAfterTimeout(`${database}: "${excerpt(current.sql)}"`, again))
    )
      return true;
    return current ? `statement "${excerpt(current.sql)}" failed` : 'the transaction failed';
  };
  lockRetry.reset();
  for (;;) {
    try {
      // What the statements lose is measured in the transaction, by OID (a recreated table loses its rows
      // as surely as a dropped one). A loss no --allow names is rolled back to the savepoint and counted
      // there: if it holds data, the transaction is rolled back and the target refused.
      await client.query('BEGIN');
      const before = await readDataInventory(client);
      await client.query('SAVEPOINT db_migrate_measure');
      await runEach(inside);
      const losses = dataLosses(before, await readDataInventory(client));
      if (unacknowledged(losses, options.acknowledged).length > 0) {
        await client.query('ROLLBACK TO SAVEPOINT db_migrate_measure');
        const atRisk = await dataAtRisk(client, losses, options.acknowledged);
        if (atRisk.length > 0) {
          await client.query('ROLLBACK');
          const kept = ranOutside
            ? `the transaction was rolled back (the ${ranOutside} statement(s) run before it stay)`
            : 'nothing was changed';
          // Nothing ran (or only enum values before it): refused; else the transaction failed its guard.
          return {
            status: ranOutside ? 'failed' : 'refused',
            statements: ranOutside,
            ...(ranOutside ? { outsideTransaction: ranOutside } : {}),
            sync: planned,
            warnings,
            error: redact(dataAtRiskMessage(`${database}: the sync`, atRisk, kept)),
            remedies: dataAtRiskRemedies(atRisk),
          };
        }
        await runEach(inside);
      }
      await client.query('COMMIT');
      committed = true;
      break;
    } catch (error) {
      const what = await rollBack(error, 'the transaction was rolled back and runs again whole');
      if (what === true) continue;
      const before = ranOutside ? ` (the ${ranOutside} statement(s) run before it stay)` : '';
      return failure(
        error,
        what,
        `the transaction was rolled back, nothing in it changed${before}`,
        true,
        current?.sql,
      );
    }
  }
  const late = await runOutside(last, 'after');
  if (late) return late;
  for (const [index, part] of laterParts.entries()) {
    if (part.outside) {
      const failed = await runOutside(part.up, 'after');
      if (failed) return failed;
      continue;
    }
    lockRetry.reset();
    for (;;) {
      try {
        await client.query('BEGIN');
        await runEach(part.up);
        await client.query('COMMIT');
        ranLater += part.up.length;
        break;
      } catch (error) {
        const what = await rollBack(error, 'the step was rolled back and runs again whole');
        if (what === true) continue;
        const left = laterParts.slice(index + 1).reduce((n, p) => n + p.up.length, 0);
        // The steps before it stay: a retry diffs again and runs what is left (the same statements, once more).
        return failure(
          error,
          what,
          `the transaction of that step was rolled back; the steps before it stay, ${left} later statement(s) did not run`,
          true,
          current?.sql,
        );
      }
    }
  }
  const after = diffCatalogs(await introspect(client), goal, options.diffOptions);
  if (after.length > 0) {
    return {
      status: 'failed',
      ...counts,
      sync: planned,
      warnings,
      error: `${database}: ran ${statements.length} statement(s), but ${after.length} difference(s) remain: ${describeStatements(after).slice(0, 5).join('; ')}`,
    };
  }
  return { status: 'applied', ...counts, sync: planned, warnings };
}
