/**
 * Safety properties found missing in review, each against the real test server: a notransaction
 * migration that failed is never re-run by a retry (it would repeat statements, or meet its own invalid
 * index as drift and be reported postponed); a sync CREATE INDEX CONCURRENTLY that failed is not retried
 * into a false success; a migration that would end the applier's transaction (COMMIT in its body) is
 * refused before anything runs; a password with an unencoded "@" never leaks in part through redact();
 * and an interruption mid-fleet (an aborted AbortSignal in-process; SIGTERM for the CLI) cancels the running
 * migration (rolled back), starts nothing after it, and still prints and writes the report.
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
import { waitFor } from '../../../test/support/time';
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

/** The database of `databases` where a session runs `call` (pg_stat_activity), once one does. */
function sleepingDatabase(databases: string[], call: string, unless?: Promise<unknown>): Promise<string> {
  return waitFor(
    `a session running ${call}`,
    async () => {
      const rows = await query<{ datname: string }>(
        shadow(),
        `SELECT datname FROM pg_stat_activity WHERE datname = ANY($1) AND query LIKE $2 AND state = 'active' AND pid <> pg_backend_pid()`,
        [databases, `%${call}%`],
      );
      return rows[0]?.datname;
    },
    unless,
  );
}

/** Three targets at version 1 and a set whose migration 2 sleeps on the second only, then a migration 3. */
async function fleetWithASleeper(prefix: string) {
  const first = { '0001_a.sql': { up: ['CREATE TABLE a (id int)'], down: ['DROP TABLE a'] } };
  const atOne = await ws.migrations(first);
  const targets = [
    await ws.database(atOne, 1, `${prefix}1`),
    await ws.database(atOne, 1, `${prefix}2`),
    await ws.database(atOne, 1, `${prefix}3`),
  ];
  const names = targets.map((t) => new URL(t.url).pathname.slice(1));
  // The migration sleeps on the second target only (not on the shadow copies): the run is caught in the middle of it.
  const set = await ws.migrations({
    ...first,
    '0002_slow.sql': {
      up: ['CREATE TABLE slow (id int)', `SELECT CASE WHEN current_database() = '${names[1]}' THEN pg_sleep(600) END`],
      down: ['DROP TABLE slow'],
    },
    '0003_after.sql': { up: ['CREATE TABLE after_slow (id int)'], down: ['DROP TABLE after_slow'] },
  });
  return { set, targets, names };
}

/** The sleep was cancelled, not left running; the second target rolled back and ran nothing after; the third is untouched. */
async function expectCutOffAtTheSecond(targets: readonly { url: string }[]): Promise<void> {
  expect(
    await query(
      shadow(),
      `SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(600)%' AND state = 'active' AND pid <> pg_backend_pid()`,
    ),
  ).toEqual([]);
  expect(await recordedIds(targets[0].url)).toEqual(['0001_a.sql', '0002_slow.sql', '0003_after.sql']);
  for (const target of targets.slice(1)) {
    expect(await recordedIds(target.url)).toEqual(['0001_a.sql']);
    expect(await query(target.url, `SELECT 1 FROM pg_tables WHERE tablename IN ('slow', 'after_slow')`)).toEqual([]);
  }
}

describe('an interruption in the middle of a fleet run (the AbortSignal passed in)', () => {
  it('the running migration is cancelled and rolled back, nothing starts after it, the report says applied / interrupted / not started', async () => {
    const { set, targets, names } = await fleetWithASleeper('a');
    const controller = new AbortController();
    const run = applyFleet({ set, targets, shadow: shadow(), concurrency: 1, signal: controller.signal });
    // Wait until the second target sleeps inside migration 2 (the first is done: one target at a time).
    expect(await sleepingDatabase(names, 'pg_sleep(600)', run)).toBe(names[1]);
    controller.abort('SIGINT');
    const report = await run;

    expect(report.interrupted).toBe('SIGINT');
    expect(report.targets.map((t) => [t.name, t.status])).toEqual([
      ['a1', 'applied'],
      ['a2', 'interrupted'],
      ['a3', 'not-started'],
    ]);
    expect(report.targets[1].error).toMatch(
      /interrupted by SIGINT during 0002_slow\.sql: it was cut off and rolled back; it is left at version 1$/,
    );
    expect(report.targets[2].error).toBe('the run was interrupted by SIGINT before this target started');
    await expectCutOffAtTheSecond(targets);
  });
});

describe('SIGTERM in the middle of a fleet run (the CLI, in a child process)', () => {
  it('reaches the run as its AbortSignal: the report is printed and written to --json, exit status 143', async () => {
    const { set, targets, names } = await fleetWithASleeper('c');
    const json = join(ws.dir, 'interrupted.json');
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
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const exitedEarly = exited.then((code) => `the CLI exited (${code}): ${stdout}${stderr}`);

    expect(await sleepingDatabase(names, 'pg_sleep(600)', exitedEarly)).toBe(names[1]);
    child.kill('SIGTERM');
    expect(await exited).toBe(143);

    expect(stdout).toMatch(/^c1 +\S+ +applied +1 → 3 /m);
    expect(stdout).toMatch(
      /^c2 +\S+ +interrupted +1 +interrupted at version 1: .*interrupted by SIGTERM during 0002_slow\.sql: it was cut off and rolled back; it is left at version 1$/m,
    );
    expect(stdout).toMatch(
      /^c3 +\S+ +not-started +not started: the run was interrupted by SIGTERM before this target started$/m,
    );
    expect(stdout).toContain('3 targets: 1 applied, 1 interrupted, 1 not-started (interrupted by SIGTERM)');
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.interrupted).toBe('SIGTERM');
    expect(report.targets.map((t: { name: string; status: string }) => [t.name, t.status])).toEqual([
      ['c1', 'applied'],
      ['c2', 'interrupted'],
      ['c3', 'not-started'],
    ]);
    expect(`${stdout}${stderr}`).not.toContain(password());
    await expectCutOffAtTheSecond(targets);
  });
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
