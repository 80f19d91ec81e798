/**
 * The pre-flight: before apply touches any target, every pending migration runs on a shadow database:
 * from the empty database up to the run's version (which rehearses every target's pending migrations, see
 * preflightStartingVersions in apply.ts), or, with a seed or a revert, on a copy of the shadow database of
 * each starting version (the one the consistency check builds anyway, copied as
 * a template so it stays intact), and, when a seed is given, on a second copy holding the seed's rows
 * (and synthetic rows in the tables it leaves empty). A migration that fails there (a syntax error, a
 * COMMIT, a missing role, rows it cannot handle) would fail on the targets too: the run stops before
 * one of them changes.
 */
import { performance } from 'node:perf_hooks';
import type { Client } from 'pg';
import { down, status, up } from '../applier/migrator';
import { inconsistencyReason } from '../applier/state';
import { errorMessage } from '../errors';
import { type DataInventory, readDataInventory, readDataInventoryAt } from '../data-loss/measure';
import { type Logger, silentLogger } from '../logger';
import type { MigrationSet } from '../migrations/store';
import { fillEmptyTables } from '../seed/fill';
import { describeUserSeed, runUserSeed, type UserSeed } from '../seed/user-seed';
import type { ShadowDatabase } from '../shadow/types';
import type { ExpectedSchemas } from './expected-schemas';
import { mapWithConcurrency } from './pool';
import { isTransientFailure } from './retry';
import type { VersionInventories } from './data-at-risk';
import type { Target } from './targets';

export interface PreflightFailure {
  /** The version the copy started at (a target's recorded version). */
  readonly fromVersion: number;
  /** On the copy holding the seed's rows. */
  readonly seeded: boolean;
  readonly fileName?: string;
  readonly line?: number;
  /** One line naming the starting version, the file, line and statement, and PostgreSQL's message. */
  readonly error: string;
}

export interface PreflightReport {
  /** The starting versions run from, ascending. */
  readonly fromVersions: readonly number[];
  /** The seed the seeded copies got, described; absent without one. */
  readonly seed?: string;
  readonly failures: readonly PreflightFailure[];
  readonly durationMs: number;
}

/** Copies at once: each runs migrations on the one shadow server. */
const PREFLIGHT_CONCURRENCY = 4;

/**
 * The recorded versions of the targets, read without the lock (only to choose what to rehearse; each
 * target is read again under its lock). A target that cannot be read is left to its own attempt.
 */
export async function readStartingVersions(
  targets: readonly Target[],
  set: MigrationSet,
  options: { concurrency: number; connectTimeoutMs?: number },
): Promise<number[]> {
  const versions = await mapWithConcurrency(targets, options.concurrency, async (target) => {
    if (target.problem || !target.url) return undefined;
    try {
      const found = await status(target.url, set, { connectTimeoutMs: options.connectTimeoutMs });
      return inconsistencyReason(found, set) ? undefined : found.currentVersion;
    } catch {
      return undefined;
    }
  });
  return [...new Set(versions.filter((v): v is number => v !== undefined))].sort((a, b) => a - b);
}

export interface PreflightInput {
  readonly set: MigrationSet;
  /** The version the run brings targets to. */
  readonly to: number;
  readonly fromVersions: readonly number[];
  readonly expected: ExpectedSchemas;
  readonly seed?: UserSeed;
  /** Receives what holds data at each version the plain copies pass through (apply's data-at-risk check). */
  readonly inventories?: VersionInventories;
  readonly logger?: Logger;
}

/** Runs the pending migrations from every starting version on copies; never throws for a migration's sake. */
export async function runPreflight(input: PreflightInput): Promise<PreflightReport> {
  const started = performance.now();
  const logger = input.logger ?? silentLogger;
  const { set, to, expected, seed } = input;
  const fromVersions = input.fromVersions.filter((v) => v !== to);
  const runs = fromVersions.flatMap((fromVersion) => [
    { fromVersion, seeded: false },
    ...(seed ? [{ fromVersion, seeded: true }] : []),
  ]);
  if (runs.length > 0) {
    // From the empty database every migration runs, so one copy covers the pending ones of every target.
    const starts = fromVersions.map((v) => (v === 0 ? 'the empty database' : `version ${v}`)).join(', ');
    logger.info(
      `pre-flight: running the migrations up to version ${to} on copies of ${starts}${seed ? ' (plain and seeded)' : ''}`,
    );
  }
  const results = await mapWithConcurrency(
    runs,
    PREFLIGHT_CONCURRENCY,
    async ({ fromVersion, seeded }): Promise<PreflightFailure | undefined> => {
      const label = `${fromVersion === 0 ? 'the empty database' : `version ${fromVersion}`}${seeded ? ' (seeded copy)' : ''}`;
      let copy: ShadowDatabase;
      try {
        copy = await expected.copy(fromVersion);
      } catch (error) {
        // Its migrations do not build on an empty database: the targets at this version fail their own check.
        logger.debug(`pre-flight: no copy of version ${fromVersion}: ${errorMessage(error)}`);
        return undefined;
      }
      try {
        if (seeded) {
          try {
            await runUserSeed(seed!, copy.url, `on a copy of version ${fromVersion}`, logger);
            await fillEmptyTables(copy.url);
          } catch (error) {
            return { fromVersion, seeded, error: `pre-flight from ${label}: ${errorMessage(error)}` };
          }
        }
        // On the plain copy, what holds data is read at the start and after each migration (one query each).
        const inventories = new Map<number, DataInventory>();
        let measured = !seeded && input.inventories !== undefined;
        const record = async (version: number, read: () => Promise<DataInventory>) => {
          if (!measured) return;
          try {
            inventories.set(version, await read());
          } catch {
            measured = false; // the gate then finds no measurement and refuses: never a guess
          }
        };
        await record(fromVersion, () => readDataInventoryAt(copy.url));
        const afterEach = measured
          ? (client: Client, step: { version: number }) => record(step.version, () => readDataInventory(client))
          : undefined;
        const options = { to, logger: silentLogger, ...(afterEach ? { afterEach } : {}) };
        const run = to > fromVersion ? await up(copy.url, set, options) : await down(copy.url, set, options);
        if (measured) input.inventories!.add(inventories);
        // Only a statement that fails counts: a revert the target's own plan refuses (no Down section), or a
        // transient failure (a deadlock, a lock timeout) that says nothing about the migration, is left to the targets.
        if (run.error?.kind !== 'sql' || isTransientFailure(run.error, run.error.sqlState)) return undefined;
        return {
          fromVersion,
          seeded,
          ...(run.error.fileName ? { fileName: run.error.fileName } : {}),
          ...(run.error.line ? { line: run.error.line } : {}),
          error: `pre-flight from ${label}: ${run.error.message}`,
        };
      } finally {
        await copy.drop().catch(() => undefined);
      }
    },
  );
  const failures = results.filter((f): f is PreflightFailure => f !== undefined);
  for (const failure of failures) logger.error(failure.error);
  return {
    fromVersions,
    ...(seed ? { seed: describeUserSeed(seed) } : {}),
    failures,
    durationMs: Math.round(performance.now() - started),
  };
}
