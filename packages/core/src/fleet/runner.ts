/**
 * What apply, drift and sync share: work on every target in parallel (a concurrency limit), retry the
 * transient failures with backoff, turn anything thrown into that target's failure, log one progress
 * line per finished target, and time it all. The mode decides what one attempt does.
 */
import type { RemedyWording } from '../remedy';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { environmentProblem, errorMessage } from '../errors';
import type { Logger } from '../logger';
import { interruptSignal } from '../process/cleanup';
import { serverOf } from './connections';
import { mapWithConcurrency } from './pool';
import { type FleetMode, type TargetOutcome, describeOutcome } from './report';
import { DEFAULT_RETRY_ATTEMPTS, isTransientFailure, type RetryOptions, retryDelayMs, sleep } from './retry';
import type { Target } from './targets';

/**
 * Most of a target's time is spent waiting on its server, not on this machine's CPU: twice the cores,
 * and at least 8, keeps one runner busy without flooding a shared database server with connections
 * (each target uses one).
 */
export const DEFAULT_CONCURRENCY = Math.max(8, 2 * availableParallelism());

export interface FleetRunOptions {
  /** Targets worked on at once (default DEFAULT_CONCURRENCY). */
  readonly concurrency?: number;
  /** Targets worked on at once on one server (host:port of the URL); default: only `concurrency` limits. */
  readonly concurrencyPerHost?: number;
  readonly retry?: RetryOptions;
  readonly logger: Logger;
  /**
   * The canary: once this many targets have had a migration fail, no further target is started (they
   * are `not-started`); those already running finish.
   */
  readonly maxFailures?: number;
  /** Once aborted, no target starts (they are `not-started`); the reason (`SIGINT`) is named. Default: the process's SIGINT/SIGTERM. */
  readonly signal?: AbortSignal;
  /** Words the remedies in the progress lines, in the front end's terms (its flags, its inputs). */
  readonly wordRemedy?: RemedyWording;
}

/** A target with a URL: the only kind an attempt is given. */
export type ReachableTarget = Target & { readonly url: string };

/** What one attempt on one target found and did. */
export type AttemptOutcome = Omit<
  TargetOutcome,
  'name' | 'database' | 'attempts' | 'durationMs' | 'warnings' | 'migrations'
> & {
  readonly migrations?: readonly string[];
  readonly warnings?: readonly string[];
  /** The failure may pass on its own (a deadlock, a dropped connection): another attempt is worth it. */
  readonly transient?: boolean;
};

export type Attempt = (target: ReachableTarget) => Promise<AttemptOutcome>;

/** Later attempts continue where earlier ones stopped: what they did adds up. */
function merge(previous: AttemptOutcome | undefined, next: AttemptOutcome): AttemptOutcome {
  if (!previous) return next;
  const sum = (a: number | undefined, b: number | undefined) =>
    a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0);
  const statements = sum(previous.statements, next.statements);
  const outsideTransaction = sum(previous.outsideTransaction, next.outsideTransaction);
  return {
    ...next,
    fromVersion: previous.fromVersion ?? next.fromVersion,
    direction: next.direction ?? previous.direction,
    migrations: [...(previous.migrations ?? []), ...(next.migrations ?? [])],
    warnings: [...new Set([...(previous.warnings ?? []), ...(next.warnings ?? [])])],
    ...(statements !== undefined ? { statements } : {}),
    ...(outsideTransaction !== undefined ? { outsideTransaction } : {}),
  };
}

async function runTarget(target: Target, attempt: Attempt, options: FleetRunOptions): Promise<TargetOutcome> {
  const started = performance.now();
  const finish = (outcome: AttemptOutcome, attempts: number): TargetOutcome => {
    const { transient: _transient, ...rest } = outcome;
    return {
      name: target.name,
      database: target.database,
      ...rest,
      migrations: outcome.migrations ?? [],
      warnings: outcome.warnings ?? [],
      attempts,
      durationMs: Math.round(performance.now() - started),
    };
  };
  if (target.problem || !target.url) return finish({ status: 'failed', error: target.problem ?? 'no URL' }, 0);
  const attempts = Math.max(1, options.retry?.attempts ?? DEFAULT_RETRY_ATTEMPTS);
  let outcome: AttemptOutcome | undefined;
  for (let n = 1; ; n++) {
    const signal = options.signal ?? interruptSignal();
    if (signal.aborted) {
      // The run is being stopped: a target started now would be cut off in the middle.
      const why = typeof signal.reason === 'string' ? signal.reason : 'a signal';
      const interrupted: AttemptOutcome = outcome
        ? { ...outcome, error: `${outcome.error}; not tried again: the run was interrupted by ${why}` }
        : { status: 'not-started', error: `the run was interrupted by ${why} before this target started` };
      return finish(interrupted, n - 1);
    }
    let next: AttemptOutcome;
    try {
      next = await attempt(target as ReachableTarget);
    } catch (error) {
      const message = environmentProblem(error) ?? errorMessage(error);
      next = {
        status: 'failed',
        // An error about this database (connectDatabase's) names it already.
        error: databaseOf(error) === target.database ? message : `${target.database}: ${message}`,
        transient: isTransientFailure(error),
      };
    }
    outcome = merge(outcome, next);
    if (!(next.status === 'failed' && next.transient) || n >= attempts) return finish(outcome, n);
    const wait = retryDelayMs(n, options.retry);
    options.logger.info(
      `${target.name}: ${next.error} — transient, trying again in ${wait} ms (attempt ${n + 1} of ${attempts})`,
    );
    await sleep(wait);
  }
}

/** Runs `attempt` on every target; returns one outcome per target, in the targets' order. */
export async function runFleet(
  mode: FleetMode,
  targets: readonly Target[],
  attempt: Attempt,
  options: FleetRunOptions,
): Promise<TargetOutcome[]> {
  const { logger } = options;
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  let done = 0;
  let migrationFailures = 0;
  const limit = options.maxFailures;
  const perHost =
    options.concurrencyPerHost !== undefined
      ? { keyOf: (t: Target) => (t.url ? serverOf(t.url) : ''), limit: options.concurrencyPerHost }
      : undefined;
  return mapWithConcurrency(
    targets,
    concurrency,
    async (target) => {
      const outcome: TargetOutcome =
        limit !== undefined && migrationFailures >= limit
          ? {
              name: target.name,
              database: target.database,
              status: 'not-started',
              error: `the rollout stopped after ${migrationFailures} target${migrationFailures === 1 ? '' : 's'} whose migration failed (the limit is ${limit})`,
              remedies: [{ kind: 'option', option: 'maxFailures', change: 'raise' }],
              migrations: [],
              warnings: [],
              attempts: 0,
              durationMs: 0,
            }
          : await runTarget(target, attempt, options);
      if (outcome.failedMigration) migrationFailures++;
      done++;
      const line = `[${done}/${targets.length}] ${target.name} (${target.database}): ${describeOutcome(outcome, mode, options.wordRemedy)} (${outcome.durationMs} ms)`;
      if (outcome.status === 'failed' || outcome.status === 'interrupted' || outcome.status === 'refused')
        logger.error(line);
      else if (outcome.status === 'postponed' || outcome.status === 'drifted' || outcome.status === 'not-started')
        logger.warning(line);
      else logger.info(line);
      for (const warning of outcome.warnings) logger.warning(`${target.name}: ${warning}`);
      return outcome;
    },
    perHost,
  );
}

/** The database an error is about, when it carries one (a ConfigurationError's or MigrationError's `database`). */
function databaseOf(error: unknown): string | undefined {
  const database = (error as { database?: unknown } | undefined)?.database;
  return typeof database === 'string' ? database : undefined;
}
