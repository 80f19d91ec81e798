import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { query } from './pg';

/**
 * The independent judge of schema equality in tests: `pg_dump --schema-only` of each database, normalised so
 * that only what a schema migration must reproduce counts. It shares no code with the differ: it reads
 * pg_dump's text, never our catalog queries.
 *
 * Normalisation: pg_dump's header comments, SET lines and blank lines go; the dump is cut into its TOC
 * entries (one per object), the column lines of each CREATE TABLE are sorted (column order is not part of
 * what a migration can reproduce without rebuilding the table), and the entries are sorted, so that the
 * order pg_dump happens to emit objects in does not count either. Everything else, including every
 * definition's text, constraint, index, grant and comment, must match exactly.
 */
export interface OracleOptions {
  /** Dump only this schema (pg_dump --schema). */
  readonly schema?: string;
  readonly excludeSchemas?: readonly string[];
  /** Include GRANT/REVOKE (otherwise --no-privileges). */
  readonly privileges?: boolean;
  /** pg_dump leaves extension versions out; also compare them from pg_extension. */
  readonly extensionVersions?: boolean;
  /** Include ALTER ... OWNER TO (otherwise --no-owner). */
  readonly owners?: boolean;
}

function pgDumpBinary(): string {
  const dir = process.env.DB_MIGRATE_TEST_PG_BIN;
  if (dir && existsSync(join(dir, 'pg_dump'))) return join(dir, 'pg_dump');
  return 'pg_dump';
}

async function pgDump(url: string, options: OracleOptions): Promise<string> {
  const parsed = new URL(url);
  const args = ['--schema-only', '--exclude-table=public.gorp_migrations', '--exclude-schema=db_migrate'];
  if (!options.owners) args.push('--no-owner');
  if (!options.privileges) args.push('--no-privileges');
  if (options.schema) args.push(`--schema=${options.schema}`);
  for (const s of options.excludeSchemas ?? []) args.push(`--exclude-schema=${s}`);
  const { stdout } = await promisify(execFile)(pgDumpBinary(), args, {
    maxBuffer: 256 * 1024 * 1024,
    env: {
      ...process.env,
      PGHOST: parsed.hostname,
      PGPORT: parsed.port || '5432',
      PGUSER: decodeURIComponent(parsed.username),
      PGPASSWORD: decodeURIComponent(parsed.password),
      PGDATABASE: decodeURIComponent(parsed.pathname.slice(1)),
    },
  });
  return stdout;
}

const HEADER_LINE = /^--( Name: | Dumped | PostgreSQL database dump|$)/;

/** Splits a dump into normalised entries, sorted. */
export function normaliseDump(dump: string): string[] {
  const entries: string[][] = [];
  let current: string[] = [];
  for (const line of dump.split('\n')) {
    if (line.startsWith('-- Name: ')) {
      if (current.length) entries.push(current);
      current = [];
      continue;
    }
    if (HEADER_LINE.test(line)) continue;
    if (/^SET /.test(line) || /^SELECT pg_catalog\.set_config\(/.test(line)) continue;
    // Recent pg_dump releases fence the script with \restrict <random key> ... \unrestrict <key>.
    if (/^\\(un)?restrict /.test(line)) continue;
    if (line.trim() === '') continue;
    current.push(line);
  }
  if (current.length) entries.push(current);
  return entries
    .map(normaliseEntry)
    .filter((e) => e.length > 0)
    .sort();
}

function normaliseEntry(lines: string[]): string {
  const first = lines[0] ?? '';
  if (/^CREATE (UNLOGGED )?TABLE /.test(first) && first.trimEnd().endsWith('(')) {
    const close = lines.findIndex((l, i) => i > 0 && l.startsWith(')'));
    if (close > 0) {
      const columns = lines
        .slice(1, close)
        .map((l) => l.replace(/,$/, ''))
        .sort();
      return [first, ...columns, ...lines.slice(close)].join('\n');
    }
  }
  return lines.join('\n');
}

/** The normalised schema of one database: sorted entries, plus extension versions when asked. */
export async function normalisedSchema(url: string, options: OracleOptions = {}): Promise<string[]> {
  const entries = normaliseDump(await pgDump(url, options));
  if (options.extensionVersions) {
    const rows = await query<{ extname: string; extversion: string }>(
      url,
      'SELECT extname, extversion FROM pg_extension ORDER BY extname',
    );
    for (const r of rows) entries.push(`EXTENSION ${r.extname} VERSION ${r.extversion}`);
  }
  return entries.sort();
}

export interface OracleVerdict {
  readonly equal: boolean;
  /** Entries present only in the first database, then only in the second. */
  readonly onlyInFirst: readonly string[];
  readonly onlyInSecond: readonly string[];
}

export async function compareSchemas(
  first: string,
  second: string,
  options: OracleOptions = {},
): Promise<OracleVerdict> {
  const [a, b] = await Promise.all([normalisedSchema(first, options), normalisedSchema(second, options)]);
  return compareNormalised(a, b);
}

/** The verdict on two normalised schemas (normalisedSchema) already read. */
export function compareNormalised(a: readonly string[], b: readonly string[]): OracleVerdict {
  const count = (list: readonly string[]) => {
    const m = new Map<string, number>();
    for (const e of list) m.set(e, (m.get(e) ?? 0) + 1);
    return m;
  };
  const ca = count(a);
  const cb = count(b);
  const onlyInFirst: string[] = [];
  const onlyInSecond: string[] = [];
  for (const [e, n] of ca) for (let i = cb.get(e) ?? 0; i < n; i++) onlyInFirst.push(e);
  for (const [e, n] of cb) for (let i = ca.get(e) ?? 0; i < n; i++) onlyInSecond.push(e);
  return { equal: onlyInFirst.length === 0 && onlyInSecond.length === 0, onlyInFirst, onlyInSecond };
}
