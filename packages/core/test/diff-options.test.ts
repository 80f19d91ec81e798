import { ConfigurationError } from '../src/errors';
import { diff, introspect, renderSql } from '../src/diff';
import { schemasEqual, withPair } from '../../../test/support/diff';
import { compareWithExpected } from '../src/fleet/consistency';
import { schemaDifference } from '../src/diff/difference';
import { cli } from '../../../test/support/cli';
import { adminUrl, query } from '../../../test/support/pg';
import { applyStatements } from './diff-harness';

/** Options, exclusions and error behaviour of diff(), on real databases. */
const sqlOf = async (a: string, b: string, options = {}) => (await diff(a, b, options)).statements.map((s) => s.sql);

test.concurrent('schema: only that schema is compared', async () => {
  await withPair(
    'diffopt',
    'create schema s1; create table s1.t (id int); create table public.p (id int);',
    'create schema s1; create table s1.t (id int, x int); create table public.q (id int);',
    async (a, b) => {
      expect(await sqlOf(a, b, { schema: 's1' })).toEqual(['ALTER TABLE "s1"."t" ADD COLUMN "x" integer']);
      const all = await sqlOf(a, b);
      expect(all).toContain('DROP TABLE "public"."p"');
      expect(all.some((s) => s.startsWith('CREATE TABLE "public"."q"'))).toBe(true);
    },
  );
});

test.concurrent('excludeSchemas: several schemas can be left out', async () => {
  await withPair(
    'diffopt',
    'create schema x1; create schema x2; create table x1.t (id int); create table x2.t (id int);',
    'create schema x1; create schema x2; create schema kept; create table x1.t (id int, y int);',
    async (a, b) => {
      expect(await sqlOf(a, b, { excludeSchemas: ['x1', 'x2'] })).toEqual(['CREATE SCHEMA "kept"']);
      expect(await sqlOf(a, b, { excludeSchemas: ['x1'] })).toEqual(['DROP TABLE "x2"."t"', 'CREATE SCHEMA "kept"']);
    },
  );
});

test.concurrent('withPrivileges: grants and revokes only when asked', async () => {
  await withPair(
    'diffopt',
    'create table t (id int); create schema s; grant select, insert on t to public; create function f() returns int language sql as $$ select 1 $$;',
    'create table t (id int); create schema s; grant update on t to public; grant usage on schema s to public; create function f() returns int language sql as $$ select 1 $$; revoke execute on function f() from public;',
    async (a, b) => {
      expect(await sqlOf(a, b)).toEqual([]);
      const statements = (await diff(a, b, { withPrivileges: true })).statements;
      expect(statements.map((s) => s.sql)).toEqual(
        expect.arrayContaining([
          'REVOKE INSERT, SELECT ON TABLE "public"."t" FROM PUBLIC',
          'GRANT UPDATE ON TABLE "public"."t" TO PUBLIC',
          'GRANT USAGE ON SCHEMA "s" TO PUBLIC',
          'REVOKE EXECUTE ON FUNCTION "public"."f"() FROM PUBLIC',
        ]),
      );
      await applyStatements(a, statements);
      expect(await schemasEqual(a, b, { withPrivileges: true })).toBe(true);
    },
  );
});

test.concurrent('ignoreExtensionVersions and createExtensionsOnly', async () => {
  await withPair(
    'diffopt',
    "create extension pg_trgm version '1.5'; create table t (id int);",
    "create extension pg_trgm version '1.6'; create extension hstore; create table t (id int, x int);",
    async (a, b) => {
      const versioned = await sqlOf(a, b);
      expect(versioned).toContain(`ALTER EXTENSION "pg_trgm" UPDATE TO '1.6'`);
      expect(
        versioned.some((s) =>
          /^CREATE EXTENSION IF NOT EXISTS "hstore" WITH SCHEMA "public" VERSION '[\d.]+'$/.test(s),
        ),
      ).toBe(true);
      const ignored = await sqlOf(a, b, { ignoreExtensionVersions: true });
      expect(ignored.some((s) => s.includes('pg_trgm'))).toBe(false);
      expect(ignored).toContain('CREATE EXTENSION IF NOT EXISTS "hstore" WITH SCHEMA "public"');
      expect(await sqlOf(a, b, { createExtensionsOnly: true, ignoreExtensionVersions: true })).toEqual([
        'CREATE EXTENSION IF NOT EXISTS "hstore" WITH SCHEMA "public"',
      ]);
    },
  );
});

test.concurrent('migration bookkeeping and extension members are never compared', async () => {
  await withPair(
    'diffopt',
    `create table gorp_migrations (id text primary key, applied_at timestamptz);
     create schema db_migrate; create table db_migrate.checksums (id text primary key);
     create extension citext;`,
    'create extension citext;',
    async (a, b) => {
      expect(await sqlOf(a, b)).toEqual([]);
      expect(await sqlOf(b, a)).toEqual([]);
    },
  );
});

test.concurrent('online (the default): CONCURRENTLY, outside a transaction, only on tables that already exist; online: false blocks', async () => {
  await withPair(
    'diffopt',
    'create table t (id int, v int);',
    'create table t (id int, v int); create index t_v on t (v); create table n (id int); create index n_id on n (id);',
    async (a, b) => {
      const plain = (await diff(a, b, { online: false })).statements.find((s) => s.sql.includes('t_v'))!;
      expect(plain).toMatchObject({
        transactional: true,
        step: 0,
        hazards: [expect.objectContaining({ code: 'blocks-writes' })],
      });
      const { statements } = await diff(a, b);
      const existing = statements.find((s) => s.sql.includes('t_v'))!;
      const fresh = statements.find((s) => s.sql.includes('n_id'))!;
      expect(existing).toMatchObject({
        sql: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS t_v ON public.t USING btree (v)',
        transactional: false,
        step: 1,
        hazards: [],
      });
      expect(fresh).toMatchObject({
        sql: 'CREATE INDEX n_id ON public.n USING btree (id)',
        transactional: true,
        hazards: [],
      });
      await applyStatements(a, statements);
      expect(await schemasEqual(a, b)).toBe(true);
    },
  );
});

test.concurrent('destructive flags and hazards on drops and risky alterations', async () => {
  await withPair(
    'diffopt',
    'create table t (id int, gone text, n int, s text); create view v as select id from t; create function f() returns int language sql as $$ select 1 $$;',
    'create table t (id int, n bigint, s text not null);',
    async (a, b) => {
      const { statements } = await diff(a, b);
      const find = (re: RegExp) => statements.find((s) => re.test(s.sql))!;
      expect(find(/DROP COLUMN "gone"/)).toMatchObject({
        destructive: true,
        action: 'drop',
        object: { kind: 'column', name: 'public.t.gone' },
      });
      expect(find(/^DROP VIEW/)).toMatchObject({ destructive: true, object: { kind: 'view', name: 'public.v' } });
      expect(find(/^DROP FUNCTION/)).toMatchObject({ destructive: true, object: { kind: 'function' } });
      expect(find(/SET DATA TYPE bigint/).hazards.map((h) => h.code)).toEqual(['rewrites-table']);
      // Online (the default): no scan under the lock; the helper check's VALIDATE scans without blocking writes.
      expect(find(/SET NOT NULL/)).toMatchObject({ step: 2, hazards: [] });
      expect(find(/VALIDATE CONSTRAINT "s_not_null_db_migrate"/).hazards.map((h) => h.code)).toEqual([
        'validates-rows',
      ]);
      const blocking = (await diff(a, b, { online: false })).statements;
      expect(blocking.find((s) => /SET NOT NULL/.test(s.sql))!.hazards.map((h) => h.code)).toEqual(['scans-table']);
      expect(find(/SET DATA TYPE bigint/).destructive).toBe(false);
    },
  );
});

test.concurrent('equal databases give no statements and renderSql prints nothing', async () => {
  const schema = 'create table t (id serial primary key, v text); create view v as select * from t;';
  await withPair('diffopt', schema, schema, async (a, b) => {
    const { statements } = await diff(a, b, { withPrivileges: true });
    expect(statements).toEqual([]);
    expect(renderSql(statements)).toBe('');
    expect(await schemasEqual(a, b)).toBe(true);
  });
});

test('renderSql terminates and separates statements as migra prints them', () => {
  const s = (sql: string) => ({ sql });
  expect(renderSql([s('CREATE SCHEMA "a"'), s('CREATE SCHEMA "b"')])).toBe(
    'CREATE SCHEMA "a";\n\nCREATE SCHEMA "b";\n',
  );
});

test('an unreachable database is a ConfigurationError naming it without the password', async () => {
  const url = 'postgresql://someone:s3cretpw@127.0.0.1:1/nowhere';
  const error = await diff(url, url).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigurationError);
  expect((error as Error).message).toContain('cannot connect to 127.0.0.1:1/nowhere');
  expect((error as Error).message).not.toContain('s3cretpw');
});

// Not concurrent: the CLI runs in-process and its output is captured by swapping process.stdout/stderr.
test('objects of kinds the differ does not compare are listed, and make every equality check fail', async () => {
  const fdw = `create foreign data wrapper dummy_fdw; create server dummy_srv foreign data wrapper dummy_fdw;`;
  await withPair(
    'diffopt',
    `create table t (id int, v int); ${fdw}`,
    `create table t (id int, v int); ${fdw} create foreign table ft (a int) server dummy_srv;`,
    async (a, b) => {
      const { statements, warnings } = await diff(a, b);
      expect(statements).toEqual([]);
      expect(warnings).toEqual([
        'foreign server dummy_srv is not compared (not supported by the differ)',
        'foreign table public.ft exists only in the second database and is not created (not supported by the differ)',
        'foreign-data wrapper dummy_fdw is not compared (not supported by the differ)',
      ]);
      expect(await schemasEqual(a, b)).toBe(false);
      // Present on both sides is no pass either: the differ cannot tell they are the same.
      expect(await schemasEqual(b, b)).toBe(false);
      // Servers and wrappers belong to no schema: a single-schema comparison still lists them.
      expect((await diff(a, b, { schema: 'other' })).warnings).toEqual([
        'foreign server dummy_srv is not compared (not supported by the differ)',
        'foreign-data wrapper dummy_fdw is not compared (not supported by the differ)',
      ]);
      // diff --exit-code, verify's comparison and the fleet's drift check all count them as a difference.
      const run = await cli(['diff', a, b, '--exit-code']);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('foreign table public.ft exists only in the second database');
      expect((await cli(['diff', b, b, '--exit-code'])).code).toBe(2);
      const found = await schemaDifference(b, b);
      expect(found.sql).toContain(
        '-- not compared: foreign table public.ft is not compared (not supported by the differ)',
      );
      const catalog = await introspect(b);
      // One rendering: verify and the drift check show the same SQL and the same lines.
      expect(compareWithExpected(catalog, catalog, 3)?.sql).toBe(found.sql);
      expect(found.changes).toEqual([
        'not compared: foreign server dummy_srv is not compared (not supported by the differ)',
        'not compared: foreign table public.ft is not compared (not supported by the differ)',
        'not compared: foreign-data wrapper dummy_fdw is not compared (not supported by the differ)',
      ]);
      expect(compareWithExpected(catalog, catalog, 3)?.changes).toEqual(found.changes);
    },
  );
});

test('equal schemas without unsupported objects pass every equality check', async () => {
  await withPair('diffopt', 'create table t (id int)', 'create table t (id int)', async (a, b) => {
    expect(await schemasEqual(a, b)).toBe(true);
    expect((await cli(['diff', a, b, '--exit-code'])).code).toBe(0);
    expect(await schemaDifference(a, b)).toEqual({ sql: '', statements: 0, changes: [], excludedTables: [] });
    expect(compareWithExpected(await introspect(a), await introspect(b), 1)).toBeUndefined();
  });
});

test('withOwners (--with-owners): owners are compared only when asked', async () => {
  await query(
    adminUrl(),
    `DO $$ BEGIN CREATE ROLE schemainspect_test_role; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`,
  );
  await withPair(
    'diffopt',
    'create table t (id int)',
    'create table t (id int); alter table t owner to schemainspect_test_role',
    async (a, b) => {
      expect(await sqlOf(a, b)).toEqual([]);
      expect(await sqlOf(a, b, { withOwners: true })).toEqual([
        'ALTER TABLE "public"."t" OWNER TO "schemainspect_test_role"',
      ]);
      const run = await cli(['diff', a, b, '--with-owners', '--exit-code']);
      expect({ code: run.code, stdout: run.stdout }).toEqual({
        code: 2,
        stdout: 'ALTER TABLE "public"."t" OWNER TO "schemainspect_test_role";\n',
      });
      expect((await cli(['diff', a, b, '--exit-code'])).code).toBe(0);
    },
  );
});
