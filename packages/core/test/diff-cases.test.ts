import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DiffOptions } from '../src/diff';
import type { OracleOptions } from '../../../test/support/schema-oracle';
import { adminUrl } from '../../../test/support/pg';
import { converged, ensureTestRole, runCase, summary } from './diff-harness';

/**
 * Our own convergence cases (diff-cases/<name>/{a.sql,b.sql,case.json}): what schema users change every day
 * and where migra-class differs go wrong. Each must converge under the pg_dump oracle (with privileges and
 * extension versions) and be idempotent. case.json adds expectations on the statements themselves:
 * - expectSql: regexes each matching at least one statement; forbidSql: regexes matching none;
 * - hazards: hazard codes that must appear ([] = no hazard at all);
 * - destructive: whether some statement (true) or none (false) is destructive.
 */
interface CaseSpec {
  readonly options?: DiffOptions;
  readonly oracle?: OracleOptions;
  readonly expectSql?: readonly string[];
  readonly forbidSql?: readonly string[];
  readonly hazards?: readonly string[];
  readonly destructive?: boolean;
}

const ROOT = join(__dirname, 'diff-cases');
const names = readdirSync(ROOT).filter((d) => existsSync(join(ROOT, d, 'a.sql'))).sort();

beforeAll(async () => {
  await ensureTestRole(adminUrl());
});

test('there are own cases', () => {
  expect(names.length).toBeGreaterThanOrEqual(28);
});

test.concurrent.each(names)('%s converges, is idempotent and meets its expectations', async (name) => {
  const read = (file: string) => readFileSync(join(ROOT, name, file), 'utf8');
  const spec: CaseSpec = existsSync(join(ROOT, name, 'case.json')) ? JSON.parse(read('case.json')) : {};
  const options: DiffOptions = spec.options ?? { withPrivileges: true };
  const oracle: OracleOptions = spec.oracle ?? { privileges: !!options.withPrivileges, extensionVersions: !options.ignoreExtensionVersions };
  const outcome = await runCase(read('a.sql'), read('b.sql'), options, oracle);
  if (process.env.DIFF_DEBUG) console.log(`${name}\n${outcome.sql}`);

  expect(summary(outcome)).toEqual(converged);
  expect(outcome.oracleSawDifference).toBe(true);

  const sqls = outcome.statements.map((s) => s.sql);
  for (const pattern of spec.expectSql ?? []) {
    expect({ pattern, matched: sqls.some((s) => new RegExp(pattern).test(s)) }).toEqual({ pattern, matched: true });
  }
  for (const pattern of spec.forbidSql ?? []) {
    expect({ pattern, offending: sqls.filter((s) => new RegExp(pattern).test(s)) }).toEqual({ pattern, offending: [] });
  }
  const codes = new Set(outcome.statements.flatMap((s) => s.hazards.map((h) => h.code)));
  if (spec.hazards && spec.hazards.length === 0) expect([...codes]).toEqual([]);
  for (const code of spec.hazards ?? []) expect([...codes]).toContain(code);
  if (spec.destructive !== undefined) {
    expect(outcome.statements.some((s) => s.destructive)).toBe(spec.destructive);
  }
});
