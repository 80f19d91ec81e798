/**
 * Hazards a reviewer needs on statements that change access, drop indexes, change replica identity, create
 * routines PostgreSQL cannot track, or narrow identity bounds: on real databases, the differ's statements
 * carry them, `db-migrate diff` prints them on stderr, and the statements still converge.
 */
import { diff, type DiffOptions, type DiffStatement } from '../src/diff';
import { schemasEqual, withPair } from '../../../test/support/diff';
import { cli } from '../../../test/support/cli';
import { adminUrl, query } from '../../../test/support/pg';
import { applyStatements, TEST_ROLE } from './diff-harness';

/** The codes of the statement whose SQL matches, asserting there is one. */
function codesOf(statements: readonly DiffStatement[], sql: RegExp): string[] {
  const found = statements.filter((s) => sql.test(s.sql));
  expect(found.map((s) => s.sql)).toHaveLength(1);
  return found[0]!.hazards.map((h) => h.code);
}

async function converges(
  a: string,
  b: string,
  options: DiffOptions,
  statements: readonly DiffStatement[],
): Promise<void> {
  await applyStatements(a, statements);
  expect(await schemasEqual(a, b, options)).toBe(true);
}

beforeAll(async () => {
  await query(
    adminUrl(),
    `DO $$ BEGIN CREATE ROLE ${TEST_ROLE}; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`,
  );
});

const TABLE =
  'create table t (id int primary key, email text constraint t_email_key unique, tenant int, x int); create index t_x_idx on t (x);';

test.concurrent('row-level security, policies and grants: changes-access on each statement', async () => {
  await withPair(
    'hazard',
    `${TABLE} create policy own on t using (tenant = 1); grant select on t to public;`,
    `${TABLE} alter table t enable row level security; alter table t force row level security;
     create policy mine on t for select using (tenant = 2); grant insert on t to ${TEST_ROLE};`,
    async (a, b) => {
      const options = { withPrivileges: true };
      const { statements } = await diff(a, b, options);
      expect(codesOf(statements, /ENABLE ROW LEVEL SECURITY$/)).toEqual(['changes-access']);
      expect(codesOf(statements, /FORCE ROW LEVEL SECURITY$/)).toEqual(['changes-access']);
      expect(codesOf(statements, /^DROP POLICY "own"/)).toEqual(['changes-access']);
      expect(codesOf(statements, /^CREATE POLICY "mine"/)).toEqual(['changes-access']);
      expect(codesOf(statements, /^REVOKE SELECT ON TABLE "public"."t" FROM PUBLIC$/)).toEqual(['changes-access']);
      const grant = statements.find((s) => s.sql.startsWith('GRANT INSERT'))!;
      expect(grant.hazards).toEqual([
        {
          code: 'changes-access',
          message: expect.stringMatching(/^grants INSERT on public\.t to "schemainspect_test_role": /),
          object: 'public.t',
        },
      ]);
      const run = await cli(['diff', a, b, '--with-privileges', '--verbose']);
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(
        /hazard changes-access \(statement \d+, table public\.t\): enable row level security on public\.t/,
      );
      expect(run.stderr).toMatch(
        /hazard changes-access \(statement \d+, policy public\.t\.mine\): creates policy mine on public\.t/,
      );
      expect(run.stderr).toMatch(
        /hazard changes-access \(statement \d+, table public\.t\): revokes SELECT on public\.t from PUBLIC/,
      );
      await converges(a, b, options, statements);
    },
  );
});

test.concurrent('the way back: disabling row-level security and dropping a policy say so too', async () => {
  await withPair(
    'hazard',
    `${TABLE} alter table t enable row level security; alter table t force row level security; create policy mine on t using (true);`,
    TABLE,
    async (a, b) => {
      const { statements } = await diff(a, b);
      expect(codesOf(statements, /DISABLE ROW LEVEL SECURITY$/)).toEqual(['changes-access']);
      expect(codesOf(statements, /NO FORCE ROW LEVEL SECURITY$/)).toEqual(['changes-access']);
      expect(codesOf(statements, /^DROP POLICY "mine"/)).toEqual(['changes-access']);
      await converges(a, b, {}, statements);
    },
  );
});

test.concurrent('DROP INDEX and dropping a primary key or unique constraint: drops-index; a dropped table does not repeat it', async () => {
  await withPair(
    'hazard',
    `${TABLE} create table gone (id int primary key); create index gone_idx on gone (id);`,
    'create table t (id int, email text, tenant int, x int);',
    async (a, b) => {
      const { statements } = await diff(a, b);
      expect(codesOf(statements, /^DROP INDEX CONCURRENTLY IF EXISTS "public"."t_x_idx"$/)).toEqual(['drops-index']);
      expect(statements.find((s) => s.sql.includes('"t_x_idx"'))!.hazards[0]!.message).toMatch(
        /CONCURRENTLY, reads and writes go on/,
      );
      const blocking = (await diff(a, b, { online: false })).statements;
      expect(codesOf(blocking, /^DROP INDEX "public"."t_x_idx"$/)).toEqual(['drops-index']);
      expect(codesOf(statements, /DROP CONSTRAINT "t_pkey"$/)).toEqual(['drops-index']);
      expect(codesOf(statements, /DROP CONSTRAINT "t_email_key"$/)).toEqual(['drops-index']);
      expect(statements.find((s) => s.sql.includes('DROP CONSTRAINT "t_email_key"'))!.hazards[0]!.message).toMatch(
        /^drops unique constraint t_email_key on public\.t and its index: takes an ACCESS EXCLUSIVE lock/,
      );
      expect(
        statements.filter((s) => s.object.name.startsWith('public.gone')).flatMap((s) => s.hazards.map((h) => h.code)),
      ).not.toContain('drops-index');
      await converges(a, b, {}, statements);
    },
  );
});

test.concurrent('REPLICA IDENTITY changes: replica-identity, except on a table created here', async () => {
  await withPair(
    'hazard',
    `${TABLE} create table other (id int primary key);`,
    `${TABLE} alter table t replica identity full; create table other (id int primary key); alter table other replica identity using index other_pkey;
     create table fresh (id int); alter table fresh replica identity full;`,
    async (a, b) => {
      const { statements } = await diff(a, b);
      expect(codesOf(statements, /"t" REPLICA IDENTITY FULL$/)).toEqual(['replica-identity']);
      expect(codesOf(statements, /"other" REPLICA IDENTITY USING INDEX "other_pkey"$/)).toEqual(['replica-identity']);
      expect(codesOf(statements, /"fresh" REPLICA IDENTITY FULL$/)).toEqual([]);
      await converges(a, b, {}, statements);
    },
  );
});

test.concurrent('routines with bodies PostgreSQL does not track: untracked-dependencies; BEGIN ATOMIC and unchanged ones are quiet', async () => {
  await withPair(
    'hazard',
    `${TABLE} create function kept() returns int language plpgsql as $$ begin return 1; end $$;
     create function changed() returns int language sql as $$ select 1 $$;`,
    `${TABLE} create function kept() returns int language plpgsql as $$ begin return 1; end $$;
     create function changed() returns int language sql as $$ select count(*)::int from t $$;
     create function counted() returns bigint language plpgsql as $$ begin return (select count(*) from t); end $$;
     create procedure p() language plpgsql as $$ begin delete from t; end $$;
     create function atomic() returns bigint language sql begin atomic select count(*) from t; end;`,
    async (a, b) => {
      const { statements } = await diff(a, b);
      expect(statements.some((s) => s.sql.includes('kept()'))).toBe(false);
      expect(codesOf(statements, /FUNCTION public\.changed\(\)/)).toEqual(['untracked-dependencies']);
      expect(codesOf(statements, /FUNCTION public\.counted\(\)/)).toEqual(['untracked-dependencies']);
      expect(codesOf(statements, /PROCEDURE public\.p\(\)/)).toEqual(['untracked-dependencies']);
      expect(codesOf(statements, /FUNCTION public\.atomic\(\)/)).toEqual([]);
      expect(statements.find((s) => /public\.counted/.test(s.sql))!.hazards[0]!.message).toMatch(
        /^creates or replaces function public\.counted\(\), whose plpgsql body/,
      );
      await converges(a, b, {}, statements);
    },
  );
});

test.concurrent('identity bounds narrowed below the current value: sequence-bounds, and the SQL moves the counter instead of failing', async () => {
  await withPair(
    'hazard',
    'create table c (id int generated by default as identity, v int); insert into c (v) select g from generate_series(1, 50) g;',
    'create table c (id int generated by default as identity (maxvalue 1000), v int);',
    async (a, b) => {
      const { statements } = await diff(a, b);
      expect(codesOf(statements, /SET MAXVALUE 1000$/)).toEqual(['sequence-bounds']);
      await converges(a, b, {}, statements);
      // Raised past the current value of 50: the identity still hands out values, inside the new bounds.
      await query(a, 'insert into c (v) values (51)');
    },
  );
  await withPair(
    'hazard',
    'create table c (id int generated by default as identity, v int); insert into c (v) select g from generate_series(1, 50) g;',
    'create table c (id int generated by default as identity (minvalue 100 start with 100), v int);',
    async (a, b) => {
      const { statements } = await diff(a, b);
      expect(
        statements.filter((s) => / SET MINVALUE 100/.test(s.sql)).flatMap((s) => s.hazards.map((h) => h.code)),
      ).toEqual(['sequence-bounds']);
      await converges(a, b, {}, statements);
      const [{ id }] = (await query<{ id: number }>(a, 'insert into c (v) values (51) returning id')) as [
        { id: number },
      ];
      expect(id).toBeGreaterThanOrEqual(100);
    },
  );
});

test.concurrent('an owner that differs, with privileges compared: ALTER ... OWNER TO with withOwners, nothing about the owner without', async () => {
  const grants = 'grant select on t to public; create function f() returns int language sql as $$ select 1 $$;';
  await withPair(
    'hazard',
    `create table t (id int); ${grants}`,
    `create table t (id int); ${grants} alter table t owner to ${TEST_ROLE}; alter function f() owner to ${TEST_ROLE}; revoke delete on t from ${TEST_ROLE};`,
    async (a, b) => {
      // Without withOwners the owner stays: only the privilege the owner gave up, as the current owner's.
      const [admin] = await query<{ owner: string }>(
        a,
        `select tableowner as owner from pg_tables where tablename = 't'`,
      );
      const { statements: kept } = await diff(a, b, { withPrivileges: true });
      expect(kept.map((s) => s.sql)).toEqual([`REVOKE DELETE ON TABLE "public"."t" FROM "${admin!.owner}"`]);

      const options = { withPrivileges: true, withOwners: true };
      const { statements } = await diff(a, b, options);
      // The owner moves first and takes its privileges along: then only what it gave up is revoked.
      expect(statements.map((s) => s.sql)).toEqual([
        `ALTER TABLE "public"."t" OWNER TO "${TEST_ROLE}"`,
        `ALTER FUNCTION "public"."f"() OWNER TO "${TEST_ROLE}"`,
        `REVOKE DELETE ON TABLE "public"."t" FROM "${TEST_ROLE}"`,
      ]);
      await converges(a, b, options, statements);
      expect((await diff(a, b, options)).statements).toEqual([]);
    },
  );
});
