import { query } from '../../../test/support/pg';
import { up } from '../src/applier/migrator';
import { ConfigurationError } from '../src/errors';
import { applyFleet, checkFleetDrift } from '../src/fleet/apply';
import { SWEEP_EVERY_VERSION_UP_TO } from '../src/fleet/expected-schemas';
import { formatReportText, reportFails } from '../src/fleet/report';
import { wordRemedy } from '../../cli/src/remedy-wording';
import { memoryLogger } from '../../../test/support/logger';
import { FAST_RETRY, SHOP, columns, recordedIds, shadow, workspace } from './fleet-fixture';

const ws = workspace('fleet');
afterAll(() => ws.cleanup());

const ids = (n: number) => Object.keys(SHOP).slice(0, n);

describe('applyFleet', () => {
  it('brings a fleet at mixed versions to the latest, building each expected schema once', async () => {
    const set = await ws.migrations(SHOP);
    const targets = await Promise.all([0, 1, 3, 3, 5].map((v, i) => ws.database(set, v, `client-${i}`)));
    const logger = memoryLogger();
    const report = await applyFleet({ set, targets, shadow: shadow(), logger, retry: FAST_RETRY });

    expect(report.targets.map((t) => [t.name, t.status, t.fromVersion, t.toVersion, t.migrations.length])).toEqual([
      ['client-0', 'applied', 0, 5, 5],
      ['client-1', 'applied', 1, 5, 4],
      ['client-2', 'applied', 3, 5, 2],
      ['client-3', 'applied', 3, 5, 2],
      ['client-4', 'up-to-date', 5, 5, 0],
    ]);
    expect(report.targets[2].migrations).toEqual(['0004_big_orders.sql', '0005_unique_email.sql']);
    expect(report.counts).toMatchObject({ applied: 4, 'up-to-date': 1, failed: 0, postponed: 0 });
    expect(reportFails(report)).toBe(false);
    // Versions 0, 1 and 3 for the checks before, 5 for the checks after: each built exactly once.
    expect(report.expectedSchemas?.built).toEqual([0, 1, 3, 5]);
    for (const t of targets) expect(await recordedIds(t.url)).toEqual(ids(5));
    const reference = await columns(targets[4].url);
    for (const t of targets) expect(await columns(t.url)).toEqual(reference);
    // One progress line per target, numbered as they finish.
    const progress = logger.lines.filter((l) => /^\[\d\/5\] client-\d /.test(l));
    expect(progress).toHaveLength(5);
    expect(logger.lines).toContainEqual(
      expect.stringMatching(
        /^\[\d\/5\] client-1 \([^)]+\): applied 1 → 5: 0002_orders\.sql, 0003_customer_email\.sql … 0005_unique_email\.sql \(4\) \(\d+ ms\)$/,
      ),
    );

    // Re-running finds nothing to do.
    const again = await applyFleet({ set, targets, shadow: shadow(), retry: FAST_RETRY });
    expect(again.targets.map((t) => t.status)).toEqual(Array(5).fill('up-to-date'));
    expect(again.expectedSchemas?.built).toEqual([]);
  });

  it('nothing pending: connects, reads each version and stops; no shadow database, no pre-flight', async () => {
    const set = await ws.migrations(SHOP);
    const targets = await Promise.all([5, 5, 5].map((v, i) => ws.database(set, v, `current-${i}`)));
    // A shadow server where nothing listens: any expected schema or pre-flight copy would fail the run.
    const nowhere = new URL(shadow());
    nowhere.port = '1';
    for (const dryRun of [false, true]) {
      const report = await applyFleet({ set, targets, shadow: nowhere.toString(), dryRun, retry: FAST_RETRY });
      expect(report.targets.map((t) => [t.status, t.fromVersion, t.error])).toEqual(
        Array(3).fill(['up-to-date', 5, undefined]),
      );
      expect(report.preflight).toBeUndefined();
      expect(report.expectedSchemas?.built).toEqual([]);
      expect(report.connections?.opened).toBe(3);
    }
    // One target behind: its check needs the shadow server, so it fails, untouched; the others are unaffected.
    const behind = await ws.database(set, 4, 'behind');
    const report = await applyFleet({
      set,
      targets: [...targets, behind],
      shadow: nowhere.toString(),
      retry: FAST_RETRY,
    });
    expect(report.targets.map((t) => t.status)).toEqual(['up-to-date', 'up-to-date', 'up-to-date', 'failed']);
    expect(report.targets[3].error).toMatch(/shadow database server: cannot connect to 127\.0\.0\.1:1/);
    expect(await recordedIds(behind.url)).toEqual(ids(4));
  });

  it('dry run: plans each target and changes nothing', async () => {
    const set = await ws.migrations(SHOP);
    const targets = [await ws.database(set, 2, 'behind'), await ws.database(set, 5, 'current')];
    const before = await columns(targets[0].url);
    const report = await applyFleet({ set, targets, shadow: shadow(), dryRun: true });
    expect(report.dryRun).toBe(true);
    expect(report.targets.map((t) => [t.status, t.fromVersion, t.toVersion, t.direction, t.migrations])).toEqual([
      ['pending', 2, 5, 'up', ['0003_customer_email.sql', '0004_big_orders.sql', '0005_unique_email.sql']],
      ['up-to-date', 5, 5, undefined, []],
    ]);
    expect(await recordedIds(targets[0].url)).toEqual(ids(2));
    expect(await columns(targets[0].url)).toEqual(before);
    expect(formatReportText(report, wordRemedy)).toContain(
      'would apply 2 → 5: 0003_customer_email.sql, 0004_big_orders.sql, 0005_unique_email.sql',
    );
  });

  it('--to: reverts through the Down sections those above, applies up to it those below', async () => {
    const set = await ws.migrations(SHOP);
    const targets = await Promise.all([5, 4, 3, 1].map((v) => ws.database(set, v)));
    const atThree = await columns(targets[2].url);
    const report = await applyFleet({ set, targets, shadow: shadow(), to: 3 });
    expect(report.target).toBe('3');
    expect(report.targets.map((t) => [t.status, t.direction, t.fromVersion, t.toVersion, t.migrations])).toEqual([
      ['applied', 'down', 5, 3, ['0005_unique_email.sql', '0004_big_orders.sql']],
      ['applied', 'down', 4, 3, ['0004_big_orders.sql']],
      ['up-to-date', undefined, 3, 3, []],
      ['applied', 'up', 1, 3, ['0002_orders.sql', '0003_customer_email.sql']],
    ]);
    for (const t of targets) {
      expect(await recordedIds(t.url)).toEqual(ids(3));
      expect(await columns(t.url)).toEqual(atThree);
    }
    const views = await query(targets[0].url, `SELECT 1 FROM pg_views WHERE viewname = 'big_orders'`);
    expect(views).toHaveLength(0);
    expect(formatReportText(report, wordRemedy)).toContain(
      'reverted 5 → 3: 0005_unique_email.sql, 0004_big_orders.sql',
    );
  });

  it('--to refuses a version that does not exist before touching anything, and an irreversible step per target', async () => {
    const set = await ws.migrations(SHOP);
    const target = await ws.database(set, 5);
    await expect(applyFleet({ set, targets: [target], shadow: shadow(), to: 9 })).rejects.toThrow(ConfigurationError);
    await expect(applyFleet({ set, targets: [target], shadow: shadow(), to: 9, toInput: '--to' })).rejects.toThrow(
      /--to 9: there is no migration version 9 in .* \(versions 1 to 5\)/,
    );
    // Without the front end's word for it, the core names no flag; the error names the option as data.
    await expect(applyFleet({ set, targets: [target], shadow: shadow(), to: 9 })).rejects.toMatchObject({
      message: expect.stringMatching(/^the target version 9: there is no migration version 9/),
      option: 'to',
    });

    const oneWay = await ws.migrations({ ...SHOP, '0005_unique_email.sql': { up: SHOP['0005_unique_email.sql'].up } });
    const stuck = await ws.database(oneWay, 5);
    const report = await applyFleet({ set: oneWay, targets: [stuck], shadow: shadow(), to: 3 });
    expect(report.targets[0]).toMatchObject({ status: 'refused', fromVersion: 5 });
    expect(report.targets[0].error).toMatch(
      /cannot revert to version 3: 0005_unique_email\.sql has no "-- \+migrate Down" section/,
    );
    expect(await recordedIds(stuck.url)).toEqual(ids(5));
  });

  it('a drifted target is postponed, untouched, its drift shown as SQL; the others are migrated', async () => {
    const set = await ws.migrations(SHOP);
    const clean = await ws.database(set, 3, 'clean');
    const drifted = await ws.database(set, 3, 'drifted');
    await query(drifted.url, `ALTER TABLE customers ADD COLUMN nickname text; DROP INDEX customers_email`);
    const before = await columns(drifted.url);
    const logger = memoryLogger();
    const report = await applyFleet({ set, targets: [clean, drifted], shadow: shadow(), logger });

    expect(report.targets[0]).toMatchObject({ status: 'applied', fromVersion: 3, toVersion: 5 });
    const postponed = report.targets[1];
    expect(postponed).toMatchObject({ status: 'postponed', fromVersion: 3, migrations: [] });
    expect(postponed.drift?.version).toBe(3);
    expect(postponed.drift?.sql).toMatch(/ALTER TABLE "public"\."customers" DROP COLUMN "nickname"/i);
    expect(postponed.drift?.sql).toMatch(
      /CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_email ON public\.customers/i,
    );
    // Not one statement ran: same records, same columns, the hand-made change still there.
    expect(await recordedIds(drifted.url)).toEqual(ids(3));
    expect(await columns(drifted.url)).toEqual(before);
    expect(await query(drifted.url, `SELECT 1 FROM pg_indexes WHERE indexname = 'customers_email'`)).toHaveLength(0);

    expect(report.counts).toMatchObject({ applied: 1, postponed: 1 });
    expect(reportFails(report)).toBe(true);
    expect(reportFails(report, { postponedIsWarning: true })).toBe(false);
    expect(logger.lines).toContainEqual(
      expect.stringMatching(
        /^warning: \[\d\/2\] drifted \(.*\): postponed: schema drifted from version 3: 2 differences/,
      ),
    );
    expect(formatReportText(report, wordRemedy)).toMatch(
      /-- drifted \(.*\): SQL that would take it back to the schema of version 3\n/,
    );
  });

  it('checks the result: a migration that behaves differently on a live database fails the target', async () => {
    // Adds a column only where customers exist: nothing on the empty database the expected schema is built in.
    const set = await ws.migrations({
      ...SHOP,
      '0006_flag.sql': {
        up: [
          `DO $$ BEGIN IF EXISTS (SELECT 1 FROM customers) THEN ALTER TABLE customers ADD COLUMN flagged boolean; END IF; END $$`,
        ],
        down: ['ALTER TABLE customers DROP COLUMN IF EXISTS flagged'],
      },
    });
    const empty = await ws.database(set, 5, 'empty');
    const busy = await ws.database(set, 5, 'busy');
    await query(busy.url, `INSERT INTO customers (name) VALUES ('ada')`);
    const report = await applyFleet({ set, targets: [empty, busy], shadow: shadow() });
    expect(report.targets[0]).toMatchObject({ status: 'applied', fromVersion: 5, toVersion: 6 });
    expect(report.targets[1]).toMatchObject({
      status: 'failed',
      fromVersion: 5,
      toVersion: 6,
      migrations: ['0006_flag.sql'],
    });
    expect(report.targets[1].error).toMatch(
      /migrated 5 → 6, but its schema differs from the schema of version 6 \(1 difference\)/,
    );
    expect(report.targets[1].drift?.sql).toMatch(/DROP COLUMN "flagged"/);
  });

  it('a migration that fails on an empty copy of a starting version is refused by the pre-flight; a version whose schema cannot be built fails the targets at it', async () => {
    // Works only where customers exist: on the empty shadow database it divides by zero.
    const set = await ws.migrations({
      '0001_customers.sql': SHOP['0001_customers.sql'],
      '0002_needs_data.sql': { up: ['SELECT 1 / (SELECT count(*) FROM customers)::int'], down: [] },
      '0003_orders.sql': SHOP['0002_orders.sql'],
    });
    const atOne = await ws.database(set, 1, 'at-one');
    const atTwo = await ws.database(set, 1, 'at-two');
    await query(atTwo.url, `INSERT INTO customers (name) VALUES ('ada')`);
    // The pre-flight runs 0002 on an empty copy of version 1: division by zero, and no target is touched.
    const refused = await applyFleet({ set, targets: [atOne, atTwo], shadow: shadow(), to: 2 });
    expect(refused.targets.map((t) => t.status)).toEqual(['not-started', 'not-started']);
    expect(refused.preflight?.failures[0].error).toMatch(
      /^pre-flight from version 1: .*0002_needs_data\.sql line \d+ \(up\) on .*division by zero/,
    );
    expect(await recordedIds(atTwo.url)).toEqual(['0001_customers.sql']);

    // Migrated by hand where its data allows it, at-two is at a version whose schema cannot be built: it cannot be checked: failed, untouched.
    expect((await up(atTwo.url, set, { to: 2 })).error).toBeUndefined();
    // Its pending 0003 would run on a schema no migration chain builds: the pre-flight's chain from the
    // empty database fails at 0002, and the target is not touched.
    const report = await applyFleet({ set, targets: [atTwo], shadow: shadow() });
    expect(report.targets[0]).toMatchObject({ status: 'not-started', migrations: [] });
    expect(report.targets[0].error).toMatch(
      /^the pre-flight failed, so no database was touched: pre-flight from the empty database: .*0002_needs_data\.sql line \d+ \(up\) on .*division by zero/,
    );
    // The drift check has no pre-flight: there the target at that version fails its own check.
    const drift = await checkFleetDrift({ set, targets: [atTwo], shadow: shadow() });
    expect(drift.targets[0]).toMatchObject({ status: 'failed', fromVersion: 2 });
    expect(drift.targets[0].error).toMatch(
      /cannot build the schema of version 2 on the shadow server: .*0002_needs_data\.sql line \d+ \(up\) on .*division by zero/,
    );
    expect(await recordedIds(atTwo.url)).toEqual(['0001_customers.sql', '0002_needs_data.sql']);
  });

  it('an empty fleet is a clean no-op that starts no shadow server', async () => {
    const set = await ws.migrations(SHOP);
    const report = await applyFleet({ set, targets: [], shadow: 'postgres://nobody@127.0.0.1:1/none' });
    expect(report.targets).toEqual([]);
    expect(report.expectedSchemas?.built).toEqual([]);
    expect(reportFails(report)).toBe(false);
  });

  it('a long migration set: a version the expected-schema sweep passed without reading is built alone, and still compared', async () => {
    // More versions than the sweep reads at every step: it reads only the versions asked for.
    const count = SWEEP_EVERY_VERSION_UP_TO + 2;
    const files = Object.fromEntries(
      Array.from({ length: count }, (_, i) => [
        `${String(i + 1).padStart(4, '0')}_t${i + 1}.sql`,
        { up: [`CREATE TABLE t${i + 1} (id int)`], down: [`DROP TABLE t${i + 1}`] },
      ]),
    );
    const set = await ws.migrations(files);
    const latest = await ws.database(set, count, 'latest');
    const low = await ws.database(set, 2, 'low');
    const drifted = await ws.database(set, 2, 'drifted');
    await query(drifted.url, 'ALTER TABLE t2 ADD COLUMN extra int');
    // One at a time: the sweep goes to the latest version first, then version 2 is asked for.
    const report = await checkFleetDrift({ set, targets: [latest, low, drifted], shadow: shadow(), concurrency: 1 });
    expect(report.targets.map((t) => [t.name, t.status])).toEqual([
      ['latest', 'consistent'],
      ['low', 'consistent'],
      ['drifted', 'drifted'],
    ]);
    expect(report.targets[2].drift?.changes).toEqual(['drop column public.t2.extra']);
    expect(report.expectedSchemas?.built).toEqual([2, count]);
  });
});
