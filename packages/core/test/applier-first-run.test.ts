/**
 * A refused or failed first run leaves nothing behind (no gorp_migrations, no db_migrate schema), and
 * `up` on a database built before db-migrate says to baseline it.
 */
import { createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';
import { up } from '../src/applier/migrator';
import { formatMigrationFile } from '../src/migrations/format';
import { workspace } from './fleet-fixture';

const ws = workspace('first_run');
afterAll(() => ws.cleanup());

async function bookkeeping(url: string): Promise<string[]> {
  const rows = await query<{ name: string }>(
    url,
    "SELECT relname AS name FROM pg_class WHERE relname IN ('gorp_migrations', 'applied_checksums') UNION ALL SELECT nspname FROM pg_namespace WHERE nspname = 'db_migrate' ORDER BY 1",
  );
  return rows.map((r) => r.name);
}

const CUSTOMERS = {
  '0001_customers.sql': formatMigrationFile({
    up: ['CREATE TABLE customers (id bigint PRIMARY KEY)'],
    down: ['DROP TABLE customers'],
  }),
};

it('up on a database built before db-migrate fails with the baseline hint and leaves no bookkeeping', async () => {
  const set = await ws.migrations(CUSTOMERS);
  const url = await createTestDatabase('first_run_built');
  try {
    await query(url, 'CREATE TABLE customers (id bigint PRIMARY KEY)');
    const run = await up(url, set);
    expect(run.error?.message).toMatch(
      /already exists.*no migrations are recorded on .* but it already has tables: if its schema was built before db-migrate, adopt it with a baseline .*\(db-migrate baseline, or the apply action with mode: baseline\)/s,
    );
    expect(await bookkeeping(url)).toEqual([]);
  } finally {
    await dropTestDatabase(url);
  }
});

it('a first migration that fails on an empty database leaves no bookkeeping and no hint; existing bookkeeping stays', async () => {
  const set = await ws.migrations({
    '0001_bad.sql': formatMigrationFile({
      up: ['CREATE TABLE t (id bigint)', 'SELECT no_such_function()'],
      down: ['DROP TABLE t'],
    }),
  });
  const url = await createTestDatabase('first_run_bad');
  try {
    const run = await up(url, set);
    expect(run.error?.message).toMatch(/no_such_function/);
    expect(run.error?.message).not.toMatch(/baseline/);
    expect(await bookkeeping(url)).toEqual([]);
    // gorp_migrations made by sql-migrate before: a failed run leaves it where it was.
    await query(url, 'CREATE TABLE gorp_migrations (id text PRIMARY KEY, applied_at timestamptz)');
    await up(url, set);
    expect(await bookkeeping(url)).toEqual(['gorp_migrations']);
  } finally {
    await dropTestDatabase(url);
  }
});
