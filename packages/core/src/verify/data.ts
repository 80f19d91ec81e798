/**
 * Check 4, data: the new migrations on a database that has rows. The base version (the migrations
 * present at the base, applied to a shadow database) gets the user's seed when one is given, then a
 * synthetic row set in every table still empty. Each new migration's Up runs in turn (the tables an
 * earlier one created get rows before the next one runs), then the Down sections, newest first. A
 * statement that fails on the rows fails the check with the file, line, statement, table, PostgreSQL's
 * message and a hint; so do rows that do not survive Up and Down (counted per table; a table a new
 * migration drops is exempt). A table no row could be put in is named.
 *
 * The same pass measures the destructive-change gate's steps (data-loss-gate.ts) on the seeded
 * database: what holds data and the row counts around each Up, the row counts around each Down, and
 * the values of surviving rows around each (values.ts: a value changed without declared intent fails
 * verify like a drop), run one at a time. One connection for the whole pass, holding the migration lock.
 */
import { performance } from 'node:perf_hooks';
import type { Client } from 'pg';
import type { MigrationError } from '../applier/result';
import { ConfigurationError, errorMessage } from '../errors';
import { inventoryTables, readDataInventory } from '../data-loss/measure';
import { type Logger, silentLogger } from '../logger';
import type { MigrationSet } from '../migrations/store';
import { type FillResult, fillEmptyTables } from '../seed/fill';
import { countRows, type RowCounts } from '../seed/rows';
import { describeUserSeed, runUserSeed, type UserSeed } from '../seed/user-seed';
import { ident } from '../diff/sql';
import { type Measured, type MeasuredStep, stepRowDeletions } from './data-loss-gate';
import { readValues, valueChanges } from './values';
import { type LocksMeasured, measureLocks } from './locks';
import type { ShadowDatabase } from '../shadow/types';
import type { MigrationEntry } from './numbering';
import { NOT_NULL_CHECK_SUFFIX } from '../diff/compare/online-columns';
import { CHECK_TITLES, type VerifyCheck, type VerifyFinding } from './report';
import type { ReversibilityPlan } from './reversibility';
import { type MigrationSession, withMigrationSession } from './session';

export interface DataCheckInput {
  readonly set: MigrationSet;
  readonly newEntries: readonly MigrationEntry[];
  /** Where Down stops (the reversibility plan). */
  readonly plan: ReversibilityPlan;
  readonly seed?: UserSeed;
  /** The database the pass runs on: empty, or a copy already at the base (replaying to it is then a no-op). */
  readonly newDatabase: () => Promise<ShadowDatabase>;
  readonly logger?: Logger;
}

const result = (
  status: VerifyCheck['status'],
  summary: string,
  findings: readonly VerifyFinding[] = [],
): VerifyCheck => ({
  name: 'data',
  title: CHECK_TITLES.data,
  status,
  summary,
  findings,
});

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** What to do about a statement that runs on an empty table and fails on rows, by SQLSTATE. */
export function rowFailureHint(error: Pick<MigrationError, 'sqlState' | 'message' | 'statement'>): string {
  const statement = error.statement ?? '';
  switch (violatesNotNullCheck(error) ? '23502' : error.sqlState) {
    case '23502':
      return /\bADD\b/i.test(statement) && !/SET NOT NULL/i.test(statement)
        ? 'existing rows get NULL in the new column: add it with a DEFAULT (ADD COLUMN ... NOT NULL DEFAULT ...), or add it nullable, backfill it with an UPDATE and SET NOT NULL after'
        : 'existing rows hold NULL in the column: backfill it with an UPDATE before SET NOT NULL (or give the column a DEFAULT and update the NULLs)';
    case '22P02':
      if (/enum/i.test(error.message))
        return 'rows still use the enum value the migration removes: UPDATE them to a value that stays before the type is recreated';
      return 'existing values do not convert to the new type: convert them with a USING clause, or clean the data first';
    case '22000':
      return 'existing values would be cut or rounded by the type change, which db-migrate never does silently: fix those values first (an UPDATE), or write the conversion you intend with USING and declare it (allow narrows-type)';
    case '22001':
    case '22003':
    case '22007':
    case '22008':
    case '42804':
      return 'existing values do not fit the new type: convert them with a USING clause or clean the data before narrowing the column';
    case '23505':
      return 'existing rows hold duplicate values: remove or merge them before adding the unique constraint or index';
    case '23514':
      return 'existing rows violate the CHECK constraint: fix them first, or add it NOT VALID and VALIDATE it once the data is clean';
    case '23503':
      return 'existing rows point at rows that do not exist: fix or remove them first, or add the foreign key NOT VALID and VALIDATE it after';
    default:
      return 'it runs on an empty database but not on one with rows: make it work on existing data (a DEFAULT, a backfill UPDATE, a USING clause)';
  }
}

/** The table a failing statement is about: PostgreSQL's error names it, else the statement's ALTER TABLE; qualified as counted. */
function failingTable(error: MigrationError, counts: RowCounts | undefined): string | undefined {
  const match =
    /\bALTER\s+TABLE\s+(?:ONLY\s+)?(?:IF\s+EXISTS\s+)?((?:"(?:[^"]|"")+"|[\w$]+)(?:\.(?:"(?:[^"]|"")+"|[\w$]+))?)/i.exec(
      error.statement ?? '',
    );
  const named = error.table ?? match?.[1].replace(/"/g, '');
  if (!named || named.includes('.') || !counts) return named;
  return counts.has(`public.${named}`)
    ? `public.${named}`
    : ([...counts.keys()].find((t) => t.endsWith(`.${named}`)) ?? named);
}

function failureFinding(
  error: MigrationError,
  entry: MigrationEntry | undefined,
  counts: RowCounts | undefined,
): VerifyFinding {
  const table = failingTable(error, counts);
  const rows = table ? counts?.get(table)?.rows : undefined;
  const held = table ? ` Table ${table}${rows !== undefined ? ` held ${plural(rows, 'row')}` : ''}.` : '';
  return {
    level: 'error',
    // PostgreSQL's detail lines after the sentence that names the table and the hint.
    message: [
      `${error.message.split('\n')[0]}.${held} Hint: ${rowFailureHint(error)}`,
      ...error.message.split('\n').slice(1),
    ].join('\n'),
    ...(entry ? { file: entry.path, line: error.line ?? 1 } : {}),
    code: 'fails-on-existing-rows',
  };
}

/**
 * Failures that depend on the particular values (made up, for synthetic rows): FK, unique, CHECK, exclusion,
 * and a narrowing refusing a value too long or too large (PostgreSQL's own, or the guard the differ writes
 * before a type change: the synthetic rows hold the widest values the old type admits; each client's own
 * values are counted by apply's loss gate).
 */
const VALUE_DEPENDENT = new Set(['23503', '23505', '23514', '23P01', '22000', '22001', '22003']);

/**
 * A violation of the check through which the differ sets NOT NULL without a scan (docs/online.md): a NULL
 * where the goal says NOT NULL, as a failing SET NOT NULL would be, not a made-up value a real row may not have.
 */
function violatesNotNullCheck(error: Pick<MigrationError, 'sqlState' | 'message'>): boolean {
  return error.sqlState === '23514' && error.message.includes(`${NOT_NULL_CHECK_SUFFIX}"`);
}
/** And for a Down, values its schema cannot hold: an enum label it removes, a string or number too long. */
const DOWN_VALUE_DEPENDENT = new Set([...VALUE_DEPENDENT, '22P02']);

/** Empties a table the generator filled (and the tables referencing it); returns the counts after. */
async function emptyTable(client: Client, table: string): Promise<RowCounts> {
  const dot = table.indexOf('.');
  await client.query(`TRUNCATE ${ident(table.slice(0, dot))}.${ident(table.slice(dot + 1))} CASCADE`);
  return countRows(client);
}

export interface DataCheckOutcome {
  readonly check: VerifyCheck;
  /** What the pass measured for the destructive-change gate (data-loss-gate.ts), on the seeded database. */
  readonly measured: Measured;
  /** The new migrations whose Up the pass could not measure (it stopped before them): the gate measures them without rows. */
  readonly unmeasured: readonly MigrationEntry[];
  /** The locks and rewrites each Up statement caused on the tables that existed before it, measured on the rows (locks.ts). */
  readonly locks: LocksMeasured;
}

type MutableLocks = {
  statements: LocksMeasured['statements'][number][];
  notMeasured: LocksMeasured['notMeasured'][number][];
};

/** Runs the data check; a failure to report is a result, only bugs throw. */
export async function checkData(input: DataCheckInput): Promise<DataCheckOutcome> {
  const { set, newEntries } = input;
  const logger = input.logger ?? silentLogger;
  const none: Measured = { steps: [], baseTables: [] };
  if (newEntries.length === 0)
    return {
      check: result('skipped', 'no new migrations to run on rows'),
      measured: none,
      unmeasured: [],
      locks: { statements: [], notMeasured: [] },
    };
  const db = await input.newDatabase();
  const locks: MutableLocks = { statements: [], notMeasured: [] };
  const outcome = await withMigrationSession(db.url, set, (session) => seededPass(input, session, logger, locks));
  return { ...outcome, locks };
}

async function seededPass(
  input: DataCheckInput,
  session: MigrationSession,
  logger: Logger,
  locks: MutableLocks,
): Promise<Omit<DataCheckOutcome, 'locks'>> {
  const { newEntries, plan, seed } = input;
  const { client } = session;
  const timed = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await fn();
    } finally {
      logger.debug(`data check: ${what} in ${Math.round(performance.now() - started)} ms`);
    }
  };
  /** Rehearses a section to measure its locks; measured again (after a table was emptied), the later replaces the earlier. */
  const recordLocks = async (entry: MigrationEntry, section: 'up' | 'down', rows: RowCounts) => {
    const measuredLocks = await timed(`locks of ${entry.fileName} (${section})`, () =>
      measureLocks(
        client,
        entry,
        [...rows.values()].map((t) => t.oid),
        section,
      ),
    );
    const earlier = (x: { file: string; section: string }) => x.file === entry.fileName && x.section === section;
    locks.statements = locks.statements.filter((x) => !earlier(x));
    locks.notMeasured = locks.notMeasured.filter((x) => !earlier(x));
    locks.statements.push(...measuredLocks.statements);
    locks.notMeasured.push(...measuredLocks.notMeasured);
  };
  const base = newEntries[0].version - 1;
  const entryOf = (fileName: string | undefined) => newEntries.find((e) => e.fileName === fileName);
  const steps: MeasuredStep[] = [];
  if (base > 0) {
    const built = await timed(`replay to the base version ${base}`, () => session.up(base));
    if (built.error) {
      const skipped = `the migrations up to the base do not apply: ${built.error.message}`;
      return {
        check: result(
          'skipped',
          `skipped: the migrations up to the base version ${base} do not apply (see Consistency)`,
        ),
        measured: { steps, baseTables: [], skipped },
        unmeasured: [],
      };
    }
  }
  const where = base > 0 ? `the base version ${base}` : 'the empty base';
  let inventory = await readDataInventory(client);
  const baseTables = inventoryTables(inventory);
  const measured = (): Measured => ({ steps, baseTables });
  if (seed) {
    try {
      await timed('seed', () => runUserSeed(seed, session.url, `on ${where}`, logger));
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      return {
        check: result('failed', `the seed does not run on ${where}`, [
          { level: 'error', message: errorMessage(error) },
        ]),
        measured: measured(),
        unmeasured: newEntries,
      };
    }
  }

  // Tables holding the seed's rows: a failure there is about real rows.
  const seeded = new Set(
    seed ? [...(await countRows(client))].filter(([, t]) => t.rows > 0).map(([table]) => table) : [],
  );
  const unfillable = new Map<string, string>();
  /** Findings that do not fail the check (value-dependent failures on synthetic rows). */
  const notes: VerifyFinding[] = [];
  /** Tables this check emptied itself: not counted when rows must survive. */
  const emptied = new Set<string>();
  /** Row counts before each new migration's Up, by the version the database was at. */
  const before = new Map<number, RowCounts>();
  /** The version at which each table got its synthetic rows. */
  const filledAt = new Map<string, number>();
  const fill = async (version: number): Promise<FillResult> => {
    const filled = await timed('synthetic rows', () => fillEmptyTables(client));
    for (const u of filled.unfillable) unfillable.set(u.table, u.reason);
    for (const table of filled.filled.keys()) filledAt.set(table, version);
    return filled;
  };
  /** The Up just run, measured once the next count has been taken (the filler counts before filling). */
  let pending: (Omit<MeasuredStep, 'rows'> & { readonly before: RowCounts }) | undefined;
  const complete = (after: RowCounts) => {
    if (pending)
      steps.push({
        entry: pending.entry,
        section: 'up',
        inventory: pending.inventory!,
        rows: { before: pending.before, after },
        values: pending.values ?? [],
      });
    pending = undefined;
  };
  for (const [index, entry] of newEntries.entries()) {
    const filled = await fill(entry.version - 1);
    complete(filled.found);
    let counts = filled.counts;
    before.set(entry.version - 1, counts);
    let valuesBefore = await timed('values', () => readValues(client));
    const measureLocksOf = (rows: RowCounts) => recordLocks(entry, 'up', rows);
    await measureLocksOf(counts);
    let run = await timed(`Up of ${entry.fileName}`, () => session.up(entry.version));
    const table = run.error ? failingTable(run.error, counts) : undefined;
    if (
      run.error &&
      table &&
      VALUE_DEPENDENT.has(run.error.sqlState ?? '') &&
      !violatesNotNullCheck(run.error) &&
      !seeded.has(table)
    ) {
      // A foreign key, unique or CHECK constraint refused values the generator made up: real rows may well
      // satisfy it. Say so, empty the table (and what references it) and go on.
      const finding = failureFinding(run.error, entryOf(run.error.fileName) ?? entry, counts);
      const [headline, ...evidence] = finding.message.split('\n');
      notes.push({
        ...finding,
        level: 'warning',
        message: [
          `${headline} (The rows of ${table} were synthetic, with made-up values: give seed-sql or seed-command rows to check it on real values; the check went on with ${table} emptied.)`,
          ...evidence,
        ].join('\n'),
      });
      counts = await emptyTable(client, table);
      for (const [name, t] of before.get(entry.version - 1)!)
        if (t.rows > 0 && (counts.get(name)?.rows ?? 0) === 0) emptied.add(name);
      before.set(entry.version - 1, counts);
      valuesBefore = await readValues(client);
      await measureLocksOf(counts);
      run = await timed(`Up of ${entry.fileName} again`, () => session.up(entry.version));
    }
    if (run.error) {
      return {
        check: result('failed', `${entry.fileName} fails on a database with rows`, [
          failureFinding(run.error, entryOf(run.error.fileName) ?? entry, counts),
          ...notes,
          ...unfillableFindings(unfillable),
        ]),
        measured: measured(),
        unmeasured: newEntries.slice(index),
      };
    }
    const after = await readDataInventory(client);
    const values = await timed('values compared', () => valueChanges(client, valuesBefore));
    pending = { entry, section: 'up', inventory: { before: inventory, after }, before: counts, values };
    inventory = after;
  }
  // The tables the last migration created get rows too, so the Down sections meet rows everywhere.
  const filledAfterUp = await fill(newEntries[newEntries.length - 1]!.version);
  complete(filledAfterUp.found);
  const afterUp = filledAfterUp.counts;
  const total = [...afterUp.values()].reduce((sum, t) => sum + t.rows, 0);
  const rowsPhrase = `${plural(afterUp.size, 'table')} holding ${plural(total, 'row')} (${seed ? `${describeUserSeed(seed)}, and synthetic rows in the tables it left empty` : 'synthetic rows'})`;

  if (plan.kind !== 'run') {
    return {
      check: result(
        unfillable.size + notes.length > 0 ? 'warning' : 'passed',
        `the Up sections run on ${rowsPhrase}; Down not run: ${plan.summary}`,
        [...notes, ...unfillableFindings(unfillable)],
      ),
      measured: measured(),
      unmeasured: [],
    };
  }
  // One Down at a time, newest first, counting the rows between them (for the gate's deletes-rows).
  let counts = afterUp;
  for (const [index, entry] of plan.revert.entries()) {
    const to = plan.revert[index + 1]?.version ?? plan.toVersion;
    let valuesBefore = await readValues(client);
    await recordLocks(entry, 'down', counts);
    let reverted = await timed(`Down of ${entry.fileName}`, () => session.down(to));
    const table = reverted.error ? failingTable(reverted.error, counts) : undefined;
    if (
      reverted.error &&
      table &&
      DOWN_VALUE_DEPENDENT.has(reverted.error.sqlState ?? '') &&
      !seeded.has(table) &&
      (filledAt.get(table) ?? -1) >= entry.version
    ) {
      // Synthetic rows written after this Up hold what only its schema admits (a new enum value, a longer
      // string): its Down cannot keep them. A real revert meeting such rows fails and is rolled back, and
      // apply refuses it beforehand unless --allow names the loss. Said, and the check goes on without them.
      const finding = failureFinding(reverted.error, entryOf(reverted.error.fileName) ?? entry, counts);
      notes.push({
        ...finding,
        level: 'warning',
        message: `${finding.message} (The synthetic rows of ${table} were written after ${entry.fileName}'s Up and use what it added: a revert fails on such rows, and apply refuses it unless --allow names the loss; the check went on with ${table} emptied.)`,
      });
      const emptiedCounts = await emptyTable(client, table);
      for (const [name, t] of counts) if (t.rows > 0 && (emptiedCounts.get(name)?.rows ?? 0) === 0) emptied.add(name);
      counts = emptiedCounts;
      valuesBefore = await readValues(client);
      await recordLocks(entry, 'down', counts);
      reverted = await timed(`Down of ${entry.fileName} again`, () => session.down(to));
    }
    if (reverted.error) {
      const now = await countRows(client).catch(() => counts);
      const failing = entryOf(reverted.error.fileName);
      return {
        check: result(
          'failed',
          `the Down section of ${reverted.error.fileName ?? 'a new migration'} fails on a database with rows`,
          [
            {
              ...failureFinding(reverted.error, failing, now),
              ...(failing?.parsed?.down ? { line: reverted.error.line ?? failing.parsed.down.line } : {}),
            },
            ...notes,
            ...unfillableFindings(unfillable),
          ],
        ),
        measured: measured(),
        unmeasured: [],
      };
    }
    const now = await countRows(client);
    steps.push({
      entry,
      section: 'down',
      rows: { before: counts, after: now },
      values: await valueChanges(client, valuesBefore),
    });
    counts = now;
  }

  // Rows must survive: every table the database had before the first reverted Up keeps its rows, unless
  // a new migration dropped it (its oid is gone from a later count; a renamed table keeps its oid), or
  // the gate measured the step that deleted them (a deletes-rows finding, failing unless acknowledged).
  const start = before.get(plan.toVersion)!;
  const later = [...before].filter(([v]) => v > plan.toVersion).map(([, c]) => c);
  const laterOids = [...later, afterUp].map((c) => new Set([...c.values()].map((t) => t.oid)));
  const dropped = (table: string) => laterOids.some((oids) => !oids.has(start.get(table)!.oid));
  const gated = new Set(steps.flatMap((step) => stepRowDeletions(measured(), step).map((d) => d.oid)));
  const exempt = (table: string) => dropped(table) || emptied.has(table) || gated.has(start.get(table)!.oid);
  const after = counts;
  const lost = [...start].filter(([table, t]) => !exempt(table) && (after.get(table)?.rows ?? 0) < t.rows);
  const newest = plan.revert[0];
  if (lost.length > 0) {
    return {
      check: result('failed', `rows do not survive Up and Down: ${lost.map(([t]) => t).join(', ')}`, [
        ...lost.map(
          ([table, { rows: n }]): VerifyFinding => ({
            level: 'error',
            file: newest.path,
            line: newest.parsed?.down?.line ?? 1,
            message: `${table} held ${plural(n, 'row')} before the Up sections and ${after.has(table) ? plural(after.get(table)!.rows, 'row') : 'is gone'} after the Down sections: the migrations lose data they do not drop`,
          }),
        ),
        ...notes,
        ...unfillableFindings(unfillable),
      ]),
      measured: measured(),
      unmeasured: [],
    };
  }
  const kept = [...start].filter(([t]) => !exempt(t)).length;
  return {
    check: result(
      unfillable.size + notes.length > 0 ? 'warning' : 'passed',
      `Up and Down run on ${rowsPhrase}; the rows of ${plural(kept, 'table')} at ${plan.toVersion > 0 ? `version ${plan.toVersion}` : 'the base'} survive Up and Down`,
      [...notes, ...unfillableFindings(unfillable)],
    ),
    measured: measured(),
    unmeasured: [],
  };
}

function unfillableFindings(unfillable: ReadonlyMap<string, string>): VerifyFinding[] {
  return [...unfillable].map(([table, reason]) => ({
    level: 'warning',
    message: `no synthetic row could be put in ${table}, so the migrations were not tried on its rows: ${reason}`,
  }));
}
