import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createTestRepo, type TestRepo } from '../../../test/support/git';
import { createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';
import { diff } from '../src/diff';
import { ConfigurationError } from '../src/errors';
import { formatReportText, reportFails } from '../src/fleet/report';
import { resolveTargets, type Target } from '../src/fleet/targets';
import { memoryLogger } from '../../../test/support/logger';
import type { SchemaSource } from '../src/schema-source';
import { syncFleet } from '../src/fleet/sync';
import { whileTransactionOpen } from '../../../test/support/open-transaction';
import { shadow } from './fleet-fixture';

const V1 = `CREATE TYPE status AS ENUM ('new', 'active');
CREATE TABLE customers (id bigserial PRIMARY KEY, name text NOT NULL, status status NOT NULL DEFAULT 'new');
`;
// A new enum value used by a new check: ADD VALUE must be committed before the check can use it.
const V2 = `CREATE TYPE status AS ENUM ('new', 'active', 'closed');
CREATE TABLE customers (id bigserial PRIMARY KEY, name text NOT NULL, status status NOT NULL DEFAULT 'new',
  closed_at timestamptz, CONSTRAINT closed_has_date CHECK (status <> 'closed' OR closed_at IS NOT NULL));
CREATE INDEX customers_name ON customers (name);
`;
// A NOT NULL column without a default cannot be added to a table holding rows.
const V3 = V2 + `ALTER TABLE customers ADD COLUMN email text NOT NULL;
CREATE TABLE notes (id bigserial PRIMARY KEY, body text);
`;

let repo: TestRepo;
let source: SchemaSource;
const urls: string[] = [];

function commit(sql: string, message: string): string {
  writeFileSync(join(repo.dir, 'schema', 'schema.sql'), sql);
  return repo.commitAll(message);
}

async function stagingAt(sql: string, name: string): Promise<Target & { url: string }> {
  const url = await createTestDatabase('sync');
  urls.push(url);
  await query(url, sql);
  await query(url, `INSERT INTO customers (name) VALUES ('ada'), ('grace')`);
  return resolveTargets([{ name, url, groups: ['staging'], origin: 'test' }], {})[0] as Target & { url: string };
}

beforeAll(() => {
  repo = createTestRepo();
  mkdirSync(join(repo.dir, 'schema'));
  commit(V1, 'v1');
  source = { repoDir: repo.dir, schemaDir: 'schema', sqlFiles: ['schema.sql'] };
});
afterAll(async () => {
  await Promise.all(urls.map(dropTestDatabase));
  repo.remove();
});

describe('syncFleet', () => {
  it('dry run shows the statements; a real run applies them, keeps the data, and a re-run finds nothing', async () => {
    const v2 = commit(V2, 'v2');
    const a = await stagingAt(V1, 'staging-a');
    const b = await stagingAt(V1, 'staging-b');

    const plan = await syncFleet({ targets: [a, b], source, ref: 'main', shadow: shadow(), dryRun: true });
    expect(plan.target).toBe(`${v2.slice(0, 12)} (main)`);
    expect(plan.targets.map((t) => t.status)).toEqual(['pending', 'pending']);
    const sql = plan.targets[0].sync!.sql;
    expect(sql).toMatch(/ALTER TYPE "public"\."status" ADD VALUE IF NOT EXISTS 'closed'/);
    expect(sql).toMatch(/ADD COLUMN "closed_at"/);
    expect(plan.targets[0].outsideTransaction).toBe(1);
    expect(formatReportText(plan)).toMatch(/-- staging-a \(.*\): would run\n/);
    expect(await query(a.url, `SELECT 1 FROM information_schema.columns WHERE column_name = 'closed_at'`)).toHaveLength(0);

    const logger = memoryLogger();
    const report = await syncFleet({ targets: [a, b], source, ref: 'main', shadow: shadow(), logger });
    expect(report.targets.map((t) => [t.name, t.status, t.statements, t.outsideTransaction])).toEqual([
      ['staging-a', 'applied', plan.targets[0].statements, 1],
      ['staging-b', 'applied', plan.targets[1].statements, 1],
    ]);
    expect(logger.lines).toContainEqual(expect.stringMatching(/staging-a .*: synced: \d+ statements applied, 1 of them outside the transaction/));
    // Independently of the sync's own check: the staging schema equals a database built from v2.
    const reference = await createTestDatabase('sync_ref');
    urls.push(reference);
    await query(reference, V2);
    expect((await diff(a.url, reference)).statements).toEqual([]);
    expect(await query(a.url, `SELECT count(*)::int AS n FROM customers`)).toEqual([{ n: 2 }]);

    const again = await syncFleet({ targets: [a, b], source, ref: v2, shadow: shadow() });
    expect(again.targets.map((t) => t.status)).toEqual(['up-to-date', 'up-to-date']);
    expect(reportFails(again)).toBe(false);
  });

  it('an interruption cancels the statement waiting on a lock: that target is interrupted and rolled back, the next not started', async () => {
    commit(V2, 'v2');
    const a = await stagingAt(V2, 'waits');
    const b = await stagingAt(V2, 'after');
    const v3 = commit(V3 + `CREATE TABLE interrupted_marker (id int);\n`, 'v3 and a marker');
    const controller = new AbortController();
    const db = new URL(a.url).pathname.slice(1);
    const report = await whileTransactionOpen(a.url, 'SELECT * FROM customers', async () => {
      const running = syncFleet({ targets: [a, b], source, ref: v3, shadow: shadow(), concurrency: 1, signal: controller.signal });
      // The sync's ALTER TABLE waits for the lock the open transaction holds; then the run is stopped.
      let waiting = false;
      for (let i = 0; i < 600 && !waiting; i++) {
        waiting = (await query(a.url, `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND query LIKE 'ALTER TABLE%'`, [db])).length > 0;
        if (!waiting) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(waiting).toBe(true);
      controller.abort('SIGINT');
      return running;
    });
    expect(report.interrupted).toBe('SIGINT');
    expect(report.targets.map((t) => t.status)).toEqual(['interrupted', 'not-started']);
    expect(report.targets[0].error).toMatch(/canceling statement due to user request; the transaction was rolled back, nothing in it changed \(interrupted by SIGINT: the statement running was cancelled\)/);
    expect(report.targets[1].error).toBe('the run was interrupted by SIGINT before this target started');
    for (const target of [a, b]) expect(await query(target.url, `SELECT to_regclass('public.interrupted_marker') AS t`)).toEqual([{ t: null }]);
    expect(reportFails(report)).toBe(true);
  });

  it('a statement failing in the transaction rolls the whole sync of that target back', async () => {
    commit(V2, 'v2');
    const staging = await stagingAt(V2, 'staging');
    const empty = await createTestDatabase('sync_empty');
    urls.push(empty);
    await query(empty, V2);
    const [clean] = resolveTargets([{ name: 'empty', url: empty, groups: [], origin: 'test' }], {});
    const v3 = commit(V3, 'v3');
    const report = await syncFleet({ targets: [staging, clean], source, ref: v3, shadow: shadow() });
    expect(report.targets.map((t) => t.status)).toEqual(['failed', 'applied']);
    expect(report.targets[0].error).toMatch(/statement "ALTER TABLE .*customers.* ADD COLUMN "email" text NOT NULL.*" failed: column "email" of relation "customers" contains null values; the transaction was rolled back, nothing in it changed/);
    expect(report.targets[0].statements).toBe(0);
    // Nothing of v3 reached the failed target: no notes table either.
    expect(await query(staging.url, `SELECT to_regclass('public.notes') AS t`)).toEqual([{ t: null }]);
    expect(await query(empty, `SELECT to_regclass('public.notes') IS NOT NULL AS t`)).toEqual([{ t: true }]);
    expect(reportFails(report)).toBe(true);
  });

  it('never drops a column holding values, nor narrows a type, unless --allow names each: measured by OID in the transaction', async () => {
    const wide = V1 + `ALTER TABLE customers ADD COLUMN legacy text, ADD COLUMN unused text, ADD COLUMN code varchar(50);\n`;
    const staging = await stagingAt(wide, 'columns');
    await query(staging.url, `UPDATE customers SET legacy = 'x' || id, code = 'c' || id`);
    const narrow = commit(V1 + `ALTER TABLE customers ADD COLUMN code varchar(5);\n`, 'legacy and unused go, code narrows');
    const refused = await syncFleet({ targets: [staging], source, ref: narrow, shadow: shadow() });
    expect(refused.targets[0].status).toBe('refused');
    expect(refused.targets[0].error).toMatch(
      /: the sync would lose data it holds: public\.customers\.code \(narrows-type, 2 values\), public\.customers\.legacy \(drops-data, 2 values\); nothing was changed\. If that loss is intended, pass --allow 'narrows-type public\.customers\.code' --allow 'drops-data public\.customers\.legacy' \(/,
    );
    // The column holding only NULLs is no loss of data: not named.
    expect(refused.targets[0].error).not.toContain('unused');
    expect(await query(staging.url, `SELECT count(legacy)::int AS n FROM customers`)).toEqual([{ n: 2 }]);
    const allowed = await syncFleet({ targets: [staging], source, ref: narrow, shadow: shadow(), allow: ['drops-data public.customers.legacy', 'narrows-type public.customers.code'] });
    expect(allowed.targets[0].status).toBe('applied');
    expect(await query(staging.url, `SELECT string_agg(column_name, ',' ORDER BY column_name) AS c FROM information_schema.columns WHERE table_name = 'customers'`)).toEqual([{ c: 'code,id,name,status' }]);
  });

  it('a schema that cannot be built stops the run before any target is touched', async () => {
    commit('CREATE TABLE broken (;\n', 'broken');
    const staging = await stagingAt(V1, 'untouched');
    await expect(syncFleet({ targets: [staging], source, ref: 'main', shadow: shadow() })).rejects.toThrow(ConfigurationError);
    expect(await query(staging.url, `SELECT to_regclass('public.broken') AS t`)).toEqual([{ t: null }]);
  });
});
