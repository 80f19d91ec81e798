import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError, errorMessage } from '../errors';
import type { Logger } from '../logger';
import { quotedSpans } from '../migrations/sql-scan';
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
 * The SQL of a file without the psql meta-command lines pg_dump writes: `\restrict <key>` and
 * `\unrestrict <key>` (pg_dump 15.14, 16.10, 17.6 and later fence every dump with them). They are blanked,
 * so line numbers stay true. Any other meta-command (\i, \connect, \set...) is refused naming its line:
 * only psql understands it. Backslashes inside strings, quoted identifiers, dollar-quoted bodies
 * and comments are SQL text, not meta-commands.
 */
export function withoutPsqlMetaCommands(sql: string, shown: string): string {
  const quoted: [number, number][] = [];
  for (const span of quotedSpans(sql)) quoted.push([span.start, span.end]);
  const inQuoted = (offset: number) => quoted.some(([start, end]) => offset > start && offset < end);
  let out = '';
  let offset = 0;
  for (const line of sql.split('\n')) {
    const at = offset + line.length - line.trimStart().length;
    offset += line.length + 1;
    if (!line.trimStart().startsWith('\\') || inQuoted(at)) {
      out += line + '\n';
      continue;
    }
    if (/^\s*\\(un)?restrict(\s+\S+)?\s*$/.test(line)) {
      out += '\n';
      continue;
    }
    const command = line.trim().split(/\s+/)[0];
    throw new ConfigurationError(
      `${shown}:${lineAtPosition(sql, at + 1)}: the psql meta-command ${command} is not SQL: schema-sql files are sent to PostgreSQL as they are ` +
        '(only the \\restrict/\\unrestrict lines of pg_dump are skipped); run such a script with psql in schema-command instead',
    );
  }
  return out.slice(0, -1);
}

/**
 * Loads SQL files in order over one connection, each sent as one multi-statement query (so a file is
 * all-or-nothing unless it commits itself). Plain SQL, plus pg_dump's \restrict lines, which are skipped;
 * other psql meta-commands (\i, \connect) are refused. A failure names the file, the line when Postgres
 * reports a position, and the commit.
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
      sql = withoutPsqlMetaCommands(sql, `${shown} (commit ${options.commitLabel})`);
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
