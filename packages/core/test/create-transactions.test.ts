/**
 * Which generated sections keep their transaction, on real parts (a git repository, the test server as
 * shadow, the real differ, our applier): an enum value added stays inside the migration's transaction, so
 * a failing later statement rolls it back; a value added and used by the same change must commit
 * first, so create ends a file after it (create-split.test.ts has the rest of the split).
 */
import { join } from 'node:path';
import { adminUrl, createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';
import { up } from '../src/applier/migrator';
import { createMigration, type CreatedMigration, type CreateOutcome } from '../src/create';
import { silentLogger } from '../src/logger';
import { readMigrationDir } from '../src/migrations/store';
import type { SchemaSource } from '../src/schema-source';
import { makeTestRepo, type TestRepo } from './git-fixture';

const created = (outcome: CreateOutcome): CreatedMigration => {
  if (outcome.outcome !== 'created') throw new Error(`expected a migration, got no-op: ${outcome.reason}`);
  return outcome;
};

const labels = async (url: string) =>
  (
    await query<{ label: string }>(
      url,
      `SELECT enumlabel AS label FROM pg_enum WHERE enumtypid = 'status'::regtype ORDER BY enumsortorder`,
    )
  ).map((r) => r.label);

describe('enum values and transactions in generated migrations', () => {
  let repo: TestRepo;
  let migrationsDir: string;
  const databases: string[] = [];
  let source: SchemaSource;
  const create = async () =>
    created(
      await createMigration({ source, migrationsDir, shadow: adminUrl(), postgresVersion: 15, logger: silentLogger }),
    );
  let added: CreatedMigration;
  let addedAndUsed: CreatedMigration;

  beforeAll(async () => {
    repo = makeTestRepo();
    source = { repoDir: repo.dir, schemaDir: 'schema', sqlFiles: ['schema.sql'] };
    migrationsDir = join(repo.dir, 'migrations');
    repo.commit('v1', {
      'schema/schema.sql': `CREATE TYPE status AS ENUM ('new', 'paid');\nCREATE TABLE orders (id int PRIMARY KEY, state status NOT NULL DEFAULT 'new');\n`,
      'migrations/.gitkeep': '',
    });
    await create();
    // v2: a value added (unused by the migration) and a new table.
    repo.commit('v2', {
      'schema/schema.sql': `CREATE TYPE status AS ENUM ('new', 'paid', 'shipped');\nCREATE TABLE orders (id int PRIMARY KEY, state status NOT NULL DEFAULT 'new');\nCREATE TABLE shipments (id int PRIMARY KEY);\n`,
    });
    added = await create();
    // v3: a value added and used by the same migration (the new default).
    repo.commit('v3', {
      'schema/schema.sql': `CREATE TYPE status AS ENUM ('new', 'paid', 'shipped', 'open');\nCREATE TABLE orders (id int PRIMARY KEY, state status NOT NULL DEFAULT 'open');\nCREATE TABLE shipments (id int PRIMARY KEY);\n`,
    });
    addedAndUsed = await create();
  });
  afterAll(async () => {
    for (const url of databases) await dropTestDatabase(url);
    repo.remove();
  });

  it('an added value stays in the transaction; a failing later statement rolls it back with the rest', async () => {
    expect(added.upNoTransaction).toBe(false);
    expect(added.text).toMatch(/^-- \+migrate Up$/m);
    expect(added.text).not.toContain('runs without a transaction');

    const url = await createTestDatabase('enum_txn');
    databases.push(url);
    const set = await readMigrationDir(migrationsDir);
    expect((await up(url, set, { to: 1, logger: silentLogger })).error).toBeUndefined();
    // A table the migration will create already exists: its CREATE TABLE, after the ADD VALUE, fails.
    await query(url, 'CREATE TABLE shipments (id int)');
    const failed = await up(url, set, { to: 2, logger: silentLogger });
    expect(failed.error?.message).toMatch(
      /0002_.*\.sql line \d+ \(up\).*"shipments" already exists; the migration was rolled back/,
    );
    expect(await labels(url)).toEqual(['new', 'paid']);

    await query(url, 'DROP TABLE shipments');
    expect((await up(url, set, { to: 2, logger: silentLogger })).error).toBeUndefined();
    expect(await labels(url)).toEqual(['new', 'paid', 'shipped']);
  });

  it('a value the same change uses must commit first: it ends a file of its own, and both files keep their transaction', async () => {
    const [adds, uses] = addedAndUsed.migrations;
    expect(addedAndUsed.migrations).toHaveLength(2);
    expect(addedAndUsed).toMatchObject({ version: 3, upNoTransaction: false, downNoTransaction: false });
    expect(adds!.upSql).toBe(`ALTER TYPE "public"."status" ADD VALUE IF NOT EXISTS 'open' AFTER 'shipped';\n`);
    expect(uses!.version).toBe(4);
    expect(uses!.upSql).toMatch(/ALTER COLUMN "state" SET DEFAULT 'open'/);
    expect(addedAndUsed.text).not.toContain('notransaction');

    // Our applier runs each in its own transaction: the value commits with 0003, then 0004 uses it.
    const url = await createTestDatabase('enum_use');
    databases.push(url);
    const applied = await up(url, await readMigrationDir(migrationsDir), { logger: silentLogger });
    expect(applied.error).toBeUndefined();
    expect(await labels(url)).toEqual(['new', 'paid', 'shipped', 'open']);
    await query(url, 'INSERT INTO orders (id) VALUES (1)');
    expect(await query(url, 'SELECT state::text FROM orders')).toEqual([{ state: 'open' }]);
  });
});
