/**
 * Declared intent end to end on real parts (real git repositories, the test PostgreSQL server, real
 * SQLAlchemy): the destructive-change gate, renames declared by trailer, rename candidates, the refusal
 * of an empty goal build in create, verify and sync, and sync refusing to drop a table holding rows.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminUrl, createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';
import { down, up } from '../src/applier/migrator';
import { type CreatedMigration, createMigration, type CreateOutcome } from '../src/create';
import { ConfigurationError } from '../src/errors';
import { syncFleet } from '../src/fleet/sync';
import { resolveTargets } from '../src/fleet/targets';
import { silentLogger } from '../src/logger';
import { parseMetadata } from '../src/migrations/metadata';
import { readMigrationDir } from '../src/migrations/store';
import type { SchemaSource } from '../src/schema-source';
import { openShadowServer, type ShadowServer } from '../src/shadow';
import { verifyMigrations, type VerifyReport } from '../src/verify';
import { makeTestRepo, type TestRepo } from './git-fixture';

const MIGRATIONS = 'migrations';
let shadow: ShadowServer;
const repos: TestRepo[] = [];
const databases: string[] = [];

beforeAll(async () => {
  shadow = await openShadowServer(adminUrl(), { postgresVersion: 15, logger: silentLogger });
});
afterAll(async () => {
  await shadow?.close();
  for (const repo of repos) repo.remove();
  for (const url of databases) await dropTestDatabase(url);
});

function created(outcome: CreateOutcome): CreatedMigration {
  if (outcome.outcome !== 'created') throw new Error(`expected a migration, got no-op: ${outcome.reason}`);
  return outcome;
}

async function create(
  source: SchemaSource,
  options: { renames?: string[]; allowEmptyGoal?: boolean } = {},
): Promise<CreatedMigration> {
  return created(
    await createMigration({
      source,
      migrationsDir: join(source.repoDir, MIGRATIONS),
      shadow: adminUrl(),
      postgresVersion: 15,
      logger: silentLogger,
      ...options,
    }),
  );
}

async function verify(
  source: SchemaSource,
  baseRef: string,
  options: { goalRef?: string; allowEmptyGoal?: boolean; failOnHazards?: boolean } = {},
): Promise<VerifyReport> {
  return verifyMigrations({
    source,
    migrationsDir: join(source.repoDir, MIGRATIONS),
    baseRef,
    shadow,
    logger: silentLogger,
    ...options,
  });
}

function check(report: VerifyReport, name: string) {
  return report.checks.find((c) => c.name === name)!;
}

function errors(report: VerifyReport): string[] {
  return report.checks.flatMap((c) => c.findings.filter((f) => f.level === 'error').map((f) => f.message));
}

/** Commits the migrations directory as it is: the pull request's migration commit. */
function commitMigrations(repo: TestRepo, message: string): string {
  repo.git('add', '--all', MIGRATIONS);
  return repo.commit(message, {});
}

/** Removes the change that starts at `version`: create may have split it into several files numbered on. */
function discardMigration(repo: TestRepo, version: number): void {
  for (const f of readdirSync(join(repo.dir, MIGRATIONS))) {
    const number = /^(\d{4})[._]/.exec(f)?.[1];
    if (number !== undefined && Number(number) >= version) rmSync(join(repo.dir, MIGRATIONS, f));
  }
}

function newRepo(): TestRepo {
  const repo = makeTestRepo();
  repos.push(repo);
  return repo;
}

describe('renames in SQLAlchemy models', () => {
  const MODELS = (column: string, notes: string) => `from sqlalchemy import Column, Integer, String, Text
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Product(Base):
    __tablename__ = "products"
    id = Column(Integer, primary_key=True)
    ${column} = Column(String(200), nullable=False, index=True)


class Note(Base):
    __tablename__ = "${notes}"
    id = Column(Integer, primary_key=True)
    body = Column(Text, nullable=False)
`;
  const CREATE_ALL = `import os
from sqlalchemy import create_engine
from models import Base

Base.metadata.create_all(create_engine(os.environ["DATABASE_URL"]))
`;
  let repo: TestRepo;
  let source: SchemaSource;
  let base: string;

  beforeAll(async () => {
    repo = newRepo();
    repo.commit('models v1', {
      'schema/models.py': MODELS('title', 'legacy_notes'),
      'schema/create_all.py': CREATE_ALL,
      [`${MIGRATIONS}/.gitkeep`]: '',
    });
    source = { repoDir: repo.dir, schemaDir: 'schema', command: '/usr/bin/python3 create_all.py' };
    await create(source);
    base = commitMigrations(repo, 'migration 1');
  });

  it('an undeclared rename is a drop and an add, named rename_or_replace_ and failing verify with the trailer to add', async () => {
    repo.commit('rename title and the notes table', { 'schema/models.py': MODELS('name', 'notes') });
    const migration = await create(source);
    expect(migration.name).toMatch(/^rename_or_replace_products_title/);
    expect(migration.upSql).toMatch(/DROP COLUMN "title"/);
    expect(migration.renameCandidates.map((c) => c.trailer)).toEqual([
      'DB-Migrate-Rename: public.products.title -> name',
      'DB-Migrate-Rename: public.legacy_notes -> notes',
    ]);
    expect(migration.text).toContain('--   trailer: DB-Migrate-Rename: public.products.title -> name');
    expect(migration.text).toContain('--   Up:      ALTER TABLE "public"."products" RENAME COLUMN "title" TO "name"');
    expect(migration.unacknowledged.map((l) => `${l.code} ${l.object}`)).toEqual([
      'drops-data public.legacy_notes',
      'drops-data public.products.title',
    ]);
    commitMigrations(repo, 'migration 2');

    const report = await verify(source, base);
    expect(report.result).toBe('failed');
    expect(check(report, 'hazards').status).toBe('failed');
    expect(errors(report)).toContainEqual(
      expect.stringContaining('"DB-Migrate-Allow: drops-data public.products.title"'),
    );
    expect(errors(report)).toContainEqual(
      expect.stringContaining('"-- db-migrate: allow drops-data public.products.title"'),
    );
  });

  it('declared by trailer, it becomes RENAME in Up and Down, keeps the rows of the column and of the table, and verifies', async () => {
    discardMigration(repo, 2);
    commitMigrations(repo, 'drop migration 2');
    repo.git(
      'commit',
      '--quiet',
      '--allow-empty',
      '-m',
      'declare the renames\n\nDB-Migrate-Rename: public.products.title -> name\nDB-Migrate-Rename: public.legacy_notes -> notes',
    );
    const migration = await create(source);
    expect(migration.name).not.toMatch(/rename_or_replace/);
    expect(migration.upSql).toContain('ALTER TABLE "public"."products" RENAME COLUMN "title" TO "name"');
    expect(migration.upSql).toContain('ALTER TABLE "public"."legacy_notes" RENAME TO "notes"');
    // The index and the key named after them follow (not dropped and rebuilt).
    expect(migration.upSql).toContain('ALTER INDEX "public"."ix_products_title" RENAME TO "ix_products_name"');
    expect(migration.upSql).not.toMatch(/DROP|CREATE/);
    expect(migration.downSql).toContain('ALTER TABLE "public"."products" RENAME COLUMN "name" TO "title"');
    expect(migration.dataLosses).toEqual([]);
    expect(migration.text).toContain('-- db-migrate: rename public.products.title -> name');
    // The header lists the hazard verify warns about.
    expect(migration.text).toMatch(
      /^-- {3}renames-object: renames column public\.products\.title to name: running code/m,
    );
    expect(migration.text).not.toContain('Hazards: none found');
    expect(parseMetadata('0002.json', readFileSync(migration.files[1]!, 'utf8')).renames).toContain(
      'public.legacy_notes -> notes',
    );
    commitMigrations(repo, 'migration 2, with renames');

    const url = await createTestDatabase('intent_rename');
    databases.push(url);
    const set = await readMigrationDir(join(repo.dir, MIGRATIONS));
    expect((await up(url, set, { to: 1, logger: silentLogger })).error).toBeUndefined();
    await query(
      url,
      `INSERT INTO products (id, title) VALUES (1, 'lamp'), (2, 'desk'); INSERT INTO legacy_notes (id, body) VALUES (7, 'keep me')`,
    );
    expect((await up(url, set, { logger: silentLogger })).error).toBeUndefined();
    expect(await query(url, 'SELECT id, name FROM products ORDER BY id')).toEqual([
      { id: 1, name: 'lamp' },
      { id: 2, name: 'desk' },
    ]);
    expect(await query(url, 'SELECT id, body FROM notes')).toEqual([{ id: 7, body: 'keep me' }]);
    expect((await down(url, set, { to: 1, logger: silentLogger })).error).toBeUndefined();
    expect(await query(url, 'SELECT id, title FROM products ORDER BY id')).toEqual([
      { id: 1, title: 'lamp' },
      { id: 2, title: 'desk' },
    ]);
    expect(await query(url, 'SELECT id, body FROM legacy_notes')).toEqual([{ id: 7, body: 'keep me' }]);

    const report = await verify(source, base);
    expect(errors(report)).toEqual([]);
    expect(report.result).toBe('passed');
  });
});

describe('an ordinary drop', () => {
  const V1 = `CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, legacy_code text, fax text);\n`;
  const V2 = `CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, fax text);\n`;
  let repo: TestRepo;
  let source: SchemaSource;
  let base: string;
  let migration: CreatedMigration;

  beforeAll(async () => {
    repo = newRepo();
    repo.commit('schema v1', { 'schema/schema.sql': V1, [`${MIGRATIONS}/.gitkeep`]: '' });
    source = { repoDir: repo.dir, schemaDir: 'schema', sqlFiles: ['schema.sql'] };
    await create(source);
    base = commitMigrations(repo, 'migration 1');
    repo.commit('drop legacy_code', { 'schema/schema.sql': V2 });
    migration = await create(source);
    commitMigrations(repo, 'migration 2');
  });

  it('fails verify, saying the exact trailer and marker line; create says the same in the file', async () => {
    expect(migration.unacknowledged).toEqual([
      {
        code: 'drops-data',
        object: 'public.customers.legacy_code',
        message: expect.stringMatching(/drops column public\.customers\.legacy_code/),
      },
    ]);
    expect(migration.text).toContain('--   line:    -- db-migrate: allow drops-data public.customers.legacy_code');
    const report = await verify(source, base);
    expect(check(report, 'hazards').status).toBe('failed');
    expect(check(report, 'hazards').summary).toMatch(/^1 data loss not acknowledged/);
    const [error] = errors(report);
    expect(error).toContain(
      'add the trailer "DB-Migrate-Allow: drops-data public.customers.legacy_code" to the schema commit',
    );
    expect(error).toContain('the line "-- db-migrate: allow drops-data public.customers.legacy_code"');
  });

  it('passes with a marker line written by hand, and only for the object it names', async () => {
    const path = migration.files[0]!;
    const original = readFileSync(path, 'utf8');
    try {
      writeFileSync(path, `-- db-migrate: allow drops-data public.customers.fax\n${original}`);
      expect((await verify(source, base)).result).toBe('failed');
      writeFileSync(path, `-- db-migrate: allow drops-data public.customers.legacy_code\n${original}`);
      const report = await verify(source, base);
      expect(report.result).toBe('passed');
      expect(check(report, 'hazards').summary).toMatch(/1 data loss, each acknowledged/);
    } finally {
      writeFileSync(path, original);
    }
  });

  it('passes with the trailer, which create copies into the file and the metadata', async () => {
    discardMigration(repo, 2);
    commitMigrations(repo, 'drop migration 2');
    repo.git(
      'commit',
      '--quiet',
      '--allow-empty',
      '-m',
      'legacy_code is unused\n\nDB-Migrate-Allow: drops-data public.customers.legacy_code',
    );
    const again = await create(source);
    expect(again.unacknowledged).toEqual([]);
    expect(again.text).toContain('\n-- db-migrate: allow drops-data public.customers.legacy_code\n');
    expect(parseMetadata('0002.json', readFileSync(again.files[1]!, 'utf8')).allow).toEqual([
      'drops-data public.customers.legacy_code',
    ]);
    commitMigrations(repo, 'migration 2 again');
    expect((await verify(source, base)).result).toBe('passed');
    // The hazard warnings about the acknowledged drop are answered: even fail-on-hazards passes.
    const strict = await verify(source, base, { failOnHazards: true });
    expect(check(strict, 'hazards').findings.filter((f) => f.level !== 'notice')).toEqual([]);
    expect(strict.result).toBe('passed');
    // Removing the copied line by hand brings the gate back: verify reads the file, not the metadata.
    const path = again.files[0]!;
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.replace('-- db-migrate: allow drops-data public.customers.legacy_code\n', ''));
    expect((await verify(source, base)).result).toBe('failed');
    writeFileSync(path, text);
  });

  it('a narrowing type change is a data loss too, a widening is not', async () => {
    const { dataLosses } = await import('../src/data-loss/measure');
    const inventory = (type: string) => ({
      tables: new Map([['1', { oid: '1', name: 'public.t', columns: new Map([[1, { name: 'c', type }]]) }]]),
      enums: new Map(),
    });
    expect(
      dataLosses(inventory('character varying(50)'), inventory('character varying(20)')).map((l) => l.code),
    ).toEqual(['narrows-type']);
    expect(dataLosses(inventory('bigint'), inventory('integer')).map((l) => l.code)).toEqual(['narrows-type']);
    expect(dataLosses(inventory('integer'), inventory('bigint'))).toEqual([]);
    expect(dataLosses(inventory('character varying(20)'), inventory('text'))).toEqual([]);
    expect(dataLosses(inventory('numeric(8,2)'), inventory('numeric(12,2)'))).toEqual([]);
    expect(dataLosses(inventory('timestamp(3) with time zone'), inventory('timestamp with time zone'))).toEqual([]);
    expect(
      dataLosses(inventory('timestamp(6) with time zone'), inventory('timestamp(0) with time zone')).map((l) => l.code),
    ).toEqual(['narrows-type']);
    expect(dataLosses(inventory('character varying(20)[]'), inventory('text[]'))).toEqual([]);
    // An enum recreated without a value loses it (the type is new, its name the same); a renamed value is kept (same label OID).
    const enums = (oid: string, labels: [string, string][]) => ({
      tables: new Map(),
      enums: new Map([['public.mood', { oid, labels: new Map(labels) }]]),
    });
    expect(
      dataLosses(
        enums('1', [
          ['10', 'happy'],
          ['11', 'sad'],
        ]),
        enums('2', [['20', 'happy']]),
      ),
    ).toEqual([
      {
        code: 'enum-recreated',
        object: 'public.mood.sad',
        message: expect.stringMatching(/removes the value 'sad' from enum public\.mood/),
      },
    ]);
    expect(
      dataLosses(
        enums('1', [
          ['10', 'happy'],
          ['11', 'sad'],
        ]),
        enums('1', [
          ['10', 'happy'],
          ['11', 'blue'],
        ]),
      ),
    ).toEqual([]);
  });
});

describe('rows deleted by a migration', () => {
  const V1 = `CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, fax text);\n`;
  let repo: TestRepo;
  let source: SchemaSource;
  let base: string;
  const file = () => join(repo.dir, MIGRATIONS, '0002_purge_customers.sql');
  /** A hand-written migration 2 (a data migration: the schema stays), committed. */
  const write = (text: string) => {
    writeFileSync(file(), text);
    commitMigrations(repo, 'migration 2');
  };

  beforeAll(async () => {
    repo = newRepo();
    repo.commit('schema v1', { 'schema/schema.sql': V1, [`${MIGRATIONS}/.gitkeep`]: '' });
    source = { repoDir: repo.dir, schemaDir: 'schema', sqlFiles: ['schema.sql'] };
    await create(source);
    base = commitMigrations(repo, 'migration 1');
  });

  it('a DELETE in Up fails verify, naming the file, statement, table, rows lost and the line to add; the marker line passes it', async () => {
    const migration =
      '-- +migrate Up\n-- purge customers without a fax\nDELETE FROM customers WHERE fax IS NULL;\n\n-- +migrate Down\n';
    write(migration);
    const report = await verify(source, base);
    expect(check(report, 'hazards').status).toBe('failed');
    expect(check(report, 'hazards').summary).toMatch(/^1 data loss not acknowledged/);
    const finding = check(report, 'hazards').findings.find((f) => f.code === 'deletes-rows')!;
    expect(finding.level).toBe('error');
    expect(finding.file).toBe(file());
    expect(finding.line).toBe(3);
    expect(finding.message).toMatch(
      /^0002_purge_customers\.sql deletes \d+ of the \d+ rows? of table public\.customers \(counted before and after on the seeded database; the table stays\): the data they hold is lost \(the statement at line 3: DELETE FROM customers WHERE fax IS NULL;\); not acknowledged: /,
    );
    expect(finding.message).toContain(
      'add the trailer "DB-Migrate-Allow: deletes-rows public.customers" to the schema commit, or the line "-- db-migrate: allow deletes-rows public.customers" to the migration\'s header',
    );
    // drops-data names other losses: it does not acknowledge this one.
    write(`-- db-migrate: allow drops-data public.customers\n${migration}`);
    expect((await verify(source, base)).result).toBe('failed');
    write(`-- db-migrate: allow deletes-rows public.customers\n${migration}`);
    const allowed = await verify(source, base);
    expect(allowed.result).toBe('passed');
    expect(check(allowed, 'hazards').summary).toMatch(/1 data loss, each acknowledged/);
    // The rows the acknowledged DELETE removed are not the data check's failure either.
    expect(check(allowed, 'data').status).toBe('passed');
  });

  it('a Down that deletes rows its Up did not add fails; removing only what the Up added passes', async () => {
    const insert =
      "-- +migrate Up\nINSERT INTO customers (id, email) VALUES (424242, 'seeded@example.com');\n\n-- +migrate Down\n";
    write(`${insert}DELETE FROM customers WHERE id = 424242;\n`);
    expect((await verify(source, base)).result).toBe('passed');
    write(`${insert}TRUNCATE customers;\n`);
    const report = await verify(source, base);
    expect(report.result).toBe('failed');
    const finding = check(report, 'hazards').findings.find((f) => f.code === 'deletes-rows')!;
    expect(finding.line).toBe(5);
    expect(finding.message).toMatch(
      /^0002_purge_customers\.sql \(Down\) deletes \d+ of the \d+ rows of table public\.customers .*\(the statement at line 5: TRUNCATE customers;\); not acknowledged: .*"-- db-migrate: allow deletes-rows public\.customers"/,
    );
  });
});

describe('a schema build that exits 0 but builds nothing', () => {
  const V1 = `CREATE TABLE orders (id bigint PRIMARY KEY, total numeric NOT NULL);\nCREATE TABLE old_orders (id bigint PRIMARY KEY);\n`;
  let repo: TestRepo;
  let base: string;
  let empty: string;
  const broken = (repoDir: string): SchemaSource => ({
    repoDir,
    schemaDir: 'schema',
    command: 'test -f build.sql && psql "$DATABASE_URL" -q -f build.sql || true',
  });

  beforeAll(async () => {
    repo = newRepo();
    repo.commit('schema v1', { 'schema/build.sql': V1, [`${MIGRATIONS}/.gitkeep`]: '' });
    await create(broken(repo.dir));
    base = commitMigrations(repo, 'migration 1');
    // The build file moves away: the command still exits 0, and builds nothing.
    empty = repo.commit('move the schema', { 'schema/build.sql': null, 'schema/moved.sql': V1 });
  });

  it('create refuses, naming the build command and the commit, unless --allow-empty-goal', async () => {
    const attempt = createMigration({
      source: broken(repo.dir),
      migrationsDir: join(repo.dir, MIGRATIONS),
      shadow: adminUrl(),
      postgresVersion: 15,
      logger: silentLogger,
    });
    await expect(attempt).rejects.toThrow(ConfigurationError);
    await expect(attempt).rejects.toThrow(
      /the schema build \(command: test -f build\.sql .*\) at [0-9a-f]{7}.* produced no tables, while the base .* has 2 \(public\.old_orders, public\.orders\).*--allow-empty-goal/,
    );
    expect(readdirSync(join(repo.dir, MIGRATIONS)).filter((f) => f.startsWith('0002'))).toEqual([]);
    const allowed = await create(broken(repo.dir), { allowEmptyGoal: true });
    expect(allowed.upSql).toMatch(/DROP TABLE/);
    discardMigration(repo, 2);
  });

  it('verify refuses a goal without tables', async () => {
    const report = await verify(broken(repo.dir), base, { goalRef: empty });
    expect(check(report, 'consistency').status).toBe('failed');
    expect(errors(report)).toContainEqual(
      expect.stringMatching(/produced no tables, while the schema the migrations reach has 2 .*--allow-empty-goal/),
    );
  });

  it('sync refuses, and never drops a table holding rows without an acknowledgement naming it', async () => {
    const url = await createTestDatabase('intent_sync');
    databases.push(url);
    await query(url, V1);
    await query(url, `INSERT INTO old_orders VALUES (1), (2), (3)`);
    // Migration bookkeeping with rows is never the sync's to drop (nor to count).
    await query(
      url,
      `CREATE TABLE gorp_migrations (id text PRIMARY KEY, applied_at timestamptz); INSERT INTO gorp_migrations VALUES ('0001_x.sql', now())`,
    );
    const targets = resolveTargets([{ name: 'staging', url, groups: [], origin: 'test' }], {});
    const refused = await syncFleet({ targets, source: broken(repo.dir), ref: empty, shadow: adminUrl() });
    expect(refused.targets[0]).toMatchObject({
      status: 'refused',
      error: expect.stringMatching(/produced no tables, while the database has 2/),
    });

    const goal = repo.commit('old_orders goes', {
      'schema/build.sql': `CREATE TABLE orders (id bigint PRIMARY KEY, total numeric NOT NULL);\n`,
    });
    const dropping = await syncFleet({ targets, source: broken(repo.dir), ref: goal, shadow: adminUrl() });
    expect(dropping.targets[0]).toMatchObject({
      status: 'refused',
      error: expect.stringContaining(
        "the sync would lose data it holds: public.old_orders (drops-data, 3 rows); nothing was changed. If that loss is intended, pass --allow 'drops-data public.old_orders' (",
      ),
    });
    expect(await query(url, 'SELECT count(*)::int AS n FROM old_orders')).toEqual([{ n: 3 }]);
    const allowed = await syncFleet({
      targets,
      source: broken(repo.dir),
      ref: goal,
      shadow: adminUrl(),
      allow: ['drops-data public.old_orders'],
    });
    expect(allowed.targets[0]!.status).toBe('applied');
    expect(await query(url, `SELECT to_regclass('public.old_orders') IS NULL AS gone`)).toEqual([{ gone: true }]);
  });
});
