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

/** The rows of a query. */
export type RowsOf<Q> = Q extends Query<infer Row> ? readonly Row[] : never;
