/**
 * create splits a change whose Up mixes statements PostgreSQL runs in a transaction with statements it
 * refuses there (or must commit before use), on real parts: a git repository, the test server as shadow,
 * the real differ, the real sql-migrate binary applying and reverting the files, and verify on the pair.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { adminUrl, query } from '../../../test/support/pg';
import { type CreatedMigration, formatCreateReport } from '../src/create';
import { silentLogger } from '../src/logger';
import { parseMetadata } from '../src/migrations/metadata';
import { openShadowServer, type ShadowServer } from '../src/shadow';
import { splitCandidates, splitChange } from '../src/create/split';
import type { DiffStatement } from '../src/diff/types';
import { verifyMigrations } from '../src/verify';
import { CreateFixture, expectSameSchema, sqlMigrate } from './create-fixture';

const statement = (sql: string, more: Partial<DiffStatement> = {}): DiffStatement => ({
  sql,
  object: { kind: 'table', name: 'public.t' },
  action: 'create',
  destructive: false,
  hazards: [],
  transactional: true,
  step: 0,
  ...more,
});
const concurrently = (name: string) =>
  statement(`CREATE INDEX CONCURRENTLY ${name} ON t (a)`, { transactional: false });
const addValueUsedLater = statement(`ALTER TYPE "public"."status" ADD VALUE IF NOT EXISTS 'open'`, {
  object: { kind: 'enum', name: 'public.status' },
  transactional: false,
  hazards: [{ code: 'enum-value-added', message: 'adds a value to enum public.status that this migration uses' }],
});
const shape = (parts: ReturnType<typeof splitChange>) =>
  parts.map(
    (p) =>
      `${p.outside ? 'outside' : 'in'}${p.commitsEnumValues ? '+commit' : ''}: ${p.up.map((s) => s.sql.split(' ').slice(0, 3).join(' ')).join(', ')}`,
  );

describe('where a change is cut', () => {
  it('a run of statements refused in a transaction becomes its own part; a part ends after enum values used later, which keep a transaction', () => {
    expect(
      shape(
        splitChange([statement('CREATE TABLE a'), concurrently('i'), concurrently('j'), statement('CREATE TABLE b')]),
      ),
    ).toEqual([
      'in: CREATE TABLE a',
      'outside: CREATE INDEX CONCURRENTLY, CREATE INDEX CONCURRENTLY',
      'in: CREATE TABLE b',
    ]);
    expect(shape(splitChange([statement('CREATE TABLE a'), addValueUsedLater, statement('ALTER TABLE a')]))).toEqual([
      'in+commit: CREATE TABLE a, ALTER TYPE "public"."status"',
      'in: ALTER TABLE a',
    ]);
    const [commit] = splitChange([addValueUsedLater, statement('ALTER TABLE a')]);
    expect(commit!.up[0]).toMatchObject({
      transactional: true,
      hazards: [
        {
          code: 'enum-value-added',
          message: 'adds a value to enum public.status: the new value cannot be used until this transaction commits',
        },
      ],
    });
    expect(shape(splitChange([concurrently('i')]))).toEqual(['outside: CREATE INDEX CONCURRENTLY']);
    expect(shape(splitChange([statement('CREATE TABLE a'), statement('ALTER TABLE a')]))).toEqual([
      'in: CREATE TABLE a, ALTER TABLE a',
    ]);
  });

  it("tries the refused statements after all the others first, when that takes fewer files, then the differ's order", () => {
    expect(
      splitCandidates([statement('CREATE TABLE a'), concurrently('i'), statement('ALTER TABLE a')]).map(shape),
    ).toEqual([
      ['in: CREATE TABLE a, ALTER TABLE a', 'outside: CREATE INDEX CONCURRENTLY'],
      ['in: CREATE TABLE a', 'outside: CREATE INDEX CONCURRENTLY', 'in: ALTER TABLE a'],
    ]);
    expect(splitCandidates([statement('CREATE TABLE a'), concurrently('i')]).map(shape)).toEqual([
      ['in: CREATE TABLE a', 'outside: CREATE INDEX CONCURRENTLY'],
    ]);
  });
});

let shadow: ShadowServer;
beforeAll(async () => {
  shadow = await openShadowServer(adminUrl(), { postgresVersion: 15, logger: silentLogger });
});
afterAll(async () => {
  await shadow?.close();
});

describe('an enum value added and used by a new column default', () => {
  const fixture = new CreateFixture('split');
  let goal: string;
  let migration: CreatedMigration;

  beforeAll(async () => {
    await fixture.start(
      `CREATE TYPE status AS ENUM ('new', 'paid');\nCREATE TABLE orders (id int PRIMARY KEY, state status NOT NULL DEFAULT 'new');\n`,
    );
    ({ goal, migration } = await fixture.change(
      `CREATE TYPE status AS ENUM ('new', 'paid', 'open');\n` +
        `CREATE TABLE orders (id int PRIMARY KEY, state status NOT NULL DEFAULT 'new', review status NOT NULL DEFAULT 'open');\n`,
    ));
  });
  afterAll(() => fixture.remove());

  it('becomes two files: the ADD VALUE commits in its own transaction first, then the column that uses it, in a transaction of its own', () => {
    const [first, second] = migration.migrations;
    expect(migration.migrations).toHaveLength(2);
    expect(migration).toMatchObject({ version: 2, upNoTransaction: false, downNoTransaction: false });
    expect(first).toMatchObject({
      version: 2,
      name: 'alter_enum_status',
      upNoTransaction: false,
      downNoTransaction: false,
    });
    expect(first!.upSql).toBe(`ALTER TYPE "public"."status" ADD VALUE IF NOT EXISTS 'open' AFTER 'paid';\n`);
    expect(first!.text).toMatch(/^-- \+migrate Up$/m);
    expect(first!.text).toContain(
      `-- Part 1 of 2 of the change from base to goal: ${basename(first!.sqlPath)}, ${basename(second!.sqlPath)}, applied in that order.`,
    );
    expect(first!.text).toContain(`-- This file adds enum values that ${basename(second!.sqlPath)} uses`);
    expect(second).toMatchObject({
      version: 3,
      name: 'add_orders_review',
      upNoTransaction: false,
      downNoTransaction: false,
    });
    expect(migration.name).toBe('add_orders_review');
    expect(second!.upSql).toMatch(
      /^ALTER TABLE "public"\."orders" ADD COLUMN "review" public\.status DEFAULT 'open'::public\.status NOT NULL;\n$/,
    );
    expect(second!.text).toMatch(/^-- \+migrate Up$/m);
    expect(second!.text).toContain('-- Part 2 of 2 of the change from base to goal');
    // Each Down goes back to the schema before its own file: the column first, then the value.
    expect(second!.downSql).toMatch(/DROP COLUMN "review"/);
    expect(second!.downSql).not.toMatch(/CREATE TYPE|ADD VALUE/);
    expect(first!.downSql).toMatch(/CREATE TYPE "public"\."status" AS ENUM \('new', 'paid'\)/);
    expect(first!.downSql).not.toMatch(/review/);
    expect(migration.files).toEqual([first!.sqlPath, first!.metadataPath, second!.sqlPath, second!.metadataPath]);
    // Both record the change's commits; create's next base is the last one's goal.
    for (const file of migration.migrations) {
      expect(parseMetadata(file.metadataPath, readFileSync(file.metadataPath, 'utf8'))).toMatchObject({
        base_sha: fixture.v1,
        goal_sha: goal,
      });
    }
    expect(formatCreateReport(migration)).toMatch(/^created migrations 2 to 3 \(/);
  });

  it('the real sql-migrate applies both to the goal schema, and its two Downs lead back through the schema between them to the base', async () => {
    const url = await fixture.database('split_enum');
    expect(sqlMigrate(fixture.migrationsDir, url, 'up')).toMatch(/Applied 3 migrations/);
    await expectSameSchema(url, await fixture.schemaAt(goal));
    await query(url, 'INSERT INTO orders (id) VALUES (1)');
    expect(await query(url, 'SELECT review::text FROM orders')).toEqual([{ review: 'open' }]);
    await query(url, 'DELETE FROM orders');

    expect(sqlMigrate(fixture.migrationsDir, url, 'down', '-limit=1')).toMatch(/Applied 1 migration/);
    expect(
      await query(url, `SELECT enumlabel FROM pg_enum WHERE enumtypid = 'status'::regtype ORDER BY enumsortorder`),
    ).toEqual([{ enumlabel: 'new' }, { enumlabel: 'paid' }, { enumlabel: 'open' }]);
    expect(
      await query(
        url,
        `SELECT 1 FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'review'`,
      ),
    ).toEqual([]);
    expect(sqlMigrate(fixture.migrationsDir, url, 'down', '-limit=1')).toMatch(/Applied 1 migration/);
    await expectSameSchema(url, await fixture.schemaAt(fixture.v1));
  });

  it('verify passes the pair: numbering, the goal schema, the Downs back to base, and the data check', async () => {
    const report = await verifyMigrations({
      source: fixture.source,
      migrationsDir: fixture.migrationsDir,
      baseRef: fixture.base,
      shadow,
      logger: silentLogger,
    });
    const status = Object.fromEntries(report.checks.map((c) => [c.name, c.status]));
    expect(report.newMigrations).toEqual(migration.migrations.map((f) => basename(f.sqlPath)));
    expect(status).toMatchObject({
      numbering: 'passed',
      consistency: 'passed',
      reversibility: 'passed',
      data: 'passed',
    });
    expect(report.result).not.toBe('failed');
  });

  it("with the first file marked irreversible, the second one's Down is checked against the schema the first builds, not the base", async () => {
    const metadataPath = migration.migrations[0]!.metadataPath;
    const original = readFileSync(metadataPath, 'utf8');
    writeFileSync(
      metadataPath,
      JSON.stringify(
        { ...JSON.parse(original), reversible: false, irreversible_reason: 'the enum value stays' },
        null,
        2,
      ) + '\n',
    );
    try {
      const report = await verifyMigrations({
        source: fixture.source,
        migrationsDir: fixture.migrationsDir,
        baseRef: fixture.base,
        shadow,
        logger: silentLogger,
      });
      const reversibility = report.checks.find((c) => c.name === 'reversibility')!;
      expect(reversibility.status).toBe('passed');
      expect(reversibility.findings.map((f) => f.message)).toContainEqual(
        expect.stringMatching(/0002_alter_enum_status\.sql opts out of the Down check .*: the enum value stays/),
      );
    } finally {
      writeFileSync(metadataPath, original);
    }
  });
});

describe('online index builds (the default) with other changes', () => {
  const fixture = new CreateFixture('split');
  let goal: string;
  let migration: CreatedMigration;
  const events = 'CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz NOT NULL);\n';

  beforeAll(async () => {
    await fixture.start(events);
    ({ goal, migration } = await fixture.change(
      `${events}CREATE TABLE tags (id bigint PRIMARY KEY, name text NOT NULL);\nCREATE INDEX events_at_idx ON events (at);\n`,
    ));
  });
  afterAll(() => fixture.remove());

  it('the new table keeps its transaction; the CONCURRENTLY index gets a notransaction file of its own, after it', async () => {
    const [table, index] = migration.migrations;
    expect(migration.migrations).toHaveLength(2);
    expect(table).toMatchObject({ version: 2, name: 'create_tags', upNoTransaction: false, downNoTransaction: false });
    expect(table!.upSql).toMatch(/^CREATE TABLE "public"\."tags"/);
    expect(table!.upSql).not.toMatch(/INDEX/);
    expect(table!.downSql).toBe('DROP TABLE "public"."tags";\n');
    expect(index).toMatchObject({ version: 3, upNoTransaction: true, downNoTransaction: true });
    expect(index!.upSql).toBe(
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS events_at_idx ON public.events USING btree (at);\n',
    );
    expect(index!.text).toMatch(/^-- \+migrate Up notransaction$/m);
    expect(index!.text).toContain(
      '-- Up runs without a transaction (notransaction): CREATE INDEX CONCURRENTLY IF NOT EXISTS events_at_idx ON public.events USING btree (at) cannot run inside a transaction.',
    );
    expect(index!.downSql).toBe('DROP INDEX CONCURRENTLY IF EXISTS "public"."events_at_idx";\n');

    const url = await fixture.database('split_index');
    expect(sqlMigrate(fixture.migrationsDir, url, 'up')).toMatch(/Applied 3 migrations/);
    await expectSameSchema(url, await fixture.schemaAt(goal));
    expect(sqlMigrate(fixture.migrationsDir, url, 'down', '-limit=2')).toMatch(/Applied 2 migrations/);
    await expectSameSchema(url, await fixture.schemaAt(fixture.v1));
  });

  it("an index a later foreign key needs keeps its place: the change takes three files, in the differ's order", async () => {
    const v3 =
      'CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz NOT NULL, code text);\nCREATE TABLE tags (id bigint PRIMARY KEY, name text NOT NULL);\n' +
      'CREATE INDEX events_at_idx ON events (at);\nCREATE UNIQUE INDEX events_code_key ON events (code);\n' +
      'CREATE TABLE refs (id bigint PRIMARY KEY, code text REFERENCES events (code));\n';
    const third = await fixture.change(v3);
    const files = third.migration.migrations;
    expect(files.map((f) => [f.version, f.upNoTransaction])).toEqual([
      [4, false],
      [5, true],
      [6, false],
    ]);
    expect(files[0]!.upSql).toMatch(/CREATE TABLE "public"\."refs"/);
    expect(files[0]!.upSql).toMatch(/ALTER TABLE "public"\."events" ADD COLUMN "code" text;/);
    expect(files[1]!.upSql).toBe(
      'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS events_code_key ON public.events USING btree (code);\n',
    );
    expect(files[2]!.upSql).toMatch(/FOREIGN KEY \(code\) REFERENCES public\.events\(code\)/);

    const url = await fixture.database('split_fk');
    sqlMigrate(fixture.migrationsDir, url, 'up', '-limit=3');
    expect(sqlMigrate(fixture.migrationsDir, url, 'up')).toMatch(/Applied 3 migrations/);
    await expectSameSchema(url, await fixture.schemaAt(third.goal));
    expect(sqlMigrate(fixture.migrationsDir, url, 'down', '-limit=3')).toMatch(/Applied 3 migrations/);
    await expectSameSchema(url, await fixture.schemaAt(goal));
  });

  it('verify passes the five new files of the two changes', async () => {
    const report = await verifyMigrations({
      source: fixture.source,
      migrationsDir: fixture.migrationsDir,
      baseRef: fixture.base,
      shadow,
      logger: silentLogger,
    });
    const status = Object.fromEntries(report.checks.map((c) => [c.name, c.status]));
    expect(report.newMigrations).toHaveLength(5);
    expect(status).toMatchObject({ numbering: 'passed', consistency: 'passed', reversibility: 'passed' });
    // Between the files, refs is a table that may hold rows: the data check fills it with made-up codes,
    // which the foreign key of the third file refuses. A warning that names the file, not a failure.
    const data = report.checks.find((c) => c.name === 'data')!;
    expect(data.status).toBe('warning');
    expect(data.findings).toEqual([
      expect.objectContaining({
        level: 'warning',
        code: 'fails-on-existing-rows',
        file: expect.stringMatching(/\/0006_create_constraint_refs_refs_code_fkey\.sql$/),
        message: expect.stringMatching(/0006_\w+\.sql .*violates foreign key constraint "refs_code_fkey"/),
      }),
    ]);
    expect(report.result).not.toBe('failed');
  });
});

describe('a declared rename and a CONCURRENTLY index in one change', () => {
  const fixture = new CreateFixture('split');
  afterAll(() => fixture.remove());

  it('the rename runs in the first file and its Down renames back last; the rows are kept through Up and Down', async () => {
    await fixture.start('CREATE TABLE products (id bigint PRIMARY KEY, title text NOT NULL);\n');
    const { goal, migration } = await fixture.change(
      'CREATE TABLE products (id bigint PRIMARY KEY, name text NOT NULL);\nCREATE INDEX products_name_idx ON products (name);\n',
      {},
      ['public.products.title -> name'],
    );
    const [rename, index] = migration.migrations;
    expect(migration.migrations).toHaveLength(2);
    expect(rename).toMatchObject({
      upNoTransaction: false,
      upSql: 'ALTER TABLE "public"."products" RENAME COLUMN "title" TO "name";\n',
    });
    expect(rename!.downSql).toBe('ALTER TABLE "public"."products" RENAME COLUMN "name" TO "title";\n');
    expect(rename!.text).toContain('-- db-migrate: rename public.products.title -> name');
    expect(parseMetadata(rename!.metadataPath, readFileSync(rename!.metadataPath, 'utf8')).renames).toEqual([
      'public.products.title -> name',
    ]);
    expect(parseMetadata(index!.metadataPath, readFileSync(index!.metadataPath, 'utf8')).renames).toBeUndefined();
    expect(index).toMatchObject({
      upNoTransaction: true,
      upSql: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS products_name_idx ON public.products USING btree (name);\n',
    });
    expect(migration.dataLosses).toEqual([]);

    const url = await fixture.database('split_rename');
    sqlMigrate(fixture.migrationsDir, url, 'up', '-limit=1');
    await query(url, "INSERT INTO products VALUES (1, 'chair')");
    expect(sqlMigrate(fixture.migrationsDir, url, 'up')).toMatch(/Applied 2 migrations/);
    await expectSameSchema(url, await fixture.schemaAt(goal));
    expect(await query(url, 'SELECT name FROM products')).toEqual([{ name: 'chair' }]);
    expect(sqlMigrate(fixture.migrationsDir, url, 'down', '-limit=2')).toMatch(/Applied 2 migrations/);
    await expectSameSchema(url, await fixture.schemaAt(fixture.v1));
    expect(await query(url, 'SELECT title FROM products')).toEqual([{ title: 'chair' }]);
  });
});
