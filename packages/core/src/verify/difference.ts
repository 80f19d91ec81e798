import { diff, renderMarkedSql } from '../diff';
import type { DiffOptions } from '../diff/types';

export interface SchemaDifference {
  /** The SQL that takes `from` to `to`; '' when the schemas are equal. */
  readonly sql: string;
  /** What differs, e.g. "column public.users.name", in statement order. */
  readonly objects: readonly string[];
  /** Tables the options left out (frameworks' bookkeeping, exclude-table), "schema.table (why)". */
  readonly excludedTables: readonly string[];
}

/**
 * How `from` differs from `to`, as the differ's SQL (bookkeeping tables are never part of it). An object of a
 * kind the differ does not compare, on either side, is a difference too (an SQL comment naming it): the
 * differ cannot tell that it is the same, so the check fails rather than pass.
 */
export async function schemaDifference(
  fromUrl: string,
  toUrl: string,
  options: DiffOptions = {},
): Promise<SchemaDifference> {
  const { statements, warnings, excludedTables } = await diff(fromUrl, toUrl, options);
  const sql = [renderMarkedSql(statements), ...warnings.map((w) => `-- not compared: ${w}`)]
    .filter((x) => x !== '')
    .join('\n');
  return {
    sql,
    objects: [...statements.map((s) => `${s.object.kind} ${s.object.name}`), ...warnings],
    excludedTables: excludedTables ?? [],
  };
}

/** "column a, table b and 3 more": a difference in one line. */
export function listObjects(objects: readonly string[], max = 4): string {
  const unique = [...new Set(objects)];
  if (unique.length <= max) return unique.join(', ');
  return `${unique.slice(0, max).join(', ')} and ${unique.length - max} more`;
}
