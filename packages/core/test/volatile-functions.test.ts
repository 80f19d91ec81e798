import { callsVolatileFunction, VOLATILE_FUNCTION_LIST, VOLATILE_FUNCTIONS } from '../src/pg/volatile-functions';
import { createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';

/** The one list of volatile functions, checked against pg_proc on the test server (PostgreSQL 15). */
let url: string;
beforeAll(async () => {
  url = await createTestDatabase('volatile');
  await query(url, 'CREATE EXTENSION pgcrypto; CREATE EXTENSION "uuid-ossp"');
});
afterAll(() => dropTestDatabase(url));

const volatility = async (names: readonly string[]) =>
  new Map(
    (
      await query<{ proname: string; kinds: string[] }>(
        url,
        `SELECT proname, array_agg(DISTINCT provolatile::text) AS kinds FROM pg_proc WHERE proname = ANY($1) GROUP BY proname`,
        [names],
      )
    ).map((r) => [r.proname, r.kinds]),
  );

test('every listed function PostgreSQL 15 has is VOLATILE in pg_proc; the later ones are absent', async () => {
  const major = Number(
    (await query<{ v: string }>(url, "SELECT current_setting('server_version_num') AS v"))[0]!.v.slice(0, 2),
  );
  expect(major).toBe(15);
  const found = await volatility(VOLATILE_FUNCTION_LIST.map((f) => f.name));
  for (const f of VOLATILE_FUNCTION_LIST) {
    if ((f.since ?? 0) > major) expect([f.name, found.get(f.name)]).toEqual([f.name, undefined]);
    else expect([f.name, found.get(f.name)]).toEqual([f.name, ['v']]);
  }
});

test('the volatile functions commonly used in defaults are listed, the stable ones are not', async () => {
  const common = [
    'random',
    'gen_random_uuid',
    'clock_timestamp',
    'timeofday',
    'nextval',
    'uuid_generate_v4',
    'gen_random_bytes',
  ];
  const stable = [
    'now',
    'statement_timestamp',
    'transaction_timestamp',
    'current_setting',
    'txid_current',
    'pg_current_xact_id',
    'crypt',
  ];
  const found = await volatility([...common, ...stable]);
  for (const name of common) expect([name, found.get(name), VOLATILE_FUNCTIONS.has(name)]).toEqual([name, ['v'], true]);
  for (const name of stable) {
    expect([name, found.get(name)?.includes('v')]).toEqual([name, false]);
    expect([name, VOLATILE_FUNCTIONS.has(name)]).toEqual([name, false]);
  }
});

test('defaults as PostgreSQL prints them are recognised: the differ reads pg_get_expr text', async () => {
  await query(
    url,
    `CREATE SEQUENCE s;
     CREATE TABLE t (a float8 DEFAULT random(), b uuid DEFAULT gen_random_uuid(), c timestamptz DEFAULT clock_timestamp(),
       d bigint DEFAULT nextval('s'), e bigint DEFAULT txid_current(), f uuid DEFAULT uuid_generate_v4(),
       g bytea DEFAULT gen_random_bytes(16), h timestamptz DEFAULT now(), i timestamptz DEFAULT CURRENT_TIMESTAMP)`,
  );
  const defaults = await query<{ attname: string; expr: string }>(
    url,
    `SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) AS expr FROM pg_attrdef d
     JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE d.adrelid = 't'::regclass ORDER BY 1`,
  );
  expect(defaults.map((d) => [d.attname, callsVolatileFunction(d.expr)])).toEqual([
    ['a', true],
    ['b', true],
    ['c', true],
    ['d', true],
    ['e', false],
    ['f', true],
    ['g', true],
    ['h', false],
    ['i', false],
  ]);
});
