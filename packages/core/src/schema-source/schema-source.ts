import { isAbsolute, normalize } from 'node:path';
import { ConfigurationError } from '../errors';
import { redact } from '../redact';

/**
 * Where the desired schema comes from, in the user's repository: either a command that builds it into an
 * empty database given by DATABASE_URL (SQLAlchemy create_all, a framework's migrate, `psql -f`), or SQL
 * files loaded in order. Built at any commit without touching the user's checkout.
 */
export interface SchemaSource {
  /** The git repository (any directory inside it; paths are relative to its top level). */
  readonly repoDir: string;
  /** Directory of the schema source, relative to the repository root ('.' for the root). */
  readonly schemaDir: string;
  /** Shell command (run by `sh -c` with cwd = schemaDir) that builds the schema into $DATABASE_URL. */
  readonly command?: string;
  /**
   * SQL files, directories or globs relative to schemaDir, resolved at each commit built (see
   * sql-file-list.ts for the order); each file is loaded as one multi-statement query.
   */
  readonly sqlFiles?: readonly string[];
}

/** The ref meaning "no schema at all": the base of the very first migration is the empty database. */
const EMPTY_SCHEMA_REF = 'empty';

/** True for null/undefined and "empty" (a branch really named "empty" must be written refs/heads/empty). */
export function isEmptySchemaRef(ref: string | null | undefined): ref is null | undefined | typeof EMPTY_SCHEMA_REF {
  return ref === null || ref === undefined || ref === EMPTY_SCHEMA_REF;
}

function relativeInside(kind: string, path: string): string {
  const normal = normalize(path.trim() === '' ? '.' : path.trim()).replace(/\/+$/, '') || '.';
  if (isAbsolute(normal) || normal === '..' || normal.startsWith('../')) {
    throw new ConfigurationError(`${kind} "${path}" must be a relative path inside the repository`);
  }
  return normal;
}

/** Checks a schema source and returns it with normalised paths; ConfigurationError naming the bad part. */
export function validateSchemaSource(source: SchemaSource): SchemaSource {
  const schemaDir = relativeInside('schema directory', source.schemaDir);
  const command = source.command?.trim() || undefined;
  const sqlFiles = source.sqlFiles?.map((file) => relativeInside(`SQL file of ${schemaDir}`, file));
  const hasFiles = sqlFiles !== undefined && sqlFiles.length > 0;
  if (command && hasFiles)
    throw new ConfigurationError(`schema source in ${schemaDir}: give either a build command or SQL files, not both`);
  if (!command && !hasFiles)
    throw new ConfigurationError(`schema source in ${schemaDir}: give a build command or a list of SQL files`);
  return command ? { repoDir: source.repoDir, schemaDir, command } : { repoDir: source.repoDir, schemaDir, sqlFiles };
}

/** One line saying how the schema is built, for migration metadata and logs. */
export function describeSchemaSource(source: SchemaSource): string {
  const how = source.command?.trim()
    ? `command: ${source.command.trim()}`
    : `sql files: ${(source.sqlFiles ?? []).join(', ')}`;
  return redact(`${how} (dir ${source.schemaDir})`);
}
