import { Client } from 'pg';

/**
 * Runs `fn` while another session holds a transaction open on `url` that has run `sql` (its locks held),
 * rolled back after.
 */
export async function whileTransactionOpen<T>(url: string, sql: string, fn: () => Promise<T>): Promise<T> {
  const blocker = new Client({ connectionString: url });
  await blocker.connect();
  try {
    await blocker.query('BEGIN');
    await blocker.query(sql);
    return await fn();
  } finally {
    await blocker.query('ROLLBACK').catch(() => undefined);
    await blocker.end();
  }
}
