import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalServer, type LocalServer } from '../src/postgres-server/local-server';
import { down, up } from '../src/applier/migrator';
import { appliedVersion } from '../../../test/support/applier';
import { formatMigrationFile } from '../src/migrations/format';
import { readMigrationDir } from '../src/migrations/store';
import { EXTRA_TEST_MAJORS, embeddedPostgresBinDir, type ExtraTestMajor } from '../../../test/support/postgres-majors';
import { createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';
import { ensureTestRole, listConvergenceCases, runRoundTrip, type DirectionOutcome } from './diff-harness';

/**
 * The differ and the applier on PostgreSQL 14, 16, 17 and 18 (the main suite runs 15). There is no pg_dump for a
 * newer server here, so the differ is its own oracle, in both directions: for every migra fixture and own
 * case, diff(A, B) applies to A without error and leaves nothing to diff, and a fresh diff(B, A) applied to B
 * converges back too. All majors run inside each test, so their servers work in parallel.
 */
const cases = listConvergenceCases();

/**
 * Backward directions (diff(B, A)) that do not converge on any major (15 included), with what they give
 * instead. Checked exactly, so a fix shows up as a failure here and the entry is removed.
 */
const BACKWARD_EXCEPTIONS: Record<string, { readonly applyError: RegExp | null; readonly secondDiff: RegExp }> = {
  // Not a differ bug: pg_trgm ships no downgrade script, so 1.4 -> 1.3 cannot be done by any tool.
  'migra/extversions (a -> b)': {
    applyError: /no update path from version "1\.4" to version "1\.3"/,
    secondDiff: /UPDATE TO '1\.3'/,
  },
};

const servers = new Map<ExtraTestMajor, Promise<LocalServer>>();
function server(major: ExtraTestMajor): Promise<LocalServer> {
  // Started on first use rather than in beforeAll: concurrent tests may begin before beforeAll has finished.
  let started = servers.get(major);
  if (!started) {
    started = (async () => {
      const s = await startLocalServer({ postgresVersion: major, binDir: embeddedPostgresBinDir(major) });
      await ensureTestRole(s.adminUrl);
      return s;
    })();
    servers.set(major, started);
  }
  return started;
}

afterAll(async () => {
  await Promise.all([...servers.values()].map(async (s) => (await s).stop()));
});

test('every case is listed', () => {
  expect(cases.filter((c) => c.label.startsWith('migra/')).length).toBeGreaterThanOrEqual(26);
  expect(cases.filter((c) => c.label.startsWith('own/')).length).toBeGreaterThanOrEqual(28);
  for (const label of [...Object.keys(BACKWARD_EXCEPTIONS), ...Object.keys(NEEDS_15)])
    expect(cases.map((c) => c.label)).toContain(label);
});

test.each(EXTRA_TEST_MAJORS)('the PostgreSQL %i server is that major', async (major) => {
  const [{ v }] = await query<{ v: number }>(
    (await server(major)).adminUrl,
    `SELECT current_setting('server_version_num')::int / 10000 AS v`,
  );
  expect(v).toBe(major);
});

const view = (o: DirectionOutcome) => ({ applyError: o.applyError, secondDiff: o.secondDiff });

/**
 * Cases whose schemas use what PostgreSQL 14 does not have: on 14, loading them must fail with that error
 * (checked, so a case that stops needing 15 shows up here); they run on the other majors.
 */
const NEEDS_15: Record<string, RegExp> = {
  'own/event_triggers_publications': /syntax error at or near "\("/, // a publication's column list
  'own/fk_both_sides_retyped': /syntax error at or near "nulls"/, // UNIQUE NULLS NOT DISTINCT
  'own/view_options_changed': /unrecognized parameter "security_invoker"/,
};

test.concurrent.each(cases.map((c) => [c.label, c] as const))(
  `%s round-trips on PostgreSQL ${EXTRA_TEST_MAJORS.join(', ')}`,
  async (label, c) => {
    const majors = EXTRA_TEST_MAJORS.filter((major) => major !== 14 || !NEEDS_15[label]);
    if (NEEDS_15[label]) {
      await expect(runRoundTrip((await server(14)).adminUrl, c.fromSql, c.toSql, c.options)).rejects.toThrow(
        NEEDS_15[label],
      );
    }
    const outcomes = await Promise.all(
      majors.map(async (major) => ({
        major,
        ...(await runRoundTrip((await server(major)).adminUrl, c.fromSql, c.toSql, c.options)),
      })),
    );
    for (const { major, forward, backward } of outcomes) {
      expect({ major, statements: forward.statements.length > 0 }).toEqual({ major, statements: true });
      expect({ major, ...view(forward) }).toEqual({ major, applyError: null, secondDiff: '' });
      const known = BACKWARD_EXCEPTIONS[label];
      if (c.options.createExtensionsOnly) {
        // That mode only ever creates extensions, in either direction.
        const others = [...forward.statements, ...backward.statements].filter((s) => !/^CREATE EXTENSION /.test(s.sql));
        expect({ major, others }).toEqual({ major, others: [] });
      }
      if (known) {
        expect({ major, applyError: backward.applyError ?? '' }).toEqual({
          major,
          applyError: known.applyError ? expect.stringMatching(known.applyError) : '',
        });
        expect(backward.secondDiff).toMatch(known.secondDiff);
      } else {
        expect({ major, ...view(backward) }).toEqual({ major, applyError: null, secondDiff: '' });
      }
    }
  },
);

test.each(EXTRA_TEST_MAJORS)('the applier goes up and down on PostgreSQL %i', async (major) => {
  const dir = mkdtempSync(join(tmpdir(), 'db-migrate-versions-'));
  const url = await createTestDatabase('applier', (await server(major)).adminUrl);
  try {
    writeFileSync(
      join(dir, '0001_items.sql'),
      formatMigrationFile({
        up: [
          `CREATE TYPE state AS ENUM ('new')`,
          `CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, s state)`,
        ],
        down: ['DROP TABLE items', 'DROP TYPE state'],
      }),
    );
    writeFileSync(
      join(dir, '0002_state_done.sql'),
      formatMigrationFile({
        up: [`ALTER TYPE state ADD VALUE 'done'`],
        upNoTransaction: true,
        down: [
          `ALTER TABLE items ALTER COLUMN s TYPE text`,
          'DROP TYPE state',
          `CREATE TYPE state AS ENUM ('new')`,
          `ALTER TABLE items ALTER COLUMN s TYPE state USING s::state`,
        ],
      }),
    );
    writeFileSync(
      join(dir, '0003_index.sql'),
      formatMigrationFile({
        up: ['CREATE INDEX CONCURRENTLY items_s ON items (s)'],
        upNoTransaction: true,
        down: ['DROP INDEX items_s'],
      }),
    );
    const set = await readMigrationDir(dir);
    const upRun = await up(url, set);
    expect(upRun.error).toBeUndefined();
    expect(upRun.results.map((r) => [r.fileName, r.status, r.noTransaction])).toEqual([
      ['0001_items.sql', 'applied', false],
      ['0002_state_done.sql', 'applied', true],
      ['0003_index.sql', 'applied', true],
    ]);
    await query(url, `INSERT INTO items (s) VALUES ('done')`);
    expect(await appliedVersion(url, set)).toBe(3);
    expect((await query<{ id: string }>(url, 'SELECT id FROM gorp_migrations ORDER BY id')).map((r) => r.id)).toEqual([
      '0001_items.sql',
      '0002_state_done.sql',
      '0003_index.sql',
    ]);
    await query(url, `DELETE FROM items`);
    const downRun = await down(url, set, { to: 1 });
    expect(downRun.error).toBeUndefined();
    expect(downRun.results.map((r) => [r.fileName, r.direction, r.status])).toEqual([
      ['0003_index.sql', 'down', 'applied'],
      ['0002_state_done.sql', 'down', 'applied'],
    ]);
    expect(await appliedVersion(url, set)).toBe(1);
    const [{ labels }] = await query<{ labels: string[] }>(url, `SELECT enum_range(NULL::state)::text[] AS labels`);
    expect(labels).toEqual(['new']);
    expect((await down(url, set, { to: 0 })).error).toBeUndefined();
    expect(await query(url, `SELECT 1 FROM pg_class WHERE relname = 'items'`)).toEqual([]);
  } finally {
    await dropTestDatabase(url);
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * A partition's own generation expression exists from PostgreSQL 16 (15 refuses it, so it is no own case):
 * a new partition gets it in its CREATE ... PARTITION OF (16 and later), an existing one through SET EXPRESSION (17 and later).
 */
const PARTITION_GENERATED = {
  a: `create table totals (k int, n int, g int generated always as (n * 2) stored) partition by range (k);
    create table totals_1 partition of totals for values from (0) to (10);
    create table totals_2 partition of totals (g generated always as (n * 3) stored) for values from (10) to (20);
    insert into totals (k, n) values (1, 1), (11, 2);`,
  b: `create table totals (k int, n int, g int generated always as (n * 2) stored) partition by range (k);
    create table totals_1 partition of totals (g generated always as (n * 5) stored) for values from (0) to (10);
    create table totals_2 partition of totals for values from (10) to (20);
    create table totals_3 partition of totals (g generated always as (n * 7) stored) for values from (20) to (30);`,
};

test.each([17, 18] as const)(
  "a partition's own generation expression converges both ways on PostgreSQL %i",
  async (major) => {
    const { forward, backward } = await runRoundTrip(
      (await server(major)).adminUrl,
      PARTITION_GENERATED.a,
      PARTITION_GENERATED.b,
      { withPrivileges: true },
    );
    expect(view(forward)).toEqual({ applyError: null, secondDiff: '' });
    expect(view(backward)).toEqual({ applyError: null, secondDiff: '' });
    expect(forward.statements.map((s) => s.sql)).toEqual(
      expect.arrayContaining([
        'ALTER TABLE "public"."totals_1" ALTER COLUMN "g" SET EXPRESSION AS ((n * 5))',
        'ALTER TABLE "public"."totals_2" ALTER COLUMN "g" SET EXPRESSION AS ((n * 2))',
        `CREATE TABLE "public"."totals_3" PARTITION OF "public"."totals" ("g" GENERATED ALWAYS AS ((n * 7)) STORED) FOR VALUES FROM (20) TO (30)`,
      ]),
    );
    expect(forward.statements.find((s) => /totals_1.*SET EXPRESSION/.test(s.sql))?.hazards.map((h) => h.code)).toEqual([
      'rewrites-table',
    ]);
  },
);

test("a new partition's own generation expression is created on PostgreSQL 16", async () => {
  const { forward } = await runRoundTrip((await server(16)).adminUrl, '', PARTITION_GENERATED.b, {
    withPrivileges: true,
  });
  expect(view(forward)).toEqual({ applyError: null, secondDiff: '' });
});
