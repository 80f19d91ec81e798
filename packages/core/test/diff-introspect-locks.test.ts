import { Client } from 'pg';
import { introspect } from '../src/diff';
import { createTestDatabase, dropTestDatabase } from '../../../test/support/pg';

/**
 * Reading a catalog must not wait for ever behind a migration holding an exclusive lock: the fleet's
 * consistency check would hang. It gives up with lock_timeout's SQLSTATE, which the fleet retries.
 */
describe('introspect behind an exclusive lock', () => {
  let url: string;
  let holder: Client;

  beforeAll(async () => {
    url = await createTestDatabase('introspect_lock');
    holder = new Client({ connectionString: url });
    await holder.connect();
    await holder.query(`CREATE TABLE t (id int PRIMARY KEY, note text DEFAULT 'x'); CREATE VIEW v AS SELECT id FROM t`);
  });

  afterAll(async () => {
    await holder.end();
    await dropTestDatabase(url);
  });

  it('reads the schema when nothing holds a lock', async () => {
    const catalog = await introspect(url);
    expect([...catalog.relations.values()].map((r) => `${r.kind} ${r.name}`).sort()).toEqual(['table t', 'view v']);
  });

  it('gives up with SQLSTATE 55P03 while a table is locked ACCESS EXCLUSIVE, then reads it once released', async () => {
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE t IN ACCESS EXCLUSIVE MODE');
    try {
      const started = Date.now();
      await expect(introspect(url, { lockTimeoutMs: 300 })).rejects.toMatchObject({ code: '55P03' });
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await holder.query('ROLLBACK');
    }
    expect((await introspect(url, { lockTimeoutMs: 300 })).relations.size).toBe(2);
  });
});
