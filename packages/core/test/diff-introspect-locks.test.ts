import { Client } from 'pg';
import { type Catalog, introspect } from '../src/diff';
import { createTestDatabase, dropTestDatabase } from '../../../test/support/pg';
import { scaled, waitFor } from '../../../test/support/time';

/** Every object key of a catalog, by kind: what a drift comparison would see. */
function objectKeys(catalog: Catalog): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(catalog)
      .filter(([, value]) => value instanceof Map)
      .map(([kind, map]) => [kind, [...(map as Map<string, unknown>).keys()].sort()]),
  );
}

/** Resolves once a db-migrate session on `database` waits for a lock (what pg_stat_activity shows). */
async function waitForLockWait(observer: Client, database: string): Promise<void> {
  await waitFor(`a db-migrate session on ${database} waiting for a lock`, async () => {
    const { rows } = await observer.query(
      `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name = 'db-migrate' AND wait_event_type = 'Lock'`,
      [database],
    );
    return rows.length > 0;
  });
}

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
      // Waiting for ever would time the test out; it gives up with lock_timeout's SQLSTATE instead.
      await expect(introspect(url, { lockTimeoutMs: 300 })).rejects.toMatchObject({ code: '55P03' });
    } finally {
      await holder.query('ROLLBACK');
    }
    expect((await introspect(url, { lockTimeoutMs: 300 })).relations.size).toBe(2);
  });

  it('reads under one snapshot: a change committed while the read waits is not seen, not even in part', async () => {
    await holder.query(`CREATE TABLE u (id int PRIMARY KEY, note text)`);
    const before = objectKeys(await introspect(url));
    const observer = new Client({ connectionString: url });
    await observer.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE t IN ACCESS EXCLUSIVE MODE');
    try {
      // The read starts (its snapshot taken by its first query) and blocks on t part way through.
      const reading = introspect(url, { lockTimeoutMs: scaled(60_000) });
      await waitForLockWait(observer, observer.database!);
      // Objects of most kinds, committed while the read waits.
      await observer.query(`CREATE TABLE snap_new (id int PRIMARY KEY, label text UNIQUE);
        CREATE INDEX u_note ON u (note); CREATE SEQUENCE snap_seq; CREATE TYPE snap_mood AS ENUM ('ok');
        CREATE FUNCTION snap_f() RETURNS int LANGUAGE sql AS 'SELECT 1'; CREATE VIEW snap_v AS SELECT id FROM u;
        COMMENT ON TABLE u IS 'changed'`);
      await holder.query('ROLLBACK');
      const during = await reading;
      expect(objectKeys(during)).toEqual(before);
      expect(
        during.relations.get([...during.relations.keys()].find((k) => k.endsWith('.u'))!)?.comment ?? null,
      ).toBeNull();
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await observer.end();
    }
    // Read again, the whole change is there.
    const after = objectKeys(await introspect(url));
    expect(after.relations).toEqual(
      expect.arrayContaining([expect.stringContaining('snap_new'), expect.stringContaining('snap_v')]),
    );
    expect(after.indexes).toEqual(expect.arrayContaining([expect.stringContaining('u_note')]));
  });
});
