/**
 * The migration directory: reads and validates every migration and its metadata, allocates the next
 * version and writes new migrations. Version numbers must run without gaps or duplicates, because the
 * applier and the `NNNN.json` optimistic lock both rely on one file per version.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError } from '../errors';
import { type MigrationFile, parseMigrationFile } from './format';
import { type MigrationMetadata, checksumAccepted, formatMetadata, parseMetadata, sha256Checksum } from './metadata';
import {
  isMetadataFileName,
  isMigrationFileName,
  metadataFileName,
  migrationFileName,
  padVersion,
  parseMetadataFileName,
  parseMigrationFileName,
} from './naming';

const MAX_NAMES_IN_WARNING = 5;

export interface Migration {
  readonly version: number;
  /** The part of the file name after the version: `add_users` for `0042_add_users.sql`. */
  readonly name: string;
  /** The file name, which is also the migration's id in gorp_migrations. */
  readonly fileName: string;
  readonly path: string;
  readonly text: string;
  /** sha256Checksum(text) */
  readonly checksum: string;
  readonly parsed: MigrationFile;
  readonly metadata?: MigrationMetadata;
  readonly metadataPath?: string;
}

export interface MigrationSet {
  readonly dir: string;
  /** In version order, which is sql-migrate's order. */
  readonly migrations: readonly Migration[];
  /** Things worth saying that do not stop anything: a migration without metadata, an edited file. */
  readonly warnings: readonly string[];
}

async function listFiles(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isFile() || e.isSymbolicLink()).map((e) => e.name);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigurationError(`migrations directory ${dir} does not exist`);
    if (code === 'ENOTDIR') throw new ConfigurationError(`migrations directory ${dir} is not a directory`);
    throw error;
  }
}

/**
 * Reads every migration in `dir` (lower-case `*.sql` directly in it, as sql-migrate) and its `NNNN.json`
 * metadata, and checks them. Throws one ConfigurationError naming the first problem (file and line)
 * and how many more there are.
 */
export async function readMigrationDir(dir: string): Promise<MigrationSet> {
  const problems: string[] = [];
  const warnings: string[] = [];
  const sqlFiles: { version: number; name: string; fileName: string }[] = [];
  const metadataFiles = new Map<number, string[]>();
  const withoutMetadata: string[] = [];

  for (const fileName of (await listFiles(dir)).sort()) {
    if (isMigrationFileName(fileName)) {
      const parsed = parseMigrationFileName(fileName);
      if (!parsed) problems.push(`${join(dir, fileName)}: a migration file name must start with its version number, e.g. 0001_create_users.sql`);
      else if (!Number.isSafeInteger(parsed.version) || parsed.version < 1) problems.push(`${join(dir, fileName)}: versions start at 1`);
      else sqlFiles.push({ ...parsed, fileName });
    } else if (isMetadataFileName(fileName)) {
      const version = parseMetadataFileName(fileName)!;
      metadataFiles.set(version, [...(metadataFiles.get(version) ?? []), fileName]);
    } else if (fileName.toLowerCase().endsWith('.sql')) {
      warnings.push(`${join(dir, fileName)} is ignored: sql-migrate reads only names ending in lower-case ".sql"`);
    }
  }
  // sql-migrate's order: the leading number as an integer, then the name.
  sqlFiles.sort((a, b) => a.version - b.version || (a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0));

  const migrations: Migration[] = [];
  for (const [index, file] of sqlFiles.entries()) {
    const path = join(dir, file.fileName);
    const previous = sqlFiles[index - 1];
    if (previous && previous.version === file.version) {
      problems.push(`duplicate version ${file.version}: ${join(dir, previous.fileName)} and ${path}`);
      continue;
    }
    if (previous && file.version !== previous.version + 1) {
      const missing = previous.version + 1 === file.version - 1 ? `version ${previous.version + 1} is` : `versions ${previous.version + 1} to ${file.version - 1} are`;
      problems.push(`${missing} missing: ${path} follows ${join(dir, previous.fileName)}`);
    }
    const text = await readFile(path, 'utf8');
    let parsed: MigrationFile;
    try {
      parsed = parseMigrationFile(path, text);
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      problems.push(error.message);
      continue;
    }
    const checksum = sha256Checksum(text);
    const metadataNames = metadataFiles.get(file.version) ?? [];
    metadataFiles.delete(file.version);
    if (metadataNames.length > 1) {
      problems.push(`more than one metadata file for version ${file.version}: ${metadataNames.map((n) => join(dir, n)).join(' and ')}`);
      continue;
    }
    let metadata: MigrationMetadata | undefined;
    let metadataPath: string | undefined;
    if (metadataNames.length === 0) {
      withoutMetadata.push(file.fileName);
    } else {
      metadataPath = join(dir, metadataNames[0]);
      const metadataText = await readFile(metadataPath, 'utf8');
      try {
        metadata = parseMetadata(metadataPath, metadataText);
      } catch (error) {
        if (!(error instanceof ConfigurationError)) throw error;
        problems.push(error.message);
        continue;
      }
      const mismatch = metadataMismatch(metadataPath, metadataText, metadata, file);
      if (mismatch) problems.push(mismatch);
      if (!checksumAccepted(metadata, checksum)) {
        warnings.push(`${path} was edited after it was generated (its checksum differs from ${metadataPath}); if the edit is intended: db-migrate accept-edit ${path}`);
      }
    }
    migrations.push({ version: file.version, name: file.name, fileName: file.fileName, path, text, checksum, parsed, metadata, metadataPath });
  }
  if (withoutMetadata.length > 0) {
    // One line however many: a project of hand-written migrations should not drown in warnings.
    const shown = withoutMetadata.slice(0, MAX_NAMES_IN_WARNING).join(', ');
    const more = withoutMetadata.length > MAX_NAMES_IN_WARNING ? ` and ${withoutMetadata.length - MAX_NAMES_IN_WARNING} more` : '';
    const count = withoutMetadata.length === 1 ? '1 migration has' : `${withoutMetadata.length} migrations have`;
    warnings.push(`${count} no NNNN.json metadata in ${dir} (fine for hand-written migrations): ${shown}${more}`);
  }
  for (const [version, names] of metadataFiles) {
    for (const name of names) problems.push(`${join(dir, name)} has no migration file ${padVersion(version)}_*.sql`);
  }

  if (problems.length > 0) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more: ${problems.slice(1).join('; ')})` : '';
    throw new ConfigurationError(problems[0] + more);
  }
  return { dir, migrations, warnings };
}

function metadataMismatch(
  path: string,
  text: string,
  metadata: MigrationMetadata,
  file: { version: number; name: string; fileName: string },
): string | undefined {
  const lineOf = (key: string) => {
    const index = text.search(new RegExp(`"${key}"\\s*:`));
    return index < 0 ? '' : ` line ${text.slice(0, index).split('\n').length}`;
  };
  if (metadata.version !== file.version) {
    return `${path}${lineOf('version')}: "version" is ${metadata.version} but the file belongs to ${file.fileName}`;
  }
  if (metadata.name !== file.name) {
    return `${path}${lineOf('name')}: "name" is "${metadata.name}" but the migration file is ${file.fileName} (name "${file.name}")`;
  }
  return undefined;
}

/** The version a new migration gets: one more than the last, 1 for an empty directory. */
export function nextVersion(set: MigrationSet): number {
  const last = set.migrations[set.migrations.length - 1];
  return last ? last.version + 1 : 1;
}

export interface NewMigration {
  readonly version: number;
  /** Any text; it is slugified into the file name. */
  readonly name: string;
  /** The whole file text, usually from formatMigrationFile. */
  readonly sql: string;
  /** Provenance and opt-outs; version, name and checksum are filled in. created_at defaults to now. */
  readonly metadata: Omit<MigrationMetadata, 'version' | 'name' | 'checksum'>;
}

export interface WrittenMigration {
  readonly fileName: string;
  readonly sqlPath: string;
  readonly metadataPath: string;
  readonly metadata: MigrationMetadata;
}

/**
 * Writes `NNNN_slug.sql` and `NNNN.json`. Refuses a version that is already taken in `dir`, and never
 * overwrites a file. The metadata path depends on the version alone: two branches that allocate the
 * same version add the same `NNNN.json` with different content, and git reports an add/add conflict.
 */
export async function writeMigration(dir: string, migration: NewMigration): Promise<WrittenMigration> {
  const { version } = migration;
  if (!Number.isSafeInteger(version) || version < 1) throw new Error(`invalid migration version ${version}`);
  const fileName = migrationFileName(version, migration.name);
  const sqlPath = join(dir, fileName);
  const metadataPath = join(dir, metadataFileName(version));
  parseMigrationFile(sqlPath, migration.sql); // a generated file must be one both tools read alike
  await mkdir(dir, { recursive: true });
  const taken = (await listFiles(dir)).filter(
    (name) => parseMigrationFileName(name)?.version === version || parseMetadataFileName(name) === version,
  );
  if (taken.length > 0) {
    throw new ConfigurationError(`version ${version} is already taken in ${dir} (${taken.join(', ')})`);
  }
  const metadata: MigrationMetadata = {
    ...migration.metadata,
    version,
    name: parseMigrationFileName(fileName)!.name,
    created_at: migration.metadata.created_at ?? new Date().toISOString(),
    checksum: sha256Checksum(migration.sql),
  };
  await writeFile(sqlPath, migration.sql, { flag: 'wx' });
  await writeFile(metadataPath, formatMetadata(metadata), { flag: 'wx' });
  return { fileName, sqlPath, metadataPath, metadata };
}
