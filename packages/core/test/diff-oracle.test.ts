import { compareSchemas, normaliseDump } from '../../../test/support/schema-oracle';
import { createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';

/** The pg_dump oracle judges every convergence test: it must ignore only what it claims to ignore. */
test('the oracle ignores column and object order but nothing else', async () => {
  const urls = await Promise.all([1, 2, 3, 4].map(() => createTestDatabase('oracle')));
  const [a, b, c, d] = urls as [string, string, string, string];
  try {
    await Promise.all([
      query(a, "create table t (a int, b text); create table u (id int); comment on table t is 'x';"),
      query(b, "create table u (id int); create table t (b text, a int); comment on table t is 'x';"),
      query(c, "create table t (a bigint, b text); create table u (id int); comment on table t is 'x';"),
      query(
        d,
        "create table t (a int, b text); create table u (id int); comment on table t is 'y'; grant select on t to public;",
      ),
    ]);
    expect((await compareSchemas(a, b)).equal).toBe(true);
    const typeChanged = await compareSchemas(a, c);
    expect(typeChanged.equal).toBe(false);
    expect(typeChanged.onlyInSecond.join('\n')).toContain('a bigint');
    expect((await compareSchemas(a, d)).onlyInSecond.join('\n')).toContain("COMMENT ON TABLE public.t IS 'y';");
    expect((await compareSchemas(a, d, { privileges: false })).onlyInSecond).toEqual([
      "COMMENT ON TABLE public.t IS 'y';",
    ]);
    expect((await compareSchemas(a, d, { privileges: true })).onlyInSecond).toContain(
      'GRANT SELECT ON TABLE public.t TO PUBLIC;',
    );
  } finally {
    await Promise.all(urls.map(dropTestDatabase));
  }
});

test('dump normalisation drops headers, SET lines and pg_dump restrict fences, and sorts entries', () => {
  const dump = [
    '--',
    '-- PostgreSQL database dump',
    '--',
    '\\restrict abc',
    'SET statement_timeout = 0;',
    "SELECT pg_catalog.set_config('search_path', '', false);",
    '',
    '--',
    '-- Name: t; Type: TABLE; Schema: public; Owner: -',
    '--',
    '',
    'CREATE TABLE public.t (',
    '    b text,',
    '    a integer',
    ');',
    '',
    '--',
    '-- Name: f; Type: FUNCTION; Schema: public; Owner: -',
    '--',
    '',
    'CREATE FUNCTION public.f() RETURNS int',
    '    -- a comment inside the body stays',
    'AS $$ select 1 $$;',
    '\\unrestrict abc',
  ].join('\n');
  expect(normaliseDump(dump)).toEqual([
    'CREATE FUNCTION public.f() RETURNS int\n    -- a comment inside the body stays\nAS $$ select 1 $$;',
    'CREATE TABLE public.t (\n    a integer\n    b text\n);',
  ]);
});
