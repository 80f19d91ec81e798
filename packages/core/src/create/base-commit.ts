import { ConfigurationError } from '../errors';
import { ADOPT_HINT, type Migration, type MigrationSet, adoptRemedy, goalShaOf } from '../migrations/store';
import { metadataFileName } from '../migrations/naming';

export interface MigrationBase {
  /** The schema commit the migrations already reach; null when there are none (the empty database). */
  readonly sha: string | null;
  /** The migration that reached it. */
  readonly migration?: Migration;
  /** The file the sha was read from: the migration's metadata or the adoption record. */
  readonly recordPath?: string;
}

/**
 * Where the next migration starts: the goal_sha recorded in the latest migration's metadata (or in the
 * adoption record, for an adopted history), or the empty database before the first one. A latest
 * migration without one leaves no way to know which schema it reaches, so it is refused, not guessed.
 */
export function baseOfNextMigration(set: MigrationSet): MigrationBase {
  const latest = set.migrations[set.migrations.length - 1];
  if (!latest) return { sha: null };
  const goal = goalShaOf(set, latest);
  if (!goal) {
    const metadataName = metadataFileName(latest.version);
    const where = latest.metadataPath
      ? `its metadata ${latest.metadataPath} has no "goal_sha"`
      : `it has no metadata file ${metadataName}`;
    const fix = set.adoption
      ? `add ${metadataName} beside it with {"version": ${latest.version}, "name": "${latest.name}", "goal_sha": "<sha>"}`
      : `${ADOPT_HINT}; or, for this one file, add ${metadataName} with {"version": ${latest.version}, "name": "${latest.name}", "goal_sha": "<sha>"} ` +
        `(only "version" and "name" are required, and they must match the file name)`;
    throw new ConfigurationError(
      `${latest.path} is the latest migration but ${where}, so there is no telling which commit of the schema source ` +
        `the migrations reach. goal_sha names the commit whose schema (models or SQL) equals what the migrations up to ${latest.fileName} build: ${fix}`,
      { file: latest.metadataPath ?? latest.path, ...(set.adoption ? {} : { remedies: [adoptRemedy(set.dir)] }) },
    );
  }
  const recordPath = latest.metadata?.goal_sha?.trim() ? latest.metadataPath : set.adoption?.path;
  return { sha: goal, migration: latest, recordPath };
}
