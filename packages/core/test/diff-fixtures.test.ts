import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminUrl, query } from '../../../test/support/pg';
import { converged, ensureTestRole, migraFixtureOptions, runCase, summary } from './diff-harness';

/**
 * migra's own fixtures (all 26, copied from migra's public-domain suite into migra-fixtures, see its README):
 * for each, the diff applied to `a` must make it equal to `b` under the pg_dump oracle,
 * and diffing again must give nothing. Cases with an additions.sql run a second time with those additions
 * applied to `a` first.
 */
const FIXTURES = join(__dirname, 'migra-fixtures');

const cases = readdirSync(FIXTURES)
  .filter((d) => existsSync(join(FIXTURES, d, 'a.sql')))
  .sort();

const read = (name: string, file: string) => {
  const path = join(FIXTURES, name, file);
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
};

beforeAll(async () => {
  await ensureTestRole(adminUrl());
});

test('the migra fixtures are present', () => {
  expect(cases.length).toBeGreaterThanOrEqual(26);
});

describe.each(cases)('migra fixture %s', (name) => {
  const { diff: options, oracle } = migraFixtureOptions(name);
  const scenarios: [string, string][] = [['a -> b', read(name, 'a.sql')]];
  const additions = read(name, 'additions.sql');
  if (additions.trim()) scenarios.push(['a + additions -> b', read(name, 'a.sql') + '\n;\n' + additions]);

  test.concurrent.each(scenarios)('%s converges and is idempotent', async (_label, fromSql) => {
    if (options.createExtensionsOnly) {
      // Only extensions are created: the oracle is that every extension of b now exists in a.
      let missing: string[] = [];
      const outcome = await runCase(fromSql, read(name, 'b.sql'), options, oracle, async (a, b) => {
        const names = async (url: string) =>
          (await query<{ extname: string }>(url, 'SELECT extname FROM pg_extension')).map((r) => r.extname);
        const [have, want] = await Promise.all([names(a), names(b)]);
        missing = want.filter((e) => !have.includes(e));
      });
      expect(outcome.statements.every((s) => /^CREATE EXTENSION /.test(s.sql))).toBe(true);
      expect(outcome.statements.length).toBeGreaterThan(0);
      expect({ applyError: outcome.applyError ?? null, missing, secondDiff: outcome.secondDiff }).toEqual({
        applyError: null,
        missing: [],
        secondDiff: '',
      });
      return;
    }
    const outcome = await runCase(fromSql, read(name, 'b.sql'), options, oracle);
    if (process.env.DIFF_DEBUG) console.log(`${name} ${_label}\n${outcome.sql}`);
    expect(summary(outcome)).toEqual(converged);
    expect(outcome.statements.length).toBeGreaterThan(0);
    expect(outcome.oracleSawDifference).toBe(true);
  });

  // The way back (b -> a), judged the same way; extension-only mode has no way back to test.
  if (!options.createExtensionsOnly) {
    test.concurrent('b -> a converges and is idempotent', async () => {
      const outcome = await runCase(read(name, 'b.sql'), read(name, 'a.sql'), options, oracle);
      if (process.env.DIFF_DEBUG) console.log(`${name} b -> a\n${outcome.sql}`);
      const known = BACKWARD_KNOWN[name];
      if (known instanceof RegExp) expect(outcome.applyError).toMatch(known);
      else expect(summary(outcome)).toEqual({ ...converged, ...known });
    });
  }
});

/** Ways back that cannot work, with the error they give or the difference pg_dump still sees. */
const BACKWARD_KNOWN: Record<string, RegExp | { readonly onlyInMigrated: string[]; readonly onlyInTarget: string[] }> =
  {
    // Not a differ bug: pg_trgm ships no downgrade script, so 1.4 -> 1.3 cannot be done by any tool.
    extversions: /no update path from version "1\.4" to version "1\.3"/,
    // README, Limits: a table that gains a parent (INHERIT) keeps the parent's columns as local columns too.
    inherit2: {
      onlyInMigrated: [
        'CREATE TABLE public.a (\n    a1 integer\n    a2 integer\n    e integer\n)\nINHERITS (public.timestamp_base);',
      ],
      onlyInTarget: ['CREATE TABLE public.a (\n    a1 integer\n    a2 integer\n)\nINHERITS (public.timestamp_base);'],
    },
  };
