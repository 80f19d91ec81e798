/**
 * The values of surviving rows, compared before and after a migration's section on the data check's
 * database: rows keyed by their primary key, columns by attribute number (a renamed table or column is
 * the same), each value as text. A column whose type changed is read back in its old type, so a
 * conversion that keeps every value (integer to bigint, timestamp to timestamptz, json to jsonb) compares
 * equal and one that cuts or rounds does not. Rows and columns that go away are the row and drop checks'
 * business; tables without a primary key are not compared (no key to pair their rows).
 */
import type { Client } from 'pg';
import { hazards } from '../diff/hazards';
import { ident, literal } from '../diff/sql';
import type { DataLoss } from '../data-loss/measure';
import { BOOKKEEPING_SCHEMA, isBookkeepingRelation } from '../tracking';

/** Rows read per table: the data check's tables are small; a large seed is compared on its first rows by key. */
const ROW_LIMIT = 2000;

interface ColumnValues {
  readonly name: string;
  readonly type: string;
  /** row key -> value as text (null for NULL) */
  readonly values: ReadonlyMap<string, string | null>;
}

interface TableValues {
  readonly name: string;
  readonly key: readonly string[];
  readonly columns: ReadonlyMap<number, ColumnValues>;
}

/** Table oid -> its rows' values. */
export type ValueSnapshot = ReadonlyMap<number, TableValues>;

interface TableShape {
  readonly oid: number;
  readonly schema: string;
  readonly name: string;
  readonly key: string[];
  readonly columns: Map<number, { name: string; type: string }>;
}

const SHAPES = `
SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name, a.attnum AS num, a.attname AS column,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
       EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisprimary AND a.attnum = ANY (i.indkey)) AS in_key
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
   AND n.nspname NOT IN ('pg_catalog', 'information_schema', $1) AND n.nspname NOT LIKE 'pg\\_%'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
 ORDER BY 1, 4`;

async function readShapes(client: Client): Promise<Map<number, TableShape>> {
  const { rows } = await client.query<{
    oid: string;
    schema: string;
    name: string;
    num: number;
    column: string;
    type: string;
    in_key: boolean;
  }>(SHAPES, [BOOKKEEPING_SCHEMA]);
  const shapes = new Map<number, TableShape>();
  for (const r of rows) {
    if (isBookkeepingRelation(r.schema, r.name)) continue;
    const oid = Number(r.oid);
    const shape: TableShape = shapes.get(oid) ?? { oid, schema: r.schema, name: r.name, key: [], columns: new Map() };
    shape.columns.set(r.num, { name: r.column, type: r.type });
    if (r.in_key) shape.key.push(r.column);
    shapes.set(oid, shape);
  }
  return shapes;
}

/** A value as compared: json as jsonb (whitespace and key order are not values). */
function asText(expression: string, type: string): string {
  return type === 'json' ? `(${expression})::jsonb::text` : `(${expression})::text`;
}

async function readTable(
  client: Client,
  shape: TableShape,
  key: readonly string[],
  columns: ReadonlyMap<number, { name: string; type: string; readAs: string }>,
): Promise<TableValues> {
  const table = `${ident(shape.schema)}.${ident(shape.name)}`;
  const nums = [...columns.keys()];
  const select = nums.map((n, i) => {
    const c = columns.get(n)!;
    const value = c.readAs === c.type ? ident(c.name) : `${ident(c.name)}::${c.readAs}`;
    return `${asText(value, c.readAs)} AS v${i}`;
  });
  const keyText = `ROW(${key.map(ident).join(', ')})::text`;
  const { rows } = await client.query<Record<string, string | null>>(
    `SELECT ${[`${keyText} AS k`, ...select].join(', ')} FROM ${table} ORDER BY ${key.map(ident).join(', ')} LIMIT ${ROW_LIMIT}`,
  );
  const out = new Map<number, ColumnValues>();
  nums.forEach((n, i) => {
    const c = columns.get(n)!;
    out.set(n, { name: c.name, type: c.readAs, values: new Map(rows.map((r) => [r.k!, r[`v${i}`] ?? null])) });
  });
  return { name: `${shape.schema}.${shape.name}`, key, columns: out };
}

/** The values of every table with a primary key, as they are now. */
export async function readValues(client: Client): Promise<ValueSnapshot> {
  const snapshot = new Map<number, TableValues>();
  for (const shape of (await readShapes(client)).values()) {
    if (shape.key.length === 0) continue;
    const columns = new Map([...shape.columns].map(([n, c]) => [n, { ...c, readAs: c.type }]));
    snapshot.set(shape.oid, await readTable(client, shape, shape.key, columns));
  }
  return snapshot;
}

/**
 * The columns of `before` whose surviving rows hold another value now: one `changes-values` loss per
 * column, with how many values changed and one example (key, before, after).
 */
export async function valueChanges(client: Client, before: ValueSnapshot): Promise<DataLoss[]> {
  const shapes = await readShapes(client);
  const losses: DataLoss[] = [];
  for (const [oid, was] of before) {
    const shape = shapes.get(oid);
    if (!shape) continue;
    const key = was.key.filter((k) => [...shape.columns.values()].some((c) => c.name === k));
    if (key.length !== was.key.length) continue;
    // Columns still there, read in the type they had (a renamed one keeps its attribute number).
    const columns = new Map<number, { name: string; type: string; readAs: string }>();
    for (const [n, c] of was.columns) {
      const now = shape.columns.get(n);
      if (now) columns.set(n, { name: now.name, type: now.type, readAs: c.type });
    }
    let now: TableValues;
    try {
      now = await readTable(client, shape, key, columns);
    } catch {
      // A value does not convert back to its old type: compare only the columns whose type stayed.
      const same = new Map([...columns].filter(([, c]) => c.type === c.readAs));
      now = await readTable(client, shape, key, same);
    }
    for (const [n, c] of was.columns) {
      const after = now.columns.get(n);
      if (!after) continue;
      let changed = 0;
      let example: { key: string; from: string | null; to: string | null } | undefined;
      for (const [row, value] of c.values) {
        if (!after.values.has(row)) continue;
        const next = after.values.get(row)!;
        // NULL given a value (a backfill) loses nothing.
        if (next === value || value === null) continue;
        changed++;
        example ??= { key: row, from: value, to: next };
      }
      if (!example) continue;
      const object = `${was.name}.${c.name}`;
      const show = (v: string | null) => (v === null ? 'NULL' : literal(v.length > 60 ? `${v.slice(0, 59)}…` : v));
      const shown = `key ${example.key}: ${show(example.from)} became ${show(example.to)}`;
      losses.push({
        ...hazards.changesValues(`column ${object}`, changed, shown),
        code: 'changes-values',
        object,
        example: shown,
      });
    }
  }
  return losses;
}
