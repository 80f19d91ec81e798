/**
 * One catalog query and the shape of its rows, as node-postgres returns them: int2, int4 (and every `oid::int`)
 * as numbers, int8 and numeric as strings, bool as booleans, "char", name and text as strings, arrays as
 * arrays, jsonb as parsed JSON, SQL NULL as null.
 */
export interface Query<Row> {
  readonly sql: string;
  /** Every column the query returns, with how node-postgres gives it (checked against the server by a test). */
  readonly columns: Columns<Row>;
  /** Type only, never set: the row shape the rest of introspection reads. */
  readonly row?: Row;
}

type Kind<T> = T extends boolean
  ? 'bool'
  : T extends string
    ? 'text'
    : T extends number
      ? 'int'
      : T extends readonly string[]
        ? 'text[]'
        : T extends readonly number[]
          ? 'int[]'
          : 'json';

/** What a column of type T holds: 'text', 'int', 'bool', 'text[]', 'int[]' or 'json', with ' | null' when it may be NULL. */
export type ColumnKind<T> = null extends T ? `${Kind<NonNullable<T>>} | null` : Kind<T>;

/** Every column of Row by name: the compiler keeps it in step with Row, a test with the server. */
export type Columns<Row> = { readonly [Name in keyof Row & string]-?: ColumnKind<Row[Name]> };

export function query<Row>(sql: string, columns: Columns<Row>): Query<Row> {
  return { sql, columns };
}

/** Each kind as the cast that makes PostgreSQL's JSON hold what node-postgres would give (an oid as a number). */
const JSON_CASTS: Record<string, string> = {
  text: '::text',
  int: '::int',
  bool: '::bool',
  'text[]': '::text[]',
  'int[]': '::int[]',
  json: '',
};

/**
 * The query as one JSON value, an array of one array per row (columns in declared order), which
 * rowsFromJson turns into the rows node-postgres would give (each column cast to its declared kind: an oid
 * becomes a number). Introspection reads it this way: one native JSON.parse instead of node-postgres
 * parsing every field in JavaScript, much less work and garbage. The rows keep the query's ORDER BY
 * (json_agg reads its sorted subquery in order).
 */
export function jsonQuery(q: Query<unknown>): string {
  const columns = Object.entries(q.columns as Record<string, string>).map(
    ([name, kind]) => `q."${name}"${JSON_CASTS[kind.replace(/ \| null$/, '')]}`,
  );
  return `SELECT COALESCE(pg_catalog.json_agg(pg_catalog.json_build_array(${columns.join(', ')})), '[]')::text AS rows
    FROM (${q.sql}) q`;
}

/** The rows of a jsonQuery's result, as objects with the declared column names. */
export function rowsFromJson<Row>(q: Query<Row>, json: string): readonly Row[] {
  return rowMaker(q)(JSON.parse(json) as unknown[][]) as readonly Row[];
}

type RowMaker = (arrays: unknown[][]) => unknown[];
const rowMakers = new WeakMap<Query<unknown>, RowMaker>();

/**
 * Turns a query's arrays into row objects with one object literal naming every column: all rows of a query
 * share one shape, which the catalog builders read fast, and making them costs a third of setting each
 * property by a computed name (some 200,000 values a 400-table catalog). The names are the query's own
 * declared columns, never input.
 */
function rowMaker(q: Query<unknown>): RowMaker {
  let make = rowMakers.get(q);
  if (!make) {
    const fields = Object.keys(q.columns).map((name, c) => `${JSON.stringify(name)}: v[${c}]`);
    make = new Function(
      'arrays',
      `const rows = new Array(arrays.length);
      for (let i = 0; i < arrays.length; i++) { const v = arrays[i]; rows[i] = { ${fields.join(', ')} }; }
      return rows;`,
    ) as RowMaker;
    rowMakers.set(q, make);
  }
  return make;
}

/** The rows of a query. */
export type RowsOf<Q> = Q extends Query<infer Row> ? readonly Row[] : never;
