import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError, errorMessage } from '../errors';
import type { Logger } from '../logger';
import { connectDatabase } from '../pg/connect';

/** The 1-based line of a 1-based character position in text. */
export function lineAtPosition(text: string, position: number): number {
  let line = 1;
  for (let i = 0; i < Math.min(position - 1, text.length); i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

export interface LoadSqlFilesOptions {
  /** Directory the files are relative to (the materialised schema directory). */
  readonly dir: string;
  readonly files: readonly string[];
  readonly databaseUrl: string;
  /** How files are named in messages: `<displayDir>/<file>`, e.g. the schema directory in the repository. */
  readonly displayDir: string;
  /** Names the commit in messages, e.g. "abc1234 (main)". */
  readonly commitLabel: string;
  readonly logger: Logger;
}

/**
 * Loads SQL files in order over one connection, each sent as one multi-statement query (so a file is
 * all-or-nothing unless it commits itself). Plain SQL only: psql meta-commands (\i, \connect) are not
 * understood. A failure names the file, the line when Postgres reports a position, and the commit.
 */
export async function loadSqlFiles(options: LoadSqlFilesOptions): Promise<void> {
  const client = await connectDatabase(options.databaseUrl);
  try {
    for (const file of options.files) {
      const shown = options.displayDir === '.' ? file : `${options.displayDir}/${file}`;
      let sql: string;
      try {
        sql = await readFile(join(options.dir, file), 'utf8');
      } catch {
        throw new ConfigurationError(`SQL file ${shown} does not exist at commit ${options.commitLabel}`);
      }
      options.logger.debug(`loading ${shown}`);
      try {
        await client.query(sql);
      } catch (error) {
        const position = Number((error as { position?: string }).position);
        const where = Number.isFinite(position) && position > 0 ? `${shown}:${lineAtPosition(sql, position)}` : shown;
        throw new ConfigurationError(`${where} (commit ${options.commitLabel}): ${errorMessage(error)}`);
      }
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}
