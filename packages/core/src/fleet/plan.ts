/**
 * What a fleet run means to do on one database, from its recorded version alone: the migrations to apply
 * (or revert, for a target version below it), and why a revert is impossible when it is. Pure.
 */
import type { DatabaseStatus } from '../applier/state';
import { ConfigurationError } from '../errors';
import type { Migration, MigrationSet } from '../migrations/store';

export interface TargetPlan {
  readonly from: number;
  readonly to: number;
  readonly direction: 'up' | 'down' | 'none';
  /** In the order they would run: ascending for up, descending for down. */
  readonly migrations: readonly Migration[];
  /** Why the plan cannot run (a Down section missing, a migration marked irreversible); empty when it can. */
  readonly problems: readonly string[];
}

/** The latest version of the set (0 when it is empty). */
export function latestVersion(set: MigrationSet): number {
  return set.migrations[set.migrations.length - 1]?.version ?? 0;
}

/** Checks a `--to` version before anything is touched: 0 (revert everything) or a version of the set. */
export function checkTargetVersion(set: MigrationSet, to: number | undefined, input = '--to'): number {
  if (to === undefined) return latestVersion(set);
  if (!Number.isSafeInteger(to) || to < 0) throw new ConfigurationError(`${input} must be a version number, got ${to}`);
  if (to !== 0 && !set.migrations.some((m) => m.version === to)) {
    const range = set.migrations.length ? `versions ${set.migrations[0].version} to ${latestVersion(set)}` : 'no migrations';
    throw new ConfigurationError(`${input} ${to}: there is no migration version ${to} in ${set.dir} (${range})`);
  }
  return to;
}

function irreversibility(migration: Migration): string | undefined {
  if (migration.metadata?.reversible === false) {
    const why = migration.metadata.irreversible_reason ? `: ${migration.metadata.irreversible_reason}` : '';
    return `${migration.fileName} is marked irreversible${why}`;
  }
  if (!migration.parsed.down) return `${migration.fileName} has no "-- +migrate Down" section`;
  return undefined;
}

/** The plan that takes a consistent database at `status.currentVersion` to version `to`. */
export function planTarget(status: DatabaseStatus, set: MigrationSet, to: number): TargetPlan {
  const from = status.currentVersion;
  if (to === from) return { from, to, direction: 'none', migrations: [], problems: [] };
  if (to > from) {
    const migrations = set.migrations.filter((m) => m.version > from && m.version <= to);
    return { from, to, direction: 'up', migrations, problems: [] };
  }
  const migrations = set.migrations.filter((m) => m.version > to && m.version <= from).reverse();
  const problems = migrations.map(irreversibility).filter((p): p is string => p !== undefined);
  return { from, to, direction: 'down', migrations, problems };
}
