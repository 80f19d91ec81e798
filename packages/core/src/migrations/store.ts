/**
 * The migration directory: reads and validates every migration and its metadata, allocates the next
 * version and writes new migrations. Version numbers must run without gaps or duplicates, because the
 * applier and the `NNNN.json` optimistic lock both rely on one file per version; only an adopted
 * history (adoption.ts: sql-migrate's timestamps) may skip numbers, up to its last file.
 */
import type { Dirent } from 'node:fs';
import { mkdir, readdir, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError } from '../errors';
import { type MigrationFile, parseMigrationFile } from './format';
import type { Remedy } from '../remedy';
import { jsonKeyLine } from './json-position';
import { checkTransactionControl } from './transaction-control';
import { type Adoption, ADOPTION_FILE_NAME, readAdoption } from './adoption';
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
  /** The history written before db-migrate, taken as it is (db-migrate.json). */
  readonly adoption?: Adoption;
}

/** The goal_sha a migration reaches: its metadata's, or the adoption record's for the last adopted file. */
export function goalShaOf(
  set: Pick<MigrationSet, 'adoption'>,
  migration: { readonly fileName: string; readonly metadata?: MigrationMetadata },
): string | undefined {
  return (
    migration.metadata?.goal_sha?.trim() ||
    (set.adoption?.adopted_through === migration.fileName ? set.adoption.goal_sha : undefined)
  );
}

/** What to do with a history numbered by timestamps or by hand that db-migrate has not adopted yet (adoptRemedy says how). */
export const ADOPT_HINT =
  'if these files come from sql-migrate (timestamped names) or were written by hand before db-migrate, adopt them as they are (see docs/adopting.md)';

/** Adopt the history in `dir` as it is. */
export function adoptRemedy(dir: string): Remedy {
  return {
    kind: 'command',
    command: 'adopt',
    options: [
      { option: 'dir', value: dir },
      { option: 'commit', value: '<sha of the schema-source commit they build>' },
    ],
  };
}

async function listFiles(dir: string): Promise<string[]> {
  return (await listMigrationDir(dir)).files;
}

export interface MigrationDirListing {
  /** Regular files (and symbolic links to them), by name. */
  readonly files: string[];
  /** Entries that look like migrations but that sql-migrate would not read as one: each refused, with its path. */
  readonly problems: { readonly path: string; readonly message: string }[];
}

/**
 * Lists a migrations directory. A directory or a dangling symbolic link named like a migration, and a
 * `.SQL` (any case but lower) file, which sql-migrate silently skips, are problems, never skipped silently.
 */
export async function listMigrationDir(dir: string): Promise<MigrationDirListing> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigurationError(`migrations directory ${dir} does not exist`);
    if (code === 'ENOTDIR') throw new ConfigurationError(`migrations directory ${dir} is not a directory`);
    if (code === 'EACCES' || code === 'EPERM')
      throw new ConfigurationError(`cannot read migrations directory ${dir}: permission denied`);
    throw error;
  }
  const files: string[] = [];
  const problems: { path: string; message: string }[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const lower = entry.name.toLowerCase();
    const looksLikeMigration = lower.endsWith('.sql') || isMetadataFileName(entry.name);
    if (lower.endsWith('.sql') && !entry.name.endsWith('.sql')) {
      problems.push({
        path,
        message: `${path}: sql-migrate reads only names ending in lower-case ".sql" and would never run it: rename it to ${entry.name.slice(0, -4)}.sql, or move it out of ${dir}`,
      });
      continue;
    }
    let kind: 'file' | 'directory' | 'other' = entry.isFile() ? 'file' : entry.isDirectory() ? 'directory' : 'other';
    if (entry.isSymbolicLink()) {
      try {
        const target = await stat(path);
        kind = target.isFile() ? 'file' : target.isDirectory() ? 'directory' : 'other';
      } catch {
        const target = await readlink(path).catch(() => '?');
        if (looksLikeMigration)
          problems.push({ path, message: `${path} is a symbolic link to ${target}, which does not exist` });
        continue;
      }
    }
    if (kind === 'file') files.push(entry.name);
    else if (looksLikeMigration)
      problems.push({
        path,
        message: `${path} is a ${kind === 'directory' ? 'directory' : 'special file'}, not a migration file: rename or move it`,
      });
  }
  return { files, problems };
}

/** The byte offset of the first invalid UTF-8 sequence in `bytes`, or -1. */
function invalidUtf8Offset(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    const length =
      b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0 || i + length > bytes.length) return i;
    for (let k = 1; k < length; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return i;
    // Overlong, surrogate and out-of-range forms.
    if (
      (b === 0xe0 && bytes[i + 1] < 0xa0) ||
      (b === 0xed && bytes[i + 1] > 0x9f) ||
      (b === 0xf0 && bytes[i + 1] < 0x90) ||
      (b === 0xf4 && bytes[i + 1] > 0x8f)
    )
      return i;
    i += length;
  }
  return -1;
}

/**
 * Reads a migration or metadata file as UTF-8, strictly: invalid UTF-8 (which PostgreSQL and
 * sql-migrate refuse) and NUL bytes are refused with the file and line, never replaced by U+FFFD.
 */
export async function readTextFile(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const file = { file: path };
    if (code === 'ENOENT') throw new ConfigurationError(`${path} does not exist (a dangling symbolic link?)`, file);
    if (code === 'EISDIR') throw new ConfigurationError(`${path} is a directory, not a file`, file);
    if (code === 'EACCES' || code === 'EPERM')
      throw new ConfigurationError(`cannot read ${path}: permission denied`, file);
    throw new ConfigurationError(`cannot read ${path}: ${(error as Error).message}`, file);
  }
  const lineAt = (offset: number) => bytes.subarray(0, offset).filter((b) => b === 0x0a).length + 1;
  const bad = invalidUtf8Offset(bytes);
  if (bad >= 0) {
    throw new ConfigurationError(
      `${path} line ${lineAt(bad)}: not valid UTF-8 (byte 0x${bytes[bad].toString(16).padStart(2, '0')}); save the file as UTF-8`,
      { file: path, line: lineAt(bad) },
    );
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0)
    throw new ConfigurationError(
      `${path} line ${lineAt(nul)}: holds a NUL byte, which PostgreSQL cannot take in SQL text`,
      { file: path, line: lineAt(nul) },
    );
  return bytes.toString('utf8');
}

/**
 * Reads every migration in `dir` (lower-case `*.sql` directly in it, as sql-migrate) and its `NNNN.json`
 * metadata, and checks them. Throws one ConfigurationError naming the first problem (file and line)
 * and how many more there are.
 */
/** A problem readMigrationDir found: the message, the file at fault and its line. */
interface Problem {
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
  readonly remedies?: readonly Remedy[];
}

/** A problem from a ConfigurationError: its own file and line, else the file being read. */
function problemOf(error: ConfigurationError, file?: string): Problem {
  return { message: error.message, file: error.file ?? file, line: error.line, remedies: error.remedies };
}

export async function readMigrationDir(dir: string): Promise<MigrationSet> {
  const problems: Problem[] = [];
  const warnings: string[] = [];
  const sqlFiles: { version: number; name: string; fileName: string }[] = [];
  const metadataFiles = new Map<number, string[]>();
  const withoutMetadata: string[] = [];

  const listing = await listMigrationDir(dir);
  problems.push(...listing.problems.map((p) => ({ message: p.message, file: p.path })));
  let adoption: Adoption | undefined;
  try {
    adoption = await readAdoption(dir);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    problems.push(problemOf(error));
  }
  for (const fileName of listing.files.sort()) {
    if (isMigrationFileName(fileName)) {
      const parsed = parseMigrationFileName(fileName);
      if (!parsed) {
        problems.push({
          file: join(dir, fileName),
          message:
            `${join(dir, fileName)}: a migration file name must start with its version number, e.g. 0001_create_users.sql ` +
            `(sql-migrate runs unnumbered files after every numbered one, so no new migration could follow it: rename it with a number)`,
        });
      } else if (!Number.isSafeInteger(parsed.version) || parsed.version < 1)
        problems.push({ file: join(dir, fileName), message: `${join(dir, fileName)}: versions start at 1` });
      else sqlFiles.push({ ...parsed, fileName });
    } else if (isMetadataFileName(fileName)) {
      const version = parseMetadataFileName(fileName)!;
      metadataFiles.set(version, [...(metadataFiles.get(version) ?? []), fileName]);
    }
  }
  // sql-migrate's order: the leading number as an integer, then the name.
  sqlFiles.sort((a, b) => a.version - b.version || (a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0));

  const migrations: Migration[] = [];
  for (const [index, file] of sqlFiles.entries()) {
    const path = join(dir, file.fileName);
    const previous = sqlFiles[index - 1];
    if (previous && previous.version === file.version) {
      problems.push({
        file: path,
        message: `duplicate version ${file.version}: ${join(dir, previous.fileName)} and ${path}`,
      });
      continue;
    }
    // An adopted history keeps its own numbers (sql-migrate's timestamps); after it, latest+1.
    const adopted = adoption !== undefined && file.version <= adoption.version;
    if (previous && file.version !== previous.version + 1 && !adopted) {
      const missing =
        previous.version + 1 === file.version - 1
          ? `version ${previous.version + 1} is`
          : `versions ${previous.version + 1} to ${file.version - 1} are`;
      const hint = adoption
        ? `after the adopted history (${ADOPTION_FILE_NAME}) each new migration is numbered one more than the latest: rename it ${padVersion(previous.version + 1)}_${file.name || 'migration'}.sql`
        : ADOPT_HINT;
      problems.push({
        file: path,
        message: `${missing} missing: ${path} follows ${join(dir, previous.fileName)}; ${hint}`,
        ...(adoption ? {} : { remedies: [adoptRemedy(dir)] }),
      });
    }
    let text: string;
    try {
      text = await readTextFile(path);
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      problems.push(problemOf(error, path));
      continue;
    }
    let parsed: MigrationFile;
    try {
      parsed = parseMigrationFile(path, text);
      await checkTransactionControl(parsed);
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      problems.push(problemOf(error, path));
      continue;
    }
    const checksum = sha256Checksum(text);
    const metadataNames = metadataFiles.get(file.version) ?? [];
    metadataFiles.delete(file.version);
    if (metadataNames.length > 1) {
      problems.push({
        file: path,
        message: `more than one metadata file for version ${file.version}: ${metadataNames.map((n) => join(dir, n)).join(' and ')}`,
      });
      continue;
    }
    let metadata: MigrationMetadata | undefined;
    let metadataPath: string | undefined;
    if (metadataNames.length === 0) {
      if (!adopted) withoutMetadata.push(file.fileName);
    } else {
      metadataPath = join(dir, metadataNames[0]);
      let metadataText: string;
      try {
        metadataText = await readTextFile(metadataPath);
        metadata = parseMetadata(metadataPath, metadataText);
      } catch (error) {
        if (!(error instanceof ConfigurationError)) throw error;
        problems.push(problemOf(error, metadataPath));
        continue;
      }
      const mismatch = metadataMismatch(metadataPath, metadataText, metadata, file);
      if (mismatch) problems.push(mismatch);
      if (!checksumAccepted(metadata, checksum)) {
        warnings.push(
          `${path} was edited after it was generated (its checksum differs from ${metadataPath}); if the edit is intended: db-migrate accept-edit ${path}`,
        );
      }
    }
    migrations.push({
      version: file.version,
      name: file.name,
      fileName: file.fileName,
      path,
      text,
      checksum,
      parsed,
      metadata,
      metadataPath,
    });
  }
  if (withoutMetadata.length > 0) {
    // One line however many: a project of hand-written migrations should not drown in warnings.
    const shown = withoutMetadata.slice(0, MAX_NAMES_IN_WARNING).join(', ');
    const more =
      withoutMetadata.length > MAX_NAMES_IN_WARNING ? ` and ${withoutMetadata.length - MAX_NAMES_IN_WARNING} more` : '';
    const count = withoutMetadata.length === 1 ? '1 migration has' : `${withoutMetadata.length} migrations have`;
    warnings.push(`${count} no NNNN.json metadata in ${dir} (fine for hand-written migrations): ${shown}${more}`);
  }
  for (const [version, names] of metadataFiles) {
    for (const name of names)
      problems.push({
        file: join(dir, name),
        message: `${join(dir, name)} has no migration file ${padVersion(version)}_*.sql`,
      });
  }
  if (adoption && !sqlFiles.some((f) => f.fileName === adoption!.adopted_through)) {
    problems.push({
      file: adoption.path,
      message: `${adoption.path}: "adopted_through" names ${adoption.adopted_through}, which is not in ${dir}`,
    });
  }

  if (problems.length > 0) {
    const [first, ...rest] = problems;
    const more = rest.length > 0 ? ` (and ${rest.length} more: ${rest.map((p) => p.message).join('; ')})` : '';
    throw new ConfigurationError(first.message + more, {
      file: first.file,
      line: first.line,
      remedies: first.remedies,
    });
  }
  return { dir, migrations, warnings, ...(adoption ? { adoption } : {}) };
}

function metadataMismatch(
  path: string,
  text: string,
  metadata: MigrationMetadata,
  file: { version: number; name: string; fileName: string },
): Problem | undefined {
  const at = (key: string) => {
    const line = jsonKeyLine(text, key);
    return { file: path, line: line ?? 1, where: `${path}${line ? ` line ${line}` : ''}` };
  };
  if (metadata.version !== file.version) {
    const { where, ...position } = at('version');
    return {
      ...position,
      message: `${where}: "version" is ${metadata.version} but the file belongs to ${file.fileName}`,
    };
  }
  if (metadata.name !== file.name) {
    const { where, ...position } = at('name');
    return {
      ...position,
      message: `${where}: "name" is "${metadata.name}" but the migration file is ${file.fileName} (name "${file.name}")`,
    };
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

/** A migration not on disk (a part create is about to write), as readMigrations would read it from `dir`. */
export function migrationFromText(dir: string, version: number, name: string, text: string): Migration {
  const fileName = migrationFileName(version, name);
  const path = join(dir, fileName);
  return {
    version,
    name,
    fileName,
    path,
    text,
    checksum: sha256Checksum(text),
    parsed: parseMigrationFile(path, text),
  };
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
