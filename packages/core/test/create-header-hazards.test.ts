/**
 * Every migration header lists every hazard verify raises: for each hazard kind the differ can emit, a
 * real diff makes a file as create renders it, and its header names the differ's codes and every code
 * verify's lint raises on its Up section (in the Hazards list) and on its Down section (in their own list).
 */
import { withPair } from '../../../test/support/diff';
import { adminUrl, query } from '../../../test/support/pg';
import { renderLintedMigrationFile } from '../src/create/create-migration';
import type { DiffOptions } from '../src/diff';
import { diffWithRenames } from '../src/diff/renames';
import { lintMigrations } from '../src/lint';
import { parseMigrationFile } from '../src/migrations/format';
import { TEST_ROLE } from './diff-harness';

interface HeaderCase {
  readonly code: string;
  /** The object the differ's hazard of `code` names: what an acknowledgement matches on. */
  readonly object: string;
  readonly from: string;
  readonly to: string;
  readonly options?: DiffOptions;
  readonly renames?: readonly string[];
}

const T = 'create table t (id int primary key, a int, note text);';
const CASES: readonly HeaderCase[] = [
  { code: 'drops-data', object: 'public.t.note', from: T, to: 'create table t (id int primary key, a int);' },
  { code: 'drops-data', object: 'public.u', from: `${T} create table u (id int);`, to: T },
  { code: 'drops-object', object: 'public.v', from: `${T} create view v as select id from t;`, to: T },
  {
    code: 'rewrites-table',
    object: 'public.t.a',
    from: T,
    to: 'create table t (id int primary key, a bigint, note text);',
  },
  {
    code: 'narrows-type',
    object: 'public.t.a',
    from: 'create table t (id int primary key, a bigint);',
    to: 'create table t (id int primary key, a int);',
  },
  {
    code: 'fails-on-existing-rows',
    object: 'public.t.b',
    from: T,
    to: 'create table t (id int primary key, a int, note text, b int not null);',
  },
  {
    code: 'validates-rows',
    object: 'public.t.t_a_check',
    from: T,
    to: 'create table t (id int primary key, a int check (a > 0), note text);',
  },
  {
    code: 'scans-table',
    object: 'public.t.a',
    from: T,
    to: 'create table t (id int primary key, a int not null, note text);',
    options: { online: false },
  },
  {
    code: 'blocks-writes',
    object: 'public.t_a',
    from: T,
    to: `${T} create index t_a on t (a);`,
    options: { online: false },
  },
  { code: 'drops-index', object: 'public.t_a', from: `${T} create index t_a on t (a);`, to: T },
  {
    code: 'enum-recreated',
    object: 'public.k',
    from: "create type k as enum ('x', 'y'); create table e (id int, k k);",
    to: "create type k as enum ('x'); create table e (id int, k k);",
  },
  {
    code: 'enum-value-added',
    object: 'public.k',
    from: "create type k as enum ('x'); create table e (id int, k k);",
    to: "create type k as enum ('x', 'y'); create table e (id int, k k check (k <> 'y'));",
  },
  {
    code: 'recreates-object',
    object: 'public.f()',
    from: "create function f() returns int language sql as 'select 1';",
    to: "create function f() returns bigint language sql as 'select 1::bigint';",
  },
  {
    code: 'sequence-bounds',
    object: 'public.s',
    from: 'create sequence s maxvalue 1000;',
    to: 'create sequence s maxvalue 100;',
  },
  {
    code: 'changes-access',
    object: 'public.t',
    from: T,
    to: `${T} grant select on t to ${TEST_ROLE};`,
    options: { withPrivileges: true },
  },
  { code: 'replica-identity', object: 'public.t', from: T, to: `${T} alter table t replica identity full;` },
  {
    code: 'untracked-dependencies',
    object: 'public.f()',
    from: T,
    to: `${T} create function f() returns int language plpgsql as $$ begin return (select count(*) from t); end $$;`,
  },
  {
    code: 'renames-object',
    object: 'public.t.a',
    from: T,
    to: 'create table t (id int primary key, b int, note text);',
    renames: ['public.t.a -> b'],
  },
];

/** The codes a header lists, in its Hazards list and in the Down section's. */
function headerCodes(text: string): { up: Set<string>; down: Set<string> } {
  const lines = text.split('\n');
  const block = (title: RegExp) => {
    const start = lines.findIndex((l) => title.test(l));
    const codes = new Set<string>();
    if (start < 0) return codes;
    for (const line of lines.slice(start + 1)) {
      const match = /^-- {3}([a-z-]+): /.exec(line);
      if (!match) break;
      codes.add(match[1]!);
    }
    return codes;
  };
  return { up: block(/^-- Hazards \(\d+\):$/), down: block(/^-- Hazards of the Down section \(\d+\):$/) };
}

beforeAll(async () => {
  await query(
    adminUrl(),
    `DO $$ BEGIN CREATE ROLE ${TEST_ROLE}; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`,
  );
});

describe('the header names every hazard verify raises', () => {
  it.each(CASES.map((c) => [`${c.code} ${c.object}`, c] as const))('%s', async (_name, c) => {
    const { code } = c;
    await withPair('header_hazards', c.from, c.to, async (a, b) => {
      const renames = (c.renames ?? []).map((text) => ({ text, source: 'the test' }));
      const { up, down } = await diffWithRenames(a, b, renames, c.options ?? {});
      const differ = new Set(up.flatMap((s) => s.hazards.map((h) => h.code)));
      // The case makes the differ emit the kind it is about, naming the object it concerns; every hazard names one.
      expect([...differ]).toContain(code);
      const all = up.flatMap((s) => s.hazards);
      expect(all.filter((h) => h.code === code).map((h) => h.object)).toContain(c.object);
      expect(all.filter((h) => h.object === undefined)).toEqual([]);
      const fileName = '0002_change.sql';
      const rendered = await renderLintedMigrationFile(fileName, {
        up,
        down,
        baseSha: 'a'.repeat(40),
        goalSha: 'b'.repeat(40),
        schemaSource: 'the test',
        generator: 'the test',
      });
      // What verify raises: the lint of the file as written (warnings), and the differ's recorded hazards.
      const lint = (
        await lintMigrations([{ path: fileName, parsed: parseMigrationFile(fileName, rendered.text) }])
      ).filter((f) => f.level === 'warning');
      const header = headerCodes(rendered.text);
      const missingUp = [...differ, ...lint.filter((f) => f.section === 'up').map((f) => f.code)].filter(
        (k) => !header.up.has(k),
      );
      const missingDown = lint.filter((f) => f.section === 'down' && !header.down.has(f.code)).map((f) => f.code);
      expect({ missingUp, missingDown }).toEqual({ missingUp: [], missingDown: [] });
    });
  });
});
