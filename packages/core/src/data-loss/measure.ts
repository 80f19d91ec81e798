/**
 * What a change loses of the data a database holds, measured on a real database before and after the
 * change runs (not read from the SQL text, so a hand edit cannot hide a loss and a RENAME is no loss):
 * tables and columns that stop existing (identified by OID and attribute number, so a renamed one
 * survives), column types that cannot hold every value of the old type, enum values removed, and rows
 * removed from a table that stays (counted on a database with rows).
 */
import type { Client } from 'pg';
import { valueChangingConversion } from '../diff/conversions';
import { hazards } from '../diff/hazards';
import { connectDatabase } from '../pg/connect';
import type { RowCounts } from '../seed/rows';
import { BOOKKEEPING_SCHEMA, TRACKING_TABLE } from '../tracking';

/** The codes of the data-loss hazards the gate stops on (the differ's hazard codes). */
export const DATA_LOSS_CODES = [
  'drops-data',
  'narrows-type',
  'enum-recreated',
  'deletes-rows',
  'changes-values',
] as const;
export type DataLossCode = (typeof DATA_LOSS_CODES)[number];

export interface DataLoss {
  readonly code: DataLossCode;
  /** The object that loses data, schema-qualified, as named before the change: `public.customers.legacy_code`. */
  readonly object: string;
  /** One sentence, the differ's wording. */
  readonly message: string;
  /** narrows-type: the column's type before and after (what a target's values are checked against). */
  readonly conversion?: { readonly from: string; readonly to: string };
  /** changes-values: one value that changed, `key (3): 'abc' became 'ABC'`. */
  readonly example?: string;
}

interface TableColumns {
  readonly oid: string;
  readonly name: string;
  /** attnum -> column */
  readonly columns: Map<number, { readonly name: string; readonly type: string }>;
}

/** The data-holding objects of a database, keyed by what survives a rename (OIDs). */
export interface DataInventory {
  readonly tables: Map<string, TableColumns>;
  /** enum name -> { oid, label oid -> label } */
  readonly enums: Map<string, { readonly oid: string; readonly labels: Map<string, string> }>;
}

const USER_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema', '${BOOKKEEPING_SCHEMA}')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'`;

const INVENTORY_SQL = `
SELECT 'column' AS kind, c.oid::int8::text AS oid, n.nspname || '.' || c.relname AS name,
       a.attnum AS num, a.attname AS item, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relkind IN ('r', 'p') AND ${USER_SCHEMAS}
   AND NOT (c.relname = '${TRACKING_TABLE}')
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
UNION ALL
SELECT 'enum', t.oid::int8::text, n.nspname || '.' || t.typname, 0, e.oid::int8::text, e.enumlabel
  FROM pg_catalog.pg_enum e
  JOIN pg_catalog.pg_type t ON t.oid = e.enumtypid
  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
 WHERE ${USER_SCHEMAS}`;

/** Reads the inventory in one query, in the client's session (search_path decides how types print). */
export async function readDataInventory(client: Client): Promise<DataInventory> {
  const { rows } = await client.query<{
    kind: string;
    oid: string;
    name: string;
    num: number | null;
    item: string | null;
    type: string | null;
  }>(INVENTORY_SQL);
  const tables = new Map<string, TableColumns>();
  const enums = new Map<string, { oid: string; labels: Map<string, string> }>();
  for (const r of rows) {
    if (r.kind === 'enum') {
      const entry = enums.get(r.name) ?? { oid: r.oid, labels: new Map<string, string>() };
      entry.labels.set(r.item!, r.type!);
      enums.set(r.name, entry);
      continue;
    }
    const table = tables.get(r.oid) ?? { oid: r.oid, name: r.name, columns: new Map() };
    if (r.num !== null && r.item !== null) table.columns.set(r.num, { name: r.item, type: r.type! });
    tables.set(r.oid, table);
  }
  return { tables, enums };
}

/** The names of the tables in an inventory, sorted. */
export function inventoryTables(inventory: DataInventory): string[] {
  return [...inventory.tables.values()].map((t) => t.name).sort();
}

/** What goes from `before` to `after` (the same database, before and after a change). */
export function dataLosses(before: DataInventory, after: DataInventory): DataLoss[] {
  const losses: DataLoss[] = [];
  const loss = (object: string, hazard: { code: string; message: string }) =>
    losses.push({ code: hazard.code as DataLossCode, object, message: hazard.message });
  for (const table of before.tables.values()) {
    const now = after.tables.get(table.oid);
    if (!now) {
      loss(table.name, hazards.dropsData(`table ${table.name}`));
      continue;
    }
    for (const [num, column] of table.columns) {
      const object = `${table.name}.${column.name}`;
      const kept = now.columns.get(num);
      if (!kept) loss(object, hazards.dropsData(`column ${object}`));
      else if (kept.type !== column.type) {
        const how = valueChangingConversion(column.type, kept.type);
        if (how)
          losses.push({
            ...hazards.narrowsType(`column ${object}`, column.type, kept.type, how),
            code: 'narrows-type',
            object,
            conversion: { from: column.type, to: kept.type },
          });
      }
    }
  }
  const enumsByOid = new Map([...after.enums.values()].map((e) => [e.oid, e]));
  for (const [name, type] of before.enums) {
    // Renamed: same OID. Recreated (to remove a value): a new type of the same name.
    const now = enumsByOid.get(type.oid) ?? after.enums.get(name);
    if (!now) continue; // a dropped enum: the columns using it are dropped or retyped, and say so
    const nowLabels = new Set(now.labels.values());
    for (const [labelOid, label] of type.labels) {
      if (now.labels.has(labelOid) || nowLabels.has(label)) continue;
      loss(`${name}.${label}`, hazards.removesEnumValue(`enum ${name}`, label));
    }
  }
  return losses.sort((a, b) => a.object.localeCompare(b.object) || a.code.localeCompare(b.code));
}

/** A table that keeps existing (same oid) but holds fewer rows after a change: how many went. */
export interface RowDeletion extends DataLoss {
  readonly code: 'deletes-rows';
  /** The table's oid. */
  readonly oid: number;
  readonly rows: number;
  readonly of: number;
}

/**
 * The rows a change removed from tables that stay (followed by oid, so a renamed table counts as the
 * same), counted on one database before and after it. `allowed` (oid -> rows) may go without loss: the
 * rows a migration's Up added, which its Down removes. A dropped table is drops-data, not counted here.
 */
export function rowDeletions(
  before: RowCounts,
  after: RowCounts,
  allowed: ReadonlyMap<number, number> = new Map(),
): RowDeletion[] {
  const now = new Map([...after.values()].map((t) => [t.oid, t.rows]));
  const out: RowDeletion[] = [];
  for (const [table, { oid, rows }] of before) {
    const left = now.get(oid);
    if (left === undefined) continue;
    const gone = rows - left - (allowed.get(oid) ?? 0);
    if (gone <= 0) continue;
    out.push({
      code: 'deletes-rows',
      object: table,
      oid,
      rows: gone,
      of: rows,
      message: `deletes ${gone} of the ${rows} row${rows === 1 ? '' : 's'} of table ${table} (counted before and after on the seeded database; the table stays): the data they hold is lost`,
    });
  }
  return out.sort((a, b) => a.object.localeCompare(b.object));
}

/** The inventory of the database at `url`, on a connection of its own. */
export async function readDataInventoryAt(url: string): Promise<DataInventory> {
  const client = await connectDatabase(url);
  try {
    return await readDataInventory(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
