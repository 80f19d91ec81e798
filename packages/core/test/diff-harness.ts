import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  diff,
  diffCatalogs,
  introspect,
  renderSql,
  type Catalog,
  type DiffOptions,
  type DiffStatement,
} from '../src/diff';
import {
  compareNormalised,
  compareSchemas,
  normalisedSchema,
  type OracleOptions,
} from '../../../test/support/schema-oracle';
import { createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';

/** Applies statements the way a migration would: transactional runs in one transaction (one per step), the others alone. */
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
    let step = statements[0]?.step ?? 0;
    for (const s of statements) {
      if (s.step !== step) await flush();
      step = s.step;
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
  await query(
    adminUrl,
    `DO $$ BEGIN CREATE ROLE ${TEST_ROLE}; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`,
  );
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

/**
 * A first migration and its Down: from the empty database to `schemaSql` (diff(empty, S) applied to an empty
 * database W, judged by pg_dump against S, then diffed again), and back (diff(W, empty) applied to W, judged
 * against an empty database, diffed again). Both outcomes in CaseOutcome's shape. Databases are always dropped.
 */
export async function runFromEmpty(
  schemaSql: string,
  options: DiffOptions = {},
  oracle: OracleOptions = {},
): Promise<{ up: CaseOutcome; down: CaseOutcome }> {
  const [goal, work, empty] = await Promise.all([
    createTestDatabase('fe_goal'),
    createTestDatabase('fe_work'),
    createTestDatabase('fe_empty'),
  ]);
  const step = async (to: string, sawDifference: boolean): Promise<CaseOutcome> => {
    const { statements } = await diff(work, to, options);
    let applyError: string | undefined;
    try {
      await applyStatements(work, statements);
    } catch (error) {
      applyError = (error as Error).message;
    }
    const verdict = await compareSchemas(work, to, oracle);
    const second = await diff(work, to, options);
    return {
      oracleSawDifference: sawDifference,
      sql: renderSql(statements),
      statements,
      onlyInMigrated: verdict.onlyInFirst,
      onlyInTarget: verdict.onlyInSecond,
      secondDiff: renderSql(second.statements),
      ...(applyError ? { applyError } : {}),
    };
  };
  try {
    if (schemaSql.trim()) await query(goal, schemaSql);
    const sawDifference = !(await compareSchemas(work, goal, oracle)).equal;
    const up = await step(goal, sawDifference);
    const down = await step(empty, sawDifference);
    return { up, down };
  } finally {
    await Promise.all([goal, work, empty].map(dropTestDatabase));
  }
}

/** A database as loaded from some SQL, before any change: the oracle's view of it and the differ's catalog. */
interface Reference {
  readonly dump: readonly string[];
  readonly catalog: Catalog;
}

/** Applies `statements` to `url`, then reads the oracle's view and the catalog of what it became. */
async function migrate(
  url: string,
  statements: readonly DiffStatement[],
  oracle: OracleOptions,
  check?: (url: string) => Promise<void>,
) {
  let applyError: string | undefined;
  try {
    await applyStatements(url, statements);
  } catch (error) {
    applyError = (error as Error).message;
  }
  if (check) await check(url);
  const [dump, catalog] = await Promise.all([normalisedSchema(url, oracle), introspect(url)]);
  return { applyError, after: { dump, catalog } as Reference };
}

function outcomeOf(
  statements: readonly DiffStatement[],
  migrated: { applyError?: string; after: Reference },
  target: Reference,
  options: DiffOptions,
  oracleSawDifference: boolean,
): CaseOutcome {
  const verdict = compareNormalised(migrated.after.dump, target.dump);
  return {
    oracleSawDifference,
    sql: renderSql(statements),
    statements,
    onlyInMigrated: verdict.onlyInFirst,
    onlyInTarget: verdict.onlyInSecond,
    secondDiff: renderSql(diffCatalogs(migrated.after.catalog, target.catalog, options)),
    ...(migrated.applyError ? { applyError: migrated.applyError } : {}),
  };
}

/**
 * runCase both ways and runFromEmpty for a whole test file, with the work the directions share done once.
 * A case's A and B are loaded once, and their pg_dump view and catalog read once before any change; then
 * diff(A, B) is applied to A and diff(B, A) to B at the same time (different databases), and each migrated
 * database is judged against the view and catalog its target had as loaded (diff() is introspect +
 * diffCatalogs, so the statements are the same). A first migration's goal is the view and catalog of a
 * database loaded from the same SQL with the same oracle (a case's A or B when one was loaded already), and
 * "empty" is one fresh database the file never changes: its view and catalog stand for every fresh one.
 * Each oracle verdict is still pg_dump of the migrated database against pg_dump of a loaded one.
 * close() drops the empty database; every other database is dropped when its run ends.
 */
export function caseRunner() {
  const references = new Map<string, Promise<Reference>>();
  const key = (sql: string, oracle: OracleOptions) => JSON.stringify([sql.trim(), oracle]);
  let emptyUrl: Promise<string> | undefined;
  let emptyCatalog: Promise<Catalog> | undefined;
  const emptyDumps = new Map<string, Promise<string[]>>();
  const empty = async (oracle: OracleOptions): Promise<Reference> => {
    emptyUrl ??= createTestDatabase('fe_empty');
    const url = await emptyUrl;
    emptyCatalog ??= introspect(url);
    const k = JSON.stringify(oracle);
    if (!emptyDumps.has(k)) emptyDumps.set(k, normalisedSchema(url, oracle));
    return { dump: await emptyDumps.get(k)!, catalog: await emptyCatalog };
  };
  const read = (url: string, oracle: OracleOptions) =>
    Promise.all([normalisedSchema(url, oracle), introspect(url)]).then(
      ([dump, catalog]): Reference => ({ dump, catalog }),
    );
  const remember = (sql: string, oracle: OracleOptions, reference: Promise<Reference>) => {
    if (!references.has(key(sql, oracle)))
      references.set(
        key(sql, oracle),
        reference.catch(() => build(sql, oracle)),
      );
  };
  const build = async (sql: string, oracle: OracleOptions): Promise<Reference> => {
    const url = await createTestDatabase('fe_goal');
    try {
      await query(url, sql);
      return await read(url, oracle);
    } finally {
      await dropTestDatabase(url);
    }
  };
  const reference = (sql: string, oracle: OracleOptions): Promise<Reference> => {
    if (!references.has(key(sql, oracle))) references.set(key(sql, oracle), build(sql, oracle));
    return references.get(key(sql, oracle))!;
  };
  const roundTrips = new Map<string, Promise<{ forward: CaseOutcome; backward: CaseOutcome }>>();

  return {
    /**
     * Forward (runCase(fromSql, toSql)) and backward (runCase(toSql, fromSql)) of one case, run once per
     * `name` however many tests ask. `check` runs on A after the forward statements, as in runCase.
     */
    roundTrip(
      name: string,
      fromSql: string,
      toSql: string,
      options: DiffOptions,
      oracle: OracleOptions,
      check?: (migrated: string) => Promise<void>,
    ) {
      let run = roundTrips.get(name);
      if (!run) {
        run = (async () => {
          const [a, b] = await Promise.all([createTestDatabase('diff_a'), createTestDatabase('diff_b')]);
          try {
            const load = async (url: string, sql: string) => {
              if (sql.trim()) await query(url, sql);
              return read(url, oracle);
            };
            const loadedA = load(a, fromSql);
            const loadedB = load(b, toSql);
            if (fromSql.trim()) remember(fromSql, oracle, loadedA);
            if (toSql.trim()) remember(toSql, oracle, loadedB);
            const [refA, refB] = await Promise.all([loadedA, loadedB]);
            const sawDifference = !compareNormalised(refA.dump, refB.dump).equal;
            const forward = diffCatalogs(refA.catalog, refB.catalog, options);
            const backward = diffCatalogs(refB.catalog, refA.catalog, options);
            const [migratedA, migratedB] = await Promise.all([
              migrate(a, forward, oracle, check),
              migrate(b, backward, oracle),
            ]);
            return {
              forward: outcomeOf(forward, migratedA, refB, options, sawDifference),
              backward: outcomeOf(backward, migratedB, refA, options, sawDifference),
            };
          } finally {
            await Promise.all([dropTestDatabase(a), dropTestDatabase(b)]);
          }
        })();
        roundTrips.set(name, run);
      }
      return run;
    },

    /** runFromEmpty(schemaSql, options, oracle), on one fresh database. */
    async fromEmpty(
      schemaSql: string,
      options: DiffOptions,
      oracle: OracleOptions,
    ): Promise<{ up: CaseOutcome; down: CaseOutcome }> {
      const [goal, nothing, work] = await Promise.all([
        reference(schemaSql, oracle),
        empty(oracle),
        createTestDatabase('fe_work'),
      ]);
      try {
        const sawDifference = !compareNormalised(nothing.dump, goal.dump).equal;
        // The work database is as fresh as the empty one: its catalog is the empty one's until it changes.
        const upStatements = diffCatalogs(nothing.catalog, goal.catalog, options);
        const migratedUp = await migrate(work, upStatements, oracle);
        const downStatements = diffCatalogs(migratedUp.after.catalog, nothing.catalog, options);
        const migratedDown = await migrate(work, downStatements, oracle);
        return {
          up: outcomeOf(upStatements, migratedUp, goal, options, sawDifference),
          down: outcomeOf(downStatements, migratedDown, nothing, options, sawDifference),
        };
      } finally {
        await dropTestDatabase(work);
      }
    },

    async close(): Promise<void> {
      if (emptyUrl) await dropTestDatabase(await emptyUrl);
    },
  };
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

/** The options migra's test suite passes per fixture (migra-fixtures/README.md), and the oracle view that matches them. */
export function migraFixtureOptions(name: string): { readonly diff: DiffOptions; readonly oracle: OracleOptions } {
  switch (name) {
    case 'singleschema':
      return { diff: { schema: 'goodschema', ignoreExtensionVersions: true }, oracle: { schema: 'goodschema' } };
    case 'excludeschema':
      return {
        diff: { excludeSchemas: ['excludedschema'], ignoreExtensionVersions: true },
        oracle: { excludeSchemas: ['excludedschema'] },
      };
    case 'singleschema_ext':
      return { diff: { createExtensionsOnly: true, ignoreExtensionVersions: true }, oracle: {} };
    case 'extversions':
      return { diff: {}, oracle: { extensionVersions: true } };
    default:
      return { diff: { ignoreExtensionVersions: true, withPrivileges: true }, oracle: { privileges: true } };
  }
}

export interface ConvergenceCase {
  /** e.g. "migra/everything (a + additions -> b)" or "own/add_nullable_column". */
  readonly label: string;
  readonly fromSql: string;
  readonly toSql: string;
  readonly options: DiffOptions;
  /** The pg_dump view the case is judged with. */
  readonly oracle: OracleOptions;
}

/**
 * Every distinct schema of the convergence cases (each side of each case), once, with the options and oracle
 * of the first case that has it: the schemas whose first migration (from empty) and its Down are tested.
 */
export function listCaseSchemas(): {
  readonly label: string;
  readonly sql: string;
  readonly options: DiffOptions;
  readonly oracle: OracleOptions;
}[] {
  const seen = new Set<string>();
  const schemas: { label: string; sql: string; options: DiffOptions; oracle: OracleOptions }[] = [];
  for (const c of listConvergenceCases()) {
    // Only extensions, or one schema (whose CREATE SCHEMA is not compared): neither builds a schema from empty.
    if (c.options.createExtensionsOnly || c.options.schema !== undefined) continue;
    for (const [side, sql] of [
      ['a', c.fromSql],
      ['b', c.toSql],
    ] as const) {
      const key = sql.trim();
      if (!key || seen.has(key)) continue;
      seen.add(key);
      schemas.push({ label: `${c.label.replace(/ \(.*\)$/, '')} ${side}`, sql, options: c.options, oracle: c.oracle });
    }
  }
  return schemas;
}

/** Every migra fixture (and its additions scenario) and every own case, with the diff options its suite uses. */
export function listConvergenceCases(): ConvergenceCase[] {
  const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '');
  const dirs = (root: string) =>
    readdirSync(root)
      .filter((d) => existsSync(join(root, d, 'a.sql')))
      .sort();
  const cases: ConvergenceCase[] = [];
  const migra = join(__dirname, 'migra-fixtures');
  for (const name of dirs(migra)) {
    const a = read(join(migra, name, 'a.sql'));
    const b = read(join(migra, name, 'b.sql'));
    const { diff: options, oracle } = migraFixtureOptions(name);
    cases.push({ label: `migra/${name} (a -> b)`, fromSql: a, toSql: b, options, oracle });
    const additions = read(join(migra, name, 'additions.sql'));
    if (additions.trim())
      cases.push({
        label: `migra/${name} (a + additions -> b)`,
        fromSql: a + '\n;\n' + additions,
        toSql: b,
        options,
        oracle,
      });
  }
  const own = join(__dirname, 'diff-cases');
  for (const name of dirs(own)) {
    const spec = read(join(own, name, 'case.json'));
    const parsed = (spec ? JSON.parse(spec) : {}) as { options?: DiffOptions; oracle?: OracleOptions };
    const options: DiffOptions = parsed.options ?? { withPrivileges: true };
    const oracle: OracleOptions = parsed.oracle ?? ownCaseOracle(options);
    cases.push({
      label: `own/${name}`,
      fromSql: read(join(own, name, 'a.sql')),
      toSql: read(join(own, name, 'b.sql')),
      options,
      oracle,
    });
  }
  return cases;
}

/** The pg_dump view an own case is judged with when its case.json names none: what its diff options compare. */
export function ownCaseOracle(options: DiffOptions): OracleOptions {
  return { privileges: !!options.withPrivileges, extensionVersions: !options.ignoreExtensionVersions };
}

export interface DirectionOutcome {
  readonly statements: readonly DiffStatement[];
  readonly applyError: string | null;
  /** What diff() still reports after applying its own output (empty when idempotent). */
  readonly secondDiff: string;
}

/**
 * Without a pg_dump oracle (none for a newer server here): on the server of `server` (an admin URL), loads
 * A and B and reads both catalogs once; applies diff(A, B) to A and diff(B, A) to B (at the same time: they
 * touch different databases), then compares each migrated database with the catalog its target had. The
 * catalogs read before any change stand for the untouched databases (B is never changed by the forward
 * direction, and A's first catalog is A as loaded), so no second copy of A is needed. Databases are always dropped.
 */
export async function runRoundTrip(
  server: string,
  fromSql: string,
  toSql: string,
  options: DiffOptions,
): Promise<{ forward: DirectionOutcome; backward: DirectionOutcome }> {
  const [a, b] = await Promise.all([createTestDatabase('rt_a', server), createTestDatabase('rt_b', server)]);
  const load = (url: string, sql: string) => (sql.trim() ? query(url, sql) : null);
  const direction = async (url: string, from: Catalog, to: Catalog): Promise<DirectionOutcome> => {
    const statements = diffCatalogs(from, to, options);
    let applyError: string | null = null;
    try {
      await applyStatements(url, statements);
    } catch (error) {
      applyError = (error as Error).message;
    }
    return { statements, applyError, secondDiff: renderSql(diffCatalogs(await introspect(url), to, options)) };
  };
  try {
    await Promise.all([load(a, fromSql), load(b, toSql)]);
    const [catalogA, catalogB] = await Promise.all([introspect(a), introspect(b)]);
    const [forward, backward] = await Promise.all([direction(a, catalogA, catalogB), direction(b, catalogB, catalogA)]);
    return { forward, backward };
  } finally {
    await Promise.all([a, b].map(dropTestDatabase));
  }
}
