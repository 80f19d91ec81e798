/**
 * The consistency check: does a database's live schema equal the schema its recorded version implies?
 * Any difference is drift, reported as the SQL that would take the live database back to the expected
 * schema (what a person would run, or undo, to make the database safe to migrate again).
 */
import { type Catalog, type DiffOptions, diffCatalogs, renderMarkedSql, unsupportedObjects } from '../diff';
import { filterCatalog } from '../diff/filter';
import { ident } from '../diff/sql';

/** An identifier as a person would type it: quoted only when it must be. */
const readable = (name: string) => (/^[a-z_][a-z0-9_$]*$/.test(name) ? name : ident(name));

export interface Drift {
  /** The version whose schema the database was compared with. */
  readonly version: number;
  /** How many statements the difference takes. */
  readonly statements: number;
  /** The statements that take the live schema to the expected one, as SQL. */
  readonly sql: string;
  /** One line per statement: `drop column public.users.nickname`, for summaries. */
  readonly changes: readonly string[];
}

/**
 * Options every consistency check uses. Extension versions depend on what the server has installed,
 * not on anything a migration did, so they are not drift.
 */
export const CONSISTENCY_DIFF_OPTIONS: DiffOptions = { ignoreExtensionVersions: true };

/**
 * The drift of `live` from `expected`, or undefined when they are the same schema. An object of a kind the
 * differ does not compare, on either side, is drift too (named in an SQL comment): it cannot be shown equal.
 */
export function compareWithExpected(
  live: Catalog,
  expected: Catalog,
  version: number,
  options: DiffOptions = {},
): Drift | undefined {
  const diffOptions = { ...CONSISTENCY_DIFF_OPTIONS, ...options };
  const statements = diffCatalogs(live, expected, diffOptions);
  const unsupported = unsupportedObjects(live, expected, diffOptions);
  const invalid = invalidIndexes(live, expected, diffOptions);
  if (statements.length === 0 && unsupported.length === 0 && invalid.length === 0) return undefined;
  return {
    version,
    statements: statements.length,
    sql: [
      ...invalid.map((w) => `-- ${w}`),
      renderMarkedSql(statements),
      ...unsupported.map((w) => `-- not compared: ${w}`),
    ]
      .filter((x) => x !== '')
      .join('\n'),
    changes: [
      ...invalid,
      ...statements.map((s) => `${s.action} ${s.object.kind} ${s.object.name}`),
      ...unsupported.map((w) => `not compared: ${w}`),
    ],
  };
}

/**
 * The INVALID indexes of `live` that `expected` does not have invalid, each with what to do: a failed
 * CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY leaves one, never used by queries, still slowing
 * every write, and for a unique index, not enforced.
 */
export function invalidIndexes(live: Catalog, expected: Catalog, options: DiffOptions = {}): string[] {
  const mine = filterCatalog(live, options);
  const theirs = filterCatalog(expected, options);
  const found: string[] = [];
  for (const kind of ['indexes', 'partitionIndexes'] as const) {
    for (const [key, index] of mine[kind]) {
      if (index.valid || theirs[kind].get(key)?.valid === false) continue;
      const name = `${readable(index.schema)}.${readable(index.name)}`;
      const table = mine.relations.get(index.tableKey);
      const on = table ? ` on ${readable(table.schema)}.${readable(table.name)}` : '';
      found.push(
        `invalid index ${name}${on} (left by a failed CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY; never used, not enforced): ` +
          `drop it with DROP INDEX CONCURRENTLY ${name}, or rebuild it with REINDEX INDEX CONCURRENTLY ${name}`,
      );
    }
  }
  return found.sort();
}

/** A PostgreSQL major from server_version_num (150004 -> 15). */
export function serverMajor(serverVersionNum: number): number {
  return Math.floor(serverVersionNum / 10000);
}
