/**
 * Safety properties found missing in review, each against the real test server: a notransaction
 * migration that failed is never re-run by a retry (it would repeat statements, or meet its own invalid
 * index as drift and be reported postponed); a sync CREATE INDEX CONCURRENTLY that failed is not retried
 * into a false success; a migration that would end the applier's transaction (COMMIT in its body) is
 * refused before anything runs; a password with an unencoded "@" never leaks in part through redact();
 * and SIGINT or SIGTERM mid-fleet cancels the running migration (rolled back), starts nothing new while
 * cleanup runs, and still prints and writes the report.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestRepo } from '../../../test/support/git';
import { whileTransactionOpen } from '../../../test/support/open-transaction';
import { query } from '../../../test/support/pg';
import { redact } from '../src/redact';
import { registerUrlSecrets } from '../src/database-url';
import { applyFleet } from '../src/fleet/apply';
import { reportFails } from '../src/fleet/report';
import type { SchemaSource } from '../src/schema-source';
import { syncFleet } from '../src/fleet/sync';
import { FAST_RETRY, password, recordedIds, shadow, workspace } from './fleet-fixture';

const ws = workspace('safety');
afterAll(() => ws.cleanup());

/** A statement that always fails with SQLSTATE 40P01 (deadlock detected): a failure the fleet retries. */
const DEADLOCK = `DO $$ BEGIN RAISE EXCEPTION 'simulated deadlock' USING ERRCODE = '40P01'; END $$`;

describe('retries never re-run statements that already ran', () => {
  it('a notransaction migration failing transiently after its first statement is not retried', async () => {
    const set = await ws.migrations({
      '0001_counter.sql': {
        up: ['CREATE TABLE counter (n int NOT NULL)', 'INSERT INTO counter VALUES (0)'],
        down: ['DROP TABLE counter'],
      },
      '0002_bump.sql': {
        up: ['UPDATE counter SET n = n + 1', DEADLOCK],
        down: ['UPDATE counter SET n = n - 1'],
        upNoTransaction: true,
      },
    });
    const target = await ws.database(set, 1);
    const report = await applyFleet({ set, targets: [target], shadow: shadow(), retry: FAST_RETRY });
    const outcome = report.targets[0];
    expect(outcome.status).toBe('failed');
    // The UPDATE committed on its own; running the section again would add 1 a second time.
    expect(await query(target.url, 'SELECT n FROM counter')).toEqual([{ n: 1 }]);
    expect(outcome.attempts).toBe(1);
    expect(outcome.error).toMatch(/notransaction: the 1 statement\(s\) before it stay applied/);
    expect(await recordedIds(target.url)).toEqual(['0001_counter.sql']);
    // The pre-flight left the deadlock to the databases: what lies beyond it was not measured, and it says so.
    expect(outcome.warnings).toContainEqual(
      expect.stringMatching(/what the migrations beyond version 1 lose could not be measured/),
    );
  });

  it('a notransaction CREATE INDEX CONCURRENTLY that fails transiently is not retried: its invalid index would turn the failure into a postponement', async () => {
    const set = await ws.migrations({
      '0001_t.sql': { up: ['CREATE TABLE t (id int)'], down: ['DROP TABLE t'] },
      '0002_index.sql': {
        up: ['CREATE INDEX CONCURRENTLY t_id ON t (id)'],
        down: ['DROP INDEX CONCURRENTLY t_id'],
        upNoTransaction: true,
      },
    });
    const target = await ws.database(set, 1);
    // An open transaction that has written to t: the index build waits for it, past lock_timeout (55P03).
    // No lock retry budget: the first lock timeout is final, and the fleet does not try again either.
    await whileTransactionOpen(target.url, 'INSERT INTO t VALUES (1)', async () => {
      const report = await applyFleet({
        set,
        targets: [target],
        shadow: shadow(),
        retry: FAST_RETRY,
        lockTimeoutMs: 300,
        lockRetryBudgetMs: 0,
      });
      const outcome = report.targets[0];
      expect(outcome).toMatchObject({ status: 'failed', attempts: 1 });
      // Fails the job even where a postponement would only warn.
      expect(reportFails(report, { postponedIsWarning: true })).toBe(true);
      expect(outcome.error).toMatch(/0002_index\.sql .*lock timeout/);
      // The invalid index the build left cannot be dropped while the same transaction stays open: named, with what to run.
      expect(outcome.error).toMatch(
        /it left the invalid index public\.t_id, which could not be dropped .*: run DROP INDEX CONCURRENTLY IF EXISTS public\.t_id/,
      );
      expect(outcome.error).toMatch(/its schema now differs from the schema of version 1/);
    });
  });
});

describe('a migration cannot end the transaction it runs in', () => {
  it('COMMIT inside a transactional Up section: refused when the directory is read, before any target is touched', async () => {
    const set = await ws.migrations({ '0001_a.sql': { up: ['CREATE TABLE a (id int)'], down: ['DROP TABLE a'] } });
    const target = await ws.database(set, 1);
    const refused = ws.migrations({
      '0001_a.sql': { up: ['CREATE TABLE a (id int)'], down: ['DROP TABLE a'] },
      '0002_b.sql': {
        up: ['CREATE TABLE b (id int)', 'COMMIT', 'CREATE TABLE c (id int)'],
        down: ['DROP TABLE c', 'DROP TABLE b'],
      },
    });
    await expect(refused).rejects.toThrow(
      /0002_b\.sql line 4: COMMIT in the Up section: db-migrate runs the section and its tracking record in one transaction/,
    );
    // Nothing ran: the target is still at version 1.
    expect(await recordedIds(target.url)).toEqual(['0001_a.sql']);
    expect(await query(target.url, `SELECT 1 FROM pg_tables WHERE tablename = 'b'`)).toEqual([]);
  });
});

describe('redact()', () => {
  it('never leaves part of a password with an unencoded "@" behind', () => {
    const url = 'postgres://app:s3cr@tPass@db.example.com:5432/shop';
    registerUrlSecrets(url);
    for (const text of [`could not connect to ${url}`, `password=s3cr@tPass`, 'the password is s3cr@tPass']) {
      const out = redact(text);
      expect(out).not.toContain('s3cr');
      expect(out).not.toContain('tPass');
    }
    // The host stays readable: only the credentials go.
    expect(redact(`could not connect to ${url}`)).toBe('could not connect to postgres://***@db.example.com:5432/shop');
  });
});

/** The first of `databases` where a session runs `call` (pg_stat_activity), polled with a bound; undefined if none does. */
async function sleepingDatabase(databases: string[], call: string): Promise<string | undefined> {
  for (let i = 0; i < 400; i++) {
    const rows = await query<{ datname: string }>(
      shadow(),
      `SELECT datname FROM pg_stat_activity WHERE datname = ANY($1) AND query LIKE $2 AND pid <> pg_backend_pid()`,
      [databases, `%${call}%`],
    );
    if (rows[0]) return rows[0].datname;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return undefined;
}

describe('SIGINT in the middle of a fleet run (the CLI, in a child process)', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal}: the running migration is cancelled and rolled back, the report says applied / interrupted / not started, on stdout and in --json`, async () => {
      const first = { '0001_a.sql': { up: ['CREATE TABLE a (id int)'], down: ['DROP TABLE a'] } };
      const atOne = await ws.migrations(first);
      const targets = [
        await ws.database(atOne, 1, 't1'),
        await ws.database(atOne, 1, 't2'),
        await ws.database(atOne, 1, 't3'),
      ];
      const names = targets.map((t) => new URL(t.url).pathname.slice(1));
      // The migration sleeps on t2 only (not on the shadow copies): the child is caught in the middle of t2.
      const set = await ws.migrations({
        ...first,
        '0002_slow.sql': {
          up: [
            'CREATE TABLE slow (id int)',
            `SELECT CASE WHEN current_database() = '${names[1]}' THEN pg_sleep(600) END`,
          ],
          down: ['DROP TABLE slow'],
        },
      });
      const json = join(ws.dir, `interrupted-${signal}.json`);
      const args = [
        'apply',
        '--dir',
        set.dir,
        '--shadow',
        shadow(),
        '--concurrency',
        '1',
        '--json',
        json,
        ...targets.flatMap((t) => ['--database', `${t.name}=${t.url}`]),
      ];
      const child = spawn(
        process.execPath,
        ['-r', join(__dirname, '../../../scripts/register-ts.js'), join(__dirname, '../../cli/src/index.ts'), ...args],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

      // Wait until t2 sleeps inside migration 2 (t1 is done: one target at a time).
      expect(await sleepingDatabase(names, 'pg_sleep(600)')).toBe(names[1]);
      child.kill(signal);
      expect(await exited).toBe(signal === 'SIGINT' ? 130 : 143);

      // The report, on stdout and in the JSON file.
      expect(stdout).toMatch(/^t1 +\S+ +applied +1 → 2 /m);
      expect(stdout).toMatch(
        new RegExp(
          `^t2 +\\S+ +interrupted +1 +interrupted at version 1: .*interrupted by ${signal} during 0002_slow\\.sql: it was cut off and rolled back; it is left at version 1$`,
          'm',
        ),
      );
      expect(stdout).toMatch(
        new RegExp(
          `^t3 +\\S+ +not-started +not started: the run was interrupted by ${signal} before this target started$`,
          'm',
        ),
      );
      expect(stdout).toContain(`3 targets: 1 applied, 1 interrupted, 1 not-started (interrupted by ${signal})`);
      const report = JSON.parse(readFileSync(json, 'utf8'));
      expect(report.interrupted).toBe(signal);
      expect(report.targets.map((t: { name: string; status: string }) => [t.name, t.status])).toEqual([
        ['t1', 'applied'],
        ['t2', 'interrupted'],
        ['t3', 'not-started'],
      ]);
      expect(`${stdout}${stderr}`).not.toContain(password());

      // The sleep was cancelled, not left running; t2 rolled back, t3 untouched; no lock is left.
      expect(
        await query(
          shadow(),
          `SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(600)%' AND state = 'active' AND pid <> pg_backend_pid()`,
        ),
      ).toEqual([]);
      expect(await recordedIds(targets[0].url)).toEqual(['0001_a.sql', '0002_slow.sql']);
      for (const target of targets.slice(1)) {
        expect(await recordedIds(target.url)).toEqual(['0001_a.sql']);
        expect(await query(target.url, `SELECT 1 FROM pg_tables WHERE tablename = 'slow'`)).toEqual([]);
      }
    }, 60_000);
  }
});

describe('sync: a statement that failed outside the transaction is not retried', () => {
  it('CREATE INDEX CONCURRENTLY failing on a lock timeout stays a failure (its invalid index would look like success)', async () => {
    const repo = createTestRepo();
    try {
      mkdirSync(join(repo.dir, 'schema'));
      writeFileSync(join(repo.dir, 'schema', 'schema.sql'), 'CREATE TABLE t (id int);\nCREATE INDEX t_id ON t (id);\n');
      repo.commitAll('schema');
      const source: SchemaSource = { repoDir: repo.dir, schemaDir: 'schema', sqlFiles: ['schema.sql'] };
      const set = await ws.migrations({ '0001_t.sql': { up: ['CREATE TABLE t (id int)'], down: ['DROP TABLE t'] } });
      const target = await ws.database(set, 1);
      await whileTransactionOpen(target.url, 'INSERT INTO t VALUES (1)', async () => {
        const report = await syncFleet({
          targets: [target],
          source,
          shadow: shadow(),
          retry: FAST_RETRY,
          lockTimeoutMs: 300,
          lockRetryBudgetMs: 0,
        });
        expect(report.targets[0]).toMatchObject({ status: 'failed', attempts: 1 });
        expect(report.targets[0].error).toMatch(/CREATE INDEX CONCURRENTLY .*lock timeout/);
        // Its invalid index cannot be dropped while the same transaction stays open: named, with what to run.
        expect(report.targets[0].error).toMatch(
          /it left the invalid index public\.t_id, which could not be dropped .*: run DROP INDEX CONCURRENTLY IF EXISTS public\.t_id/,
        );
      });
    } finally {
      repo.remove();
    }
  });
});

describe('SIGINT while a slow cleanup runs', () => {
  it('no target is started, and no further migration run, after the signal', async () => {
    const set = await ws.migrations({
      '0001_a.sql': { up: ['CREATE TABLE a (id int)'], down: ['DROP TABLE a'] },
      '0002_slow.sql': { up: ['CREATE TABLE slow (id int)', 'SELECT pg_sleep(1)'], down: ['DROP TABLE slow'] },
      '0003_after.sql': { up: ['CREATE TABLE after_slow (id int)'], down: ['DROP TABLE after_slow'] },
    });
    const targets = [await ws.database(set, 1, 'i1'), await ws.database(set, 1, 'i2'), await ws.database(set, 1, 'i3')];
    const child = spawn(
      process.execPath,
      [
        '-r',
        join(__dirname, '../../../scripts/register-ts.js'),
        join(__dirname, 'fleet-interrupt-child.ts'),
        set.dir,
        shadow(),
        ...targets.map((t) => `${t.name}=${t.url}`),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const names = targets.map((t) => new URL(t.url).pathname.slice(1));
    const sleeping = await sleepingDatabase(names, 'pg_sleep(1)');
    expect(sleeping).toBeDefined();
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    // The interrupted target's running migration is cancelled and it starts no other; the other targets
    // are never touched.
    for (const target of targets) {
      const ids = await recordedIds(target.url);
      expect(ids).not.toContain('0003_after.sql');
      if (target.url !== targets[names.indexOf(sleeping!)].url) expect(ids).toEqual(['0001_a.sql']);
    }
    expect(output).not.toContain(password());
  }, 30_000);
});
