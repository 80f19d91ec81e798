/**
 * The adoption record (`db-migrate.json` in the migrations directory): a history written before
 * db-migrate (sql-migrate's timestamped files, hand-numbered SQL) is taken as it is. The record names
 * the last file of that history and the commit of the schema source whose schema the history builds.
 * Files up to it need no per-file metadata and may skip numbers (sql-migrate's timestamps do); files
 * after it are numbered latest+1, so two pull requests adding a migration still collide on one name.
 * No database's gorp_migrations changes: the ids stay the file names sql-migrate recorded.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError } from '../errors';
import { Git } from '../git';
import { jsonErrorOffset, jsonKeyLine, lineAt } from './json-position';
import { parseMigrationFileName } from './naming';
// store.ts reads the adoption record too; the functions are only called after both modules loaded.
import { listMigrationDir, readMigrationDir } from './store';

export const ADOPTION_FILE_NAME = 'db-migrate.json';

/** Field names are snake_case: they are the JSON file format. */
export interface AdoptionRecord {
  /** The last migration file of the adopted history (its file name, which is also its id in gorp_migrations). */
  readonly adopted_through: string;
  /** The commit of the schema source whose schema the adopted files build, in the order sql-migrate runs them. */
  readonly goal_sha: string;
  /** The tool that wrote the history, for readers: "sql-migrate", "hand-written"... */
  readonly from?: string;
  /** ISO 8601 */
  readonly adopted_at?: string;
  readonly generator?: string;
}

export interface Adoption extends AdoptionRecord {
  readonly path: string;
  /** The version (leading number) of adopted_through. */
  readonly version: number;
}

export function adoptionPath(dir: string): string {
  return join(dir, ADOPTION_FILE_NAME);
}

export function parseAdoption(path: string, text: string): Adoption {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const offset = jsonErrorOffset(text);
    const line = offset === undefined ? undefined : lineAt(text, offset);
    throw new ConfigurationError(
      `${path}${line ? ` line ${line}` : ''}: not valid JSON (${(error as Error).message.replace(/\s+/g, ' ')})`,
      { file: path, line: line ?? 1 },
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigurationError(`${path}: expected a JSON object`, { file: path, line: 1 });
  const record = value as Record<string, unknown>;
  const bad = (key: string, expected: string): never => {
    const line = jsonKeyLine(text, key);
    throw new ConfigurationError(
      `${path}${line ? ` line ${line}` : ''}: "${key}" must be ${expected} (the record db-migrate adopt writes)`,
      { file: path, line: line ?? 1 },
    );
  };
  if (typeof record.adopted_through !== 'string')
    bad('adopted_through', 'the file name of the last migration of the adopted history');
  const name = parseMigrationFileName(record.adopted_through as string);
  if (!name || name.version < 1)
    bad('adopted_through', 'a migration file name starting with its number, e.g. 20240214100000-add_orders.sql');
  if (typeof record.goal_sha !== 'string' || !/^[0-9a-f]{7,64}$/i.test(record.goal_sha))
    bad('goal_sha', 'the sha of the commit whose schema the adopted migrations build');
  for (const key of ['from', 'adopted_at', 'generator'])
    if (record[key] !== undefined && typeof record[key] !== 'string') bad(key, 'a string');
  return {
    adopted_through: record.adopted_through as string,
    goal_sha: record.goal_sha as string,
    ...(record.from !== undefined ? { from: record.from as string } : {}),
    ...(record.adopted_at !== undefined ? { adopted_at: record.adopted_at as string } : {}),
    ...(record.generator !== undefined ? { generator: record.generator as string } : {}),
    path,
    version: name!.version,
  };
}

/** The adoption record of `dir`, or undefined when there is none. */
export async function readAdoption(dir: string): Promise<Adoption | undefined> {
  const path = adoptionPath(dir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigurationError(`cannot read ${path}: ${(error as Error).message}`);
  }
  return parseAdoption(path, text);
}

export function formatAdoption(record: AdoptionRecord): string {
  const { adopted_through, goal_sha, from, adopted_at, generator } = record;
  return JSON.stringify({ adopted_through, goal_sha, from, adopted_at, generator }, null, 2) + '\n';
}

/** Writes the record; never overwrites one. */
export async function writeAdoption(dir: string, record: AdoptionRecord): Promise<string> {
  const path = adoptionPath(dir);
  try {
    await writeFile(path, formatAdoption(record), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ConfigurationError(
        `${path} already exists: this history is already adopted (edit or delete that file to adopt it again)`,
      );
    }
    throw error;
  }
  return path;
}

export interface AdoptOptions {
  /** The commit (any ref) of the schema source whose schema the existing migrations build. */
  readonly commit: string;
  /** The schema repository the commit is in. Default: the git repository holding dir. */
  readonly repoDir?: string;
  /** The tool that wrote the history, kept for readers. */
  readonly from?: string;
  /** e.g. "db-migrate 0.1.0" */
  readonly generator?: string;
}

export interface AdoptResult {
  readonly path: string;
  readonly record: AdoptionRecord;
  /** The adopted files, in sql-migrate's order. */
  readonly files: readonly string[];
}

/**
 * Writes the adoption record for the history in dir as it is: through its latest file (sql-migrate's
 * order), at the given commit resolved to its full sha. The directory is then read as every command
 * reads it; when that fails the record is removed again, so a refused adopt leaves nothing behind.
 */
export async function adoptHistory(dir: string, options: AdoptOptions): Promise<AdoptResult> {
  if (await readAdoption(dir))
    throw new ConfigurationError(
      `${adoptionPath(dir)} already exists: this history is already adopted (edit or delete that file to adopt it again)`,
    );
  const before = await readMigrationDir(dir).catch((error: unknown) => error);
  const latestName = await latestMigrationFile(dir);
  if (!latestName)
    throw new ConfigurationError(
      `${dir} holds no numbered migration file: nothing to adopt (start with db-migrate create)`,
    );
  const git = await Git.open(options.repoDir ?? dir);
  const goalSha = await git.resolveCommit(options.commit);
  const record: AdoptionRecord = {
    adopted_through: latestName,
    goal_sha: goalSha,
    ...(options.from ? { from: options.from } : {}),
    adopted_at: new Date().toISOString(),
    ...(options.generator ? { generator: options.generator } : {}),
  };
  const path = await writeAdoption(dir, record);
  try {
    const set = await readMigrationDir(dir);
    return { path, record, files: set.migrations.map((m) => m.fileName) };
  } catch (error) {
    await rm(path, { force: true });
    // A problem adoption does not solve (a broken file): say it as the directory reads without the record.
    if (before instanceof ConfigurationError && error instanceof ConfigurationError) throw before;
    throw error;
  }
}

/** The last numbered `*.sql` file of dir in sql-migrate's order (the number as an integer, then the name). */
async function latestMigrationFile(dir: string): Promise<string | undefined> {
  const numbered = (await listMigrationDir(dir)).files
    .map((fileName) => ({ fileName, parsed: parseMigrationFileName(fileName) }))
    .filter((f) => f.fileName.endsWith('.sql') && f.parsed);
  numbered.sort(
    (a, b) => a.parsed!.version - b.parsed!.version || (a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0),
  );
  return numbered[numbered.length - 1]?.fileName;
}
