import { diff, renderSql } from '../diff';
import type { DiffOptions } from '../diff/types';

export interface SchemaDifference {
  /** The SQL that takes `from` to `to`; '' when the schemas are equal. */
  readonly sql: string;
  /** What differs, e.g. "column public.users.name", in statement order. */
  readonly objects: readonly string[];
  /** Tables the options left out (frameworks' bookkeeping, exclude-table), "schema.table (why)". */
  readonly excludedTables: readonly string[];
}

/** How `from` differs from `to`, as the differ's SQL (bookkeeping tables are never part of it). */
export async function schemaDifference(fromUrl: string, toUrl: string, options: DiffOptions = {}): Promise<SchemaDifference> {
  const { statements, excludedTables } = await diff(fromUrl, toUrl, options);
  return { sql: renderSql(statements), objects: statements.map((s) => `${s.object.kind} ${s.object.name}`), excludedTables: excludedTables ?? [] };
}

/** "column a, table b and 3 more": a difference in one line. */
export function listObjects(objects: readonly string[], max = 4): string {
  const unique = [...new Set(objects)];
  if (unique.length <= max) return unique.join(', ');
  return `${unique.slice(0, max).join(', ')} and ${unique.length - max} more`;
}
