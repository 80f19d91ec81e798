/**
 * Apply's safety before the fleet, on real databases: the pre-flight runs the pending migrations on
 * copies of each starting version (and seeded copies) and refuses the run before any target changes;
 * --max-failures stops the rollout; a dry run names the targets with rows a fails-on-existing-rows
 * statement meets, and what a run would lose on each target (dry run or not).
 */
import { writeFileSync } from 'node:fs';
import { query } from '../../../test/support/pg';
import { applyFleet } from '../src/fleet/apply';
import { formatReportText, reportFails } from '../src/fleet/report';
import { wordRemedy } from '../../cli/src/remedy-wording';
import { FAST_RETRY, SHOP, columns, recordedIds, shadow, workspace } from './fleet-fixture';

const ws = workspace('preflight');
afterAll(() => ws.cleanup());

const ADD_TIER = {
  '0006_customer_tier.sql': {
    up: ['ALTER TABLE customers ADD COLUMN tier text NOT NULL'],
    down: ['ALTER TABLE customers DROP COLUMN tier'],
  },
};
const withRows = (url: string) => query(url, "INSERT INTO customers (name) VALUES ('Ada'), ('Grace')");

test('a migration that fails on the starting versions is refused before any target changes, naming file, line and version', async () => {
  const set = await ws.migrations({
    ...SHOP,
    '0006_grant.sql': {
      up: ['ALTER TABLE customers ADD COLUMN note text', 'GRANT SELECT ON customers TO no_such_role'],
      down: ['ALTER TABLE customers DROP COLUMN note'],
    },
  });
  const targets = [
    await ws.database(set, 3, 'at-3'),
    await ws.database(set, 5, 'at-5a'),
    await ws.database(set, 5, 'at-5b'),
  ];
  const before = await Promise.all(targets.map((t) => columns(t.url)));
  const report = await applyFleet({ set, targets, shadow: shadow(), retry: FAST_RETRY });

  expect(report.targets.map((t) => t.status)).toEqual(['not-started', 'not-started', 'not-started']);
  expect(report.counts['not-started']).toBe(3);
  expect(reportFails(report)).toBe(true);
  // Without a seed the chain from the empty database rehearses every target's pending migrations.
  expect(report.preflight?.fromVersions).toEqual([0]);
  const failures = report.preflight!.failures;
  expect(failures.map((f) => [f.fromVersion, f.fileName, f.line])).toEqual([[0, '0006_grant.sql', expect.any(Number)]]);
  expect(failures[0].error).toMatch(
    /^pre-flight from the empty database: .*0006_grant\.sql line \d+ \(up\).*GRANT SELECT ON customers TO no_such_role.*role "no_such_role" does not exist/,
  );
  expect(report.targets[0].error).toMatch(
    /^the pre-flight failed, so no database was touched: pre-flight from the empty database/,
  );
  expect(formatReportText(report, wordRemedy)).toContain(
    'pre-flight FAILED from the empty database: no database was touched',
  );
  // Not one target changed.
  expect(await Promise.all(targets.map((t) => columns(t.url)))).toEqual(before);
  expect(await recordedIds(targets[0].url)).toHaveLength(3);
  expect(await recordedIds(targets[1].url)).toHaveLength(5);
});

test('with a seed, the pre-flight also runs on a seeded copy: a NOT NULL column without default is refused before the fleet', async () => {
  const set = await ws.migrations({ ...SHOP, ...ADD_TIER });
  const targets = [await ws.database(set, 5, 'empty-a'), await ws.database(set, 5, 'empty-b')];
  const seedDir = ws.dir;
  writeFileSync(`${seedDir}/seed.sql`, "INSERT INTO customers (name) VALUES ('Ada');\n");
  const seeded = await applyFleet({
    set,
    targets,
    shadow: shadow(),
    seed: { sqlFiles: ['seed.sql'], dir: seedDir },
    retry: FAST_RETRY,
  });
  expect(seeded.targets.map((t) => t.status)).toEqual(['not-started', 'not-started']);
  expect(seeded.preflight?.seed).toBe('seed SQL: seed.sql');
  expect(seeded.preflight?.failures.map((f) => [f.fromVersion, f.seeded])).toEqual([[5, true]]);
  expect(seeded.preflight?.failures[0].error).toMatch(
    /^pre-flight from version 5 \(seeded copy\): .*0006_customer_tier\.sql line \d+ \(up\).*column "tier" of relation "customers" contains null values/,
  );
  expect(await recordedIds(targets[0].url)).toHaveLength(5);
  // Without the seed the copies are empty, the pre-flight passes, and these empty targets migrate.
  const plain = await applyFleet({ set, targets, shadow: shadow(), retry: FAST_RETRY });
  expect(plain.preflight?.failures).toEqual([]);
  expect(plain.targets.map((t) => t.status)).toEqual(['applied', 'applied']);
});

test('--max-failures stops the rollout after the first target whose migration failed; the rest are not started', async () => {
  const set = await ws.migrations({ ...SHOP, ...ADD_TIER });
  const targets = await Promise.all(['c1', 'c2', 'c3', 'c4'].map((name) => ws.database(set, 5, name)));
  for (const t of targets) await withRows(t.url);
  // The pre-check that would refuse these targets first is skipped as on a table above its size limit.
  const skipPrechecks = { maxRows: 0 };
  const report = await applyFleet({
    set,
    targets,
    shadow: shadow(),
    concurrency: 1,
    maxFailures: 1,
    retry: FAST_RETRY,
    prechecks: skipPrechecks,
  });
  expect(report.targets.map((t) => t.status)).toEqual(['failed', 'not-started', 'not-started', 'not-started']);
  expect(report.targets[0].failedMigration).toBe('0006_customer_tier.sql');
  expect(report.targets[1].error).toBe('the rollout stopped after 1 target whose migration failed (the limit is 1)');
  expect(report.targets[1].remedies).toEqual([{ kind: 'option', option: 'maxFailures', change: 'raise' }]);
  expect(formatReportText(report, wordRemedy)).toContain(
    'not started: the rollout stopped after 1 target whose migration failed (the limit is 1) (raise --max-failures)',
  );
  for (const t of targets) expect(await recordedIds(t.url)).toHaveLength(5);
  // Without the limit every target is tried (and fails on its rows).
  const all = await applyFleet({
    set,
    targets,
    shadow: shadow(),
    concurrency: 1,
    retry: FAST_RETRY,
    prechecks: skipPrechecks,
  });
  expect(all.targets.map((t) => t.status)).toEqual(['failed', 'failed', 'failed', 'failed']);
});

test('a dry run names the targets that have rows in a table a fails-on-existing-rows statement touches', async () => {
  const metadata = JSON.stringify({
    version: 6,
    name: 'customer_tier',
    hazards: [
      {
        code: 'fails-on-existing-rows',
        message: 'adds column public.customers.tier NOT NULL without a default: fails if the table has rows',
        table: 'public.customers',
      },
    ],
  });
  const set = await ws.migrations({ ...SHOP, ...ADD_TIER, '0006.json': metadata });
  const full = await ws.database(set, 5, 'with-rows');
  await withRows(full.url);
  const empty = await ws.database(set, 5, 'no-rows');
  const behind = await ws.database(set, 3, 'behind');
  await withRows(behind.url);
  // With the pre-checks skipped (as on tables above their size limit); with them, see fleet-prechecks.test.ts.
  const report = await applyFleet({
    set,
    targets: [full, empty, behind],
    shadow: shadow(),
    dryRun: true,
    prechecks: { maxRows: 0 },
  });
  expect(report.targets.map((t) => [t.name, t.status, t.rowsAtRisk])).toEqual([
    ['with-rows', 'pending', ['public.customers (0006_customer_tier.sql)']],
    ['no-rows', 'pending', undefined],
    ['behind', 'pending', ['public.customers (0006_customer_tier.sql)']],
  ]);
  expect(formatReportText(report, wordRemedy)).toMatch(
    /with-rows .*would apply 5 → 6: 0006_customer_tier\.sql; has rows in public\.customers \(0006_customer_tier\.sql\), which a fails-on-existing-rows statement touches/,
  );
  // The dry run rehearses on copies too (no target is touched), so it says what the real run would refuse.
  expect(report.preflight?.failures).toEqual([]);
});

test('a revert whose Down would lose data a target holds is refused there, nothing run, until --allow names each loss', async () => {
  const set = await ws.migrations(SHOP);
  const filled = await ws.database(set, 5, 'rv-filled');
  await query(filled.url, "INSERT INTO customers (name, email) VALUES ('Ada', 'ada@example.com')");
  const blank = await ws.database(set, 5, 'rv-blank');
  await withRows(blank.url); // rows, but the column the revert drops holds only NULLs
  const ordered = await ws.database(set, 5, 'rv-ordered');
  await query(
    ordered.url,
    "INSERT INTO customers (name) VALUES ('Ada'); INSERT INTO orders (customer_id, total) SELECT id, 5 FROM customers",
  );

  const refused = await applyFleet({
    set,
    targets: [filled, blank, ordered],
    shadow: shadow(),
    to: 1,
    retry: FAST_RETRY,
  });
  expect(refused.targets.map((t) => [t.name, t.status])).toEqual([
    ['rv-filled', 'refused'],
    ['rv-blank', 'applied'],
    ['rv-ordered', 'refused'],
  ]);
  expect(refused.targets[0].error).toMatch(
    /: reverting from version 5 to 1 would lose data it holds: public\.customers\.email \(drops-data, 1 value\); nothing was run\. If that loss is intended, acknowledge it$/,
  );
  // What would let it run is data; the CLI words it as its flag.
  expect(refused.targets[0].remedies).toEqual([{ kind: 'allow', value: 'drops-data public.customers.email' }]);
  expect(refused.targets[2].error).toContain('public.orders (drops-data, 1 row)');
  expect(refused.targets[2].remedies).toContainEqual({ kind: 'allow', value: 'drops-data public.orders' });
  expect(formatReportText(refused, wordRemedy)).toContain("(pass --allow 'drops-data public.orders')");
  expect(refused.targets[2].error).not.toContain('customers.email');
  expect(await recordedIds(filled.url)).toHaveLength(5);
  expect(await columns(filled.url)).toContain('customers.email text');
  expect(await recordedIds(blank.url)).toHaveLength(1);

  // One acknowledgement allows one loss only; with both named, the reverts run.
  const half = await applyFleet({
    set,
    targets: [ordered],
    shadow: shadow(),
    to: 1,
    allow: ['drops-data public.customers.email'],
    retry: FAST_RETRY,
  });
  expect(half.targets[0].status).toBe('refused');
  const allowed = await applyFleet({
    set,
    targets: [filled, ordered],
    shadow: shadow(),
    to: 1,
    allow: ['drops-data public.customers.email', 'drops-data public.orders'],
    retry: FAST_RETRY,
  });
  expect(allowed.targets.map((t) => t.status)).toEqual(['applied', 'applied']);
  expect(await recordedIds(filled.url)).toHaveLength(1);
  await expect(applyFleet({ set, targets: [filled], shadow: shadow(), allow: ['drop public.orders'] })).rejects.toThrow(
    /the allow option: "drop public\.orders" is not an acknowledgement/,
  );
});

test('a migration up that would lose data a target holds, unacknowledged in its file, is refused there; its marker line lets it run', async () => {
  const dropEmail = (header: string[]) => ({
    '0006_drop_email.sql': {
      up: ['DROP INDEX customers_email', 'ALTER TABLE customers DROP COLUMN email'],
      down: ['ALTER TABLE customers ADD COLUMN email text'],
      header,
    },
  });
  const set = await ws.migrations({ ...SHOP, ...dropEmail([]) });
  const filled = await ws.database(set, 5, 'up-filled');
  await query(filled.url, "INSERT INTO customers (name, email) VALUES ('Ada', 'ada@example.com')");
  const blank = await ws.database(set, 5, 'up-blank');
  await withRows(blank.url);
  const behind = await ws.database(set, 2, 'up-behind'); // gets the email column and loses it in one run: no data in it
  const planned = await applyFleet({
    set,
    targets: [filled, blank, behind],
    shadow: shadow(),
    dryRun: true,
    retry: FAST_RETRY,
  });
  expect(planned.targets.map((t) => [t.name, t.status])).toEqual([
    ['up-filled', 'refused'],
    ['up-blank', 'pending'],
    ['up-behind', 'pending'],
  ]);
  expect(planned.targets[0].error).toContain('would lose data it holds: public.customers.email (drops-data, 1 value)');
  const refused = await applyFleet({ set, targets: [filled, blank, behind], shadow: shadow(), retry: FAST_RETRY });
  expect(refused.targets.map((t) => [t.name, t.status])).toEqual([
    ['up-filled', 'refused'],
    ['up-blank', 'applied'],
    ['up-behind', 'applied'],
  ]);
  expect(refused.targets[0].error).toMatch(
    /: migrating from version 5 to 6 would lose data it holds: public\.customers\.email \(drops-data, 1 value\); nothing was run\. If that loss is intended, acknowledge it, or add the line "-- db-migrate: allow drops-data public\.customers\.email" to the migration that loses it/,
  );
  expect(await recordedIds(filled.url)).toHaveLength(5);

  const marked = await ws.migrations({
    ...SHOP,
    ...dropEmail(['db-migrate: allow drops-data public.customers.email']),
  });
  const ran = await applyFleet({ set: marked, targets: [filled], shadow: shadow(), retry: FAST_RETRY });
  expect(ran.targets[0].status).toBe('applied');
  expect(await columns(filled.url)).not.toContain('customers.email text');
});
