/**
 * Where a database stands against a migration set, computed from gorp_migrations alone: which
 * migrations are applied, the version, and the two states the applier refuses to touch (a hole below
 * an applied migration, and an applied migration whose file is gone).
 */
import type { Migration, MigrationSet } from '../migrations/store';
import type { AppliedMigration } from './records';

export interface MigrationState {
  readonly version: number;
  readonly fileName: string;
  readonly applied: boolean;
  readonly appliedAt?: Date;
  /**
   * True when the file differs from the one db-migrate applied (its checksum changed); false when it is
   * the same; absent when unknown (pending, or applied by another tool).
   */
  readonly changedSinceApplied?: boolean;
}

export interface DatabaseStatus {
  /** host:port/db, safe to print. */
  readonly database: string;
  readonly migrations: readonly MigrationState[];
  /** The highest applied version of the set; 0 when none is applied. */
  readonly currentVersion: number;
  /** File names of migrations not applied yet, in order. */
  readonly pending: readonly string[];
  /** Pending migrations below an applied one: sql-migrate would "catch them up" silently; we refuse. */
  readonly holes: readonly string[];
  /** Ids in gorp_migrations with no file in the set: the database is ahead of the files. */
  readonly appliedMissing: readonly string[];
  /** No holes and nothing applied-but-missing: the database is at exactly `currentVersion`. */
  readonly consistent: boolean;
  /** What could not be known, said once (checksums the role cannot read). */
  readonly notes?: readonly string[];
}

export function databaseStatus(
  database: string,
  set: MigrationSet,
  applied: readonly AppliedMigration[],
): DatabaseStatus {
  const byId = new Map(applied.map((a) => [a.id, a]));
  const migrations: MigrationState[] = set.migrations.map((m: Migration) => {
    const record = byId.get(m.fileName);
    return {
      version: m.version,
      fileName: m.fileName,
      applied: !!record,
      ...(record?.appliedAt ? { appliedAt: record.appliedAt } : {}),
      ...(record?.checksum ? { changedSinceApplied: record.checksum !== m.checksum } : {}),
    };
  });
  const known = new Set(set.migrations.map((m) => m.fileName));
  const appliedMissing = applied.map((a) => a.id).filter((id) => !known.has(id));
  const currentVersion = Math.max(0, ...migrations.filter((m) => m.applied).map((m) => m.version));
  const pending = migrations.filter((m) => !m.applied);
  const holes = pending.filter((m) => m.version < currentVersion).map((m) => m.fileName);
  return {
    database,
    migrations,
    currentVersion,
    pending: pending.map((m) => m.fileName),
    holes,
    appliedMissing,
    consistent: holes.length === 0 && appliedMissing.length === 0,
  };
}

/** Why the applier refuses to touch this database, in one line; undefined when it is consistent. */
export function inconsistencyReason(status: DatabaseStatus, set: MigrationSet): string | undefined {
  if (status.appliedMissing.length > 0) {
    const ids = status.appliedMissing.join(', ');
    return (
      `${status.database}: gorp_migrations records ${ids} but ${status.appliedMissing.length === 1 ? 'that file is' : 'those files are'} ` +
      `not in ${set.dir}: the database is ahead of the migration files (update the files, or revert with the files that applied it)`
    );
  }
  if (status.holes.length > 0) {
    const hole = status.holes[0];
    const holeVersion = status.migrations.find((m) => m.fileName === hole)!.version;
    const later = status.migrations.find((m) => m.applied && m.version > holeVersion)!.fileName;
    return (
      `${status.database}: ${hole} was never applied but the later ${later} was; ` +
      `refusing to run it out of order (apply it by hand and record it, or revert the later migrations by hand)`
    );
  }
  return undefined;
}
