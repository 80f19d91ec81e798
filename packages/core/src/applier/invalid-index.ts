/**
 * A failed CREATE INDEX CONCURRENTLY (or REINDEX CONCURRENTLY) leaves an INVALID index behind: never
 * used by queries, still updated by every write, and for a unique one, not enforced. After such a
 * failure the index it left on its table is dropped (concurrently, so the table stays available), and
 * the message says so.
 */
import type { Client } from 'pg';
import { errorMessage } from '../errors';

const IDENT = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)`;
const QUALIFIED = String.raw`${IDENT}(?:\s*\.\s*${IDENT})?`;
const CREATE_CONCURRENTLY = new RegExp(
  String.raw`^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:(${IDENT})\s+)?ON\s+(?:ONLY\s+)?(${QUALIFIED})`,
  'i',
);
const REINDEX_CONCURRENTLY = new RegExp(
  String.raw`^\s*REINDEX\s+(?:\([^)]*\)\s*)?(INDEX|TABLE)\s+CONCURRENTLY\s+(${QUALIFIED})`,
  'i',
);

/** A statement that builds an index concurrently, and the table it builds on (as the statement names it). */
export interface ConcurrentBuild {
  /** The table, as written (resolved by the server with the session's search_path). */
  readonly table?: string;
  /** For REINDEX INDEX: the index, as written. */
  readonly index?: string;
  /** The index name CREATE INDEX gives, unquoted; undefined when the server picks it. */
  readonly name?: string;
}

function unquote(identifier: string): string {
  return identifier.startsWith('"') ? identifier.slice(1, -1).replace(/""/g, '"') : identifier.toLowerCase();
}

/** The concurrent index build a statement is, or undefined. Comments before the statement are skipped. */
export function concurrentBuild(sql: string): ConcurrentBuild | undefined {
  const text = sql.replace(/^(\s*--[^\n]*\n)+/, '').replace(/^\s*\/\*[\s\S]*?\*\//, '');
  const create = CREATE_CONCURRENTLY.exec(text);
  if (create) return { table: create[2], ...(create[1] ? { name: unquote(create[1]) } : {}) };
  const reindex = REINDEX_CONCURRENTLY.exec(text);
  if (reindex) return reindex[1].toUpperCase() === 'TABLE' ? { table: reindex[2] } : { index: reindex[2] };
  return undefined;
}

const TABLE_OF = `SELECT coalesce(
    (SELECT i.indrelid FROM pg_catalog.pg_index i WHERE i.indexrelid = pg_catalog.to_regclass($2)),
    pg_catalog.to_regclass($1)::oid)::int AS relid`;
const INVALID_ON = `SELECT i.indexrelid::int AS oid, format('%I.%I', n.nspname, c.relname) AS name, c.relname
  FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE i.indrelid = $1 AND NOT i.indisvalid`;

/** Before the build runs: the table's oid and its invalid indexes, which are not ours to drop. */
export interface BuildSnapshot {
  readonly build: ConcurrentBuild;
  readonly relid: number | null;
  readonly invalidBefore: ReadonlySet<number>;
}

export async function snapshotBeforeBuild(client: Client, build: ConcurrentBuild): Promise<BuildSnapshot | undefined> {
  try {
    const relid =
      (await client.query<{ relid: number | null }>(TABLE_OF, [build.table ?? null, build.index ?? null])).rows[0]
        ?.relid ?? null;
    if (relid === null) return { build, relid, invalidBefore: new Set() };
    const { rows } = await client.query<{ oid: number }>(INVALID_ON, [relid]);
    return { build, relid, invalidBefore: new Set(rows.map((r) => r.oid)) };
  } catch {
    return undefined;
  }
}

/** After the failed build: what was left and dropped, or could not be dropped, in words for the message. */
export interface Cleanup {
  readonly dropped: readonly string[];
  readonly left: readonly string[];
  /** Ends the failure message: `; it left the invalid index public.x, which was dropped (...)`. */
  readonly note: string;
}

/**
 * Drops the invalid indexes the failed build left on its table: those that were not invalid before it
 * and, when the statement names its index, only that one. Call with no transaction open.
 */
export async function dropLeftInvalidIndexes(
  client: Client,
  snapshot: BuildSnapshot | undefined,
  failure: unknown,
  options: { readonly waitMs: number; readonly lockTimeoutMs: number },
): Promise<Cleanup | undefined> {
  if (!snapshot || snapshot.relid === null) return undefined;
  let left: { oid: number; name: string }[];
  try {
    const { rows } = await client.query<{ oid: number; name: string; relname: string }>(INVALID_ON, [snapshot.relid]);
    const named = snapshot.build.name;
    left = rows.filter((r) => !snapshot.invalidBefore.has(r.oid) && (named === undefined || r.relname === named));
  } catch {
    return undefined;
  }
  if (left.length === 0) return undefined;
  const dropped: string[] = [];
  const kept: string[] = [];
  let problem = '';
  // DROP INDEX CONCURRENTLY waits for the transactions that use the table (as the build did) without
  // queueing a lock the application's queries would wait behind: it may wait up to `waitMs`.
  await client.query(`SET lock_timeout = ${Math.floor(options.waitMs)}`).catch(() => undefined);
  for (const index of left) {
    try {
      await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${index.name}`);
      dropped.push(index.name);
    } catch (error) {
      kept.push(index.name);
      problem = errorMessage(error);
    }
  }
  await client.query(`SET lock_timeout = ${Math.floor(options.lockTimeoutMs)}`).catch(() => undefined);
  const detail = (failure as { detail?: unknown }).detail;
  const key = typeof detail === 'string' && detail !== '' ? ` (${detail.replace(/\s+/g, ' ').trim()})` : '';
  const plural = (list: string[]) => `${list.length === 1 ? 'index' : 'indexes'} ${list.join(', ')}`;
  const parts: string[] = [];
  if (dropped.length > 0)
    parts.push(`the invalid ${plural(dropped)} it left ${dropped.length === 1 ? 'was' : 'were'} dropped${key}`);
  if (kept.length > 0) {
    parts.push(
      `it left the invalid ${plural(kept)}, which could not be dropped (${problem}): run DROP INDEX CONCURRENTLY IF EXISTS ${kept.join(', ')}${dropped.length === 0 ? key : ''}`,
    );
  }
  return { dropped, left: kept, note: `; ${parts.join('; ')}` };
}
