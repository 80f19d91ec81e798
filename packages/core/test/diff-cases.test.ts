import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DiffOptions } from '../src/diff';
import type { OracleOptions } from '../../../test/support/schema-oracle';
import { adminUrl, query } from '../../../test/support/pg';
import { caseRunner, converged, ensureTestRole, listCaseSchemas, ownCaseOracle, summary } from './diff-harness';

/**
 * Our own convergence cases (diff-cases/<name>/{a.sql,b.sql,case.json}): what schema users change every day
 * and where migra-class differs go wrong. Each must converge under the pg_dump oracle (with privileges and
 * extension versions) and be idempotent. case.json adds expectations on the statements themselves:
 * - expectSql: regexes each matching at least one statement; forbidSql: regexes matching none;
 * - hazards: hazard codes that must appear ([] = no hazard at all); hazardMessages: regexes each matching some hazard's message;
 * - destructive: whether some statement (true) or none (false) is destructive;
 * - checkSql: SQL that must then run on the migrated database;
 * - nonTransactional: regexes of statements that must run outside a transaction (the rest must not).
 */
interface CaseSpec {
  readonly options?: DiffOptions;
  readonly oracle?: OracleOptions;
  readonly expectSql?: readonly string[];
  readonly forbidSql?: readonly string[];
  readonly hazards?: readonly string[];
  readonly hazardMessages?: readonly string[];
  readonly destructive?: boolean;
  /** SQL that must succeed on the migrated database (data still usable, e.g. inserts without key collisions). */
  readonly checkSql?: string;
  /** Regexes of statements that must come with transactional: false. */
  readonly nonTransactional?: readonly string[];
}

const ROOT = join(__dirname, 'diff-cases');
const names = readdirSync(ROOT)
  .filter((d) => existsSync(join(ROOT, d, 'a.sql')))
  .sort();

beforeAll(async () => {
  await ensureTestRole(adminUrl());
});

// Each case's forward and backward run share one load of A and B; first migrations share their goal's (caseRunner).
const runner = caseRunner();
afterAll(() => runner.close());

const specOf = (name: string) => {
  const read = (file: string) => readFileSync(join(ROOT, name, file), 'utf8');
  const spec: CaseSpec = existsSync(join(ROOT, name, 'case.json')) ? JSON.parse(read('case.json')) : {};
  // The expectations are about the plain forms (those migra-class differs write) unless a case asks for online.
  const options: DiffOptions = { online: false, ...(spec.options ?? { withPrivileges: true }) };
  const oracle: OracleOptions = spec.oracle ?? ownCaseOracle(options);
  const check = spec.checkSql ? async (migrated: string) => void (await query(migrated, spec.checkSql!)) : undefined;
  return {
    spec,
    run: () => runner.roundTrip(name, read('a.sql'), read('b.sql'), options, oracle, check),
    /** The same case with the non-blocking forms (the default of create and sync). */
    runOnline: () =>
      runner.roundTrip(`${name} (online)`, read('a.sql'), read('b.sql'), { ...options, online: true }, oracle, check),
  };
};

test('there are own cases', () => {
  expect(names.length).toBeGreaterThanOrEqual(28);
});

test.concurrent.each(names)('%s converges, is idempotent and meets its expectations', async (name) => {
  const { spec, run } = specOf(name);
  const outcome = (await run()).forward;
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
  const messages = outcome.statements.flatMap((s) => s.hazards.map((h) => `${h.code}: ${h.message}`));
  for (const pattern of spec.hazardMessages ?? []) {
    expect({ pattern, matched: messages.some((m) => new RegExp(pattern).test(m)) }).toEqual({ pattern, matched: true });
  }
  const outside = outcome.statements.filter((s) => !s.transactional).map((s) => s.sql);
  expect(outside.length).toBe((spec.nonTransactional ?? []).length);
  for (const pattern of spec.nonTransactional ?? [])
    expect(outside.some((s) => new RegExp(pattern).test(s))).toBe(true);
  if (spec.destructive !== undefined) {
    expect(outcome.statements.some((s) => s.destructive)).toBe(spec.destructive);
  }
});

/**
 * The way back: diff(B, A) applied to B converges to A under the same oracle and is idempotent, for every own
 * case (a migration's Down is such a diff). The case's expectations are about the forward direction only.
 */
const BACKWARD_KNOWN: Record<
  string,
  { readonly onlyInMigrated: readonly string[]; readonly onlyInTarget: readonly string[] }
> = {
  // README, Limits: a table that gains a parent (INHERIT) keeps the parent's columns as local columns too.
  partition_detached: {
    onlyInMigrated: ['CREATE TABLE public.derived (\n    extra integer\n    id integer\n)\nINHERITS (public.base);'],
    onlyInTarget: ['CREATE TABLE public.derived (\n    extra integer\n)\nINHERITS (public.base);'],
  },
};

test.concurrent.each(names)('%s converges backward (b -> a)', async (name) => {
  const outcome = (await specOf(name).run()).backward;
  if (process.env.DIFF_DEBUG) console.log(`${name} (b -> a)\n${outcome.sql}`);
  expect(summary(outcome)).toEqual({ ...converged, ...BACKWARD_KNOWN[name] });
});

/** The non-blocking forms (docs/online.md) converge too, both ways, on every own case. */
test.concurrent.each(names)('%s converges with the non-blocking forms, both ways', async (name) => {
  const { forward, backward } = await specOf(name).runOnline();
  if (process.env.DIFF_DEBUG) console.log(`${name} (online)\n${forward.sql}\n(b -> a)\n${backward.sql}`);
  expect({ direction: 'forward', ...summary(forward) }).toEqual({ direction: 'forward', ...converged });
  expect({ direction: 'backward', ...summary(backward) }).toEqual({
    direction: 'backward',
    ...converged,
    ...BACKWARD_KNOWN[name],
  });
});

/**
 * First migrations as a case of their own: every distinct schema of the own cases and migra fixtures, built
 * from the empty database (a first migration's Up) and taken back to empty (its Down), judged by pg_dump.
 */
const schemas = listCaseSchemas();
test.concurrent.each(schemas.map((s) => [s.label, s] as const))(
  '%s: the first migration from empty and its Down converge',
  async (label, s) => {
    const { up, down } = await runner.fromEmpty(s.sql, s.options, s.oracle);
    if (process.env.DIFF_DEBUG) console.log(`${label} (from empty)\n${up.sql}\n(back to empty)\n${down.sql}`);
    expect(up.oracleSawDifference).toBe(true);
    expect({ direction: 'up', ...summary(up) }).toEqual({ direction: 'up', ...converged });
    expect({ direction: 'down', ...summary(down) }).toEqual({ direction: 'down', ...converged });
  },
);
