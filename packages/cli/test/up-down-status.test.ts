import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminUrl, createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';
import { describeDatabase, formatMigrationFile, freePort, writeMigration } from '@db-migrate/core';
import { Client } from 'pg';
import { cli } from '../../../test/support/cli';
import { describeDuration } from '../../core/src/duration';
import { scaled } from '../../../test/support/time';

let dir: string;
let url: string;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'db-migrate-cli-'));
  url = await createTestDatabase('cli');
  mkdirSync(join(dir, 'migrations'));
  const metadata = {
    base_sha: 'a'.repeat(40),
    goal_sha: 'b'.repeat(40),
    schema_source: 'sql: schema/',
    generator: 'db-migrate test',
  };
  await writeMigration(join(dir, 'migrations'), {
    version: 1,
    name: 'users',
    sql: formatMigrationFile({ up: ['CREATE TABLE users (id int PRIMARY KEY)'], down: ['DROP TABLE users'] }),
    metadata,
  });
  await writeMigration(join(dir, 'migrations'), {
    version: 2,
    name: 'orders',
    sql: formatMigrationFile({ up: ['CREATE TABLE orders (id int REFERENCES users)'], down: ['DROP TABLE orders'] }),
    metadata,
  });
});
afterEach(async () => {
  await dropTestDatabase(url);
  rmSync(dir, { recursive: true, force: true });
});

const password = () => decodeURIComponent(new URL(adminUrl()).password);
const migrationsDir = () => join(dir, 'migrations');

describe('db-migrate up, down, status', () => {
  it('applies, shows and reverts migrations', async () => {
    const db = describeDatabase(url);
    const before = await cli(['status', '--dir', migrationsDir(), '--database', url]);
    expect(before.code).toBe(0);
    expect(before.stdout).toBe(
      'VERSION  MIGRATION        STATUS\n1        0001_users.sql   pending\n2        0002_orders.sql  pending\n' +
        `${db}: at version 0, 2 pending\n`,
    );

    const applied = await cli(['up', '--dir', migrationsDir(), '--database', url]);
    expect(applied.code).toBe(0);
    expect(applied.stderr).toMatch(/^0001_users\.sql: applied in \d+ ms\n0002_orders\.sql: applied in \d+ ms\n$/);
    expect(applied.stdout).toBe(`${db}: 2 migrations applied, now at version 2\n`);

    const after = await cli(['status', '--dir', migrationsDir(), '--database', url]);
    expect(after.stdout).toMatch(/^1 +0001_users\.sql +applied \d{4}-\d\d-\d\dT/m);
    expect(after.stdout).toContain(`${db}: at version 2, 0 pending`);

    const reverted = await cli(['down', '--dir', migrationsDir(), '--database', url, '--to', '1']);
    expect(reverted.code).toBe(0);
    expect(reverted.stdout).toBe(`${db}: 1 migration reverted, now at version 1\n`);
    expect(await query(url, `SELECT to_regclass('orders') AS t`)).toEqual([{ t: null }]);
  });

  it('takes the database from DATABASE_URL and the timeouts from options', async () => {
    const saved = process.env.DATABASE_URL;
    process.env.DATABASE_URL = url;
    try {
      const run = await cli([
        'up',
        '--dir',
        migrationsDir(),
        '--to',
        '1',
        '--lock-timeout',
        '1000',
        '--statement-timeout',
        '5000',
      ]);
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(`${describeDatabase(url)}: 1 migration applied, now at version 1\n`);
    } finally {
      if (saved === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = saved;
    }
  });

  it('a blocked migration: each attempt names the blocker on stderr, and the retry budget ends it with one clear line', async () => {
    expect((await cli(['up', '--dir', migrationsDir(), '--database', url, '--to', '1'])).code).toBe(0);
    // An application transaction that wrote to users: 0002's foreign key needs a lock that conflicts with it.
    const blocker = new Client({ connectionString: url, application_name: 'checkout' });
    await blocker.connect();
    try {
      const pid = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      await blocker.query('BEGIN');
      await blocker.query('INSERT INTO users VALUES (1)');
      // Two attempts: the budget holds two lock timeouts and the longest first pause (2 s) with 1.2 s to spare,
      // and never a third lock timeout after the shortest two pauses (1 s + 2 s). The blocker is looked up while
      // the statement waits, from half the lock timeout on: a bound that scales.
      const lockTimeoutMs = scaled(300);
      const budgetMs = 2 * lockTimeoutMs + 3200;
      const run = await cli([
        'up',
        '--dir',
        migrationsDir(),
        '--database',
        url,
        '--lock-timeout',
        String(lockTimeoutMs),
        '--lock-retry-budget',
        String(budgetMs),
      ]);
      expect(run.code).not.toBe(0);
      const where = `0002_orders.sql line 2 (up) on ${describeDatabase(url)}`;
      expect(run.stderr).toContain(
        `warning: ${join(migrationsDir(), where)}: ShareRowExclusiveLock on public.users not granted in ${lockTimeoutMs} ms, attempt 1; blocked by pid ${pid} (app 'checkout', idle in transaction`,
      );
      expect(run.stderr).toMatch(
        new RegExp(
          `lock timeout \\(lock not granted in ${lockTimeoutMs} ms on 2 attempts, the lock retry budget of ${describeDuration(budgetMs)} is spent; blocked by pid \\d+ \\(app 'checkout'`,
        ),
      );
      // What fixes it, as data from the core (MigrationError.remedies), worded as the CLI's flags on the error's line.
      expect(run.stderr).toMatch(
        /lock retry budget of .*; the migration was rolled back \(raise --lock-retry-budget; raise --lock-timeout\)\n/,
      );
      expect(run.stderr).not.toContain(password());
      expect(await query(url, `SELECT to_regclass('orders') AS t`)).toEqual([{ t: null }]);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }
  });

  it('fails with one clear line when a migration fails', async () => {
    writeFileSync(
      join(migrationsDir(), '0003_bad.sql'),
      formatMigrationFile({ up: ['CREATE TABLE bad (id int)', 'ALTER TABLE nope ADD x int'], down: [] }),
    );
    const run = await cli(['up', '--dir', migrationsDir(), '--database', url]);
    expect(run.code).toBe(1);
    const lines = run.stderr.trimEnd().split('\n');
    // The hand-written 0003 has no metadata: one warning line says so.
    expect(lines.shift()).toBe(
      `warning: 1 migration has no NNNN.json metadata in ${migrationsDir()} (fine for hand-written migrations): 0003_bad.sql`,
    );
    expect(lines.slice(0, 2)).toEqual([
      expect.stringMatching(/^0001_users\.sql: applied/),
      expect.stringMatching(/^0002_orders\.sql: applied/),
    ]);
    expect(lines.slice(2)).toEqual([
      `db-migrate up: ${join(migrationsDir(), '0003_bad.sql')} line 4 (up) on ${describeDatabase(url)}: statement "ALTER TABLE nope ADD x int;" failed: relation "nope" does not exist; the migration was rolled back`,
    ]);
    expect(run.stdout).toBe(`${describeDatabase(url)}: 2 migrations applied, now at version 2\n`);
    expect(await query(url, `SELECT to_regclass('bad') AS t`)).toEqual([{ t: null }]);
  });

  it('a statement cut off by --statement-timeout: the error line says to raise it (a remedy from the core)', async () => {
    writeFileSync(
      join(migrationsDir(), '0003_slow.sql'),
      formatMigrationFile({ up: ['SELECT pg_sleep(3600)'], down: [] }),
    );
    const run = await cli(['up', '--dir', migrationsDir(), '--database', url, '--statement-timeout', '200']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `db-migrate up: ${join(migrationsDir(), '0003_slow.sql')} line 2 (up) on ${describeDatabase(url)}: statement "SELECT pg_sleep(3600);" failed: canceling statement due to statement timeout; the migration was rolled back (raise --statement-timeout)`,
    );
    expect(run.stdout).toBe(`${describeDatabase(url)}: 2 migrations applied, now at version 2\n`);
  });

  it('fails with one line when nothing listens at the database address', async () => {
    const closed = new URL(url);
    closed.port = String(await freePort());
    const run = await cli(['up', '--dir', migrationsDir(), '--database', closed.toString()]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `db-migrate up: cannot connect to ${describeDatabase(closed.toString())}: connection refused (is PostgreSQL running and listening there?)\n`,
    );
    expect(run.stderr).not.toContain(password());
    expect(run.stdout).toBe('');
  });

  it('fails with one line and no password when the password is wrong', async () => {
    const wrong = new URL(url);
    wrong.password = 'wrong-password-456';
    for (const command of ['up', 'status']) {
      const run = await cli([command, '--dir', migrationsDir(), '--database', wrong.toString()]);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        `db-migrate ${command}: cannot connect to ${describeDatabase(url)}: password authentication failed for user "postgres"\n`,
      );
      expect(run.stderr + run.stdout).not.toContain('wrong-password-456');
      expect(run.stderr + run.stdout).not.toContain(password());
    }
  });

  it('names what is missing or wrong in the options', async () => {
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    try {
      expect((await cli(['up', '--dir', migrationsDir()])).stderr).toBe(
        'db-migrate up: missing --database <url> (or env:VAR, --targets <file> --target <name>, or the DATABASE_URL environment variable)\n',
      );
    } finally {
      if (saved !== undefined) process.env.DATABASE_URL = saved;
    }
    const noTarget = await cli(['down', '--dir', migrationsDir(), '--database', url]);
    expect(noTarget.code).toBe(1);
    expect(noTarget.stderr).toBe(
      'db-migrate down: missing --to N: the version to go back to (0 reverts every migration)\n',
    );
    const badDir = await cli(['status', '--dir', join(dir, 'nope'), '--database', url]);
    expect(badDir.stderr).toBe(`db-migrate status: migrations directory ${join(dir, 'nope')} does not exist\n`);
  });
});
