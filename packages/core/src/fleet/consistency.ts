/**
 * The consistency check: does a database's live schema equal the schema its recorded version implies?
 * Any difference is drift, reported as the SQL that would take the live database back to the expected
 * schema (what a person would run, or undo, to make the database safe to migrate again).
 */
import type { Catalog, DiffOptions } from '../diff';
import { differenceOf, type SchemaDifference } from '../diff/difference';

export interface Drift extends Omit<SchemaDifference, 'excludedTables'> {
  /** The version whose schema the database was compared with. */
  readonly version: number;
}

/**
 * Options every consistency check uses. Extension versions depend on what the server has installed,
 * not on anything a migration did, so they are not drift.
 */
export const CONSISTENCY_DIFF_OPTIONS: DiffOptions = { ignoreExtensionVersions: true };

/** The drift of `live` from `expected`, or undefined when they are the same schema (see differenceOf). */
export function compareWithExpected(
  live: Catalog,
  expected: Catalog,
  version: number,
  options: DiffOptions = {},
): Drift | undefined {
  const { sql, statements, changes } = differenceOf(live, expected, { ...CONSISTENCY_DIFF_OPTIONS, ...options });
  return sql === '' ? undefined : { version, sql, statements, changes };
}

/** A PostgreSQL major from server_version_num (150004 -> 15). */
export function serverMajor(serverVersionNum: number): number {
  return Math.floor(serverVersionNum / 10000);
}
