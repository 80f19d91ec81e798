/**
 * What apply, drift and baseline share on top of the runner: every target is worked on under the
 * migration lock, against one migration set, with the schema each version implies built once on a
 * shadow server (started only when a first target needs it, closed at the end) and compared with the
 * live schema. Each mode supplies what one locked attempt does; this module sets the run up, logs its
 * first line and assembles the report.
 */
import type { RemedyWording } from '../remedy';
import { performance } from 'node:perf_hooks';
import type { Client } from 'pg';
import { holdDatabaseLock } from '../applier/lock';
import type { SessionOptions } from '../applier/migrator';
import { type DiffOptions, introspect } from '../diff';
import { errorMessage } from '../errors';
import { type Logger, silentLogger } from '../logger';
import type { MigrationSet } from '../migrations/store';
import { interruptSignal } from '../process/cleanup';
import { openShadowServer } from '../shadow/shadow-server';
import { parseShadowSpec, type ShadowSpec } from '../shadow/spec';
import type { ShadowServer } from '../shadow/types';
import { ConnectionLedger } from './connections';
import { compareWithExpected, type Drift, serverMajor } from './consistency';
import { type ExpectedSchemas, expectedSchemas } from './expected-schemas';
import type { PreflightReport } from './preflight';
import { type FleetMode, type FleetReport, countOutcomes } from './report';
import type { RetryOptions } from './retry';
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
  /** Targets worked on at once on one server (host:port), each on one connection; default: no limit beyond `concurrency`. */
  readonly concurrencyPerHost?: number;
  readonly retry?: RetryOptions;
  /** How long to wait for another run's migration lock on a target (see DatabaseLockOptions). */
  readonly lockWaitTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  /** Schema selection for the comparisons (e.g. excludeSchemas for a schema another tool manages). */
  readonly diffOptions?: DiffOptions;
  readonly logger?: Logger;
  /** Words the remedies in the progress lines: the front end's (the CLI's flags, an action's inputs). */
  readonly wordRemedy?: RemedyWording;
  /**
   * Stops the run: no target starts after it, the statement running on a target is cancelled (its
   * migration rolls back) and the report says where each target was left. Default: the process's SIGINT/SIGTERM.
   */
  readonly signal?: AbortSignal;
}

/** What one locked attempt is given. */
export interface VersionedRunContext {
  readonly mode: FleetMode;
  readonly set: MigrationSet;
  /** The version the run brings targets to (apply, baseline) or the latest (drift). */
  readonly to: number;
  readonly dryRun: boolean;
  readonly expected: ExpectedSchemas;
  readonly options: FleetCheckOptions;
  readonly logger: Logger;
  /** Every connection to a target is opened through it (counted, always closed). */
  readonly connections: ConnectionLedger;
  readonly signal: AbortSignal;
  /**
   * Starts the run's pre-flight (on the first call; apply's) and resolves once it is done: with why no
   * target may be changed when it failed. An attempt with something to run calls it early, so the
   * pre-flight overlaps the targets' reads, and waits for it before it reads what the pre-flight
   * measured or changes anything.
   */
  readonly preflight: () => Promise<string | undefined>;
}

export interface VersionedRun {
  readonly mode: FleetMode;
  /** Already checked by the caller. */
  readonly to: number;
  readonly dryRun: boolean;
  /** The first word(s) of the opening log line: `migrating`, `checking`, `baselining`... */
  readonly verb: string;
  /** How the version appears in the opening line: `to version 5`, `latest version 5`. */
  readonly versionPhrase: string;
  /**
   * Apply's pre-flight: started by the first target with something to run, alongside the other
   * targets' reads (none when nothing is pending). When it reports failures, no target is changed: each
   * that had something to run is `not-started`, naming the first failure.
   */
  readonly beforeTargets?: (context: VersionedRunContext) => Promise<PreflightReport | undefined>;
  /**
   * A look at a target before its migration lock is taken (apply's): an outcome ends the attempt there,
   * with no lock taken; undefined goes on to the locked attempt.
   */
  readonly beforeLock?: (
    client: Client,
    target: ReachableTarget,
    context: VersionedRunContext,
  ) => Promise<AttemptOutcome | undefined>;
  /** Stop starting targets once this many have had a migration fail (the rest are `not-started`). */
  readonly maxFailures?: number;
}

export type LockedAttempt = (
  client: Client,
  target: ReachableTarget,
  context: VersionedRunContext,
) => Promise<AttemptOutcome>;

/** Runs `attempt` on every target under its migration lock; returns the report. Never throws for a target. */
export async function runVersionedFleet(
  run: VersionedRun,
  options: FleetCheckOptions,
  attempt: LockedAttempt,
): Promise<FleetReport> {
  const started = performance.now();
  const logger = options.logger ?? silentLogger;
  const { set, targets } = options;
  const { mode, to, dryRun } = run;
  // A bad --shadow stops the run before any database is touched.
  const shadowSpec = typeof options.shadow === 'object' ? options.shadow : parseShadowSpec(options.shadow);
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  logger.info(
    `${run.verb} ${plural(targets.length, 'database')} against ${plural(set.migrations.length, 'migration')} in ${set.dir} (${run.versionPhrase}), ` +
      `${concurrency} at a time${dryRun ? '; dry run: nothing is changed' : ''}`,
  );

  // The shadow server starts only when a first target needs an expected schema.
  let server: Promise<ShadowServer> | undefined;
  const openServer = () =>
    (server ??= openShadowServer(shadowSpec, { postgresVersion: options.postgresVersion, logger }));
  const expected = expectedSchemas(openServer, set, { logger });
  const connections = new ConnectionLedger();
  const signal = options.signal ?? interruptSignal();
  let preflightRun: Promise<PreflightReport | undefined> | undefined;
  /** Why no target may be changed, once the pre-flight has failed (or could not run). */
  let stoppedBy: string | undefined;
  const preflight = async (): Promise<string | undefined> => {
    preflightRun ??= run.beforeTargets ? run.beforeTargets(context) : Promise.resolve(undefined);
    try {
      const failure = (await preflightRun)?.failures[0];
      if (failure) stoppedBy ??= `the pre-flight failed, so no database was touched: ${failure.error}`;
    } catch (error) {
      stoppedBy ??= `the pre-flight could not run, so no database was touched: ${errorMessage(error)}`;
    }
    return stoppedBy;
  };
  const context: VersionedRunContext = {
    mode,
    set,
    to,
    dryRun,
    expected,
    options,
    logger,
    connections,
    signal,
    preflight,
  };
  const connect = { ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}) };
  const lock = {
    logger,
    ...(options.lockWaitTimeoutMs !== undefined ? { lockWaitTimeoutMs: options.lockWaitTimeoutMs } : {}),
  };
  try {
    // One connection per target for the whole attempt: lock, version, catalog reads and migrations.
    // Once the pre-flight has failed, the targets not started yet are not connected to.
    const outcomes = await runFleet(
      mode,
      targets,
      async (target): Promise<AttemptOutcome> =>
        stoppedBy !== undefined
          ? { status: 'not-started', error: stoppedBy }
          : connections.use(
              target.url,
              connect,
              async (client) =>
                (await run.beforeLock?.(client, target, context)) ??
                holdDatabaseLock(client, target.url, (locked) => attempt(locked, target, context), lock),
            ),
      {
        concurrency,
        ...(options.concurrencyPerHost !== undefined ? { concurrencyPerHost: options.concurrencyPerHost } : {}),
        retry: options.retry,
        logger,
        signal,
        ...(run.maxFailures !== undefined ? { maxFailures: run.maxFailures } : {}),
        ...(options.wordRemedy ? { wordRemedy: options.wordRemedy } : {}),
      },
    );
    // A pre-flight that could not run stops the run as before the targets were worked on: no target changed.
    const preflight = preflightRun ? await preflightRun : undefined;
    return {
      mode,
      dryRun,
      target: String(to),
      targets: outcomes,
      counts: countOutcomes(outcomes),
      durationMs: Math.round(performance.now() - started),
      ...(preflight ? { preflight } : {}),
      expectedSchemas: expected.stats(),
      connections: connections.stats(),
      ...(signal.aborted ? { interrupted: typeof signal.reason === 'string' ? signal.reason : 'a signal' } : {}),
    };
  } finally {
    if (server) await (await server.catch(() => undefined))?.close();
  }
}

/**
 * Compares the live schema read on `client` (the target's connection) with the schema of `version`
 * (built once per version, shared); undefined when they are equal. Adds a warning when the servers'
 * majors differ.
 */
export async function compareWithVersion(
  client: Client,
  version: number,
  context: VersionedRunContext,
  warnings: string[],
): Promise<Drift | undefined> {
  // Both settle before either failure is thrown: no read is left running unobserved.
  const [expectedResult, liveResult] = await Promise.allSettled([context.expected.get(version), introspect(client)]);
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
