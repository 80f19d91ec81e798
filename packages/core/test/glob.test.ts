import { tablePatternMatcher } from '../src/diff/framework-tables';
import { globMatches, isGlob } from '../src/glob';
import { triggerPathsProblem } from '../src/init/trigger-paths';

/** The one glob syntax (docs/globs.md), and its three readers: schema file lists, exclude-table, workflow paths. */
test('* and ? stay in one directory, ** crosses them, **/ may match no directory', () => {
  expect(globMatches('*.sql', 'a.sql')).toBe(true);
  expect(globMatches('*.sql', 'x/a.sql')).toBe(false);
  expect(globMatches('**/*.sql', 'a.sql')).toBe(true);
  expect(globMatches('**/*.sql', 'x/y/a.sql')).toBe(true);
  expect(globMatches('db/**', 'db/x/y.sql')).toBe(true);
  expect(globMatches('db/**', 'dbx/y.sql')).toBe(false);
  expect(globMatches('0?_*.sql', '01_a.sql')).toBe(true);
  expect(globMatches('0?_*.sql', '0/_a.sql')).toBe(false);
  expect(globMatches('a.sql', 'aXsql')).toBe(false);
});

test('[...] is one character of a set, [!...] one outside it; an unclosed [ is itself', () => {
  expect(globMatches('0[1-3]_*.sql', '02_a.sql')).toBe(true);
  expect(globMatches('0[1-3]_*.sql', '04_a.sql')).toBe(false);
  expect(globMatches('0[!1-3]_*.sql', '04_a.sql')).toBe(true);
  expect(globMatches('0[!1-3]_*.sql', '02_a.sql')).toBe(false);
  expect(globMatches('a[b', 'a[b')).toBe(true);
  expect(globMatches('a[]b', 'a[]b')).toBe(true);
  expect([isGlob('a.sql'), isGlob('*.sql'), isGlob('0?.sql'), isGlob('[ab].sql')]).toEqual([false, true, true, true]);
});

test('exclude-table patterns read the same syntax, each part apart', () => {
  const audit = tablePatternMatcher('audit.*');
  expect([audit('audit', 'log'), audit('public', 'log')]).toEqual([true, false]);
  const anySchema = tablePatternMatcher('tmp_*');
  expect([anySchema('s', 'tmp_users'), anySchema('s', 'old_tmp_users')]).toEqual([true, false]);
  const years = tablePatternMatcher('public.log_202[0-4]*');
  expect([years('public', 'log_2023_q1'), years('public', 'log_2025_q1')]).toEqual([true, false]);
});

test("a workflow's paths filter is read with the same syntax", () => {
  const workflow = (paths: string[]) => `on:\n  pull_request:\n    paths: [${paths.map((p) => `'${p}'`).join(', ')}]\n`;
  const problem = (paths: string[]) => triggerPathsProblem(workflow(paths), 'w.yml', 'pull_request', 'db/schema');
  expect(problem(['db/**'])).toBeUndefined();
  expect(problem(['**/schema/*'])).toBeUndefined();
  expect(problem(['d[a-c]/**'])).toBeUndefined();
  expect(problem(['db/*'])).toMatch(/does not cover schema-dir db\/schema/);
  expect(problem(['db/**', '!db/schema/**'])).toMatch(/does not cover/);
});
