/**
 * A dry run predicts every refusal the real run makes: each case below builds a database that one
 * command (apply, sync, baseline) must refuse, runs it dry and then for real, and insists on the same
 * verdict (status, message, exit status), and that neither run changed anything. Then: a refused or
 * failed first run of up, apply, sync or baseline leaves no bookkeeping behind.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestRepo, type TestRepo } from '../../../test/support/git';
import { adminUrl, createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';
import { createRole, dropRoles } from '../../../test/support/roles';
import { whileTransactionOpen } from '../../../test/support/open-transaction';
import { up } from '../src/applier/migrator';
import { describeDatabase } from '../src/database-url';
import { errorMessage } from '../src/errors';
import { applyFleet } from '../src/fleet/apply';
import { baselineFleet } from '../src/fleet/baseline';
import { type FleetReport, reportFails } from '../src/fleet/report';
import { syncFleet } from '../src/fleet/sync';
import type { Target } from '../src/fleet/targets';
import type { MigrationFileContent } from '../src/migrations/format';
import type { MigrationSet } from '../src/migrations/store';
import type { SchemaSource } from '../src/schema-source';
import { shadow, workspace } from './fleet-fixture';

const ws = workspace('dry_refusals');
let repo: TestRepo;
let source: SchemaSource;
const extraUrls: string[] = [];

beforeAll(() => {
  repo = createTestRepo();
  mkdirSync(join(repo.dir, 'schema'));
  source = { repoDir: repo.dir, schemaDir: 'schema', sqlFiles: ['schema.sql'] };
});
afterAll(async () => {
  await dropRoles([...extraUrls]);
  await Promise.all(extraUrls.map(dropTestDatabase));
  await ws.cleanup();
  repo.remove();
});

const SHOP: Readonly<Record<string, MigrationFileContent>> = {
  '0001_customers.sql': {
    up: ['CREATE TABLE customers (id bigint PRIMARY KEY, email text)'],
    down: ['DROP TABLE customers'],
  },
  '0002_notes.sql': { up: ['CREATE TABLE notes (id bigint PRIMARY KEY, body text)'], down: ['DROP TABLE notes'] },
  '0003_unique_email.sql': {
    up: ['CREATE UNIQUE INDEX customers_email ON customers (email)'],
    down: ['DROP INDEX customers_email'],
  },
  '0004_no_down.sql': { up: ['ALTER TABLE customers ADD COLUMN note text'] },
};

const WIDE: Readonly<Record<string, MigrationFileContent>> = {
  '0001_events.sql': { up: ['CREATE TABLE events (id int PRIMARY KEY, v int)'], down: ['DROP TABLE events'] },
  '0002_bigger.sql': {
    up: ['ALTER TABLE events ALTER COLUMN v TYPE bigint'],
    down: ['ALTER TABLE events ALTER COLUMN v TYPE int'],
  },
};

/** Everything a run could change, read as the superuser: objects, columns, enum values, constraints, row counts. */
const SNAPSHOT = `
WITH rels AS (
  SELECT c.oid, n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%')
SELECT 'schema ' || nspname AS item FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
UNION ALL SELECT 'relation ' || nspname || '.' || relname || ' ' || relkind::text FROM rels
UNION ALL SELECT 'column ' || table_schema || '.' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
  FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
UNION ALL SELECT 'enum ' || t.typname || ' ' || e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
UNION ALL SELECT 'constraint ' || conname || ' ' || convalidated::text FROM pg_constraint c
  JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
UNION ALL SELECT 'rows ' || nspname || '.' || relname || ' ' ||
  (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', nspname, relname), false, true, '')))[1]::text
  FROM rels WHERE relkind = 'r'
ORDER BY 1`;

async function snapshot(url: string): Promise<string[]> {
  const admin = new URL(adminUrl());
  const asAdmin = new URL(url);
  asAdmin.username = admin.username;
  asAdmin.password = admin.password;
  return (await query<{ item: string }>(asAdmin.toString(), SNAPSHOT)).map((r) => r.item);
}

const bookkeepingLeft = (items: readonly string[]) =>
  items.filter((i) => /gorp_migrations|applied_checksums|^schema db_migrate$/.test(i));

function commitSchema(sql: string): string {
  writeFileSync(join(repo.dir, 'schema', 'schema.sql'), sql);
  return repo.commitAll('schema');
}

/** A database at `version` of `set`, then `sql` run on it as the superuser. */
async function at(set: MigrationSet, version: number, sql = ''): Promise<Target & { url: string }> {
  const target = await ws.database(set, version, 'client');
  if (sql) await query(target.url, sql);
  return target;
}

/** A fresh database whose public schema belongs to a role without CREATE on the database (a managed service's owner). */
async function ownerWithoutCreate(sql = ''): Promise<Target & { url: string }> {
  const url = await createTestDatabase('dry_refusals_role');
  extraUrls.push(url);
  const owner = await createRole('dry_owner');
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  await query(
    url,
    `GRANT CONNECT ON DATABASE "${name}" TO "${owner.name}"; ALTER SCHEMA public OWNER TO "${owner.name}"`,
  );
  if (sql) await query(url, sql);
  const roleUrl = owner.urlFor(url);
  return { name: 'client', url: roleUrl, groups: [], database: describeDatabase(roleUrl) };
}

/** A fresh database with `sql` run on it (a staging database for sync). */
async function staging(sql: string): Promise<Target & { url: string }> {
  const url = await createTestDatabase('dry_refusals_sync');
  extraUrls.push(url);
  await query(url, sql);
  return { name: 'client', url, groups: [], database: describeDatabase(url) };
}

type Run = (dryRun: boolean) => Promise<FleetReport>;

interface RefusalCase {
  readonly name: string;
  /** Builds the database and returns it with the run to make both ways. */
  readonly setup: () => Promise<{ readonly target: Target & { url: string }; readonly run: Run }>;
  /** The verdict of both runs: a status with a message matching `error`, or an error thrown before any database is touched. */
  readonly status?: string;
  readonly error: RegExp;
  /** What would fix it, as data (each front end words it as its flag or input). */
  readonly remedies?: readonly unknown[];
  readonly thrown?: boolean;
}

const apply =
  (set: MigrationSet, target: Target, extra: Partial<Parameters<typeof applyFleet>[0]> = {}): Run =>
  (dryRun) =>
    applyFleet({ set, targets: [target], shadow: shadow(), dryRun, ...extra });
const baseline =
  (set: MigrationSet, target: Target, to: number): Run =>
  (dryRun) =>
    baselineFleet({ set, targets: [target], shadow: shadow(), to, dryRun });
const sync =
  (target: Target, ref: string, extra: Partial<Parameters<typeof syncFleet>[0]> = {}): Run =>
  (dryRun) =>
    syncFleet({ targets: [target], source, ref, shadow: shadow(), dryRun, ...extra });

const CASES: readonly RefusalCase[] = [
  {
    name: 'apply: a database whose schema differs from its version is postponed',
    setup: async () => {
      const set = await ws.migrations(SHOP);
      const target = await at(set, 1, 'ALTER TABLE customers ADD COLUMN extra int');
      return { target, run: apply(set, target) };
    },
    status: 'postponed',
    error: /^$/,
  },
  {
    name: 'apply: rows a new unique index cannot take (pre-check)',
    setup: async () => {
      const set = await ws.migrations(SHOP);
      const target = await at(set, 2, "INSERT INTO customers VALUES (1, 'a@x'), (2, 'a@x')");
      return { target, run: apply(set, target) };
    },
    status: 'refused',
    error:
      /0003_unique_email\.sql line \d+: unique index customers_email on customers \(email\): 2 rows share 1 key.*; nothing was run$/,
  },
  {
    name: 'apply: a revert whose Down drops a table holding rows (data at risk)',
    setup: async () => {
      const set = await ws.migrations(SHOP);
      const target = await at(set, 2, "INSERT INTO notes VALUES (1, 'keep me')");
      return { target, run: apply(set, target, { to: 1 }) };
    },
    status: 'refused',
    error:
      /reverting from version 2 to 1 would lose data it holds: public\.notes \(drops-data, 1 row\); nothing was run\. If that loss is intended, acknowledge it$/,
    remedies: [{ kind: 'allow', value: 'drops-data public.notes' }],
  },
  {
    name: 'apply: a revert through a migration without a Down section (irreversible)',
    setup: async () => {
      const set = await ws.migrations(SHOP);
      const target = await at(set, 4);
      return { target, run: apply(set, target, { to: 3 }) };
    },
    status: 'refused',
    error: /cannot revert to version 3: 0004_no_down\.sql has no "-- \+migrate Down" section/,
  },
  {
    name: 'apply: records the files do not describe (inconsistent)',
    setup: async () => {
      const set = await ws.migrations(SHOP);
      const target = await at(set, 1, "INSERT INTO gorp_migrations VALUES ('0009_unknown.sql', now())");
      return { target, run: apply(set, target) };
    },
    status: 'refused',
    error: /0009_unknown\.sql/,
  },
  {
    name: 'apply: a statement that rewrites a large table (size gate, allow codes)',
    setup: async () => {
      const set = await ws.migrations(WIDE);
      const target = await at(set, 1, 'INSERT INTO events SELECT g, g FROM generate_series(1, 50) g; ANALYZE events');
      return { target, run: apply(set, target, { prechecks: { largeTableRows: 10 } }) };
    },
    status: 'refused',
    error: /above the large-table limit\. To run it anyway, acknowledge it .*nothing was run$/s,
    remedies: [{ kind: 'allow', value: 'rewrites-table public.events' }],
  },
  {
    name: 'apply: a role that cannot create the bookkeeping, on a fresh database',
    setup: async () => {
      const set = await ws.migrations(SHOP);
      const target = await ownerWithoutCreate();
      return { target, run: apply(set, target) };
    },
    status: 'refused',
    error: /lacks CREATE on database .*: needed to create schema db_migrate/,
  },
  {
    name: 'apply: --to a version that does not exist',
    setup: async () => {
      const set = await ws.migrations(SHOP);
      const target = await at(set, 1);
      return { target, run: apply(set, target, { to: 7 }) };
    },
    thrown: true,
    error: /^the target version 7: there is no migration version 7 in .* \(versions 1 to 4\)$/,
  },
  {
    name: 'sync: drops a column holding values (enum value added first, a new index after)',
    setup: async () => {
      const ref = commitSchema(
        "CREATE TYPE kind AS ENUM ('a', 'b', 'c');\nCREATE TABLE items (id int PRIMARY KEY, k kind);\nCREATE INDEX items_k ON items (k);\n",
      );
      const target = await staging(
        "CREATE TYPE kind AS ENUM ('a', 'b'); CREATE TABLE items (id int PRIMARY KEY, k kind, legacy text); INSERT INTO items VALUES (1, 'a', 'old')",
      );
      return { target, run: sync(target, ref) };
    },
    status: 'refused',
    error:
      /the sync would lose data it holds: public\.items\.legacy \(drops-data, 1 value\); nothing was changed\. If that loss is intended, acknowledge it$/,
    remedies: [{ kind: 'allow', value: 'drops-data public.items.legacy' }],
  },
  {
    name: 'sync: removes an enum value rows hold',
    setup: async () => {
      const ref = commitSchema("CREATE TYPE kind AS ENUM ('a');\nCREATE TABLE items (id int PRIMARY KEY, k kind);\n");
      const target = await staging(
        "CREATE TYPE kind AS ENUM ('a', 'b'); CREATE TABLE items (id int PRIMARY KEY, k kind); INSERT INTO items VALUES (1, 'b')",
      );
      return { target, run: sync(target, ref) };
    },
    status: 'refused',
    // The pre-check sees the row the recreated type refuses before the data-loss check counts it.
    error:
      /the sync: sync statement \d+ line \d+: type change of public\.items\.k to public\.kind: 1 value the new type refuses.*; nothing was run$/,
  },
  {
    name: 'sync: a schema build with no tables against a database with some (empty goal)',
    setup: async () => {
      const ref = commitSchema('-- nothing yet\n');
      const target = await staging('CREATE TABLE items (id int PRIMARY KEY)');
      return { target, run: sync(target, ref) };
    },
    status: 'refused',
    error: /no tables.*nothing was changed/s,
  },
  {
    name: 'sync: rows a new unique index cannot take (pre-check)',
    setup: async () => {
      const ref = commitSchema('CREATE TABLE items (id int PRIMARY KEY, code text UNIQUE);\n');
      const target = await staging(
        "CREATE TABLE items (id int PRIMARY KEY, code text); INSERT INTO items VALUES (1, 'x'), (2, 'x')",
      );
      return { target, run: sync(target, ref) };
    },
    status: 'refused',
    error:
      /the sync: sync statement \d+ line \d+: unique index items_code_key on public\.items \(code\): 2 rows share 1 key.*; nothing was run$/,
  },
  {
    name: 'baseline: a database whose schema differs from version N is postponed',
    setup: async () => {
      const set = await ws.migrations(SHOP);
      const target = await at(set, 0, 'CREATE TABLE customers (id bigint PRIMARY KEY)');
      return { target, run: baseline(set, target, 1) };
    },
    status: 'postponed',
    error: /^$/,
  },
  {
    name: 'baseline: a database already versioned below N',
    setup: async () => {
      const set = await ws.migrations(SHOP);
      const target = await at(set, 1);
      return { target, run: baseline(set, target, 2) };
    },
    status: 'failed',
    error: /already versioned at version 1, below 2/,
  },
  {
    name: 'baseline: a role that cannot create the bookkeeping',
    setup: async () => {
      const set = await ws.migrations(SHOP);
      const target = await ownerWithoutCreate('CREATE TABLE public.customers (id bigint PRIMARY KEY, email text)');
      return { target, run: baseline(set, target, 1) };
    },
    status: 'refused',
    error: /lacks CREATE on database .*: needed to create schema db_migrate/,
  },
  {
    name: 'baseline: --to 0',
    setup: async () => {
      const set = await ws.migrations(SHOP);
      const target = await at(set, 0);
      return { target, run: baseline(set, target, 0) };
    },
    thrown: true,
    error: /^the target version 0: a baseline records versions 1\.\.N/,
  },
];

describe('a dry run gives the verdict of the real run, and neither changes anything', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { target, run } = await c.setup();
    const before = await snapshot(target.url);
    const verdicts: { status?: string; error: string; fails?: boolean; remedies?: readonly unknown[] }[] = [];
    for (const dryRun of [true, false]) {
      if (c.thrown) {
        const error = await run(dryRun).then(
          () => new Error('did not throw'),
          (e: unknown) => e,
        );
        verdicts.push({ error: errorMessage(error) });
      } else {
        const report = await run(dryRun);
        const [outcome] = report.targets;
        verdicts.push({
          status: outcome.status,
          error: outcome.error ?? '',
          fails: reportFails(report),
          remedies: outcome.remedies ?? [],
        });
      }
      expect(await snapshot(target.url)).toEqual(before);
    }
    const [dry, real] = verdicts;
    expect(dry.error).toMatch(c.error);
    expect(dry).toEqual(real);
    if (!c.thrown) expect(dry).toMatchObject({ status: c.status, fails: true });
    if (c.remedies) expect(dry.remedies).toEqual(c.remedies);
  });
});

describe('a refused or failed first run leaves no bookkeeping behind', () => {
  // Fails on the client's database only (the pre-flight's copies have other names): a first run that fails for real.
  const FAILS_ON_CLIENT: Readonly<Record<string, MigrationFileContent>> = {
    '0001_customers.sql': {
      up: [
        'CREATE TABLE customers (id bigint PRIMARY KEY)',
        "DO $$ BEGIN IF current_database() LIKE '%first_fail%' THEN RAISE EXCEPTION 'only here'; END IF; END $$",
      ],
      down: ['DROP TABLE customers'],
    },
  };
  const fresh = async () => {
    const url = await createTestDatabase('first_fail');
    extraUrls.push(url);
    return { name: 'client', url, groups: [], database: describeDatabase(url) };
  };

  it('up (refused: --to beyond the files; failed: a statement), apply (failed), sync (failed), baseline (postponed, refused)', async () => {
    const set = await ws.migrations(FAILS_ON_CLIENT);
    const outcomes: string[] = [];
    const check = async (url: string, what: string) => {
      expect([what, bookkeepingLeft(await snapshot(url))]).toEqual([what, []]);
    };

    const refusedUp = await fresh();
    const refused = await up(refusedUp.url, set, { to: 5 });
    expect(refused.error?.outcome).toBe('refused');
    await check(refusedUp.url, 'up refused');

    const failedUp = await fresh();
    expect((await up(failedUp.url, set)).error?.message).toMatch(/only here/);
    await check(failedUp.url, 'up failed');

    const failedApply = await fresh();
    const applied = await applyFleet({ set, targets: [failedApply], shadow: shadow() });
    outcomes.push(applied.targets[0].status);
    expect(applied.targets[0].error).toMatch(/only here/);
    await check(failedApply.url, 'apply failed');

    const failedSync = await fresh();
    const ref = commitSchema('CREATE TABLE customers (id bigint PRIMARY KEY, email text);\n');
    await query(failedSync.url, 'CREATE TABLE customers (id bigint PRIMARY KEY)');
    // Its ALTER TABLE times out behind a reader's lock, with no budget to try again: the sync fails.
    const synced = await whileTransactionOpen(failedSync.url, 'SELECT * FROM customers', () =>
      syncFleet({
        targets: [failedSync],
        source,
        ref,
        shadow: shadow(),
        lockTimeoutMs: 50,
        lockRetryBudgetMs: 0,
        retry: { attempts: 1 },
      }),
    );
    outcomes.push(synced.targets[0].status);
    expect(synced.targets[0].error).toMatch(/lock timeout/);
    await check(failedSync.url, 'sync failed');
    expect(await snapshot(failedSync.url)).not.toContain('column public.customers.email text YES');

    const postponed = await fresh();
    await query(postponed.url, 'CREATE TABLE other (id int)');
    outcomes.push((await baselineFleet({ set, targets: [postponed], shadow: shadow(), to: 1 })).targets[0].status);
    await check(postponed.url, 'baseline postponed');

    const noRights = await ownerWithoutCreate();
    outcomes.push((await applyFleet({ set, targets: [noRights], shadow: shadow() })).targets[0].status);
    await check(noRights.url, 'apply refused');

    expect(outcomes).toEqual(['failed', 'failed', 'postponed', 'refused']);
  });
});
