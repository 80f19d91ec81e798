/**
 * One catalog query and the shape of its rows, as node-postgres returns them: int4 (and every `oid::int`) as
 * numbers, int8 and numeric as strings, bool as booleans, "char" and text as strings, arrays as arrays, jsonb
 * as parsed JSON, SQL NULL as null.
 */
export interface Query<Row> {
  readonly sql: string;
  /** Type only, never set: the row shape the rest of introspection reads. */
  readonly row?: Row;
}

export function query<Row>(sql: string): Query<Row> {
  return { sql };
}

/** The rows of a query. */
export type RowsOf<Q> = Q extends Query<infer Row> ? readonly Row[] : never;
