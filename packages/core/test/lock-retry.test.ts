/**
 * Never queue behind a long query, on the real test server: a migration blocked by another session's
 * open transaction gives its lock request up after lock_timeout (so the application's queries go on),
 * names the blocker, pauses and tries again, and lands once the blocker ends; it gives up with a clear
 * error when the budget is spent; lock timeout 0 waits. A failed concurrent unique index leaves no
 * INVALID index, and drift names one left by hand. Every wait is on an event (a log line, a lock in
 * pg_locks), never on the clock. The migrations run as a non-superuser owner role.
 */
import { Client } from 'pg';
import { memoryLogger } from '../../../test/support/logger';
import { createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';
import { createRole, dropRoles, type TestRole } from '../../../test/support/roles';
import { concurrentBuild } from '../src/applier/invalid-index';
import { lockRetryPauseMs } from '../src/applier/lock-retry';
import { up } from '../src/applier/migrator';
import { describeDatabase } from '../src/database-url';
import { checkFleetDrift } from '../src/fleet/apply';
import { syncFleet } from '../src/fleet/sync';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestRepo } from '../../../test/support/git';
import { recordedIds, shadow, workspace } from './fleet-fixture';

const ws = workspace('locks');
const databases: string[] = [];
let owner: TestRole;

beforeAll(async () => {
  owner = await createRole('locks_owner');
});

afterAll(async () => {
  await Promise.all(databases.map((url) => dropTestDatabase(url)));
  await dropRoles();
  await ws.cleanup();
});

/** A database owned by the non-superuser role; returns the role's URL and the superuser's. */
async function ownedDatabase(): Promise<{ url: string; admin: string }> {
  const admin = await createTestDatabase('locks');
  databases.push(admin);
  await query(
    admin,
    `ALTER DATABASE "${new URL(admin).pathname.slice(1)}" OWNER TO "${owner.name}"; ALTER SCHEMA public OWNER TO "${owner.name}"`,
  );
  return { url: owner.urlFor(admin), admin };
}

/** Another session with `application_name`, holding a transaction open after running `sql`. */
async function openTransaction(
  url: string,
  sql: string,
  application: string,
): Promise<{ pid: number; end: () => Promise<void> }> {
  const client = new Client({ connectionString: url, application_name: application });
  await client.connect();
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  await client.query('BEGIN');
  await client.query(sql);
  let ended = false;
  return {
    pid,
    end: async () => {
      if (ended) return;
      ended = true;
      await client.query('COMMIT').catch(() => undefined);
      await client.end();
    },
  };
}

/** Polls `check` until it returns something truthy (bounded: a broken test fails instead of hanging). */
async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
): Promise<T> {
  for (let i = 0; i < 2400; i++) {
    const value = await check();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`never happened: ${what}`);
}

/** db-migrate's sessions that wait for a lock on `table` (pg_locks, not granted). */
const MIGRATION_WAITING = `SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
  WHERE NOT l.granted AND l.relation = $1::regclass AND a.application_name = 'db-migrate'`;

const ORDERS = {
  '0001_orders.sql': {
    up: [
      'CREATE TABLE orders (id int PRIMARY KEY, total int NOT NULL)',
      'INSERT INTO orders SELECT g, g FROM generate_series(1, 100) g',
    ],
    down: ['DROP TABLE orders'],
  },
  '0002_note.sql': { up: ['ALTER TABLE orders ADD COLUMN note text'], down: ['ALTER TABLE orders DROP COLUMN note'] },
};

describe('a migration blocked by a long transaction', () => {
  it('gives its lock request up in time (the application query behind it goes on), names the blocker, and lands once the blocker commits', async () => {
    const set = await ws.migrations(ORDERS);
    const { url } = await ownedDatabase();
    expect((await up(url, set, { to: 1 })).error).toBeUndefined();
    // The reporting query: a transaction that has read orders, still open.
    const reader = await openTransaction(url, 'SELECT count(*) FROM orders', 'reports');
    const logger = memoryLogger();
    try {
      const run = up(url, set, { logger, lockTimeoutMs: 1500, lockRetryBudgetMs: 120_000 });
      // The ALTER waits for its ACCESS EXCLUSIVE lock: an application read now queues behind it...
      await waitFor(
        'the migration waits for its lock',
        async () => (await query(url, MIGRATION_WAITING, ['orders']))[0],
      );
      const app = new Client({ connectionString: url, application_name: 'app' });
      await app.connect();
      try {
        const appPid = (await app.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
        let done = false;
        const read = app.query<{ n: string }>('SELECT count(*) AS n FROM orders').finally(() => (done = true));
        const queued = await waitFor('the read queues behind the migration, or is served', async () =>
          done
            ? 'served'
            : (
                await query(
                  url,
                  `SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted AND relation = 'orders'::regclass`,
                  [appPid],
                )
              )[0] && 'queued',
        );
        expect(queued).toBe('queued');
        // ...and is served while the reader still holds its transaction open: the lock request was withdrawn.
        expect((await read).rows[0].n).toBe('100');
        expect(await query(url, `SELECT state FROM pg_stat_activity WHERE pid = $1`, [reader.pid])).toEqual([
          { state: 'idle in transaction' },
        ]);
      } finally {
        await app.end();
      }
      const attempt = await waitFor('a failed attempt is reported', () =>
        logger.lines.find((l) => l.includes('attempt 1;')),
      );
      expect(attempt).toMatch(
        /^warning: .*0002_note\.sql line 2 \(up\) on .*: AccessExclusiveLock on public\.orders not granted in 1500 ms, attempt 1;/,
      );
      expect(attempt).toContain(`blocked by pid ${reader.pid} (app 'reports', idle in transaction, transaction open `);
      expect(attempt).toMatch(
        /"SELECT count\(\*\) FROM orders"\); \d+ other sessions? waiting for public\.orders; the migration was rolled back and runs again whole, next attempt in [\d.]+ s$/,
      );
      await reader.end();
      const result = await run;
      expect(result.error).toBeUndefined();
      expect(result.version).toBe(2);
      expect(await recordedIds(url)).toEqual(['0001_orders.sql', '0002_note.sql']);
    } finally {
      await reader.end();
    }
  }, 60_000);

  it('notransaction: retries only the statement that timed out; the ones before it stay and are not run again', async () => {
    const set = await ws.migrations({
      '0001_orders.sql': ORDERS['0001_orders.sql'],
      '0002_counter.sql': {
        up: ['CREATE TABLE counter (n int NOT NULL)', 'INSERT INTO counter VALUES (0)'],
        down: ['DROP TABLE counter'],
      },
      '0003_bump.sql': {
        up: ['UPDATE counter SET n = n + 1', 'ALTER TABLE orders ADD COLUMN note text'],
        down: ['ALTER TABLE orders DROP COLUMN note', 'UPDATE counter SET n = n - 1'],
        upNoTransaction: true,
      },
    });
    const { url } = await ownedDatabase();
    expect((await up(url, set, { to: 2 })).error).toBeUndefined();
    const reader = await openTransaction(url, 'SELECT count(*) FROM orders', 'reports');
    const logger = memoryLogger();
    try {
      const run = up(url, set, { logger, lockTimeoutMs: 300, lockRetryBudgetMs: 120_000 });
      const attempt = await waitFor('a failed attempt is reported', () =>
        logger.lines.find((l) => l.includes('attempt 1;')),
      );
      expect(attempt).toMatch(
        /0003_bump\.sql line 4 \(up\) .*not granted in 300 ms, attempt 1; blocked by pid \d+ .*the statement runs again/,
      );
      await reader.end();
      expect((await run).error).toBeUndefined();
      expect(await query(url, 'SELECT n FROM counter')).toEqual([{ n: 1 }]);
      expect(await recordedIds(url)).toContain('0003_bump.sql');
    } finally {
      await reader.end();
    }
  }, 60_000);

  it('gives up when the budget is spent, naming the database, file, line and blocker; nothing is applied', async () => {
    const set = await ws.migrations(ORDERS);
    const { url, admin } = await ownedDatabase();
    expect((await up(url, set, { to: 1 })).error).toBeUndefined();
    // A superuser's session: the owner role sees its pid and application, not its transaction or query.
    const reader = await openTransaction(admin, 'SELECT count(*) FROM orders', 'nightly-export');
    try {
      // The first pause (1-2 s) would end past the budget: one attempt.
      const run = await up(url, set, { lockTimeoutMs: 1000, lockRetryBudgetMs: 1500 });
      expect(run.error).toBeDefined();
      const message = run.error!.message;
      expect(message).toContain(`0002_note.sql line 2 (up) on ${describeDatabase(url)}`);
      expect(message).toMatch(
        /canceling statement due to lock timeout \(lock not granted in 1000 ms on 1 attempt, the lock retry budget of 1.5 s is spent; /,
      );
      expect(message).toContain(`blocked by pid ${reader.pid} (app 'nightly-export')`);
      expect(message).toContain('the migration was rolled back');
      expect(run.error!.sqlState).toBe('55P03');
      expect(await recordedIds(url)).toEqual(['0001_orders.sql']);
      expect(
        await query(
          url,
          `SELECT 1 FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'note'`,
        ),
      ).toEqual([]);
    } finally {
      await reader.end();
    }
  }, 60_000);

  it('lock timeout 0 waits for ever (reported as it waits), then lands', async () => {
    const set = await ws.migrations(ORDERS);
    const { url } = await ownedDatabase();
    expect((await up(url, set, { to: 1 })).error).toBeUndefined();
    const reader = await openTransaction(url, 'SELECT count(*) FROM orders', 'reports');
    const logger = memoryLogger();
    try {
      const run = up(url, set, { logger, lockTimeoutMs: 0 });
      // Reported after 10 s of waiting: far past any lock timeout, and still waiting, not failed.
      const waiting = await waitFor('the wait is reported', () =>
        logger.lines.find((l) => l.includes('lock timeout 0: no limit')),
      );
      expect(waiting).toMatch(
        /waiting for AccessExclusiveLock on public\.orders for \d+ s \(lock timeout 0: no limit\); blocked by pid \d+ \(app 'reports'/,
      );
      expect(await query(url, MIGRATION_WAITING, ['orders'])).toHaveLength(1);
      expect(logger.lines.filter((l) => l.includes('not granted'))).toEqual([]);
      await reader.end();
      expect((await run).error).toBeUndefined();
    } finally {
      await reader.end();
    }
  }, 60_000);
});

describe('a failed CREATE UNIQUE INDEX CONCURRENTLY', () => {
  it('leaves no INVALID index; the message names the index it dropped and the duplicate key', async () => {
    const set = await ws.migrations({
      '0001_patients.sql': {
        up: [
          'CREATE TABLE patients (id int PRIMARY KEY, mrn text NOT NULL)',
          "INSERT INTO patients VALUES (1, 'M1'), (2, 'M1'), (3, 'M2')",
        ],
        down: ['DROP TABLE patients'],
      },
      '0002_mrn.sql': {
        up: ['CREATE UNIQUE INDEX CONCURRENTLY patients_mrn_key ON patients (mrn)'],
        down: ['DROP INDEX CONCURRENTLY patients_mrn_key'],
        upNoTransaction: true,
        downNoTransaction: true,
      },
    });
    const { url } = await ownedDatabase();
    const run = await up(url, set);
    expect(run.version).toBe(1);
    const message = run.error!.message;
    expect(message).toMatch(
      /0002_mrn\.sql line 2 \(up\) on .*: statement "CREATE UNIQUE INDEX CONCURRENTLY patients_mrn_key ON patients \(mrn\);" failed: could not create unique index "patients_mrn_key"/,
    );
    expect(message).toContain(
      'the invalid index public.patients_mrn_key it left was dropped (Key (mrn)=(M1) is duplicated.)',
    );
    expect(await query(url, `SELECT indexrelid::regclass::text AS name FROM pg_index WHERE NOT indisvalid`)).toEqual(
      [],
    );
    expect(await query(url, `SELECT 1 FROM pg_class WHERE relname = 'patients_mrn_key'`)).toEqual([]);
    // Fixed data, the same migration lands.
    await query(url, `UPDATE patients SET mrn = 'M3' WHERE id = 2`);
    expect((await up(url, set)).error).toBeUndefined();
  }, 60_000);
});

describe('drift', () => {
  it('names an INVALID index left by a failed concurrent build by hand, with what to do', async () => {
    const set = await ws.migrations({
      '0001_patients.sql': {
        up: ['CREATE TABLE patients (id int PRIMARY KEY, mrn text NOT NULL)'],
        down: ['DROP TABLE patients'],
      },
    });
    const { url } = await ownedDatabase();
    expect((await up(url, set)).error).toBeUndefined();
    await query(url, `INSERT INTO patients VALUES (1, 'M1'), (2, 'M1')`);
    await expect(query(url, 'CREATE UNIQUE INDEX CONCURRENTLY patients_mrn_idx ON patients (mrn)')).rejects.toThrow(
      /could not create unique index/,
    );
    const report = await checkFleetDrift({
      set,
      targets: [{ name: 'p1', url, groups: [], database: describeDatabase(url) }],
      shadow: shadow(),
    });
    const outcome = report.targets[0];
    expect(outcome.status).toBe('drifted');
    expect(outcome.drift!.changes[0]).toBe(
      'invalid index public.patients_mrn_idx on public.patients (left by a failed CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY; never used, not enforced): ' +
        'drop it with DROP INDEX CONCURRENTLY public.patients_mrn_idx, or rebuild it with REINDEX INDEX CONCURRENTLY public.patients_mrn_idx',
    );
    expect(outcome.drift!.sql).toContain('-- invalid index public.patients_mrn_idx on public.patients');
  }, 60_000);
});

describe('sync', () => {
  /** Syncs the database at `url` to `schema` (one SQL file in a fresh git repository). */
  async function sync(
    url: string,
    schema: string,
    options: { lockTimeoutMs?: number; logger?: ReturnType<typeof memoryLogger> } = {},
  ) {
    const repo = createTestRepo();
    try {
      mkdirSync(join(repo.dir, 'schema'));
      writeFileSync(join(repo.dir, 'schema', 'schema.sql'), schema);
      repo.commitAll('schema');
      return await syncFleet({
        targets: [{ name: 'staging', url, groups: [], database: describeDatabase(url) }],
        source: { repoDir: repo.dir, schemaDir: 'schema', sqlFiles: ['schema.sql'] },
        shadow: shadow(),
        // Pre-checks would refuse the duplicates before anything runs: skipped, so the build itself fails.
        prechecks: { maxRows: 0 },
        ...options,
      });
    } finally {
      repo.remove();
    }
  }

  it('a failed concurrent unique index leaves no INVALID index; the error names it and the duplicate key', async () => {
    const { url } = await ownedDatabase();
    await query(
      url,
      `CREATE TABLE patients (id int PRIMARY KEY, mrn text NOT NULL); INSERT INTO patients VALUES (1, 'M1'), (2, 'M1')`,
    );
    const report = await sync(
      url,
      'CREATE TABLE patients (id int PRIMARY KEY, mrn text NOT NULL);\nCREATE UNIQUE INDEX patients_mrn_key ON patients (mrn);\n',
    );
    const outcome = report.targets[0];
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(
      /"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS patients_mrn_key ON public\.patien.*failed: could not create unique index "patients_mrn_key"/,
    );
    expect(outcome.error).toContain(
      'the invalid index public.patients_mrn_key it left was dropped (Key (mrn)=(M1) is duplicated.)',
    );
    expect(await query(url, `SELECT 1 FROM pg_index WHERE NOT indisvalid`)).toEqual([]);
  }, 60_000);

  it('a statement blocked by a long transaction is retried and lands once the blocker commits', async () => {
    const { url } = await ownedDatabase();
    await query(url, `CREATE TABLE patients (id int PRIMARY KEY, mrn text NOT NULL)`);
    const reader = await openTransaction(url, 'SELECT count(*) FROM patients', 'reports');
    const logger = memoryLogger();
    try {
      const run = sync(url, 'CREATE TABLE patients (id int PRIMARY KEY, mrn text NOT NULL, note text);\n', {
        lockTimeoutMs: 300,
        logger,
      });
      const attempt = await waitFor('a failed attempt is reported', () =>
        logger.lines.find((l) => l.includes('attempt 1;')),
      );
      expect(attempt).toMatch(
        new RegExp(
          `^warning: staging: .*: AccessExclusiveLock on public\\.patients not granted in 300 ms, attempt 1; blocked by pid ${reader.pid} \\(app 'reports'.*the transaction was rolled back and runs again whole`,
        ),
      );
      await reader.end();
      expect((await run).targets[0]).toMatchObject({ status: 'applied', attempts: 1 });
      expect(
        await query(
          url,
          `SELECT 1 FROM information_schema.columns WHERE table_name = 'patients' AND column_name = 'note'`,
        ),
      ).toHaveLength(1);
    } finally {
      await reader.end();
    }
  }, 60_000);
});

describe('the pieces', () => {
  it('recognises concurrent index builds and the table or index they name', () => {
    expect(concurrentBuild('CREATE UNIQUE INDEX CONCURRENTLY patients_mrn_key ON patients (mrn)')).toEqual({
      table: 'patients',
      name: 'patients_mrn_key',
    });
    expect(
      concurrentBuild(
        '-- why\ncreate index concurrently if not exists "Big_Idx" on only app."Orders" using btree (id)',
      ),
    ).toEqual({ table: 'app."Orders"', name: 'Big_Idx' });
    expect(concurrentBuild('CREATE INDEX CONCURRENTLY ON orders (total)')).toEqual({ table: 'orders' });
    expect(concurrentBuild('REINDEX (VERBOSE) INDEX CONCURRENTLY public.orders_total')).toEqual({
      index: 'public.orders_total',
    });
    expect(concurrentBuild('REINDEX TABLE CONCURRENTLY orders')).toEqual({ table: 'orders' });
    expect(concurrentBuild('CREATE INDEX orders_total ON orders (total)')).toBeUndefined();
  });

  it('pauses double from 1-2 s up to 15-30 s', () => {
    for (let i = 0; i < 50; i++) {
      const first = lockRetryPauseMs(1);
      expect(first).toBeGreaterThanOrEqual(1000);
      expect(first).toBeLessThanOrEqual(2000);
      const late = lockRetryPauseMs(12);
      expect(late).toBeGreaterThanOrEqual(15_000);
      expect(late).toBeLessThanOrEqual(30_000);
    }
  });
});
