/**
 * The one place a run is planned, from a database's status alone: which migrations run, in which
 * direction and order, and why the run is refused (a target version that does not exist, a database
 * the files do not describe, a migration that cannot be reverted). The applier's up/down and the fleet
 * both plan here and hand the plan to runPlan (migrator.ts). Pure.
 */
import { ConfigurationError } from '../errors';
import type { Migration, MigrationSet } from '../migrations/store';
import { type MigrationDirection, MigrationError } from './result';
import { type DatabaseStatus, inconsistencyReason } from './state';

export interface MigrationPlan {
  readonly database: string;
  /** The version the database is at. */
  readonly from: number;
  /** The version the plan reaches; Number.MAX_SAFE_INTEGER for "up to the latest" of a plain `up`. */
  readonly to: number;
  readonly direction: MigrationDirection;
  /** In the order they run: ascending for up, descending for down. Empty: nothing to do. */
  readonly migrations: readonly Migration[];
  /** Why nothing may run (kind invalid-target, inconsistent or irreversible); absent when the plan can run. */
  readonly refusal?: MigrationError;
}

export interface PlanRequest {
  /** Absent: the direction `to` implies (down when it is below the current version). */
  readonly direction?: MigrationDirection;
  /** The version to reach: up applies up to and including it (default all), down reverts everything above it. */
  readonly to?: number;
}

/** The latest version of the set (0 when it is empty). */
export function latestVersion(set: MigrationSet): number {
  return set.migrations[set.migrations.length - 1]?.version ?? 0;
}

/** Why `to` names no version of the set (0 reverts everything); undefined when it does. */
function targetVersionProblem(
  set: MigrationSet,
  to: number,
): { readonly kind: 'not-a-version' | 'not-in-set'; readonly message: string } | undefined {
  if (to === 0 || set.migrations.some((m) => m.version === to)) return undefined;
  if (!Number.isSafeInteger(to) || to < 0)
    return { kind: 'not-a-version', message: `must be a version number, got ${to}` };
  const range = set.migrations.length
    ? `versions ${set.migrations[0].version} to ${latestVersion(set)}`
    : 'no migrations';
  return { kind: 'not-in-set', message: `there is no migration version ${to} in ${set.dir} (${range})` };
}

/**
 * Checks a target version before anything is touched: 0 (revert everything) or a version of the set.
 * `input` names it as the front end calls it (the CLI's flag, an action's input); the error carries the
 * option too.
 */
export function checkTargetVersion(set: MigrationSet, to: number | undefined, input = 'the target version'): number {
  if (to === undefined) return latestVersion(set);
  const problem = targetVersionProblem(set, to);
  if (problem)
    throw new ConfigurationError(
      `${input} ${problem.kind === 'not-a-version' ? problem.message : `${to}: ${problem.message}`}`,
      { option: 'to' },
    );
  return to;
}

/** Reasons a migration cannot be reverted: no Down section, or marked irreversible in its metadata. */
function irreversibility(migration: Migration): string | undefined {
  if (migration.metadata?.reversible === false) {
    const why = migration.metadata.irreversible_reason ? `: ${migration.metadata.irreversible_reason}` : '';
    return `${migration.fileName} is marked irreversible in ${migration.metadataPath}${why}`;
  }
  if (!migration.parsed.down) return `${migration.fileName} has no "-- +migrate Down" section`;
  return undefined;
}

/** The plan that takes the database of `status` to `request.to`. */
export function planMigrations(status: DatabaseStatus, set: MigrationSet, request: PlanRequest): MigrationPlan {
  const { database } = status;
  const from = status.currentVersion;
  const direction: MigrationDirection =
    request.direction ?? (request.to !== undefined && request.to < from ? 'down' : 'up');
  const to = request.to ?? (direction === 'up' ? Number.MAX_SAFE_INTEGER : 0);
  const base = { database, from, to, direction };
  const problem = request.to === undefined ? undefined : targetVersionProblem(set, request.to);
  if (problem) {
    const message = problem.kind === 'not-a-version' ? `invalid target version ${to}` : problem.message;
    return {
      ...base,
      migrations: [],
      refusal: new MigrationError(`${database}: ${message}`, { kind: 'invalid-target', database }),
    };
  }
  const applied = new Set(status.migrations.filter((m) => m.applied).map((m) => m.fileName));
  const migrations =
    direction === 'up'
      ? set.migrations.filter((m) => !applied.has(m.fileName) && m.version <= to)
      : set.migrations.filter((m) => applied.has(m.fileName) && m.version > to).reverse();
  const reason = inconsistencyReason(status, set);
  if (reason) return { ...base, migrations, refusal: new MigrationError(reason, { kind: 'inconsistent', database }) };
  if (direction === 'down') {
    const problems = migrations.map(irreversibility).filter((p): p is string => !!p);
    if (problems.length > 0) {
      const message = `${database}: cannot revert to version ${to}: ${problems.join('; ')}`;
      return { ...base, migrations, refusal: new MigrationError(message, { kind: 'irreversible', database }) };
    }
  }
  return { ...base, migrations };
}
