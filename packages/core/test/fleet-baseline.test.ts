/**
 * baselineFleet on real databases: adopting databases built before db-migrate (no gorp_migrations rows)
 * whose schema is a version's, postponing those whose schema is not, leaving versioned ones alone, and
 * the real sql-migrate binary reading what a baseline recorded.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { query } from '../../../test/support/pg';
import { recordBaseline } from '../src/applier/records';
import { ConfigurationError } from '../src/errors';
import { applyFleet, checkFleetDrift } from '../src/fleet/apply';
import { baselineFleet } from '../src/fleet/baseline';
import { formatReportText, reportFails } from '../src/fleet/report';
import { wordRemedy } from '../../cli/src/remedy-wording';
import { memoryLogger } from '../../../test/support/logger';
import type { MigrationSet } from '../src/migrations/store';
import { FAST_RETRY, SHOP, columns, password, recordedIds, shadow, workspace } from './fleet-fixture';

const ws = workspace('baseline');
afterAll(() => ws.cleanup());

const ids = (n: number) => Object.keys(SHOP).slice(0, n);

/**
 * The schema of version 2 written by hand, as an application's own DDL would have built it before
 * db-migrate existed, with rows in it.
 */
const SCHEMA_AT_2 = [
  'CREATE TABLE customers (id bigserial PRIMARY KEY, name text NOT NULL)',
  'CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers (id), total numeric NOT NULL DEFAULT 0)',
  "INSERT INTO customers (name) VALUES ('acme'), ('globex')",
  'INSERT INTO orders (customer_id, total) VALUES (1, 1500), (2, 20)',
].join(';\n');

/** A database with no tracking at all, built by `sql`. */
async function unversioned(set: MigrationSet, name: string, sql: string) {
  const target = await ws.database(set, 0, name);
  await query(target.url, sql);
  return target;
}

/** Whether any tracking object exists: gorp_migrations or the db_migrate schema. */
async function trackingObjects(url: string): Promise<string[]> {
  const rows = await query<{ name: string }>(
    url,
    `SELECT 'gorp_migrations' AS name WHERE to_regclass('public.gorp_migrations') IS NOT NULL
     UNION ALL SELECT 'db_migrate' FROM pg_namespace WHERE nspname = 'db_migrate'`,
  );
  return rows.map((r) => r.name);
}

describe('baselineFleet', () => {
  it("records 1..N where the schema is version N's, postpones a different one, leaves versioned ones alone; apply then takes over", async () => {
    const set = await ws.migrations(SHOP);
    const adopted = await unversioned(set, 'adopted', SCHEMA_AT_2);
    // sql-migrate (or a first failed attempt) may have left an empty tracking table: still unversioned.
    const emptyTable = await unversioned(
      set,
      'empty-table',
      `${SCHEMA_AT_2};\nCREATE TABLE gorp_migrations (id text NOT NULL PRIMARY KEY, applied_at timestamptz)`,
    );
    const different = await unversioned(set, 'different', `${SCHEMA_AT_2};\nALTER TABLE orders ADD COLUMN coupon text`);
    const ahead = await ws.database(set, 3, 'ahead');
    const behind = await ws.database(set, 1, 'behind');
    const logger = memoryLogger();

    const report = await baselineFleet({
      set,
      targets: [adopted, emptyTable, different, ahead, behind],
      to: 2,
      shadow: shadow(),
      logger,
      retry: FAST_RETRY,
    });

    expect(report).toMatchObject({ mode: 'baseline', dryRun: false, target: '2' });
    expect(report.targets.map((t) => [t.name, t.status, t.fromVersion, t.toVersion, t.migrations])).toEqual([
      ['adopted', 'baselined', 0, 2, ids(2)],
      ['empty-table', 'baselined', 0, 2, ids(2)],
      ['different', 'postponed', 0, undefined, []],
      ['ahead', 'up-to-date', 3, undefined, []],
      ['behind', 'failed', 1, undefined, []],
    ]);
    expect(report.counts).toMatchObject({ baselined: 2, postponed: 1, 'up-to-date': 1, failed: 1, applied: 0 });
    expect(reportFails(report)).toBe(true);
    // The schema of version 2 was built once and shared; nothing else was needed.
    expect(report.expectedSchemas?.built).toEqual([2]);

    // Recorded exactly as the applier records: gorp_migrations rows and db-migrate's checksums.
    for (const t of [adopted, emptyTable]) {
      expect(await recordedIds(t.url)).toEqual(ids(2));
      const checksums = await query<{ id: string; checksum: string }>(
        t.url,
        'SELECT id, checksum FROM db_migrate.applied_checksums ORDER BY id',
      );
      expect(checksums).toEqual(set.migrations.slice(0, 2).map((m) => ({ id: m.fileName, checksum: m.checksum })));
      const times = await query<{ n: string }>(
        t.url,
        'SELECT count(DISTINCT applied_at) AS n FROM gorp_migrations WHERE applied_at IS NOT NULL',
      );
      expect(times).toEqual([{ n: '1' }]); // one transaction: one now()
    }
    // The postponed one: the difference as SQL, and not a single object created.
    expect(report.targets[2].drift).toMatchObject({
      version: 2,
      statements: 1,
      changes: ['drop column public.orders.coupon'],
    });
    expect(report.targets[2].drift?.sql).toContain('ALTER TABLE "public"."orders" DROP COLUMN "coupon";');
    expect(await trackingObjects(different.url)).toEqual([]);
    // The versioned ones are untouched.
    expect(await recordedIds(ahead.url)).toEqual(ids(3));
    expect(await recordedIds(behind.url)).toEqual(ids(1));
    expect(report.targets[4].error).toMatch(
      /already versioned at version 1, below 2: a baseline only records versions on a database without any; apply the migrations up to 2 instead$/,
    );

    const text = formatReportText(report, wordRemedy);
    expect(text).toMatch(
      /^adopted +\S+ +baselined +0 → 2 +schema matches version 2: recorded as applied \(nothing ran\): 0001_customers\.sql, 0002_orders\.sql$/m,
    );
    expect(text).toMatch(
      /^different +\S+ +postponed +0 +postponed: schema differs from the schema of version 2: 1 difference \(drop column public\.orders\.coupon\)$/m,
    );
    expect(text).toMatch(/^ahead +\S+ +up-to-date +3 +already versioned at version 3: left alone/m);
    expect(text).toContain('-- different (');
    expect(text).toMatch(
      /: SQL that would take it to the schema of version 2\n-- hazard: drops-data: drops column public\.orders\.coupon: the data it holds is lost\nALTER TABLE "public"\."orders" DROP COLUMN "coupon";/,
    );
    expect(text).toContain('5 targets: 2 baselined, 1 up-to-date, 1 postponed, 1 failed');
    expect(logger.lines).toContainEqual(
      expect.stringMatching(/^baselining 5 databases against 5 migrations in .* \(at version 2\), \d+ at a time$/),
    );
    expect(logger.lines.join('\n')).not.toContain(password());

    // A second baseline is a no-op on the adopted ones.
    const again = await baselineFleet({ set, targets: [adopted], to: 2, shadow: shadow() });
    expect(again.targets.map((t) => [t.status, t.fromVersion])).toEqual([['up-to-date', 2]]);
    expect(again.expectedSchemas?.built).toEqual([]);

    // From here on the adopted database is an ordinary member of the fleet: consistent at 2, migrated to 5.
    const applied = await applyFleet({ set, targets: [adopted], shadow: shadow(), retry: FAST_RETRY });
    expect(applied.targets.map((t) => [t.status, t.fromVersion, t.toVersion, t.migrations])).toEqual([
      ['applied', 2, 5, ids(5).slice(2)],
    ]);
    expect(await recordedIds(adopted.url)).toEqual(ids(5));
    const reference = await ws.database(set, 5, 'reference');
    expect(await columns(adopted.url)).toEqual(await columns(reference.url));
    expect(await query(adopted.url, 'SELECT name FROM customers ORDER BY id')).toEqual([
      { name: 'acme' },
      { name: 'globex' },
    ]);
  });

  it('dry run: the plan only; nothing recorded, not even the tracking table', async () => {
    const set = await ws.migrations(SHOP);
    const matching = await unversioned(set, 'matching', SCHEMA_AT_2);
    const different = await unversioned(
      set,
      'different',
      'CREATE TABLE customers (id bigserial PRIMARY KEY, name text NOT NULL)',
    );
    const report = await baselineFleet({ set, targets: [matching, different], to: 2, shadow: shadow(), dryRun: true });
    expect(report.dryRun).toBe(true);
    expect(report.targets.map((t) => [t.status, t.fromVersion, t.toVersion, t.migrations])).toEqual([
      ['pending', 0, 2, ids(2)],
      ['postponed', 0, undefined, []],
    ]);
    expect(report.targets[1].drift?.changes).toEqual(
      expect.arrayContaining([expect.stringMatching(/^create table public\.orders$/)]),
    );
    for (const t of [matching, different]) expect(await trackingObjects(t.url)).toEqual([]);
    const text = formatReportText(report, wordRemedy);
    expect(text).toMatch(
      /^matching +\S+ +pending +0 → 2 +schema matches version 2: would record as applied: 0001_customers\.sql, 0002_orders\.sql$/m,
    );
    expect(text).toContain('2 targets: 1 pending, 1 postponed (dry run: nothing changed)');
  });

  it('the real sql-migrate sees the baselined versions as applied and applies the rest', async () => {
    const set = await ws.migrations(SHOP);
    const adopted = await unversioned(set, 'adopted', SCHEMA_AT_2);
    const report = await baselineFleet({ set, targets: [adopted], to: 2, shadow: shadow() });
    expect(report.targets[0].status).toBe('baselined');

    // The datasource comes from the environment (sql-migrate expands it), so no password is written to disk.
    const config = join(ws.dir, 'dbconfig.yml');
    writeFileSync(config, `test:\n  dialect: postgres\n  datasource: \${DB_MIGRATE_TEST_DSN}\n  dir: ${set.dir}\n`);
    const sqlMigrate = (command: string) => {
      const result = spawnSync('/usr/bin/sql-migrate', [command, `-config=${config}`, '-env=test'], {
        env: { ...process.env, DB_MIGRATE_TEST_DSN: `${adopted.url}?sslmode=disable` },
        encoding: 'utf8',
      });
      if (result.status !== 0) throw new Error(`sql-migrate ${command} failed: ${result.stderr}${result.stdout}`);
      return result.stdout;
    };
    const applied: Record<string, boolean> = {};
    for (const line of sqlMigrate('status').split('\n')) {
      const cells = line.split('|').map((c) => c.trim());
      if (cells.length === 4 && cells[1].endsWith('.sql')) applied[cells[1]] = cells[2] !== 'no';
    }
    expect(applied).toEqual({
      '0001_customers.sql': true,
      '0002_orders.sql': true,
      '0003_customer_email.sql': false,
      '0004_big_orders.sql': false,
      '0005_unique_email.sql': false,
    });
    // sql-migrate continues from the baseline (it would fail on CREATE TABLE had it thought 1 and 2 pending).
    expect(sqlMigrate('up')).toMatch(/Applied 3 migrations/);
    expect(await recordedIds(adopted.url)).toEqual(ids(5));
    const drift = await checkFleetDrift({ set, targets: [adopted], shadow: shadow() });
    expect(drift.targets.map((t) => [t.status, t.fromVersion])).toEqual([['consistent', 5]]);
  });

  it('refuses a version that is not in the directory before touching any database', async () => {
    const set = await ws.migrations(SHOP);
    const target = await unversioned(set, 'untouched', SCHEMA_AT_2);
    const run = (to: number | undefined, toInput?: string) =>
      baselineFleet({ set, targets: [target], to: to as number, shadow: shadow(), ...(toInput ? { toInput } : {}) });
    await expect(run(9)).rejects.toThrow(
      new ConfigurationError(`the target version 9: there is no migration version 9 in ${set.dir} (versions 1 to 5)`),
    );
    // The CLI passes its own label for the version (toInput '--to'); the core's default is neutral.
    await expect(run(0, '--to')).rejects.toThrow(
      /^--to 0: a baseline records versions 1\.\.N of .* \(a database at version 0 needs no baseline\)$/,
    );
    await expect(run(0)).rejects.toThrow(/^the target version 0: a baseline records versions 1\.\.N of /);
    await expect(run(undefined, 'input "to-version"')).rejects.toThrow(
      /^input "to-version" is required: the version of .* whose schema the databases already have$/,
    );
    await expect(run(-1)).rejects.toBeInstanceOf(ConfigurationError);
    const empty = await ws.migrations({});
    await expect(baselineFleet({ set: empty, targets: [target], to: 1, shadow: shadow() })).rejects.toThrow(
      /there is no migration version 1 in .* \(no migrations\)$/,
    );
    expect(await trackingObjects(target.url)).toEqual([]);
  });

  it('records nothing when gorp_migrations gained rows meanwhile (the sql-migrate CLI does not take our lock)', async () => {
    const set = await ws.migrations(SHOP);
    const target = await unversioned(
      set,
      'raced',
      `${SCHEMA_AT_2};\nCREATE TABLE gorp_migrations (id text NOT NULL PRIMARY KEY, applied_at timestamptz);\nINSERT INTO gorp_migrations VALUES ('0001_customers.sql', now())`,
    );
    const client = new Client({ connectionString: target.url });
    await client.connect();
    try {
      const result = await recordBaseline(client, set.migrations.slice(0, 2));
      expect(result).toEqual({ recorded: false, existing: ['0001_customers.sql'] });
    } finally {
      await client.end();
    }
    expect(await recordedIds(target.url)).toEqual(['0001_customers.sql']);
    // Rolled back whole: the bookkeeping schema it would have created is not there either.
    expect(await trackingObjects(target.url)).toEqual(['gorp_migrations']);
  });

  it('apply points a drifted database without any recorded migration at baseline', async () => {
    const set = await ws.migrations(SHOP);
    const target = await unversioned(set, 'legacy', SCHEMA_AT_2);
    const report = await applyFleet({ set, targets: [target], shadow: shadow(), dryRun: true });
    expect(report.targets[0]).toMatchObject({ status: 'postponed', fromVersion: 0 });
    expect(report.targets[0].warnings).toEqual([
      expect.stringMatching(
        /^no migrations are recorded on \S+: if its schema was built before db-migrate, adopt it with a baseline/,
      ),
    ]);
  });
});
