/**
 * Rows the user gives: SQL files (`seed-sql`), run in order, each as one multi-statement query, or a
 * command (`seed-command`) run like a schema build command (sh -c, a clean environment with
 * DATABASE_URL and PG* naming the database). Both run against a shadow database holding the base
 * version's schema; a failure is a ConfigurationError naming the file and line, or the command.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { ConfigurationError, errorMessage } from '../errors';
import type { Logger } from '../logger';
import { connectDatabase } from '../pg/connect';
import { runBuildCommand } from '../schema-source/build-command';
import { lineAtPosition } from '../schema-source/sql-files';

export interface UserSeed {
  /** SQL files, run in order; relative paths are taken from `dir`. */
  readonly sqlFiles?: readonly string[];
  /** A command that inserts rows into the database DATABASE_URL names; runs in `dir`. */
  readonly command?: string;
  /** Where relative seed files are found and the command runs (default: the current directory). */
  readonly dir?: string;
  readonly timeoutMs?: number;
}

/** Undefined when no seed is given; rejects both at once (one way to give rows). */
export function checkUserSeed(
  seed: UserSeed | undefined,
  names = { sql: 'seed-sql', command: 'seed-command' },
): UserSeed | undefined {
  if (!seed) return undefined;
  const files = (seed.sqlFiles ?? []).filter((f) => f.trim() !== '');
  const command = seed.command?.trim() || undefined;
  if (files.length > 0 && command) throw new ConfigurationError(`give ${names.sql} or ${names.command}, not both`);
  if (files.length === 0 && !command) return undefined;
  return { ...seed, ...(files.length > 0 ? { sqlFiles: files } : { sqlFiles: undefined }), command };
}

export function describeUserSeed(seed: UserSeed): string {
  return seed.command ? `seed command: ${seed.command}` : `seed SQL: ${(seed.sqlFiles ?? []).join(', ')}`;
}

/** Runs the user's seed against the database at `url`, described as `where` in messages (e.g. "on the base version 3"). */
export async function runUserSeed(seed: UserSeed, url: string, where: string, logger: Logger): Promise<void> {
  const dir = resolve(seed.dir ?? '.');
  if (seed.command) {
    logger.info(`seeding ${where}: ${seed.command}`);
    await runBuildCommand({
      command: seed.command,
      cwd: dir,
      databaseUrl: url,
      commitLabel: where,
      label: 'seed command',
      at: where,
      timeoutMs: seed.timeoutMs,
      logger,
    });
    return;
  }
  const client = await connectDatabase(url);
  try {
    for (const file of seed.sqlFiles ?? []) {
      const path = isAbsolute(file) ? file : resolve(dir, file);
      let sql: string;
      try {
        sql = await readFile(path, 'utf8');
      } catch {
        throw new ConfigurationError(`seed SQL file ${file} does not exist (looked for ${path})`);
      }
      logger.info(`seeding ${where}: ${file}`);
      try {
        await client.query(sql);
      } catch (error) {
        const position = Number((error as { position?: string }).position);
        const at = Number.isFinite(position) && position > 0 ? `${file}:${lineAtPosition(sql, position)}` : file;
        throw new ConfigurationError(`seed SQL ${at} failed ${where}: ${errorMessage(error)}`);
      }
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}
