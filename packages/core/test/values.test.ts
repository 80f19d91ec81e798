/**
 * No value changes silently: the differ's type changes stop (a guard raises, PostgreSQL's own assignment
 * cast refuses) rather than cut or round a value; conversions that keep every value are not narrowing;
 * sequences and identities keep their position when converted. On real databases.
 */
import { diff, type DiffStatement } from '../src/diff';
import { conversionGuard, valueChangingConversion } from '../src/diff/conversions';
import { applyFleet } from '../src/fleet/apply';
import { FAST_RETRY, recordedIds, shadow, workspace } from './fleet-fixture';
import { schemasEqual, withPair } from '../../../test/support/diff';
import { query } from '../../../test/support/pg';
import { applyStatements } from './diff-harness';

const codes = (statements: readonly DiffStatement[]) => statements.flatMap((s) => s.hazards.map((h) => h.code));

describe('valueChangingConversion', () => {
  it('says how a conversion alters values, or null when it keeps every one', () => {
    expect(valueChangingConversion('character varying(30)', 'character varying(20)')).toBe(
      'cuts strings longer than 20 characters',
    );
    expect(valueChangingConversion('numeric(10,4)', 'numeric(10,2)')).toBe('rounds to 2 decimal places');
    expect(valueChangingConversion('bigint', 'integer')).toMatch(/refuses values outside the range of integer/);
    expect(valueChangingConversion('timestamp with time zone', 'timestamp without time zone')).toMatch(/time zone/);
    for (const [from, to] of [
      ['character varying(10)', 'text'],
      ['integer', 'bigint'],
      ['timestamp without time zone', 'timestamp with time zone'],
      ['json', 'jsonb'],
      ['numeric(8,2)', 'numeric(12,2)'],
    ])
      expect([from, to, valueChangingConversion(from!, to!)]).toEqual([from, to, null]);
  });
});

describe('type changes written by the differ', () => {
  it('a varchar narrowing stops on a value too long (nothing cut) and converges where every value fits', async () => {
    await withPair(
      'values',
      `create table people (id int primary key, name varchar(40));`,
      `create table people (id int primary key, name varchar(20));`,
      async (a, b) => {
        const { statements } = await diff(a, b);
        const alter = statements.find((s) => /SET DATA TYPE/.test(s.sql))!;
        // PostgreSQL's own assignment cast, which refuses a value too long: no `USING name::varchar(20)` that cuts it.
        expect(alter.sql).toBe('ALTER TABLE "public"."people" ALTER COLUMN "name" SET DATA TYPE character varying(20)');
        expect(alter.hazards.map((h) => h.code)).toContain('narrows-type');
        expect(statements.findIndex((s) => s.sql.startsWith('DO $guard$'))).toBe(statements.indexOf(alter) - 1);
        await query(a, `insert into people values (1, 'Ada'), (2, 'Bartholomew-Montgomery Smithson')`);
        await expect(applyStatements(a, statements)).rejects.toThrow(
          /column public\.people\.name: converting character varying\(40\) to character varying\(20\) would change the value Bartholomew-Montgomery Smithson/,
        );
        expect(await query(a, `select name from people where id = 2`)).toEqual([
          { name: 'Bartholomew-Montgomery Smithson' },
        ]);
        // The guard's twin: PostgreSQL alone refuses too (no explicit cast to cut with).
        await expect(query(a, alter.sql)).rejects.toThrow(/value too long for type character varying\(20\)/);
        await query(a, `update people set name = 'Bart' where id = 2`);
        await applyStatements(a, statements);
        expect(await schemasEqual(a, b)).toBe(true);
      },
    );
  });

  it('a numeric scale reduction never rounds: 12.3456 stops it, 12.5000 passes', async () => {
    await withPair(
      'values',
      `create table prices (id int primary key, amount numeric(10,4));`,
      `create table prices (id int primary key, amount numeric(10,2));`,
      async (a, b) => {
        const { statements } = await diff(a, b);
        expect(codes(statements)).toContain('narrows-type');
        await query(a, `insert into prices values (1, 12.5000), (2, 12.3456)`);
        await expect(applyStatements(a, statements)).rejects.toThrow(/would change the value 12\.3456/);
        expect(await query(a, `select amount::text from prices order by id`)).toEqual([
          { amount: '12.5000' },
          { amount: '12.3456' },
        ]);
        await query(a, `delete from prices where id = 2`);
        await applyStatements(a, statements);
        expect(await query(a, `select amount::text from prices`)).toEqual([{ amount: '12.50' }]);
        expect(await schemasEqual(a, b)).toBe(true);
      },
    );
  });

  it('timestamp -> timestamptz, json -> jsonb and varchar -> text keep every value: no guard, no narrows-type', async () => {
    await withPair(
      'values',
      `create table events (id int primary key, at timestamp, body json, note varchar(10));`,
      `create table events (id int primary key, at timestamptz, body jsonb, note text);`,
      async (a, b) => {
        const { statements } = await diff(a, b);
        expect(codes(statements)).not.toContain('narrows-type');
        expect(statements.some((s) => s.sql.includes('$guard$'))).toBe(false);
        await query(a, `insert into events values (1, '2026-01-01 10:00', '{"b": 1,  "a": [2]}', 'short')`);
        await applyStatements(a, statements);
        expect(await schemasEqual(a, b)).toBe(true);
        expect(
          await query(
            a,
            `select at = '2026-01-01 10:00'::timestamp AS same_instant, body = '{"a": [2], "b": 1}'::jsonb AS same_doc, note from events`,
          ),
        ).toEqual([{ same_instant: true, same_doc: true, note: 'short' }]);
      },
    );
  });
});

describe('sequences keep their position', () => {
  it('serial -> identity and back: the next id is above every id ever issued (1-10 issued, 9-10 deleted: 11, then 12)', async () => {
    const serial = `create table invoices (id serial primary key, note text);`;
    const identity = `create table invoices (id int generated by default as identity primary key, note text);`;
    await withPair('seq', serial, identity, async (a, b) => {
      await query(
        a,
        `insert into invoices (note) select 'n' || g from generate_series(1, 10) g; delete from invoices where id >= 9`,
      );
      const { statements } = await diff(a, b);
      await applyStatements(a, statements);
      expect(await schemasEqual(a, b)).toBe(true);
      expect(await query(a, `insert into invoices (note) values ('after') returning id`)).toEqual([{ id: 11 }]);
      // And back (the Down a migration gets): the serial counter continues from the identity's position.
      await query(a, `delete from invoices where id = 11`);
      const back = await diff(
        a,
        await (async () => {
          await query(b, `drop table invoices; ${serial}`);
          return b;
        })(),
      );
      await applyStatements(a, back.statements);
      expect(await schemasEqual(a, b)).toBe(true);
      expect(await query(a, `insert into invoices (note) values ('back') returning id`)).toEqual([{ id: 12 }]);
    });
  });

  it('rows written with explicit ids above the counter still move it past them', async () => {
    await withPair(
      'seq',
      `create table t (id serial primary key);`,
      `create table t (id int generated always as identity primary key);`,
      async (a, b) => {
        await query(a, `insert into t values (default), (50)`);
        await applyStatements(a, (await diff(a, b)).statements);
        expect(await query(a, `insert into t default values returning id`)).toEqual([{ id: 51 }]);
      },
    );
  });
});

describe('apply on a fleet: values counted on each client', () => {
  const ws = workspace('values');
  afterAll(() => ws.cleanup());
  const files = (header: string[]) => ({
    '0001_people.sql': {
      up: ['CREATE TABLE people (id int PRIMARY KEY, name varchar(40))'],
      down: ['DROP TABLE people'],
    },
    '0002_short_names.sql': {
      header,
      // As the differ writes it: the guard, then PostgreSQL's own assignment cast.
      up: [
        conversionGuard(
          '"public"."people"',
          'public.people',
          'name',
          'character varying(40)',
          'character varying(20)',
          'cuts strings longer than 20 characters',
        ),
        'ALTER TABLE "public"."people" ALTER COLUMN "name" SET DATA TYPE character varying(20)',
      ],
      down: ['ALTER TABLE "public"."people" ALTER COLUMN "name" SET DATA TYPE character varying(40)'],
    },
  });
  const LONG = 'Bartholomew-Montgomery Smithson';

  it('an undeclared narrowing runs where every value fits and is refused, nothing run, where one does not; declared, it still never cuts', async () => {
    const set = await ws.migrations(files([]));
    const fits = await ws.database(set, 1, 'fits');
    const long = await ws.database(set, 1, 'long');
    await query(fits.url, `INSERT INTO people VALUES (1, 'Ada'), (2, 'Grace')`);
    await query(long.url, `INSERT INTO people VALUES (1, 'Ada'), (2, '${LONG}')`);
    const report = await applyFleet({ set, targets: [fits, long], shadow: shadow(), retry: FAST_RETRY });
    expect(report.targets.map((t) => [t.name, t.status])).toEqual([
      ['fits', 'applied'],
      ['long', 'refused'],
    ]);
    expect(report.targets[1].error).toMatch(
      /migrating from version 1 to 2 would lose data it holds: public\.people\.name \(narrows-type, 1 value that would change\); nothing was run\./,
    );
    expect(await recordedIds(long.url)).toHaveLength(1);

    const declared = await ws.migrations(files(['db-migrate: allow narrows-type public.people.name']));
    // Declared, the pre-check still finds the value the change would refuse, before anything runs...
    const again = await applyFleet({ set: declared, targets: [long], shadow: shadow(), retry: FAST_RETRY });
    expect(again.targets[0].status).toBe('refused');
    // ...and without the pre-checks, the guard before the type change stops it on that value.
    const guarded = await applyFleet({
      set: declared,
      targets: [long],
      shadow: shadow(),
      retry: FAST_RETRY,
      prechecks: { maxRows: 0 },
    });
    expect(guarded.targets[0].status).toBe('failed');
    expect(guarded.targets[0].error).toMatch(/would change the value Bartholomew-Montgomery Smithson/);
    expect(await query(long.url, `SELECT name FROM people WHERE id = 2`)).toEqual([{ name: LONG }]);
    expect(await recordedIds(long.url)).toHaveLength(1);
  });
});
