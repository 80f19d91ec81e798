/**
 * Non-blocking forms by default (docs/online.md): create cuts a change to tables that already exist into
 * consecutive files (plain forms and NOT VALID adds; CONCURRENTLY builds and backfills outside a transaction;
 * VALIDATE, USING INDEX, SET NOT NULL), on real parts: a git repository, the test server as shadow, the real
 * sql-migrate binary applying and reverting the files on a database holding rows, and verify on the files.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminUrl, query } from '../../../test/support/pg';
import type { CreatedMigration } from '../src/create';
import { silentLogger } from '../src/logger';
import { openShadowServer, type ShadowServer } from '../src/shadow';
import { verifyMigrations } from '../src/verify';
import { CreateFixture, expectSameSchema, sqlMigrate } from './create-fixture';

let shadow: ShadowServer;
beforeAll(async () => {
  shadow = await openShadowServer(adminUrl(), { postgresVersion: 15, logger: silentLogger });
});
afterAll(async () => {
  await shadow?.close();
});

const BASE =
  'CREATE TABLE parents (id bigint PRIMARY KEY);\n' +
  'CREATE TABLE items (id bigint, code text, parent_id bigint, qty int, label varchar(64));\n' +
  'CREATE INDEX items_parent_idx ON items (parent_id);\n';

/** Every online form on items (which exists before), and a table created in the same change. */
const GOAL =
  'CREATE TABLE parents (id bigint PRIMARY KEY);\n' +
  'CREATE TABLE items (id bigint PRIMARY KEY, code text NOT NULL, parent_id bigint REFERENCES parents (id), qty int CHECK (qty >= 0),\n' +
  '  label text, token uuid NOT NULL DEFAULT gen_random_uuid(), CONSTRAINT items_code_key UNIQUE (code));\n' +
  'CREATE INDEX items_qty_idx ON items (qty);\n' +
  "CREATE TABLE fresh (id bigint PRIMARY KEY, name text NOT NULL UNIQUE, parent_id bigint REFERENCES parents (id), CHECK (name <> ''));\n" +
  'CREATE INDEX fresh_name_idx ON fresh (name);\n';

const ROWS =
  "INSERT INTO parents SELECT g FROM generate_series(1, 50) g; INSERT INTO items SELECT g, 'c' || g, 1 + g % 50, g % 7 FROM generate_series(1, 3000) g";

describe('a change to a table that exists before it', () => {
  const fixture = new CreateFixture('online');
  let goal: string;
  let migration: CreatedMigration;

  beforeAll(async () => {
    await fixture.start(BASE);
    ({ goal, migration } = await fixture.change(GOAL));
  });
  afterAll(() => fixture.remove());

  it('is cut into three files: plain and NOT VALID, then CONCURRENTLY and the backfill outside a transaction, then VALIDATE, USING INDEX, SET NOT NULL', () => {
    const files = migration.migrations;
    expect(files.map((f) => [f.version, f.upNoTransaction])).toEqual([
      [2, false],
      [3, true],
      [4, false],
    ]);
    const [first, second, third] = files.map((f) => f.upSql);
    // The new table keeps its plain forms, in the first file.
    expect(first).toMatch(/CREATE TABLE "public"\."fresh"/);
    expect(first).toMatch(/CREATE INDEX fresh_name_idx ON public\.fresh USING btree \(name\);/);
    expect(first).toMatch(
      /ALTER TABLE "public"\."fresh" ADD CONSTRAINT "fresh_parent_id_fkey" FOREIGN KEY \(parent_id\) REFERENCES public\.parents\(id\);/,
    );
    expect(first).toMatch(
      /ALTER TABLE "public"\."items" ADD CONSTRAINT "items_parent_id_fkey" FOREIGN KEY \(parent_id\) REFERENCES public\.parents\(id\) NOT VALID;/,
    );
    expect(first).toMatch(
      /ALTER TABLE "public"\."items" ADD CONSTRAINT "items_qty_check" CHECK \(\(qty >= 0\)\) NOT VALID;/,
    );
    expect(first).toMatch(
      /ALTER TABLE "public"\."items" ADD CONSTRAINT "code_not_null_db_migrate" CHECK \("code" IS NOT NULL\) NOT VALID;/,
    );
    expect(first).toMatch(
      /ALTER TABLE "public"\."items" ADD COLUMN "token" uuid;\n+ALTER TABLE "public"\."items" ALTER COLUMN "token" SET DEFAULT gen_random_uuid\(\);/,
    );
    expect(first).toMatch(/ALTER TABLE "public"\."items" ALTER COLUMN "label" SET DATA TYPE text/);
    expect(first).not.toMatch(/VALIDATE|CONCURRENTLY|SET NOT NULL/);
    expect(second).toMatch(
      /CREATE INDEX CONCURRENTLY IF NOT EXISTS items_qty_idx ON public\.items USING btree \(qty\);/,
    );
    expect(second).toMatch(
      /CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "items_code_key" ON "public"\."items" USING btree \(code\);/,
    );
    expect(second).toMatch(
      /CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "items_pkey" ON "public"\."items" USING btree \(id\);/,
    );
    expect(second).toMatch(/DROP INDEX CONCURRENTLY IF EXISTS "public"\."items_parent_idx";/);
    expect(second).toMatch(/UPDATE "public"\."items" SET "token" = DEFAULT/);
    expect(third).toMatch(/VALIDATE CONSTRAINT "items_parent_id_fkey";/);
    // Every scan (VALIDATE) runs before the first statement that takes a lock blocking the application.
    const statementsOf = (sql: string) => sql.split(/;\n+/).filter((x) => x.trim());
    const kinds = statementsOf(third!).map((x) => (/VALIDATE CONSTRAINT/.test(x) ? 'scan' : 'lock'));
    expect(kinds.indexOf('lock')).toBeGreaterThan(kinds.lastIndexOf('scan'));
    expect(third).toMatch(/VALIDATE CONSTRAINT "items_qty_check";/);
    expect(third).toMatch(
      /ALTER COLUMN "id" SET NOT NULL;[\s\S]*ADD CONSTRAINT "items_pkey" PRIMARY KEY USING INDEX "items_pkey";/,
    );
    expect(third).toMatch(/ADD CONSTRAINT "items_code_key" UNIQUE USING INDEX "items_code_key";/);
    expect(third).toMatch(/ALTER COLUMN "token" SET NOT NULL;/);
    expect(third).toMatch(/DROP CONSTRAINT "token_not_null_db_migrate";/);
    // No hazard says a write-blocking build or a locked scan where the form avoids it.
    const codes = migration.hazards.map((h) => h.code);
    expect(codes).not.toContain('blocks-writes');
    expect(codes).not.toContain('rewrites-table');
    expect(codes).not.toContain('scans-table');
    expect(
      migration.hazards
        .filter((h) => h.code === 'validates-rows')
        .every((h) => /without blocking writes/.test(h.message)),
    ).toBe(true);
    // Each file says what it does.
    expect(files[1]!.text).toContain('builds index public.items_qty_idx without blocking writes (CONCURRENTLY)');
    expect(files[1]!.text).toMatch(
      /fills column public\.items\.token with its default on the existing rows, in batches/,
    );
    expect(files[2]!.text).toContain(
      'validates foreign key items_parent_id_fkey on public.items: scans the existing rows without blocking reads or writes',
    );
    // Each Down goes back to the schema before its file, with non-blocking forms too.
    expect(files[1]!.downSql).toMatch(/DROP INDEX CONCURRENTLY IF EXISTS "public"\."items_qty_idx";/);
    expect(files[1]!.downSql).toMatch(/CREATE INDEX CONCURRENTLY IF NOT EXISTS items_parent_idx ON public\.items/);
    expect(files[1]!.downNoTransaction).toBe(true);
  });

  it('runs through the real sql-migrate on a database holding rows: the goal, every row filled, then back down to the base with the rows kept', async () => {
    const url = await fixture.database('online_rows');
    sqlMigrate(fixture.migrationsDir, url, 'up', '-limit=1');
    await query(url, ROWS);
    expect(sqlMigrate(fixture.migrationsDir, url, 'up')).toMatch(/Applied 3 migrations/);
    await expectSameSchema(url, await fixture.schemaAt(goal));
    expect(await query(url, 'SELECT count(*)::int AS n, count(DISTINCT token)::int AS tokens FROM items')).toEqual([
      { n: 3000, tokens: 3000 },
    ]);
    expect(
      await query(
        url,
        "SELECT conname, convalidated FROM pg_constraint WHERE conrelid = 'items'::regclass ORDER BY conname",
      ),
    ).toEqual([
      { conname: 'items_code_key', convalidated: true },
      { conname: 'items_parent_id_fkey', convalidated: true },
      { conname: 'items_pkey', convalidated: true },
      { conname: 'items_qty_check', convalidated: true },
    ]);
    expect(sqlMigrate(fixture.migrationsDir, url, 'down', '-limit=3')).toMatch(/Applied 3 migrations/);
    await expectSameSchema(url, await fixture.schemaAt(fixture.v1));
    expect(await query(url, 'SELECT count(*)::int AS n FROM items')).toEqual([{ n: 3000 }]);
  });

  it('the backfill is safe to run again and fills only what is left', async () => {
    const url = await fixture.database('online_rerun');
    sqlMigrate(fixture.migrationsDir, url, 'up', '-limit=2');
    await query(url, ROWS);
    const backfill = /DO \$db_migrate\$[\s\S]*?\n\$db_migrate\$/.exec(migration.migrations[1]!.upSql)![0];
    // Rows filled before (a run stopped half way) keep their value; a second run changes nothing.
    await query(url, "UPDATE items SET token = '00000000-0000-0000-0000-000000000001' WHERE id <= 2");
    await query(url, backfill);
    const first = await query(url, 'SELECT id, token FROM items ORDER BY id');
    expect(first.slice(0, 2)).toEqual([
      { id: '1', token: '00000000-0000-0000-0000-000000000001' },
      { id: '2', token: '00000000-0000-0000-0000-000000000001' },
    ]);
    expect(await query(url, 'SELECT count(*)::int AS n FROM items WHERE token IS NULL')).toEqual([{ n: 0 }]);
    await query(url, backfill);
    expect(await query(url, 'SELECT id, token FROM items ORDER BY id')).toEqual(first);
  });

  it('verify passes the files on rows that fit the goal: together they build the goal, each Down leads back, the data check passes', async () => {
    const seed = join(fixture.repo.dir, 'seed.sql');
    writeFileSync(seed, `${ROWS};\n`);
    const report = await verifyMigrations({
      source: fixture.source,
      migrationsDir: fixture.migrationsDir,
      baseRef: fixture.base,
      shadow,
      seed: { sqlFiles: [seed] },
      logger: silentLogger,
    });
    const status = Object.fromEntries(report.checks.map((c) => [c.name, c.status]));
    expect(report.checks.filter((c) => c.status === 'failed').flatMap((c) => c.findings.map((f) => f.message))).toEqual(
      [],
    );
    expect(report.newMigrations).toHaveLength(3);
    expect(status).toMatchObject({
      numbering: 'passed',
      consistency: 'passed',
      reversibility: 'passed',
      data: 'passed',
    });
    expect(report.result).not.toBe('failed');
    // The lint reads the files as the forms they are: no blocking build, no locked scan, no rewrite (varchar(64) -> text is none).
    const hazards = report.checks.find((c) => c.name === 'hazards')!;
    // (The Downs narrow text back to varchar(64): a rewrite, said as one.)
    const warned = hazards.findings
      .filter((f) => f.level === 'warning' && !f.message.startsWith('Down:'))
      .map((f) => f.code);
    expect(hazards.findings).toContainEqual(
      expect.objectContaining({
        level: 'warning',
        code: 'rewrites-table',
        message: expect.stringMatching(/^Down: changes the type of column public\.items\.label/),
      }),
    );
    for (const code of ['blocks-writes', 'scans-table', 'rewrites-table']) expect(warned).not.toContain(code);
    expect(warned).toContain('validates-rows');
  });

  it('on rows holding NULL where the goal says NOT NULL, the data check fails as a plain SET NOT NULL would, with the backfill hint', async () => {
    const report = await verifyMigrations({
      source: fixture.source,
      migrationsDir: fixture.migrationsDir,
      baseRef: fixture.base,
      shadow,
      logger: silentLogger,
    });
    const data = report.checks.find((c) => c.name === 'data')!;
    expect(data.status).toBe('failed');
    expect(data.findings[0]!.message).toMatch(
      /violates check constraint "(id|code)_not_null_db_migrate".*Hint: existing rows hold NULL in the column: backfill it/,
    );
  });
});

describe('--blocking-ddl (online: false)', () => {
  const fixture = new CreateFixture('online');
  afterAll(() => fixture.remove());

  it('keeps the plain forms in one file', async () => {
    await fixture.start(BASE);
    const { goal, migration } = await fixture.change(GOAL, { online: false });
    expect(migration.migrations).toHaveLength(1);
    expect(migration.upSql).not.toMatch(/CONCURRENTLY|NOT VALID|VALIDATE|USING INDEX|DO /);
    expect(migration.upSql).toMatch(/ADD CONSTRAINT "items_code_key" UNIQUE \(code\);/);
    expect(migration.upSql).toMatch(/ADD COLUMN "token" uuid DEFAULT gen_random_uuid\(\) NOT NULL;/);
    expect(migration.hazards.map((h) => h.code)).toEqual(
      expect.arrayContaining(['blocks-writes', 'rewrites-table', 'scans-table']),
    );
    const url = await fixture.database('online_blocking');
    sqlMigrate(fixture.migrationsDir, url, 'up', '-limit=1');
    await query(url, ROWS);
    expect(sqlMigrate(fixture.migrationsDir, url, 'up')).toMatch(/Applied 1 migration/);
    await expectSameSchema(url, await fixture.schemaAt(goal));
  });
});
