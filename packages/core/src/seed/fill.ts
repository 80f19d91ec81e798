/**
 * Puts synthetic rows in every user table that has none: plans them from the catalog (synthetic.ts) and
 * inserts them in one transaction, each row tried with wide values first and smaller ones after (each
 * attempt in a savepoint). A table that ends up without a row is named with PostgreSQL's reason.
 */
import type { Client } from 'pg';
import { introspect } from '../diff';
import { filterCatalog } from '../diff/filter';
import { errorMessage } from '../errors';
import { connectDatabase } from '../pg/connect';
import { countRows, type RowCounts } from './rows';
import { type UnfillableTable, planSyntheticRows } from './synthetic';

export interface FillResult {
  /** schema.name -> rows inserted. */
  readonly filled: ReadonlyMap<string, number>;
  readonly unfillable: readonly UnfillableTable[];
  /** The row counts of every user table before filling. */
  readonly found: RowCounts;
  /** The row counts of every user table afterwards. */
  readonly counts: RowCounts;
}

/**
 * Fills the empty tables of a database (a URL, or a connected client the caller keeps) with synthetic
 * rows. Throws only when the database cannot be reached.
 */
export async function fillEmptyTables(database: string | Client): Promise<FillResult> {
  const client = typeof database === 'string' ? await connectDatabase(database) : database;
  try {
    const before = await countRows(client);
    const empty = [...before].filter(([, t]) => t.rows === 0).map(([table]) => `rel:${table}`);
    if (empty.length === 0) return { filled: new Map(), unfillable: [], found: before, counts: before };
    const catalog = filterCatalog(await introspect(client), {});
    const plan = planSyntheticRows(catalog, new Set(empty));
    const filled = new Map<string, number>();
    const unfillable: UnfillableTable[] = [...plan.unfillable];
    await client.query('BEGIN');
    for (const table of plan.tables) {
      let inserted = 0;
      let lastError: string | undefined;
      for (const attempts of table.rows) {
        for (const statement of attempts) {
          await client.query('SAVEPOINT synthetic_row');
          try {
            const result = await client.query(statement);
            await client.query('RELEASE SAVEPOINT synthetic_row');
            if ((result.rowCount ?? 0) > 0) {
              inserted += result.rowCount ?? 0;
              break;
            }
            lastError = 'a table it references has no row to point at';
          } catch (error) {
            await client.query('ROLLBACK TO SAVEPOINT synthetic_row');
            lastError = errorMessage(error);
          }
        }
      }
      if (inserted > 0) filled.set(table.table, inserted);
      else unfillable.push({ table: table.table, reason: lastError ?? 'no row could be planned' });
    }
    await client.query('COMMIT');
    return { filled, unfillable, found: before, counts: await countRows(client) };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    if (typeof database === 'string') await client.end().catch(() => undefined);
  }
}
