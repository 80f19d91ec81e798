/**
 * A schema difference as people read it: the SQL that takes one schema to another, with every object the
 * differ cannot show equal named in an SQL comment. The one place a difference becomes text, used by verify
 * (the migrations against the goal) and by the consistency check (a live database against its version).
 */
import type { Catalog } from './catalog';
import { excludedTables, filterCatalog } from './filter';
import { diffCatalogs, unsupportedObjects } from './index';
import { introspect } from './introspect';
import { renderMarkedSql } from './render';
import { ident } from './sql';
import type { DiffOptions } from './types';

export interface SchemaDifference {
  /** The SQL that takes `from` to `to`, objects it cannot compare named in comments; '' when equal. */
  readonly sql: string;
  /** How many statements the difference takes. */
  readonly statements: number;
  /** One line per difference, in statement order: `drop column public.users.nickname`, for summaries. */
  readonly changes: readonly string[];
  /** Tables the options left out (frameworks' bookkeeping, exclude-table), "schema.table (why)". */
  readonly excludedTables: readonly string[];
}

/**
 * How `from` differs from `to`, on catalogs already read (pure). An object of a kind the differ does not
 * compare, on either side, is a difference (it cannot be shown equal), and so is an INVALID index of `from`
 * that `to` does not have invalid.
 */
export function differenceOf(from: Catalog, to: Catalog, options: DiffOptions = {}): SchemaDifference {
  const statements = diffCatalogs(from, to, options);
  const unsupported = unsupportedObjects(from, to, options);
  const invalid = invalidIndexes(from, to, options);
  return {
    sql: [
      ...invalid.map((w) => `-- ${w}`),
      renderMarkedSql(statements),
      ...unsupported.map((w) => `-- not compared: ${w}`),
    ]
      .filter((x) => x !== '')
      .join('\n'),
    statements: statements.length,
    changes: [
      ...invalid,
      ...statements.map((s) => `${s.action} ${s.object.kind} ${s.object.name}`),
      ...unsupported.map((w) => `not compared: ${w}`),
    ],
    excludedTables: [...new Set([...excludedTables(from, options), ...excludedTables(to, options)])].sort(),
  };
}

/** How the database at `fromUrl` differs from the one at `toUrl` (both only read). */
export async function schemaDifference(
  fromUrl: string,
  toUrl: string,
  options: DiffOptions = {},
): Promise<SchemaDifference> {
  const [from, to] = await Promise.all([introspect(fromUrl), introspect(toUrl)]);
  return differenceOf(from, to, options);
}

/** "drop column a, create table b and 3 more": a difference in one line. */
export function listChanges(changes: readonly string[], max = 4): string {
  const unique = [...new Set(changes)];
  if (unique.length <= max) return unique.join(', ');
  return `${unique.slice(0, max).join(', ')} and ${unique.length - max} more`;
}

/** An identifier as a person would type it: quoted only when it must be. */
const readable = (name: string) => (/^[a-z_][a-z0-9_$]*$/.test(name) ? name : ident(name));

/**
 * The INVALID indexes of `from` that `to` does not have invalid, each with what to do: a failed
 * CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY leaves one, never used by queries, still slowing
 * every write, and for a unique index, not enforced.
 */
export function invalidIndexes(from: Catalog, to: Catalog, options: DiffOptions = {}): string[] {
  const mine = filterCatalog(from, options);
  const theirs = filterCatalog(to, options);
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
