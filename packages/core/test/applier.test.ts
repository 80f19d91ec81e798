import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AddressInfo, createServer } from 'node:net';
import { Client } from 'pg';
import { adminUrl, createTestDatabase, databaseUrl, dropTestDatabase, query } from '../../../test/support/pg';
import { ADVISORY_LOCK_KEY } from '../src/applier/lock';
import { down, status, up } from '../src/applier/migrator';
import { appliedVersion } from '../../../test/support/applier';
import { ConfigurationError } from '../src/errors';
import { describeDatabase } from '../src/database-url';
import { memoryLogger } from '../../../test/support/logger';
import { waitFor } from '../../../test/support/time';
import { formatMigrationFile } from '../src/migrations/format';
import { formatMetadata } from '../src/migrations/metadata';
import { type MigrationSet, readMigrationDir } from '../src/migrations/store';
import { freePort } from '../src/postgres-server/local-server';

let dir: string;
let url: string;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'db-migrate-applier-'));
  url = await createTestDatabase('applier');
});
afterEach(async () => {
  await dropTestDatabase(url);
  rmSync(dir, { recursive: true, force: true });
});

async function migrations(files: Record<string, string>): Promise<MigrationSet> {
  mkdirSync(join(dir, 'm'), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'm', name), text);
  return readMigrationDir(join(dir, 'm'));
}

const table = (name: string) =>
  formatMigrationFile({ up: [`CREATE TABLE ${name} (id int)`], down: [`DROP TABLE ${name}`] });
const THREE = { '0001_a.sql': table('a'), '0002_b.sql': table('b'), '0003_c.sql': table('c') };

async function tables(): Promise<string[]> {
  const rows = await query<{ t: string }>(
    url,
    `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'gorp_migrations' ORDER BY 1`,
  );
  return rows.map((r) => r.t);
}
async function recorded(): Promise<string[]> {
  return (await query<{ id: string }>(url, 'SELECT id FROM gorp_migrations ORDER BY id')).map((r) => r.id);
}
const password = () => decodeURIComponent(new URL(adminUrl()).password);

describe('up, down and status', () => {
  it('applies pending migrations in order, records each, and reverts them newest first', async () => {
    const set = await migrations(THREE);
    expect(await status(url, set)).toMatchObject({
      currentVersion: 0,
      pending: ['0001_a.sql', '0002_b.sql', '0003_c.sql'],
      consistent: true,
    });
    const logger = memoryLogger();
    const first = await up(url, set, { to: 2, logger });
    expect(first.error).toBeUndefined();
    expect(first.results.map((r) => [r.version, r.fileName, r.direction, r.status, r.noTransaction])).toEqual([
      [1, '0001_a.sql', 'up', 'applied', false],
      [2, '0002_b.sql', 'up', 'applied', false],
    ]);
    expect(first.version).toBe(2);
    expect(logger.lines).toEqual([
      expect.stringMatching(/^0001_a\.sql: applied in \d+ ms$/),
      expect.stringMatching(/^0002_b\.sql: applied in \d+ ms$/),
    ]);
    expect(await tables()).toEqual(['a', 'b']);
    expect(await appliedVersion(url, set)).toBe(2);

    const rest = await up(url, set);
    expect(rest.results.map((r) => r.fileName)).toEqual(['0003_c.sql']);
    expect(await recorded()).toEqual(['0001_a.sql', '0002_b.sql', '0003_c.sql']);
    expect((await up(url, set)).results).toEqual([]);

    const back = await down(url, set, { to: 1 });
    expect(back.error).toBeUndefined();
    expect(back.results.map((r) => [r.fileName, r.direction, r.status])).toEqual([
      ['0003_c.sql', 'down', 'applied'],
      ['0002_b.sql', 'down', 'applied'],
    ]);
    expect(back.version).toBe(1);
    expect(await tables()).toEqual(['a']);
    expect(await recorded()).toEqual(['0001_a.sql']);
    const checksums = await query(url, 'SELECT id FROM db_migrate.applied_checksums ORDER BY id');
    expect(checksums).toEqual([{ id: '0001_a.sql' }]);
    expect((await down(url, set, { to: 0 })).version).toBe(0);
    expect(await tables()).toEqual([]);
  });

  it('rolls a failing migration back whole and names file, line, statement and database, never the password', async () => {
    const broken = formatMigrationFile({
      up: ['CREATE TABLE b (id int)', 'INSERT INTO b VALUES (1)', 'INSERT INTO b\n  SELECT id FROM no_such_table'],
      down: ['DROP TABLE b'],
    });
    const set = await migrations({ '0001_a.sql': table('a'), '0002_b.sql': broken, '0003_c.sql': table('c') });
    const run = await up(url, set);
    expect(run.results.map((r) => [r.fileName, r.status])).toEqual([
      ['0001_a.sql', 'applied'],
      ['0002_b.sql', 'failed'],
      ['0003_c.sql', 'not-run'],
    ]);
    expect(run.version).toBe(1);
    expect(run.error).toMatchObject({
      kind: 'sql',
      fileName: '0002_b.sql',
      version: 2,
      line: 7,
      sqlState: '42P01',
      database: describeDatabase(url),
    });
    expect(run.error!.message).toBe(
      `${join(dir, 'm', '0002_b.sql')} line 7 (up) on ${describeDatabase(url)}: statement "INSERT INTO b …" failed: ` +
        `relation "no_such_table" does not exist; the migration was rolled back`,
    );
    expect(run.error!.message).not.toContain(password());
    // The table created by the migration's first statement is gone, and nothing was recorded.
    expect(await tables()).toEqual(['a']);
    expect(await recorded()).toEqual(['0001_a.sql']);
  });

  it('runs notransaction sections statement by statement and records them after', async () => {
    const set = await migrations({
      '0001_a.sql': table('a'),
      '0002_index.sql': formatMigrationFile({
        up: ['CREATE INDEX CONCURRENTLY a_id ON a (id)'],
        upNoTransaction: true,
        down: ['DROP INDEX a_id'],
      }),
      '0003_half.sql': formatMigrationFile({
        up: ['CREATE TABLE half (id int)', 'SELECT 1/0'],
        upNoTransaction: true,
        down: ['DROP TABLE half'],
      }),
    });
    const run = await up(url, set);
    expect(run.results.map((r) => [r.fileName, r.status, r.noTransaction])).toEqual([
      ['0001_a.sql', 'applied', false],
      ['0002_index.sql', 'applied', true],
      ['0003_half.sql', 'failed', true],
    ]);
    expect(await query(url, `SELECT indexname FROM pg_indexes WHERE indexname = 'a_id'`)).toHaveLength(1);
    // Outside a transaction the first statement stays; the migration is not recorded.
    expect(run.error!.message).toMatch(
      /0003_half\.sql line 4 .*division by zero; notransaction: the 1 statement\(s\) before it stay applied and the migration is not recorded/,
    );
    expect(await tables()).toEqual(['a', 'half']);
    expect(await recorded()).toEqual(['0001_a.sql', '0002_index.sql']);
  });

  it('applies each migration exactly once when two runs start together', async () => {
    // Migration 2 waits until the test opens a gate (a row in a table): the first run is held inside it,
    // with the migration lock, until the second run is seen waiting for that lock.
    await query(url, 'CREATE TABLE gate (open boolean)');
    const set = await migrations({
      '0001_log.sql': formatMigrationFile({
        up: ['CREATE TABLE log (version int)', 'INSERT INTO log VALUES (1)'],
        down: ['DROP TABLE log'],
      }),
      '0002_gated.sql': formatMigrationFile({
        up: [
          'DO $$ BEGIN WHILE NOT EXISTS (SELECT 1 FROM gate) LOOP PERFORM pg_sleep(0.02); END LOOP; END $$',
          'INSERT INTO log VALUES (2)',
        ],
        down: ['DELETE FROM log WHERE version = 2'],
      }),
    });
    const [one, two] = [memoryLogger(), memoryLogger()];
    const first = up(url, set, { logger: one });
    await waitFor(
      'the first run to wait at the gate',
      async () =>
        (
          await query(
            url,
            `SELECT 1 FROM pg_stat_activity WHERE query LIKE '%FROM gate%' AND state = 'active' AND pid <> pg_backend_pid()`,
          )
        )[0],
      first,
    );
    const second = up(url, set, { logger: two });
    await waitFor(
      'the second run to wait for the migration lock',
      async () => two.lines.find((line) => /holds the migration lock; waiting/.test(line)),
      second,
    );
    await query(url, 'INSERT INTO gate VALUES (true)');
    const runs = await Promise.all([first, second]);
    expect(runs.map((r) => r.error)).toEqual([undefined, undefined]);
    expect(runs.map((r) => r.results.filter((x) => x.status === 'applied').length)).toEqual([2, 0]);
    expect(await query(url, 'SELECT version FROM log ORDER BY version')).toEqual([{ version: 1 }, { version: 2 }]);
  });

  it('gives up waiting for the lock after the lock-wait timeout, touching nothing', async () => {
    const set = await migrations(THREE);
    const holder = new Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_KEY]);
      // The run waits on the server (an ungranted advisory lock in pg_locks) and gives up while the holder still holds it.
      let settled = false;
      const pending = up(url, set, { lockWaitTimeoutMs: 300 }).finally(() => (settled = true));
      let waited = false;
      while (!waited && !settled) {
        const { rows } = await holder.query(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`);
        waited = rows.length > 0;
      }
      const run = await pending;
      expect(waited).toBe(true);
      // What fixes it, as data each front end words (remedy.ts).
      expect(run.error).toMatchObject({
        kind: 'lock-timeout',
        remedies: [{ kind: 'option', option: 'lockWaitTimeout', change: 'raise' }],
      });
      expect(run.error!.message).toBe(
        `${describeDatabase(url)}: another db-migrate run held the migration lock for more than 300 ms; gave up waiting`,
      );
      expect(run.results).toEqual([]);
    } finally {
      await holder.end();
    }
    expect(await tables()).toEqual([]);
    expect((await up(url, set)).results).toHaveLength(3); // the lock was released with the holder's session
  });

  it('refuses a hole below an applied migration instead of running it out of order', async () => {
    const set = await migrations(THREE);
    await up(url, set);
    await query(url, `DELETE FROM gorp_migrations WHERE id = '0002_b.sql'`);
    const current = await status(url, set);
    expect(current).toMatchObject({ holes: ['0002_b.sql'], consistent: false, currentVersion: 3 });
    const run = await up(url, set);
    expect(run.error).toMatchObject({ kind: 'inconsistent' });
    expect(run.error!.message).toMatch(
      /0002_b\.sql was never applied but the later 0003_c\.sql was; refusing to run it out of order/,
    );
    expect(run.results.map((r) => [r.fileName, r.status])).toEqual([['0002_b.sql', 'not-run']]);
    expect((await down(url, set, { to: 0 })).error).toMatchObject({ kind: 'inconsistent' });
    await expect(appliedVersion(url, set)).rejects.toThrow(ConfigurationError);
    expect(await tables()).toEqual(['a', 'b', 'c']);
  });

  it('refuses when the database has applied a migration the files do not have', async () => {
    const set = await migrations(THREE);
    await up(url, set);
    rmSync(join(dir, 'm', '0003_c.sql'));
    const two = await readMigrationDir(join(dir, 'm'));
    expect(await status(url, two)).toMatchObject({ appliedMissing: ['0003_c.sql'], consistent: false });
    const run = await up(url, two);
    expect(run.error!.message).toMatch(
      /gorp_migrations records 0003_c\.sql but that file is not in .*: the database is ahead of the migration files/,
    );
    expect((await down(url, two, { to: 1 })).error).toMatchObject({ kind: 'inconsistent' });
    expect(await tables()).toEqual(['a', 'b', 'c']);
  });

  it('refuses to revert a migration without a Down section or marked irreversible, before reverting anything', async () => {
    const set = await migrations({
      '0001_a.sql': table('a'),
      '0002_b.sql': formatMigrationFile({ up: ['CREATE TABLE b (id int)'] }),
      '0002.json': formatMetadata({ version: 2, name: 'b' }),
      '0003_c.sql': table('c'),
      '0003.json': formatMetadata({ version: 3, name: 'c', reversible: false, irreversible_reason: 'drops data' }),
    });
    await up(url, set);
    const run = await down(url, set, { to: 0 });
    expect(run.error).toMatchObject({ kind: 'irreversible' });
    expect(run.error!.message).toMatch(
      /0003_c\.sql is marked irreversible in .*0003\.json: drops data; .*0002_b\.sql has no "-- \+migrate Down" section/,
    );
    expect(run.results.map((r) => r.status)).toEqual(['not-run', 'not-run', 'not-run']);
    expect(await tables()).toEqual(['a', 'b', 'c']);
  });

  it('starts each migration from clean session settings plus the timeouts given', async () => {
    const set = await migrations({
      '0001_path.sql': formatMigrationFile({ up: ['SET search_path = nowhere', 'SELECT 1'], down: [] }),
      '0002_a.sql': table('a'),
      '0003_slow.sql': formatMigrationFile({ up: ['SELECT pg_sleep(2)'], down: [] }),
    });
    const run = await up(url, set, { statementTimeoutMs: 200, lockTimeoutMs: 100 });
    expect(run.results.map((r) => r.status)).toEqual(['applied', 'applied', 'failed']);
    expect(run.error).toMatchObject({ sqlState: '57014', fileName: '0003_slow.sql' });
    expect(run.error!.message).toMatch(/canceling statement due to statement timeout/);
    expect(await tables()).toEqual(['a']);
  });

  it('notices a file changed since it was applied', async () => {
    const set = await migrations(THREE);
    await up(url, set);
    const edited = await migrations({ '0002_b.sql': table('b') + '-- edited\n' });
    const logger = memoryLogger();
    expect((await status(url, edited)).migrations.map((m) => m.changedSinceApplied)).toEqual([false, true, false]);
    await up(url, edited, { logger });
    expect(logger.lines).toEqual([`warning: ${describeDatabase(url)}: 0002_b.sql has changed since it was applied`]);
  });

  it('refuses a target version that is not in the set', async () => {
    const set = await migrations(THREE);
    const run = await up(url, set, { to: 7 });
    expect(run.error).toMatchObject({ kind: 'invalid-target' });
    expect(run.error!.message).toMatch(/there is no migration version 7 in .* \(versions 1 to 3\)/);
    expect(await tables()).toEqual([]);
  });

  it('reports connection failures in one line without the password', async () => {
    const set = await migrations(THREE);
    const wrong = new URL(url);
    wrong.password = 'not-the-password-123';
    const badPassword = await up(wrong.toString(), set);
    expect(badPassword.error).toMatchObject({ kind: 'connection' });
    expect(badPassword.error!.message).toBe(
      `cannot connect to ${describeDatabase(url)}: password authentication failed for user "postgres"`,
    );

    const port = await freePort();
    const closed = new URL(url);
    closed.port = String(port);
    const refused = await up(closed.toString(), set, { connectTimeoutMs: 2000 });
    expect(refused.error!.message).toBe(
      `cannot connect to 127.0.0.1:${port}/${new URL(url).pathname.slice(1)}: connection refused (is PostgreSQL running and listening there?)`,
    );

    // A server that accepts the connection and never answers: the connect timeout ends the wait.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentUrl = `postgresql://postgres:secret-pw-789@127.0.0.1:${(silent.address() as AddressInfo).port}/app`;
    try {
      const hung = await up(silentUrl, set, { connectTimeoutMs: 300 });
      expect(hung.error!.message).toBe(`cannot connect to ${describeDatabase(silentUrl)}: no answer within 300 ms`);
    } finally {
      silent.close();
    }
    expect((await up('mysql://x@y/z', set)).error!.message).toBe(
      'the database URL is not a postgres:// or postgresql:// URL',
    );

    const missing = databaseUrl('no_such_database_here');
    await expect(status(missing, set)).rejects.toThrow(
      `cannot connect to ${describeDatabase(missing)}: the database does not exist`,
    );
    for (const message of [badPassword.error!.message, refused.error!.message]) {
      expect(message).not.toContain(password());
      expect(message).not.toContain('\n');
    }
  });
});
