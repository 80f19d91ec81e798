import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createTestRepo, type TestRepo } from '../../../test/support/git';
import { createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';
import { diff } from '../src/diff';
import { ConfigurationError } from '../src/errors';
import { formatReportText, reportFails } from '../src/fleet/report';
import { wordRemedy } from '../../cli/src/remedy-wording';
import { resolveTargets, type Target } from '../src/fleet/targets';
import { memoryLogger } from '../../../test/support/logger';
import type { SchemaSource } from '../src/schema-source';
import { syncFleet } from '../src/fleet/sync';
import { whileTransactionOpen } from '../../../test/support/open-transaction';
import { shadow } from './fleet-fixture';
import { waitFor } from '../../../test/support/time';

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
const V3 =
  V2 +
  `ALTER TABLE customers ADD COLUMN email text NOT NULL;
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
    // Online forms on customers (it holds rows): the check NOT VALID then validated, the index built CONCURRENTLY.
    expect(sql).toMatch(
      /ADD CONSTRAINT "closed_has_date" CHECK .* NOT VALID;[\s\S]*CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_name[\s\S]*VALIDATE CONSTRAINT "closed_has_date"/,
    );
    expect(plan.targets[0].outsideTransaction).toBe(2);
    expect(formatReportText(plan, wordRemedy)).toMatch(/-- staging-a \(.*\): would run\n/);
    expect(await query(a.url, `SELECT 1 FROM information_schema.columns WHERE column_name = 'closed_at'`)).toHaveLength(
      0,
    );

    const logger = memoryLogger();
    const report = await syncFleet({ targets: [a, b], source, ref: 'main', shadow: shadow(), logger });
    expect(report.targets.map((t) => [t.name, t.status, t.statements, t.outsideTransaction])).toEqual([
      ['staging-a', 'applied', plan.targets[0].statements, 2],
      ['staging-b', 'applied', plan.targets[1].statements, 2],
    ]);
    expect(logger.lines).toContainEqual(
      expect.stringMatching(/staging-a .*: synced: \d+ statements applied, 2 of them outside the transaction/),
    );
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

  it('runs the online steps one after the other on a table holding rows; --blocking-ddl (online: false) runs the plain forms', async () => {
    const base = V1 + `CREATE TABLE orders (id bigint, customer_id bigint, code text);\n`;
    const goal =
      V1 +
      `CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers (id), code text UNIQUE,\n` +
      `  token uuid NOT NULL DEFAULT gen_random_uuid());\nCREATE INDEX orders_code_lower ON orders (lower(code));\n`;
    const ref = commit(goal, 'orders get keys, a token and an index');
    const online = await stagingAt(base, 'online');
    const blocking = await stagingAt(base, 'blocking');
    for (const t of [online, blocking])
      await query(t.url, `INSERT INTO orders SELECT g, 1 + g % 2, 'o' || g FROM generate_series(1, 500) g`);

    const report = await syncFleet({ targets: [online], source, ref, shadow: shadow() });
    expect(report.targets[0]).toMatchObject({ status: 'applied' });
    const sql = report.targets[0].sync!.sql;
    expect(sql).toMatch(
      /NOT VALID;[\s\S]*CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "orders_pkey"[\s\S]*VALIDATE CONSTRAINT[\s\S]*PRIMARY KEY USING INDEX "orders_pkey"/,
    );
    expect(sql).toMatch(
      /NOT VALID;[\s\S]*UPDATE "public"\."orders" SET "token" = DEFAULT[\s\S]*VALIDATE CONSTRAINT "token_not_null_db_migrate"/,
    );
    expect(report.targets[0].outsideTransaction).toBe(4);
    const reference = await createTestDatabase('sync_ref');
    urls.push(reference);
    await query(reference, goal);
    expect((await diff(online.url, reference)).statements).toEqual([]);
    expect(await query(online.url, `SELECT count(DISTINCT token)::int AS n FROM orders`)).toEqual([{ n: 500 }]);
    expect(
      await query(
        online.url,
        `SELECT bool_and(convalidated) AS valid FROM pg_constraint WHERE conrelid = 'orders'::regclass`,
      ),
    ).toEqual([{ valid: true }]);
    expect(
      await query(
        online.url,
        `SELECT count(*)::int AS n FROM pg_index WHERE indrelid = 'orders'::regclass AND NOT indisvalid`,
      ),
    ).toEqual([{ n: 0 }]);

    const plain = await syncFleet({
      targets: [blocking],
      source,
      ref,
      shadow: shadow(),
      diffOptions: { online: false },
    });
    expect(plain.targets[0]).toMatchObject({ status: 'applied' });
    expect(plain.targets[0].outsideTransaction).toBeUndefined();
    expect(plain.targets[0].sync!.sql.replace(/^--.*$/gm, '')).not.toMatch(
      /CONCURRENTLY|NOT VALID|VALIDATE|USING INDEX/,
    );
    expect((await diff(blocking.url, reference)).statements).toEqual([]);
  });

  it('an interruption cancels the statement waiting on a lock: that target is interrupted and rolled back, the next not started', async () => {
    commit(V2, 'v2');
    const a = await stagingAt(V2, 'waits');
    const b = await stagingAt(V2, 'after');
    // A change the pre-checks pass (a nullable column), so the sync reaches its ALTER TABLE.
    const v3 = commit(
      V2 + `ALTER TABLE customers ADD COLUMN email text;\nCREATE TABLE interrupted_marker (id int);\n`,
      'email and a marker',
    );
    const controller = new AbortController();
    const db = new URL(a.url).pathname.slice(1);
    const report = await whileTransactionOpen(a.url, 'SELECT * FROM customers', async () => {
      const running = syncFleet({
        targets: [a, b],
        source,
        ref: v3,
        shadow: shadow(),
        concurrency: 1,
        signal: controller.signal,
        lockTimeoutMs: 0,
      });
      // The sync's ALTER TABLE waits for the lock the open transaction holds; then the run is stopped.
      await waitFor(
        'the ALTER TABLE waiting for its lock',
        async () =>
          (
            await query(
              a.url,
              `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND query LIKE 'ALTER TABLE%'`,
              [db],
            )
          ).length > 0,
        running,
      );
      controller.abort('SIGINT');
      return running;
    });
    expect(report.interrupted).toBe('SIGINT');
    expect(report.targets.map((t) => t.status)).toEqual(['interrupted', 'not-started']);
    expect(report.targets[0].error).toMatch(
      /canceling statement due to user request; the transaction was rolled back, nothing in it changed \(interrupted by SIGINT: the statement running was cancelled\)/,
    );
    expect(report.targets[1].error).toBe('the run was interrupted by SIGINT before this target started');
    for (const target of [a, b])
      expect(await query(target.url, `SELECT to_regclass('public.interrupted_marker') AS t`)).toEqual([{ t: null }]);
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
    // The pre-check would refuse the staging database before anything runs: skipped here (as on a table
    // above its size limit), the statement fails in the transaction.
    const refused = await syncFleet({ targets: [staging, clean], source, ref: v3, shadow: shadow(), dryRun: true });
    expect(refused.targets.map((t) => t.status)).toEqual(['refused', 'pending']);
    expect(refused.targets[0].error).toMatch(
      /: the sync: sync statement \d+ line 1: column .*email added NOT NULL without a default: \d+ rows hold NULL, e\.g\. id=1/,
    );
    const report = await syncFleet({
      targets: [staging, clean],
      source,
      ref: v3,
      shadow: shadow(),
      prechecks: { maxRows: 0 },
    });
    expect(report.targets.map((t) => t.status)).toEqual(['failed', 'applied']);
    expect(report.targets[0].error).toMatch(
      /statement "ALTER TABLE .*customers.* ADD COLUMN "email" text NOT NULL.*" failed: column "email" of relation "customers" contains null values; the transaction was rolled back, nothing in it changed/,
    );
    expect(report.targets[0].statements).toBe(0);
    // Nothing of v3 reached the failed target: no notes table either.
    expect(await query(staging.url, `SELECT to_regclass('public.notes') AS t`)).toEqual([{ t: null }]);
    expect(await query(empty, `SELECT to_regclass('public.notes') IS NOT NULL AS t`)).toEqual([{ t: true }]);
    expect(reportFails(report)).toBe(true);
  });

  it('never drops a column holding values unless --allow names it; a narrowing whose values all fit loses nothing: measured by OID in the transaction', async () => {
    const wide =
      V1 + `ALTER TABLE customers ADD COLUMN legacy text, ADD COLUMN unused text, ADD COLUMN code varchar(50);\n`;
    const staging = await stagingAt(wide, 'columns');
    await query(staging.url, `UPDATE customers SET legacy = 'x' || id, code = 'c' || id`);
    const narrow = commit(
      V1 + `ALTER TABLE customers ADD COLUMN code varchar(5);\n`,
      'legacy and unused go, code narrows',
    );
    const refused = await syncFleet({ targets: [staging], source, ref: narrow, shadow: shadow() });
    expect(refused.targets[0].status).toBe('refused');
    expect(refused.targets[0].error).toMatch(
      /: the sync would lose data it holds: public\.customers\.legacy \(drops-data, 2 values\); nothing was changed\. If that loss is intended, acknowledge it/,
    );
    expect(refused.targets[0].remedies).toEqual([{ kind: 'allow', value: 'drops-data public.customers.legacy' }]);
    // The column holding only NULLs is no loss of data: not named.
    expect(refused.targets[0].error).not.toContain('unused');
    expect(await query(staging.url, `SELECT count(legacy)::int AS n FROM customers`)).toEqual([{ n: 2 }]);
    const allow = ['drops-data public.customers.legacy'];
    const allowed = await syncFleet({ targets: [staging], source, ref: narrow, shadow: shadow(), allow });
    expect(allowed.targets[0].status).toBe('applied');
    expect(
      await query(
        staging.url,
        `SELECT string_agg(column_name, ',' ORDER BY column_name) AS c FROM information_schema.columns WHERE table_name = 'customers'`,
      ),
    ).toEqual([{ c: 'code,id,name,status' }]);
  });

  it('an undeclared narrowing runs on the client whose values all fit and is refused on the one whose values do not', async () => {
    const wide = V1 + `ALTER TABLE customers ADD COLUMN code varchar(50);\n`;
    const [fits, long] = [await stagingAt(wide, 'fits'), await stagingAt(wide, 'long')];
    await query(fits.url, `UPDATE customers SET code = 'c' || id`);
    await query(long.url, `UPDATE customers SET code = CASE WHEN id = 1 THEN 'c1' ELSE 'much-too-long' END`);
    const narrow = commit(V1 + `ALTER TABLE customers ADD COLUMN code varchar(5);\n`, 'code narrows');
    const report = await syncFleet({ targets: [fits, long], source, ref: narrow, shadow: shadow() });
    expect(report.targets.map((t) => t.status)).toEqual(['applied', 'refused']);
    // The pre-check finds the value that would be cut before anything runs; declaring the loss does not cut it either.
    expect(report.targets[1].error).toMatch(/public\.customers\.code/);
    const declared = await syncFleet({
      targets: [long],
      source,
      ref: narrow,
      shadow: shadow(),
      allow: ['narrows-type public.customers.code'],
    });
    expect(declared.targets[0].status).toBe('refused');
    // Without the pre-checks, the guard before the type change stops it on the value that would be cut.
    const guarded = await syncFleet({
      targets: [long],
      source,
      ref: narrow,
      shadow: shadow(),
      allow: ['narrows-type public.customers.code'],
      prechecks: { maxRows: 0 },
    });
    expect(guarded.targets[0].status).toBe('failed');
    expect(guarded.targets[0].error).toMatch(
      /column public\.customers\.code: converting character varying\(50\) to character varying\(5\) would change the value much-too-long; the transaction was rolled back, nothing in it changed/,
    );
    expect(
      await query(
        long.url,
        `SELECT string_agg(code, ',' ORDER BY id) AS c, format_type(atttypid, atttypmod) AS t FROM customers, pg_attribute WHERE attrelid = 'customers'::regclass AND attname = 'code' GROUP BY 2`,
      ),
    ).toEqual([{ c: 'c1,much-too-long', t: 'character varying(50)' }]);
    expect(await query(fits.url, `SELECT string_agg(code, ',' ORDER BY id) AS c FROM customers`)).toEqual([
      { c: 'c1,c2' },
    ]);
  });

  it('a schema that cannot be built stops the run before any target is touched', async () => {
    commit('CREATE TABLE broken (;\n', 'broken');
    const staging = await stagingAt(V1, 'untouched');
    await expect(syncFleet({ targets: [staging], source, ref: 'main', shadow: shadow() })).rejects.toThrow(
      ConfigurationError,
    );
    expect(await query(staging.url, `SELECT to_regclass('public.broken') AS t`)).toEqual([{ t: null }]);
  });
});
