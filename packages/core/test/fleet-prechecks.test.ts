/**
 * Pre-checks on each client's own data, on real databases: fleets of three clients where only some hold
 * rows a pending statement cannot take. The dry run names exactly those clients (status `refused`) with
 * the statement's file and line, the count and example keys; apply migrates the others and leaves those
 * untouched at their version. A statement that locks a large table while it rewrites or scans it is
 * refused there unless acknowledged; a check on a table above the size limit is skipped with a notice.
 */
import { query } from '../../../test/support/pg';
import { applyFleet, type FleetApplyOptions } from '../src/fleet/apply';
import { formatReportText, reportFails, type FleetReport, type TargetOutcome } from '../src/fleet/report';
import { wordRemedy } from '../../cli/src/remedy-wording';
import type { MigrationFileContent } from '../src/migrations/format';
import type { MigrationSet } from '../src/migrations/store';
import type { Target } from '../src/fleet/targets';
import { FAST_RETRY, recordedIds, shadow, workspace } from './fleet-fixture';

const ws = workspace('prechecks');
afterAll(() => ws.cleanup());

type Client = 'a' | 'b' | 'c';

interface Fleet {
  readonly set: MigrationSet;
  readonly targets: Record<Client, Target & { url: string }>;
  run(options?: Partial<FleetApplyOptions>): Promise<FleetReport>;
}

/** Three clients at version `at` of `files`, each given its own rows. */
async function fleet(
  files: Record<string, MigrationFileContent>,
  rows: Record<Client, string>,
  at = 1,
): Promise<Fleet> {
  const set = await ws.migrations(files);
  const targets = await ws.databases(set, { a: at, b: at, c: at });
  for (const name of ['a', 'b', 'c'] as const) if (rows[name]) await query(targets[name].url, rows[name]);
  const list = [targets.a, targets.b, targets.c];
  return {
    set,
    targets,
    run: (options = {}) => applyFleet({ set, targets: list, shadow: shadow(), retry: FAST_RETRY, ...options }),
  };
}

const outcome = (report: FleetReport, name: Client): TargetOutcome => report.targets.find((t) => t.name === name)!;
const statuses = (report: FleetReport) => Object.fromEntries(report.targets.map((t) => [t.name, t.status]));
const found = (t: TargetOutcome) => (t.prechecks?.checks ?? []).filter((c) => c.status === 'found');

/**
 * The dry run refuses exactly `refused` (the others would apply), naming the finding; the real run then
 * migrates the others to the latest version and leaves the refused ones at `at`, unchanged.
 */
async function expectRefusedOnly(
  f: Fleet,
  refused: readonly Client[],
  at = 1,
  options: Partial<FleetApplyOptions> = {},
): Promise<FleetReport> {
  const latest = f.set.migrations.length;
  const dry = await f.run({ dryRun: true, ...options });
  const expected = Object.fromEntries(
    (['a', 'b', 'c'] as const).map((n) => [n, refused.includes(n) ? 'refused' : 'pending']),
  );
  expect(statuses(dry)).toEqual(expected);
  for (const name of refused) expect(outcome(dry, name).error).toMatch(/nothing was run$/);
  const real = await f.run(options);
  expect(statuses(real)).toEqual(
    Object.fromEntries(Object.entries(expected).map(([n, s]) => [n, s === 'refused' ? 'refused' : 'applied'])),
  );
  expect(reportFails(real)).toBe(refused.length > 0);
  for (const name of ['a', 'b', 'c'] as const)
    expect(await recordedIds(f.targets[name].url)).toHaveLength(refused.includes(name) ? at : latest);
  return dry;
}

const PATIENTS = {
  up: ['CREATE TABLE patients (id int PRIMARY KEY, mrn text, site int, active boolean NOT NULL DEFAULT true)'],
  down: ['DROP TABLE patients'],
};

test('duplicates for a unique expression index with WHERE: only the client holding two active rows with the same lower(mrn)', async () => {
  const f = await fleet(
    {
      '0001_patients.sql': PATIENTS,
      '0002_mrn.sql': {
        up: ['CREATE UNIQUE INDEX patients_mrn ON patients (lower(mrn)) WHERE active'],
        down: ['DROP INDEX patients_mrn'],
      },
    },
    {
      a: `INSERT INTO patients VALUES (1, 'M1', 1, true), (2, 'm1', 1, true), (3, 'M2', 1, true)`,
      b: `INSERT INTO patients VALUES (1, 'M1', 1, true), (2, 'm1', 1, false)`, // the second is outside the index
      c: `INSERT INTO patients VALUES (1, NULL, 1, true), (2, NULL, 1, true)`, // NULLs never collide
    },
  );
  const dry = await expectRefusedOnly(f, ['a']);
  const [check] = found(outcome(dry, 'a'));
  expect(check).toMatchObject({
    code: 'duplicates',
    file: '0002_mrn.sql',
    line: expect.any(Number),
    table: 'patients',
    count: 2,
    groups: 1,
    examples: ['lower(mrn)=m1 (2 rows)'],
  });
  expect(outcome(dry, 'a').error).toMatch(
    /0002_mrn\.sql line \d+: unique index patients_mrn on patients \(lower\(mrn\)\) WHERE active: 2 rows share 1 key, e\.g\. lower\(mrn\)=m1 \(2 rows\)/,
  );
  expect(outcome(dry, 'b').prechecks?.checks).toEqual([
    expect.objectContaining({ code: 'duplicates', status: 'clean', count: 0 }),
  ]);
  const text = formatReportText(dry, wordRemedy);
  expect(text).toContain('refused, nothing ran');
  expect(text).toMatch(
    /-- a \(.*\): pre-checks \(\d+ ms\)\n {2}0002_mrn\.sql line \d+: unique index .*: 2 rows share 1 key, e\.g\. lower\(mrn\)=m1 \(2 rows\)/,
  );
});

test('duplicates for UNIQUE NULLS NOT DISTINCT and a primary key: NULLs collide, a primary key refuses them', async () => {
  const f = await fleet(
    {
      '0001_patients.sql': {
        up: ['CREATE TABLE patients (id int, mrn text, site int)'],
        down: ['DROP TABLE patients'],
      },
      '0002_keys.sql': {
        up: [
          'ALTER TABLE patients ADD CONSTRAINT patients_site_key UNIQUE NULLS NOT DISTINCT (site)',
          'ALTER TABLE patients ADD PRIMARY KEY (id)',
        ],
        down: [
          'ALTER TABLE patients DROP CONSTRAINT patients_pkey',
          'ALTER TABLE patients DROP CONSTRAINT patients_site_key',
        ],
      },
    },
    {
      a: `INSERT INTO patients VALUES (1, 'M1', NULL), (2, 'M2', NULL)`,
      b: `INSERT INTO patients VALUES (NULL, 'M1', 1)`,
      c: `INSERT INTO patients VALUES (1, 'M1', NULL), (2, 'M2', 2)`,
    },
  );
  const dry = await expectRefusedOnly(f, ['a', 'b']);
  expect(found(outcome(dry, 'a'))).toEqual([
    expect.objectContaining({ code: 'duplicates', count: 2, examples: ['site=NULL (2 rows)'] }),
  ]);
  expect(found(outcome(dry, 'b'))).toEqual([
    expect.objectContaining({ code: 'nulls', count: 1, examples: ['id=NULL'] }),
  ]);
});

test('orphans for a foreign key, MATCH SIMPLE: a key with a NULL in it is no orphan', async () => {
  const f = await fleet(
    {
      '0001_visits.sql': {
        up: [
          'CREATE TABLE patients (id int, site int, PRIMARY KEY (id, site))',
          'CREATE TABLE visits (id int PRIMARY KEY, patient_id int, site int)',
        ],
        down: ['DROP TABLE visits', 'DROP TABLE patients'],
      },
      '0002_fk.sql': {
        up: ['ALTER TABLE visits ADD CONSTRAINT visits_patient FOREIGN KEY (patient_id, site) REFERENCES patients'],
        down: ['ALTER TABLE visits DROP CONSTRAINT visits_patient'],
      },
    },
    {
      a: `INSERT INTO patients VALUES (1, 1); INSERT INTO visits VALUES (1, 1, 1), (2, 7, 1), (3, 7, 1), (4, 8, 2)`,
      b: `INSERT INTO patients VALUES (1, 1); INSERT INTO visits VALUES (1, 7, NULL), (2, NULL, 1)`,
      c: `INSERT INTO patients VALUES (1, 1); INSERT INTO visits VALUES (1, 1, 1)`,
    },
  );
  const dry = await expectRefusedOnly(f, ['a']);
  const [check] = found(outcome(dry, 'a'));
  expect(check).toMatchObject({ code: 'orphans', table: 'visits', count: 3, groups: 2 });
  expect([...check.examples!].sort()).toEqual(['patient_id=7, site=1 (2 rows)', 'patient_id=8, site=2']);
});

test('VALIDATE CONSTRAINT of a CHECK and a foreign key added NOT VALID: in an earlier migration (read from the target) or earlier in the run', async () => {
  const f = await fleet(
    {
      '0001_orders.sql': {
        up: [
          'CREATE TABLE customers (id int PRIMARY KEY)',
          'CREATE TABLE orders (id int PRIMARY KEY, amount numeric, customer_id int)',
        ],
        down: ['DROP TABLE orders', 'DROP TABLE customers'],
      },
      '0002_not_valid.sql': {
        up: [
          'ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0) NOT VALID',
          'ALTER TABLE orders ADD CONSTRAINT orders_customer FOREIGN KEY (customer_id) REFERENCES customers NOT VALID',
        ],
        down: [
          'ALTER TABLE orders DROP CONSTRAINT orders_customer',
          'ALTER TABLE orders DROP CONSTRAINT orders_amount_positive',
        ],
      },
      '0003_validate.sql': {
        up: [
          'ALTER TABLE orders VALIDATE CONSTRAINT orders_amount_positive',
          'ALTER TABLE orders VALIDATE CONSTRAINT orders_customer',
        ],
        down: [],
      },
    },
    {
      a: `INSERT INTO customers VALUES (1); INSERT INTO orders VALUES (1, 10, 1), (2, -5, 1)`,
      b: `INSERT INTO customers VALUES (1); INSERT INTO orders VALUES (1, 10, 1), (2, 10, 9)`,
      c: `INSERT INTO customers VALUES (1); INSERT INTO orders VALUES (1, 10, NULL)`,
    },
  );
  // From version 1 the NOT VALID constraints are added earlier in the same run: checked as written there.
  const fromOne = await f.run({ dryRun: true });
  expect(statuses(fromOne)).toEqual({ a: 'refused', b: 'refused', c: 'pending' });
  expect(found(outcome(fromOne, 'a'))).toEqual([
    expect.objectContaining({ code: 'check-violations', file: '0003_validate.sql', count: 1, examples: ['id=2'] }),
  ]);
  expect(found(outcome(fromOne, 'b'))).toEqual([
    expect.objectContaining({ code: 'orphans', file: '0003_validate.sql', count: 1, examples: ['customer_id=9'] }),
  ]);
  // From version 2 they are on the targets: read from their catalogs.
  for (const t of Object.values(f.targets))
    await query(
      t.url,
      `ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0) NOT VALID, ADD CONSTRAINT orders_customer FOREIGN KEY (customer_id) REFERENCES customers NOT VALID; INSERT INTO gorp_migrations (id, applied_at) VALUES ('0002_not_valid.sql', now())`,
    );
  await expectRefusedOnly(f, ['a', 'b'], 2);
});

test('rows failing a new CHECK and a domain constraint, with their primary keys as examples', async () => {
  const f = await fleet(
    {
      '0001_orders.sql': {
        up: ['CREATE DOMAIN quantity AS int', 'CREATE TABLE orders (id int PRIMARY KEY, amount numeric, qty quantity)'],
        down: ['DROP TABLE orders', 'DROP DOMAIN quantity'],
      },
      '0002_checks.sql': {
        up: [
          'ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0)',
          'ALTER DOMAIN quantity ADD CONSTRAINT quantity_positive CHECK (VALUE > 0)',
        ],
        down: [
          'ALTER DOMAIN quantity DROP CONSTRAINT quantity_positive',
          'ALTER TABLE orders DROP CONSTRAINT orders_amount_positive',
        ],
      },
    },
    {
      a: `INSERT INTO orders VALUES (1, 10, 1), (2, -5, 1), (3, NULL, 1)`, // NULL passes a CHECK
      b: `INSERT INTO orders VALUES (1, 10, 0)`,
      c: `INSERT INTO orders VALUES (1, 10, 1)`,
    },
  );
  const dry = await expectRefusedOnly(f, ['a', 'b']);
  expect(found(outcome(dry, 'a'))).toEqual([
    expect.objectContaining({ code: 'check-violations', count: 1, examples: ['id=2'] }),
  ]);
  expect(found(outcome(dry, 'b'))).toEqual([
    expect.objectContaining({ code: 'domain-violations', table: 'public.orders', count: 1, examples: ['id=1'] }),
  ]);
});

test('SET NOT NULL on NULLs, and ADD COLUMN NOT NULL without a default on a table with rows', async () => {
  const f = await fleet(
    {
      '0001_orders.sql': {
        up: ['CREATE TABLE orders (id int PRIMARY KEY, note text)', 'CREATE TABLE tags (name text)'],
        down: ['DROP TABLE tags', 'DROP TABLE orders'],
      },
      '0002_not_null.sql': {
        up: ['ALTER TABLE orders ALTER COLUMN note SET NOT NULL', 'ALTER TABLE tags ADD COLUMN colour text NOT NULL'],
        down: ['ALTER TABLE tags DROP COLUMN colour', 'ALTER TABLE orders ALTER COLUMN note DROP NOT NULL'],
      },
    },
    {
      a: `INSERT INTO orders VALUES (1, 'x'), (2, NULL)`,
      b: `INSERT INTO orders VALUES (1, 'x'); INSERT INTO tags VALUES ('red')`,
      c: `INSERT INTO orders VALUES (1, 'x')`,
    },
  );
  const dry = await expectRefusedOnly(f, ['a', 'b']);
  expect(found(outcome(dry, 'a'))).toEqual([
    expect.objectContaining({ code: 'nulls', table: 'orders', count: 1, examples: ['id=2'] }),
  ]);
  expect(found(outcome(dry, 'b'))).toEqual([
    expect.objectContaining({
      code: 'nulls',
      table: 'tags',
      count: 1,
      examples: [expect.stringMatching(/^ctid=\(0,1\)$/)],
    }),
  ]);
});

test('overlaps for an exclusion constraint, with its WHERE', async () => {
  const f = await fleet(
    {
      '0001_bookings.sql': {
        up: ['CREATE TABLE bookings (id int PRIMARY KEY, during tsrange, cancelled boolean NOT NULL DEFAULT false)'],
        down: ['DROP TABLE bookings'],
      },
      '0002_no_overlap.sql': {
        up: [
          'ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (during WITH &&) WHERE (NOT cancelled)',
        ],
        down: ['ALTER TABLE bookings DROP CONSTRAINT bookings_no_overlap'],
      },
    },
    {
      a: `INSERT INTO bookings VALUES (1, '[2026-01-01 10:00, 2026-01-01 12:00)', false), (2, '[2026-01-01 11:00, 2026-01-01 13:00)', false)`,
      b: `INSERT INTO bookings VALUES (1, '[2026-01-01 10:00, 2026-01-01 12:00)', false), (2, '[2026-01-01 11:00, 2026-01-01 13:00)', true)`,
      c: `INSERT INTO bookings VALUES (1, '[2026-01-01 10:00, 2026-01-01 12:00)', false), (2, '[2026-01-01 12:00, 2026-01-01 13:00)', false)`,
    },
  );
  const dry = await expectRefusedOnly(f, ['a']);
  expect(found(outcome(dry, 'a'))).toEqual([
    expect.objectContaining({ code: 'overlaps', count: 1, examples: ['id=1 and id=2'] }),
  ]);
  expect(outcome(dry, 'a').error).toContain('1 pair of rows overlap');
});

test('values a type change refuses: text that is no integer, and a varchar narrowing without USING', async () => {
  const f = await fleet(
    {
      '0001_items.sql': {
        up: ['CREATE TABLE items (id int PRIMARY KEY, code text, name varchar(40))'],
        down: ['DROP TABLE items'],
      },
      '0002_types.sql': {
        up: [
          'ALTER TABLE items ALTER COLUMN code TYPE integer USING code::integer',
          'ALTER TABLE items ALTER COLUMN name TYPE varchar(10)',
        ],
        down: ['ALTER TABLE items ALTER COLUMN name TYPE varchar(40)', 'ALTER TABLE items ALTER COLUMN code TYPE text'],
      },
    },
    {
      a: `INSERT INTO items VALUES (1, '12', 'short'), (2, '12a', 'short'), (3, '99999999999', 'short')`,
      b: `INSERT INTO items VALUES (1, ' 7 ', 'Bartholomew-Montgomery'), (2, '8', 'exactly10 ')`,
      c: `INSERT INTO items VALUES (1, '-3', 'short')`,
    },
  );
  // Declared: the loss gate lets the narrowings through where values fit; the pre-check counts those that do not.
  const dry = await expectRefusedOnly(f, ['a', 'b'], 1, {
    allow: ['narrows-type public.items.code', 'narrows-type public.items.name'],
  });
  expect(found(outcome(dry, 'a'))).toEqual([
    expect.objectContaining({ code: 'type-change', count: 2, examples: ["id=2: '12a'", "id=3: '99999999999'"] }),
  ]);
  expect(found(outcome(dry, 'b'))).toEqual([
    expect.objectContaining({ code: 'type-change', count: 1, examples: ["id=1: 'Bartholomew-Montgomery'"] }),
  ]);
});

test('a revert whose Down recreates an enum without a value some rows still use (loss allowed): refused on those clients', async () => {
  const recreate = (labels: string) => [
    'ALTER TYPE mood RENAME TO mood_old',
    `CREATE TYPE mood AS ENUM (${labels})`,
    'ALTER TABLE people ALTER COLUMN feeling TYPE mood USING feeling::text::mood',
    'DROP TYPE mood_old',
  ];
  const f = await fleet(
    {
      '0001_people.sql': {
        up: [`CREATE TYPE mood AS ENUM ('ok', 'sad')`, 'CREATE TABLE people (id int PRIMARY KEY, feeling mood)'],
        down: ['DROP TABLE people', 'DROP TYPE mood'],
      },
      '0002_happy.sql': { up: recreate(`'ok', 'sad', 'happy'`), down: recreate(`'ok', 'sad'`) },
    },
    { a: `INSERT INTO people VALUES (1, 'happy'), (2, 'ok')`, b: `INSERT INTO people VALUES (1, 'sad')`, c: '' },
    2,
  );
  const allow = ['enum-recreated public.mood.happy'];
  const dry = await f.run({ dryRun: true, to: 1, allow });
  expect(statuses(dry)).toEqual({ a: 'refused', b: 'pending', c: 'pending' });
  const [check] = found(outcome(dry, 'a'));
  expect(check).toMatchObject({ code: 'type-change', file: '0002_happy.sql', count: 1, examples: ["id=1: 'happy'"] });
  expect(outcome(dry, 'a').error).toMatch(
    /reverting from version 2 to 1: 0002_happy\.sql line \d+: type change of people\.feeling to mood: 1 value the new type refuses/,
  );
  const real = await f.run({ to: 1, allow });
  expect(statuses(real)).toEqual({ a: 'refused', b: 'applied', c: 'applied' });
  expect(await recordedIds(f.targets.a.url)).toHaveLength(2);
  expect(await recordedIds(f.targets.b.url)).toHaveLength(1);
});

test('a sequence, and an identity, whose current value is above a new MAXVALUE', async () => {
  const f = await fleet(
    {
      '0001_invoices.sql': {
        up: [
          'CREATE TABLE invoices (id serial PRIMARY KEY)',
          'CREATE TABLE tickets (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY)',
        ],
        down: ['DROP TABLE tickets', 'DROP TABLE invoices'],
      },
      '0002_bound.sql': {
        up: ['ALTER SEQUENCE invoices_id_seq MAXVALUE 100', 'ALTER TABLE tickets ALTER COLUMN id SET MAXVALUE 10'],
        down: ['ALTER TABLE tickets ALTER COLUMN id SET NO MAXVALUE', 'ALTER SEQUENCE invoices_id_seq NO MAXVALUE'],
      },
    },
    {
      a: `SELECT setval('invoices_id_seq', 150)`,
      b: `SELECT setval('invoices_id_seq', 100); SELECT setval(pg_get_serial_sequence('tickets', 'id'), 11)`,
      c: '',
    },
  );
  const dry = await expectRefusedOnly(f, ['a', 'b']);
  expect(found(outcome(dry, 'a'))).toEqual([
    expect.objectContaining({
      code: 'sequence-bounds',
      table: 'invoices_id_seq',
      count: 1,
      examples: ['last_value=150'],
    }),
  ]);
  expect(found(outcome(dry, 'b'))).toEqual([
    expect.objectContaining({
      code: 'sequence-bounds',
      table: 'public.tickets_id_seq',
      count: 1,
      examples: ['last_value=11'],
    }),
  ]);
});

test('rows outside the bounds of a partition being attached (RANGE and LIST)', async () => {
  const f = await fleet(
    {
      '0001_events.sql': {
        up: [
          'CREATE TABLE events (id int, at date NOT NULL) PARTITION BY RANGE (at)',
          'CREATE TABLE events_2026 (id int PRIMARY KEY, at date NOT NULL)',
          'CREATE TABLE sites (id int, region text) PARTITION BY LIST (region)',
          'CREATE TABLE sites_eu (id int PRIMARY KEY, region text)',
        ],
        down: ['DROP TABLE sites_eu', 'DROP TABLE sites', 'DROP TABLE events_2026', 'DROP TABLE events'],
      },
      '0002_attach.sql': {
        up: [
          `ALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')`,
          `ALTER TABLE sites ATTACH PARTITION sites_eu FOR VALUES IN ('de', 'fr', NULL)`,
        ],
        down: ['ALTER TABLE sites DETACH PARTITION sites_eu', 'ALTER TABLE events DETACH PARTITION events_2026'],
      },
    },
    {
      a: `INSERT INTO events_2026 VALUES (1, '2026-03-01'), (2, '2025-12-31')`,
      b: `INSERT INTO sites_eu VALUES (1, 'de'), (2, NULL), (3, 'us')`,
      c: `INSERT INTO events_2026 VALUES (1, '2026-12-31'); INSERT INTO sites_eu VALUES (1, NULL)`,
    },
  );
  const dry = await expectRefusedOnly(f, ['a', 'b']);
  expect(found(outcome(dry, 'a'))).toEqual([
    expect.objectContaining({
      code: 'partition-bounds',
      table: 'events_2026',
      count: 1,
      examples: ["id=2: '2025-12-31'"],
    }),
  ]);
  expect(found(outcome(dry, 'b'))).toEqual([
    expect.objectContaining({ code: 'partition-bounds', table: 'sites_eu', count: 1, examples: ["id=3: 'us'"] }),
  ]);
});

test('a statement on a column the same run adds without a default reads it as NULL: NULLs never collide', async () => {
  const f = await fleet(
    {
      '0001_patients.sql': PATIENTS,
      '0002_code.sql': {
        up: ['ALTER TABLE patients ADD COLUMN code text', 'CREATE UNIQUE INDEX patients_code ON patients (code)'],
        down: ['DROP INDEX patients_code', 'ALTER TABLE patients DROP COLUMN code'],
      },
    },
    { a: `INSERT INTO patients VALUES (1, 'M1', 1, true)`, b: '', c: '' },
  );
  const dry = await f.run({ dryRun: true });
  expect(statuses(dry)).toEqual({ a: 'pending', b: 'pending', c: 'pending' });
  expect(outcome(dry, 'a').prechecks?.checks).toEqual([
    expect.objectContaining({ code: 'duplicates', status: 'clean', count: 0 }),
  ]);
  expect(formatReportText(dry, wordRemedy)).toMatch(
    /unique index patients_code on patients \(code\): no row it refuses/,
  );
});

test('a column added earlier in the run with a constant default (or none) is read as that value; after an UPDATE it is skipped', async () => {
  const f = await fleet(
    {
      '0001_patients.sql': PATIENTS,
      '0002_code.sql': {
        up: [
          `ALTER TABLE patients ADD COLUMN code text DEFAULT 'X'`,
          'CREATE UNIQUE INDEX patients_code ON patients (code)',
          'ALTER TABLE patients ADD COLUMN note text',
          'ALTER TABLE patients ALTER COLUMN note SET NOT NULL',
        ],
        down: [
          'ALTER TABLE patients DROP COLUMN note',
          'DROP INDEX patients_code',
          'ALTER TABLE patients DROP COLUMN code',
        ],
      },
    },
    {
      a: `INSERT INTO patients VALUES (1, 'M1', 1, true), (2, 'M2', 1, true)`,
      b: `INSERT INTO patients VALUES (1, 'M1', 1, true)`,
      c: '',
    },
  );
  const dry = await expectRefusedOnly(f, ['a', 'b']);
  expect(found(outcome(dry, 'a'))).toEqual([
    expect.objectContaining({ code: 'duplicates', count: 2, examples: ['code=X (2 rows)'] }),
    expect.objectContaining({ code: 'nulls', count: 2 }),
  ]);
  expect(found(outcome(dry, 'b'))).toEqual([expect.objectContaining({ code: 'nulls', count: 1, examples: ['id=1'] })]);

  const backfilled = await fleet(
    {
      '0001_patients.sql': PATIENTS,
      '0002_code.sql': {
        up: [
          'ALTER TABLE patients ADD COLUMN code text',
          `UPDATE patients SET code = 'P' || id`,
          'CREATE UNIQUE INDEX patients_code ON patients (code)',
        ],
        down: ['DROP INDEX patients_code', 'ALTER TABLE patients DROP COLUMN code'],
      },
    },
    { a: `INSERT INTO patients VALUES (1, 'M1', 1, true), (2, 'M2', 1, true)`, b: '', c: '' },
  );
  const notGuessed = await backfilled.run({ dryRun: true });
  expect(statuses(notGuessed)).toEqual({ a: 'pending', b: 'pending', c: 'pending' });
  expect(outcome(notGuessed, 'a').prechecks?.checks).toEqual([
    expect.objectContaining({
      code: 'duplicates',
      status: 'skipped',
      reason: expect.stringMatching(
        /^column code is added \(or renamed\) by 0002_code\.sql line \d+, earlier in this run/,
      ),
    }),
  ]);
  expect(formatReportText(notGuessed, wordRemedy)).toMatch(
    /unique index patients_code on patients: not checked: column code is added/,
  );
});

test('a check on a table above the size limit is skipped with a notice, and the target is not refused for it', async () => {
  const f = await fleet(
    {
      '0001_patients.sql': PATIENTS,
      '0002_mrn.sql': { up: ['CREATE UNIQUE INDEX patients_mrn ON patients (mrn)'], down: ['DROP INDEX patients_mrn'] },
    },
    {
      a: `INSERT INTO patients SELECT i, 'M' || (i % 10), 1, true FROM generate_series(1, 50) AS i; ANALYZE patients`,
      b: '',
      c: '',
    },
  );
  const dry = await f.run({ dryRun: true, prechecks: { maxRows: 20 } });
  expect(statuses(dry)).toEqual({ a: 'pending', b: 'pending', c: 'pending' });
  expect(outcome(dry, 'a').prechecks?.checks).toEqual([
    expect.objectContaining({
      status: 'skipped',
      reason: 'the table holds about 50 rows, above the pre-check limit of 20',
      remedies: [{ kind: 'option', option: 'precheckMaxRows', change: 'raise' }],
    }),
  ]);
  // Raised, it runs and finds the duplicates.
  const raised = await f.run({ dryRun: true, prechecks: { maxRows: 100 } });
  expect(statuses(raised)).toEqual({ a: 'refused', b: 'pending', c: 'pending' });
  expect(found(outcome(raised, 'a'))).toEqual([expect.objectContaining({ count: 50, groups: 10 })]);
});

describe('statements that lock a large table while they rewrite or scan it', () => {
  const files = (header: string[] = []): Record<string, MigrationFileContent> => ({
    '0001_events.sql': {
      up: ['CREATE TABLE events (id int PRIMARY KEY, kind text, payload text)'],
      down: ['DROP TABLE events'],
    },
    '0002_kind.sql': {
      up: ['CREATE INDEX events_kind ON events (kind)'],
      down: ['DROP INDEX events_kind'],
      ...(header.length ? { header } : {}),
    },
  });
  const rows = {
    a: `INSERT INTO events SELECT i, 'k' || (i % 7), repeat('x', 100) FROM generate_series(1, 20000) AS i; ANALYZE events`,
    b: `INSERT INTO events SELECT i, 'k', 'x' FROM generate_series(1, 100) AS i; ANALYZE events`,
    c: '',
  };

  test('refused above the limit, naming table, rows, bytes and an estimate; runs when acknowledged with --allow', async () => {
    const f = await fleet(files(), rows);
    const dry = await expectRefusedOnly(f, ['a']);
    const locked = outcome(dry, 'a').prechecks!.lockedTables;
    expect(locked).toEqual([
      expect.objectContaining({
        code: 'blocks-writes',
        file: '0002_kind.sql',
        table: 'public.events',
        rows: 20000,
        large: true,
        acknowledged: false,
      }),
    ]);
    expect(locked[0].bytes).toBeGreaterThan(2_000_000);
    expect(outcome(dry, 'a').error).toMatch(
      /0002_kind\.sql line \d+: CREATE INDEX events_kind without CONCURRENTLY \(writes wait while it builds\) on public\.events, 20000 rows and [\d.]+ MB: about [\d.]+ s under lock \(an estimate: its size at the index build rate bench\/prechecks\.ts measured\); above the large-table limit\. To run it anyway, acknowledge it \(or add the line "-- db-migrate: allow blocks-writes public\.events" to the migration\); nothing was run$/,
    );
    expect(outcome(dry, 'a').remedies).toEqual([{ kind: 'allow', value: 'blocks-writes public.events' }]);
    // Below the limit: listed with its size, not refused.
    expect(outcome(dry, 'b').prechecks!.lockedTables).toEqual([expect.objectContaining({ rows: 100, large: false })]);
    expect(formatReportText(dry, wordRemedy)).toMatch(
      /on public\.events \(100 rows, \d+ kB\): an estimated [\d.]+ s under lock; below the large-table limit/,
    );
    // A raised limit lets it through; so does the acknowledgement.
    expect(
      statuses(await f.run({ dryRun: true, prechecks: { largeTableRows: 50_000, largeTableBytes: 1e9 } })),
    ).toEqual({ a: 'pending', b: 'up-to-date', c: 'up-to-date' });
    const allowed = await f.run({ allow: ['blocks-writes public.events'] });
    expect(statuses(allowed)).toEqual({ a: 'applied', b: 'up-to-date', c: 'up-to-date' });
    expect(outcome(allowed, 'a').prechecks!.lockedTables[0]).toMatchObject({ large: true, acknowledged: true });
    expect(await recordedIds(f.targets.a.url)).toHaveLength(2);
  });

  test('SET NOT NULL after a CHECK (col IS NOT NULL) validated earlier in the run scans nothing: not refused', async () => {
    const f = await fleet(
      {
        '0001_events.sql': files()['0001_events.sql']!,
        '0002_check.sql': {
          up: ['ALTER TABLE events ADD CONSTRAINT events_kind_not_null CHECK (kind IS NOT NULL) NOT VALID'],
          down: ['ALTER TABLE events DROP CONSTRAINT events_kind_not_null'],
        },
        '0003_not_null.sql': {
          up: [
            'ALTER TABLE events VALIDATE CONSTRAINT events_kind_not_null',
            'ALTER TABLE events ALTER COLUMN kind SET NOT NULL',
            'ALTER TABLE events ALTER COLUMN payload SET NOT NULL',
          ],
          down: [
            'ALTER TABLE events ALTER COLUMN payload DROP NOT NULL',
            'ALTER TABLE events ALTER COLUMN kind DROP NOT NULL',
          ],
        },
      },
      rows,
    );
    // From version 2 (the NOT VALID check is on the targets): kind is free, payload (no such check) scans the table.
    for (const t of Object.values(f.targets))
      await query(
        t.url,
        `ALTER TABLE events ADD CONSTRAINT events_kind_not_null CHECK (kind IS NOT NULL) NOT VALID; INSERT INTO gorp_migrations (id, applied_at) VALUES ('0002_check.sql', now())`,
      );
    const dry = await f.run({ dryRun: true });
    expect(statuses(dry)).toEqual({ a: 'refused', b: 'pending', c: 'pending' });
    expect(outcome(dry, 'a').prechecks!.lockedTables.map((t) => [t.code, t.what])).toEqual([
      ['scans-table', expect.stringMatching(/^SET NOT NULL on events\.payload /)],
    ]);
  });

  test('the marker line in the migration acknowledges it too', async () => {
    const f = await fleet(files(['db-migrate: allow blocks-writes public.events']), rows);
    const report = await f.run();
    expect(statuses(report)).toEqual({ a: 'applied', b: 'applied', c: 'applied' });
  });
});
