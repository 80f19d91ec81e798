import { diff } from '../src/diff';
import { checkFleetDrift } from '../src/fleet/apply';
import { memoryLogger } from '../../../test/support/logger';
import { createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';
import { FAST_RETRY, SHOP, shadow, workspace } from './fleet-fixture';

/** Frameworks' bookkeeping tables and exclude-table patterns, in the differ's filter and through drift. */
const FRAMEWORKS = `
  create table django_migrations (id serial primary key, app text not null, name text not null);
  create table schema_migrations (version varchar primary key);
  create table alembic_version (version_num varchar(32) primary key);
  create schema drizzle;
  create table drizzle.__drizzle_migrations (id serial primary key, hash text not null);
  create table "_prisma_migrations" (id varchar(36) primary key);
  create table knex_migrations (id serial primary key); create table knex_migrations_lock (index serial primary key);
  create table migrations (id serial primary key);
  create table audit_2024 (id int); create table audit_2025 (id int);
  create table users (id int primary key);`;

test('left out by default with what hangs on them (sequences, keys, the drizzle schema); named; opt back in', async () => {
  const [a, b] = await Promise.all([createTestDatabase('excl_a'), createTestDatabase('excl_b')]);
  try {
    await query(b, FRAMEWORKS);
    const plain = await diff(a, b);
    const created = plain.statements
      .filter((s) => s.action === 'create')
      .map((s) => `${s.object.kind} ${s.object.name}`);
    // TypeORM's plain `migrations` is ambiguous: kept.
    expect(created.filter((o) => o.startsWith('table ')).sort()).toEqual([
      'table public.audit_2024',
      'table public.audit_2025',
      'table public.migrations',
      'table public.users',
    ]);
    expect(plain.statements.map((s) => s.sql).join('\n')).not.toMatch(
      /django|drizzle|alembic|prisma|knex|schema_migrations/,
    );
    expect(plain.excludedTables).toEqual([
      'drizzle.__drizzle_migrations (drizzle-kit bookkeeping)',
      'public._prisma_migrations (Prisma bookkeeping)',
      'public.alembic_version (Alembic bookkeeping)',
      'public.django_migrations (Django bookkeeping)',
      'public.knex_migrations (knex bookkeeping)',
      'public.knex_migrations_lock (knex bookkeeping)',
      'public.schema_migrations (Rails bookkeeping)',
    ]);

    const patterns = await diff(a, b, { excludeTables: ['audit_*', 'public.migrations'] });
    expect(patterns.statements.filter((s) => s.object.kind === 'table').map((s) => s.object.name)).toEqual([
      'public.users',
    ]);
    expect(patterns.excludedTables).toContain('public.audit_2024 (exclude-table audit_*)');

    const all = await diff(a, b, { includeFrameworkTables: true });
    const sql = all.statements.map((s) => s.sql).join('\n');
    expect(sql).toContain('CREATE SCHEMA "drizzle"');
    expect(sql).toContain('CREATE TABLE "public"."django_migrations"');
    expect(all.excludedTables).toBeUndefined();
  } finally {
    await Promise.all([dropTestDatabase(a), dropTestDatabase(b)]);
  }
});

const ws = workspace('exclusions');
afterAll(() => ws.cleanup());

test('drift: a table excluded by a pattern and a framework table are no drift', async () => {
  const set = await ws.migrations(SHOP);
  const target = await ws.database(set, 5, 'app');
  await query(
    target.url,
    'create table django_migrations (id serial primary key, app text); create table audit_log (id int)',
  );
  const check = (excludeTables?: string[]) =>
    checkFleetDrift({
      set,
      targets: [target],
      shadow: shadow(),
      logger: memoryLogger(),
      retry: FAST_RETRY,
      ...(excludeTables ? { diffOptions: { excludeTables } } : {}),
    });
  const drifted = await check();
  expect(drifted.targets[0].status).toBe('drifted');
  expect(drifted.targets[0].drift?.sql).toMatch(/DROP TABLE "public"\."audit_log"/);
  expect(drifted.targets[0].drift?.sql).not.toMatch(/django_migrations/);
  expect((await check(['audit_*'])).targets[0].status).toBe('consistent');
});
