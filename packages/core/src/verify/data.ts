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
 * the values of surviving rows around each (rehearsal/values.ts: a value changed without declared intent fails
 * verify like a drop), run one at a time. One connection for the whole pass, holding the migration lock.
 */
import { performance } from 'node:perf_hooks';
import type { MigrationError } from '../applier/result';
import { ConfigurationError, errorMessage } from '../errors';
import { type DataInventory, type DataLoss, inventoryTables } from '../data-loss/measure';
import { type Logger, silentLogger } from '../logger';
import type { MigrationSet } from '../migrations/store';
import { type MigrationRehearsal, rehearseMigrations } from '../rehearsal/rehearsal';
import type { FillResult } from '../seed/fill';
import type { RowCounts } from '../seed/rows';
import { describeUserSeed, type UserSeed } from '../seed/user-seed';
import { type Measured, type MeasuredStep, stepRowDeletions } from './data-loss-gate';
import type { ValueSnapshot } from '../rehearsal/values';
import type { LocksMeasured } from '../rehearsal/locks';
import type { ShadowDatabase } from '../shadow/types';
import type { MigrationEntry } from './numbering';
import { NOT_NULL_CHECK_SUFFIX } from '../diff/compare/online-columns';
import { CHECK_TITLES, type VerifyCheck, type VerifyFinding } from './report';
import type { ReversibilityPlan } from './reversibility';

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
export function rowFailureHint(error: Pick<MigrationError, 'sqlState' | 'statement' | 'constraint'>): string {
  const statement = error.statement ?? '';
  switch (violatesNotNullCheck(error) ? '23502' : error.sqlState) {
    case '23502':
      return /\bADD\b/i.test(statement) && !/SET NOT NULL/i.test(statement)
        ? 'existing rows get NULL in the new column: add it with a DEFAULT (ADD COLUMN ... NOT NULL DEFAULT ...), or add it nullable, backfill it with an UPDATE and SET NOT NULL after'
        : 'existing rows hold NULL in the column: backfill it with an UPDATE before SET NOT NULL (or give the column a DEFAULT and update the NULLs)';
    case '22P02':
      // PostgreSQL gives the same code (and no type field) for an enum value and for text that is no number.
      return 'existing values do not convert to the new type (rows may still use an enum value the migration removes): UPDATE them to a value that stays, convert them with a USING clause, or clean the data first';
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
    ...(entry ? { file: entry.path, line: error.line ?? 1, namesFile: error.kind === 'sql' } : {}),
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
function violatesNotNullCheck(error: Pick<MigrationError, 'sqlState' | 'constraint'>): boolean {
  return error.sqlState === '23514' && error.constraint?.endsWith(NOT_NULL_CHECK_SUFFIX) === true;
}
/** And for a Down, values its schema cannot hold: an enum label it removes, a string or number too long. */
const DOWN_VALUE_DEPENDENT = new Set([...VALUE_DEPENDENT, '22P02']);

export interface DataCheckOutcome {
  readonly check: VerifyCheck;
  /** What the pass measured for the destructive-change gate (data-loss-gate.ts), on the seeded database. */
  readonly measured: Measured;
  /** The new migrations whose Up the pass could not measure (it stopped before them): the gate measures them without rows. */
  readonly unmeasured: readonly MigrationEntry[];
  /** The locks and rewrites each Up statement caused on the tables that existed before it, measured on the rows (rehearsal/locks.ts). */
  readonly locks: LocksMeasured;
}

const NO_LOCKS: LocksMeasured = { statements: [], notMeasured: [] };

/** Runs the data check; a failure to report is a result, only bugs throw. */
export async function checkData(input: DataCheckInput): Promise<DataCheckOutcome> {
  if (input.newEntries.length === 0)
    return {
      check: result('skipped', 'no new migrations to run on rows'),
      measured: { steps: [], baseTables: [] },
      unmeasured: [],
      locks: NO_LOCKS,
    };
  const db = await input.newDatabase();
  return rehearseMigrations(db.url, input.set, (rehearsal) =>
    seededPass(input, rehearsal, input.logger ?? silentLogger),
  );
}

/** What one pass keeps as it goes, from the seeded base to the last Down. */
interface Pass {
  readonly input: DataCheckInput;
  readonly rehearsal: MigrationRehearsal;
  readonly timed: <T>(what: string, fn: () => Promise<T>) => Promise<T>;
  /** Tables holding the seed's rows: a failure there is about real rows. */
  readonly seeded: ReadonlySet<string>;
  readonly baseTables: readonly string[];
  readonly steps: MeasuredStep[];
  /** Findings that do not fail the check (value-dependent failures on synthetic rows). */
  readonly notes: VerifyFinding[];
  /** Tables no synthetic row could be put in, with PostgreSQL's reason. */
  readonly unfillable: Map<string, string>;
  /** Tables this check emptied itself: not counted when rows must survive. */
  readonly emptied: Set<string>;
  /** Row counts before each new migration's Up, by the version the database was at. */
  readonly before: Map<number, RowCounts>;
  /** The version at which each table got its synthetic rows. */
  readonly filledAt: Map<string, number>;
  /** The locks measured per file and section; measured again (after a table was emptied), the later replaces the earlier. */
  readonly locks: Map<string, LocksMeasured>;
}

async function seededPass(
  input: DataCheckInput,
  rehearsal: MigrationRehearsal,
  logger: Logger,
): Promise<DataCheckOutcome> {
  const { newEntries, plan, seed } = input;
  const timed = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await fn();
    } finally {
      logger.debug(`data check: ${what} in ${Math.round(performance.now() - started)} ms`);
    }
  };
  const base = newEntries[0].version - 1;
  const skipped =
    base > 0 ? await timed(`replay to the base version ${base}`, () => rehearsal.replayBase(base)) : undefined;
  if (skipped)
    return {
      check: result('skipped', `skipped: the migrations up to the base version ${base} do not apply (see Consistency)`),
      measured: { steps: [], baseTables: [], skipped },
      unmeasured: [],
      locks: NO_LOCKS,
    };
  const where = base > 0 ? `the base version ${base}` : 'the empty base';
  const inventory = await rehearsal.inventory();
  const baseTables = inventoryTables(inventory);
  const seedFailure = seed ? await runSeed(rehearsal, seed, where, timed, logger) : undefined;
  if (seedFailure)
    return { check: seedFailure, measured: { steps: [], baseTables }, unmeasured: newEntries, locks: NO_LOCKS };
  const pass: Pass = {
    input,
    rehearsal,
    timed,
    seeded: new Set(
      seed ? [...(await rehearsal.rowCounts())].filter(([, t]) => t.rows > 0).map(([table]) => table) : [],
    ),
    baseTables,
    steps: [],
    notes: [],
    unfillable: new Map(),
    emptied: new Set(),
    before: new Map(),
    filledAt: new Map(),
    locks: new Map(),
  };
  const ups = await runUps(pass, inventory);
  if ('failed' in ups) return ended(pass, ups.failed, ups.unmeasured);
  const total = [...ups.afterUp.values()].reduce((sum, t) => sum + t.rows, 0);
  const rowsPhrase = `${plural(ups.afterUp.size, 'table')} holding ${plural(total, 'row')} (${seed ? `${describeUserSeed(seed)}, and synthetic rows in the tables it left empty` : 'synthetic rows'})`;
  if (plan.kind !== 'run')
    return ended(pass, withNotes(pass, `the Up sections run on ${rowsPhrase}; Down not run: ${plan.summary}`), []);
  const downs = await runDowns(pass, plan, ups.afterUp);
  if ('failed' in downs) return ended(pass, downs.failed, []);
  return ended(pass, rowsSurvive(pass, plan, ups.afterUp, downs.after, rowsPhrase), []);
}

/** The user's seed on the base: the check's failure when it does not run there. */
async function runSeed(
  rehearsal: MigrationRehearsal,
  seed: UserSeed,
  where: string,
  timed: Pass['timed'],
  logger: Logger,
): Promise<VerifyCheck | undefined> {
  try {
    await timed('seed', () => rehearsal.seed(seed, `on ${where}`, logger));
    return undefined;
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    return result('failed', `the seed does not run on ${where}`, [{ level: 'error', message: errorMessage(error) }]);
  }
}

function ended(pass: Pass, check: VerifyCheck, unmeasured: readonly MigrationEntry[]): DataCheckOutcome {
  const locks = [...pass.locks.values()];
  return {
    check,
    measured: { steps: pass.steps, baseTables: pass.baseTables },
    unmeasured,
    locks: { statements: locks.flatMap((l) => l.statements), notMeasured: locks.flatMap((l) => l.notMeasured) },
  };
}

/** Passed, or a warning when the pass had something to say. */
function withNotes(pass: Pass, summary: string): VerifyCheck {
  return result(pass.unfillable.size + pass.notes.length > 0 ? 'warning' : 'passed', summary, [
    ...pass.notes,
    ...unfillableFindings(pass.unfillable),
  ]);
}

/** Failed, with the pass's notes after the finding. */
function failedWith(pass: Pass, summary: string, findings: readonly VerifyFinding[]): VerifyCheck {
  return result('failed', summary, [...findings, ...pass.notes, ...unfillableFindings(pass.unfillable)]);
}

const entryOf = (pass: Pass, fileName: string | undefined) =>
  pass.input.newEntries.find((e) => e.fileName === fileName);

/** Synthetic rows in every table still empty at `version`; the counts before and after. */
async function fill(pass: Pass, version: number): Promise<FillResult> {
  const filled = await pass.timed('synthetic rows', () => pass.rehearsal.fill());
  for (const u of filled.unfillable) pass.unfillable.set(u.table, u.reason);
  for (const table of filled.filled.keys()) pass.filledAt.set(table, version);
  return filled;
}

/** An Up that ran, measured once the next count has been taken (the filler counts before filling). */
interface OpenStep {
  readonly entry: MigrationEntry;
  readonly inventory: { readonly before: DataInventory; readonly after: DataInventory };
  readonly before: RowCounts;
  readonly values: readonly DataLoss[];
}

const closeStep = (open: OpenStep, after: RowCounts): MeasuredStep => ({
  entry: open.entry,
  section: 'up',
  inventory: open.inventory,
  rows: { before: open.before, after },
  values: open.values,
});

/**
 * Each new migration's Up in turn, the tables an earlier one created filled before the next runs; then
 * the tables the last one created, so the Down sections meet rows everywhere. Stops at an Up that fails.
 */
async function runUps(
  pass: Pass,
  baseInventory: DataInventory,
): Promise<
  { readonly failed: VerifyCheck; readonly unmeasured: readonly MigrationEntry[] } | { readonly afterUp: RowCounts }
> {
  const { newEntries } = pass.input;
  let open: OpenStep | undefined;
  for (const [index, entry] of newEntries.entries()) {
    const filled = await fill(pass, entry.version - 1);
    if (open) pass.steps.push(closeStep(open, filled.found));
    pass.before.set(entry.version - 1, filled.counts);
    const ran = await runSection(pass, entry, 'up', filled.counts, entry.version);
    pass.before.set(entry.version - 1, ran.counts);
    if (ran.error)
      return {
        failed: failedWith(pass, `${entry.fileName} fails on a database with rows`, [
          failureFinding(ran.error, entryOf(pass, ran.error.fileName) ?? entry, ran.counts),
        ]),
        unmeasured: newEntries.slice(index),
      };
    const after = await pass.rehearsal.inventory();
    const values = await pass.timed('values compared', () => pass.rehearsal.valueChanges(ran.valuesBefore));
    open = { entry, inventory: { before: open?.inventory.after ?? baseInventory, after }, before: ran.counts, values };
  }
  const filled = await fill(pass, newEntries[newEntries.length - 1]!.version);
  if (open) pass.steps.push(closeStep(open, filled.found));
  return { afterUp: filled.counts };
}

/** One Down at a time, newest first, counting the rows between them (for the gate's deletes-rows). */
async function runDowns(
  pass: Pass,
  plan: Extract<ReversibilityPlan, { kind: 'run' }>,
  afterUp: RowCounts,
): Promise<{ readonly failed: VerifyCheck } | { readonly after: RowCounts }> {
  let counts = afterUp;
  for (const [index, entry] of plan.revert.entries()) {
    const to = plan.revert[index + 1]?.version ?? plan.toVersion;
    const ran = await runSection(pass, entry, 'down', counts, to);
    if (ran.error) {
      const { error } = ran;
      const now = await pass.rehearsal.rowCounts().catch(() => ran.counts);
      const failing = entryOf(pass, error.fileName);
      return {
        failed: failedWith(
          pass,
          `the Down section of ${error.fileName ?? 'a new migration'} fails on a database with rows`,
          [
            {
              ...failureFinding(error, failing, now),
              ...(failing?.parsed?.down ? { line: error.line ?? failing.parsed.down.line } : {}),
            },
          ],
        ),
      };
    }
    const now = await pass.rehearsal.rowCounts();
    pass.steps.push({
      entry,
      section: 'down',
      rows: { before: ran.counts, after: now },
      values: await pass.rehearsal.valueChanges(ran.valuesBefore),
    });
    counts = now;
  }
  return { after: counts };
}

/** A section run on the rows: the error that stopped it, the counts it ran on, the values before it. */
interface SectionRun {
  readonly error?: MigrationError;
  readonly counts: RowCounts;
  readonly valuesBefore: ValueSnapshot;
}

/**
 * Runs one section (Up to `to`, or Down to `to`) after reading the values and measuring its locks. When
 * it fails only because of values the generator made up, it says so (a warning), empties the table (and
 * what references it) and runs the section once more.
 */
async function runSection(
  pass: Pass,
  entry: MigrationEntry,
  section: 'up' | 'down',
  counts: RowCounts,
  to: number,
): Promise<SectionRun> {
  const name = `${section === 'up' ? 'Up' : 'Down'} of ${entry.fileName}`;
  const attempt = async (rows: RowCounts, again: string): Promise<SectionRun> => {
    const valuesBefore = await pass.timed('values', () => pass.rehearsal.values());
    const locks = await pass.timed(`locks of ${entry.fileName} (${section})`, () =>
      pass.rehearsal.locks(entry, section, rows),
    );
    pass.locks.set(`${entry.fileName}\0${section}`, locks);
    const run = await pass.timed(`${name}${again}`, () =>
      section === 'up' ? pass.rehearsal.up(to) : pass.rehearsal.down(to),
    );
    return { ...(run.error ? { error: run.error } : {}), counts: rows, valuesBefore };
  };
  const first = await attempt(counts, '');
  const table = first.error ? failingTable(first.error, counts) : undefined;
  const warning =
    first.error && table ? syntheticRowsWarning(pass, entry, section, first.error, table, counts) : undefined;
  if (!warning || !table) return first;
  pass.notes.push(warning);
  const emptied = await pass.rehearsal.empty(table);
  for (const [name, t] of counts) if (t.rows > 0 && (emptied.get(name)?.rows ?? 0) === 0) pass.emptied.add(name);
  return attempt(emptied, ' again');
}

/**
 * The warning that replaces a failure caused by synthetic rows rather than by the migration, else undefined.
 * Up: a foreign key, unique or CHECK constraint refused values the generator made up; real rows may well
 * satisfy it. Down: synthetic rows written after this Up hold what only its schema admits (a new enum
 * value, a longer string), so its Down cannot keep them; a real revert meeting such rows fails and is
 * rolled back, and apply refuses it beforehand unless --allow names the loss.
 */
function syntheticRowsWarning(
  pass: Pass,
  entry: MigrationEntry,
  section: 'up' | 'down',
  error: MigrationError,
  table: string,
  counts: RowCounts,
): VerifyFinding | undefined {
  if (pass.seeded.has(table)) return undefined;
  const finding = failureFinding(error, entryOf(pass, error.fileName) ?? entry, counts);
  if (section === 'up') {
    if (!VALUE_DEPENDENT.has(error.sqlState ?? '') || violatesNotNullCheck(error)) return undefined;
    const [headline, ...evidence] = finding.message.split('\n');
    return {
      ...finding,
      level: 'warning',
      message: [
        `${headline} (The rows of ${table} were synthetic, with made-up values: give seed-sql or seed-command rows to check it on real values; the check went on with ${table} emptied.)`,
        ...evidence,
      ].join('\n'),
    };
  }
  if (!DOWN_VALUE_DEPENDENT.has(error.sqlState ?? '') || (pass.filledAt.get(table) ?? -1) < entry.version)
    return undefined;
  return {
    ...finding,
    level: 'warning',
    message: `${finding.message} (The synthetic rows of ${table} were written after ${entry.fileName}'s Up and use what it added: a revert fails on such rows, and apply refuses it unless the loss is acknowledged (allow); the check went on with ${table} emptied.)`,
  };
}

/**
 * Rows must survive: every table the database had before the first reverted Up keeps its rows, unless
 * a new migration dropped it (its oid is gone from a later count; a renamed table keeps its oid), or
 * the gate measured the step that deleted them (a deletes-rows finding, failing unless acknowledged).
 */
function rowsSurvive(
  pass: Pass,
  plan: Extract<ReversibilityPlan, { kind: 'run' }>,
  afterUp: RowCounts,
  after: RowCounts,
  rowsPhrase: string,
): VerifyCheck {
  const start = pass.before.get(plan.toVersion)!;
  const later = [...pass.before].filter(([v]) => v > plan.toVersion).map(([, c]) => c);
  const laterOids = [...later, afterUp].map((c) => new Set([...c.values()].map((t) => t.oid)));
  const dropped = (table: string) => laterOids.some((oids) => !oids.has(start.get(table)!.oid));
  const measured: Measured = { steps: pass.steps, baseTables: pass.baseTables };
  const gated = new Set(pass.steps.flatMap((step) => stepRowDeletions(measured, step).map((d) => d.oid)));
  const exempt = (table: string) => dropped(table) || pass.emptied.has(table) || gated.has(start.get(table)!.oid);
  const lost = [...start].filter(([table, t]) => !exempt(table) && (after.get(table)?.rows ?? 0) < t.rows);
  const newest = plan.revert[0];
  if (lost.length > 0)
    return failedWith(
      pass,
      `rows do not survive Up and Down: ${lost.map(([t]) => t).join(', ')}`,
      lost.map(
        ([table, { rows: n }]): VerifyFinding => ({
          level: 'error',
          file: newest.path,
          line: newest.parsed?.down?.line ?? 1,
          message: `${table} held ${plural(n, 'row')} before the Up sections and ${after.has(table) ? plural(after.get(table)!.rows, 'row') : 'is gone'} after the Down sections: the migrations lose data they do not drop`,
        }),
      ),
    );
  const kept = [...start].filter(([t]) => !exempt(t)).length;
  return withNotes(
    pass,
    `Up and Down run on ${rowsPhrase}; the rows of ${plural(kept, 'table')} at ${plan.toVersion > 0 ? `version ${plan.toVersion}` : 'the base'} survive Up and Down`,
  );
}

function unfillableFindings(unfillable: ReadonlyMap<string, string>): VerifyFinding[] {
  return [...unfillable].map(([table, reason]) => ({
    level: 'warning',
    message: `no synthetic row could be put in ${table}, so the migrations were not tried on its rows: ${reason}`,
  }));
}
