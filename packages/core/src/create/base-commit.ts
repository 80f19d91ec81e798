import { ConfigurationError } from '../errors';
import type { Migration, MigrationSet } from '../migrations/store';
import { metadataFileName } from '../migrations/naming';

export interface MigrationBase {
  /** The schema commit the migrations already reach; null when there are none (the empty database). */
  readonly sha: string | null;
  /** The migration that reached it. */
  readonly migration?: Migration;
}

/**
 * Where the next migration starts: the goal_sha recorded in the latest migration's metadata, or the empty
 * database before the first one. A latest migration without a goal_sha (written by hand without metadata)
 * leaves no way to know which schema it reaches, so it is refused rather than guessed.
 */
export function baseOfNextMigration(set: MigrationSet): MigrationBase {
  const latest = set.migrations[set.migrations.length - 1];
  if (!latest) return { sha: null };
  const goal = latest.metadata?.goal_sha?.trim();
  if (!goal) {
    const where = latest.metadataPath ? `its metadata ${latest.metadataPath} has no "goal_sha"` : `it has no metadata file ${metadataFileName(latest.version)}`;
    throw new ConfigurationError(
      `${latest.path} is the latest migration but ${where}, so there is no telling which commit of the schema source ` +
        `the migrations reach: add "goal_sha" (that commit's sha) to ${metadataFileName(latest.version)}`,
    );
  }
  return { sha: goal, migration: latest };
}
