import { Client } from 'pg';
import { diff, renderSql, type DiffOptions, type DiffStatement } from '../src/diff';
import { compareSchemas, type OracleOptions } from '../../../test/support/schema-oracle';
import { createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';

/** Applies statements the way a migration would: transactional runs in one transaction, the others alone. */
export async function applyStatements(url: string, statements: readonly DiffStatement[]): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    let batch: string[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      await client.query('BEGIN');
      try {
        for (const sql of batch) await client.query(sql);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
      batch = [];
    };
    for (const s of statements) {
      if (s.transactional) {
        batch.push(s.sql);
      } else {
        await flush();
        await client.query(s.sql);
      }
    }
    await flush();
  } finally {
    await client.end();
  }
}

export const TEST_ROLE = 'schemainspect_test_role';

export async function ensureTestRole(adminUrl: string): Promise<void> {
  await query(adminUrl, `DO $$ BEGIN CREATE ROLE ${TEST_ROLE}; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`);
}

export interface CaseOutcome {
  /** Whether the oracle told A and B apart before the migration (it must, or the case proves nothing). */
  readonly oracleSawDifference: boolean;
  readonly sql: string;
  readonly statements: readonly DiffStatement[];
  /** Oracle entries left different after applying the diff (empty when converged). */
  readonly onlyInMigrated: readonly string[];
  readonly onlyInTarget: readonly string[];
  /** What diff() still reports after applying its own output (empty when idempotent). */
  readonly secondDiff: string;
  /** The error applying the SQL raised, if any. */
  readonly applyError?: string;
}

/**
 * Runs one convergence case: A from `fromSql`, B from `toSql`, diff(A, B) applied to A, then the oracle
 * compares A with B and the diff is taken again. Databases are always dropped.
 */
export async function runCase(
  fromSql: string,
  toSql: string,
  options: DiffOptions = {},
  oracle: OracleOptions = {},
  check?: (a: string, b: string) => Promise<void>,
): Promise<CaseOutcome> {
  const [a, b] = await Promise.all([createTestDatabase('diff_a'), createTestDatabase('diff_b')]);
  try {
    await Promise.all([fromSql.trim() ? query(a, fromSql) : null, toSql.trim() ? query(b, toSql) : null]);
    const before = await compareSchemas(a, b, oracle);
    const { statements } = await diff(a, b, options);
    const sql = renderSql(statements);
    let applyError: string | undefined;
    try {
      await applyStatements(a, statements);
    } catch (error) {
      applyError = (error as Error).message;
    }
    if (check) await check(a, b);
    const verdict = await compareSchemas(a, b, oracle);
    const second = await diff(a, b, options);
    return {
      oracleSawDifference: !before.equal,
      sql,
      statements,
      onlyInMigrated: verdict.onlyInFirst,
      onlyInTarget: verdict.onlyInSecond,
      secondDiff: renderSql(second.statements),
      ...(applyError ? { applyError } : {}),
    };
  } finally {
    await Promise.all([dropTestDatabase(a), dropTestDatabase(b)]);
  }
}

/** A readable failure report for expect(...).toEqual(converged). */
export function summary(outcome: CaseOutcome): Record<string, unknown> {
  return {
    applyError: outcome.applyError ?? null,
    onlyInMigrated: outcome.onlyInMigrated,
    onlyInTarget: outcome.onlyInTarget,
    secondDiff: outcome.secondDiff,
  };
}

export const converged = { applyError: null, onlyInMigrated: [], onlyInTarget: [], secondDiff: '' };
