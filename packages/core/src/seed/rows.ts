/**
 * Row counts of every user table (plain and partitioned tables, not partitions; not migration
 * bookkeeping, not extension members): what verify compares before Up and after Down, and how the
 * filler finds the tables still empty.
 */
import type { Client } from 'pg';
import { ident } from '../diff/sql';
import { BOOKKEEPING_SCHEMA, isBookkeepingRelation } from '../tracking';

const USER_TABLES = `
SELECT n.nspname AS schema, c.relname AS name, c.oid::int8 AS oid
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', $1) AND n.nspname NOT LIKE 'pg\\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2`;

export interface TableRows {
  /** The table's oid: a renamed table keeps it, a dropped and recreated one does not. */
  readonly oid: number;
  readonly rows: number;
}

/** schema.name -> its oid and number of rows. */
export type RowCounts = ReadonlyMap<string, TableRows>;

export async function countRows(client: Client): Promise<RowCounts> {
  const { rows } = await client.query<{ schema: string; name: string; oid: string }>(USER_TABLES, [BOOKKEEPING_SCHEMA]);
  const tables = rows.filter((r) => !isBookkeepingRelation(r.schema, r.name));
  if (tables.length === 0) return new Map();
  const counts = tables.map((t, i) => `(SELECT count(*) FROM ${ident(t.schema)}.${ident(t.name)}) AS c${i}`);
  const {
    rows: [counted],
  } = await client.query<Record<string, string>>(`SELECT ${counts.join(', ')}`);
  return new Map(
    tables.map((t, i) => [`${t.schema}.${t.name}`, { oid: Number(t.oid), rows: Number(counted[`c${i}`]) }]),
  );
}
