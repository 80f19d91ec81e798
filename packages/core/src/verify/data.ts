/**
 * Check 4, data: the new migrations on a database that has rows. The base version (the migrations
 * present at the base, applied to a throwaway database) gets the user's seed when one is given, then a
 * synthetic row set in every table still empty. Each new migration's Up runs in turn (the tables an
 * earlier one created get rows before the next one runs), then the Down sections, newest first. A
 * statement that fails on the rows fails the check with the file, line, statement, table, PostgreSQL's
 * message and a hint; so do rows that do not survive Up and Down (counted per table; a table a new
 * migration drops is exempt). A table no row could be put in is named.
 */
import { down, up } from '../applier/migrator';
import type { MigrationError } from '../applier/result';
import { ConfigurationError, errorMessage } from '../errors';
import { type Logger, silentLogger } from '../logger';
import type { MigrationSet } from '../migrations/store';
import { fillEmptyTables } from '../seed/fill';
import { countRows, type RowCounts } from '../seed/rows';
import { describeUserSeed, runUserSeed, type UserSeed } from '../seed/user-seed';
import { connectDatabase } from '../pg/connect';
import { ident } from '../diff/sql';
import type { ThrowawayDatabase } from '../shadow/types';
import type { MigrationEntry } from './numbering';
import { CHECK_TITLES, type VerifyCheck, type VerifyFinding } from './report';
import type { ReversibilityPlan } from './reversibility';

export interface DataCheckInput {
  readonly set: MigrationSet;
  readonly newEntries: readonly MigrationEntry[];
  /** Where Down stops (the reversibility plan). */
  readonly plan: ReversibilityPlan;
  readonly seed?: UserSeed;
  readonly newDatabase: () => Promise<ThrowawayDatabase>;
  readonly logger?: Logger;
}

const result = (status: VerifyCheck['status'], summary: string, findings: readonly VerifyFinding[] = []): VerifyCheck => ({
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
  switch (error.sqlState) {
    case '23502':
      return /\bADD\b/i.test(statement) && !/SET NOT NULL/i.test(statement)
        ? 'existing rows get NULL in the new column: add it with a DEFAULT (ADD COLUMN ... NOT NULL DEFAULT ...), or add it nullable, backfill it with an UPDATE and SET NOT NULL after'
        : 'existing rows hold NULL in the column: backfill it with an UPDATE before SET NOT NULL (or give the column a DEFAULT and update the NULLs)';
    case '22P02':
      if (/enum/i.test(error.message)) return 'rows still use the enum value the migration removes: UPDATE them to a value that stays before the type is recreated';
      return 'existing values do not convert to the new type: convert them with a USING clause, or clean the data first';
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
  const match = /\bALTER\s+TABLE\s+(?:ONLY\s+)?(?:IF\s+EXISTS\s+)?((?:"(?:[^"]|"")+"|[\w$]+)(?:\.(?:"(?:[^"]|"")+"|[\w$]+))?)/i.exec(error.statement ?? '');
  const named = error.table ?? match?.[1].replace(/"/g, '');
  if (!named || named.includes('.') || !counts) return named;
  return counts.has(`public.${named}`) ? `public.${named}` : ([...counts.keys()].find((t) => t.endsWith(`.${named}`)) ?? named);
}

function failureFinding(error: MigrationError, entry: MigrationEntry | undefined, counts: RowCounts | undefined): VerifyFinding {
  const table = failingTable(error, counts);
  const rows = table ? counts?.get(table)?.rows : undefined;
  const held = table ? ` Table ${table}${rows !== undefined ? ` held ${plural(rows, 'row')}` : ''}.` : '';
  return {
    level: 'error',
    message: `${error.message}.${held} Hint: ${rowFailureHint(error)}`,
    ...(entry ? { file: entry.path, line: error.line ?? 1 } : {}),
    code: 'fails-on-existing-rows',
  };
}

/** Constraint failures that depend on the particular values (made up, for synthetic rows): FK, unique, CHECK, exclusion. */
const VALUE_DEPENDENT = new Set(['23503', '23505', '23514', '23P01']);

/** Empties a table the generator filled (and the tables referencing it); returns the counts after. */
async function emptyTable(url: string, table: string): Promise<RowCounts> {
  const client = await connectDatabase(url);
  try {
    const dot = table.indexOf('.');
    await client.query(`TRUNCATE ${ident(table.slice(0, dot))}.${ident(table.slice(dot + 1))} CASCADE`);
    return await countRows(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function rowCountsOf(url: string): Promise<RowCounts> {
  const client = await connectDatabase(url);
  try {
    return await countRows(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs the data check; a failure to report is a result, only bugs throw. */
export async function checkData(input: DataCheckInput): Promise<VerifyCheck> {
  const { set, newEntries, plan, seed } = input;
  const logger = input.logger ?? silentLogger;
  if (newEntries.length === 0) return result('skipped', 'no new migrations to run on rows');
  const base = newEntries[0].version - 1;
  const entryOf = (fileName: string | undefined) => newEntries.find((e) => e.fileName === fileName);
  const db = await input.newDatabase();
  if (base > 0) {
    const built = await up(db.url, set, { to: base, logger: silentLogger });
    if (built.error) return result('skipped', `skipped: the migrations up to the base version ${base} do not apply (see Consistency)`);
  }
  const where = base > 0 ? `the base version ${base}` : 'the empty base';
  if (seed) {
    try {
      await runUserSeed(seed, db.url, `on ${where}`, logger);
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      return result('failed', `the seed does not run on ${where}`, [{ level: 'error', message: errorMessage(error) }]);
    }
  }

  // Tables holding the seed's rows: a failure there is about real rows.
  const seeded = new Set(seed ? [...(await rowCountsOf(db.url))].filter(([, t]) => t.rows > 0).map(([table]) => table) : []);
  const unfillable = new Map<string, string>();
  /** Findings that do not fail the check (value-dependent failures on synthetic rows). */
  const notes: VerifyFinding[] = [];
  /** Tables this check emptied itself: not counted when rows must survive. */
  const emptied = new Set<string>();
  /** Row counts before each new migration's Up, by the version the database was at. */
  const before = new Map<number, RowCounts>();
  const fill = async (): Promise<RowCounts> => {
    const filled = await fillEmptyTables(db.url);
    for (const u of filled.unfillable) unfillable.set(u.table, u.reason);
    return filled.counts;
  };
  for (const entry of newEntries) {
    let counts = await fill();
    before.set(entry.version - 1, counts);
    let run = await up(db.url, set, { to: entry.version, logger: silentLogger });
    const table = run.error ? failingTable(run.error, counts) : undefined;
    if (run.error && table && VALUE_DEPENDENT.has(run.error.sqlState ?? '') && !seeded.has(table)) {
      // A foreign key, unique or CHECK constraint refused values the generator made up: real rows may well
      // satisfy it. Say so, empty the table (and what references it) and go on.
      notes.push({
        ...failureFinding(run.error, entryOf(run.error.fileName) ?? entry, counts),
        level: 'warning',
        message: `${failureFinding(run.error, entryOf(run.error.fileName) ?? entry, counts).message} (The rows of ${table} were synthetic, with made-up values: give seed-sql or seed-command rows to check it on real values; the check went on with ${table} emptied.)`,
      });
      counts = await emptyTable(db.url, table);
      for (const [name, t] of before.get(entry.version - 1)!) if (t.rows > 0 && (counts.get(name)?.rows ?? 0) === 0) emptied.add(name);
      run = await up(db.url, set, { to: entry.version, logger: silentLogger });
    }
    if (run.error) {
      return result('failed', `${entry.fileName} fails on a database with rows`, [failureFinding(run.error, entryOf(run.error.fileName) ?? entry, counts), ...notes, ...unfillableFindings(unfillable)]);
    }
  }
  // The tables the last migration created get rows too, so the Down sections meet rows everywhere.
  const afterUp = await fill();
  const total = [...afterUp.values()].reduce((sum, t) => sum + t.rows, 0);
  const rowsPhrase = `${plural(afterUp.size, 'table')} holding ${plural(total, 'row')} (${seed ? `${describeUserSeed(seed)}, and synthetic rows in the tables it left empty` : 'synthetic rows'})`;

  if (plan.kind !== 'run') {
    return result(unfillable.size + notes.length > 0 ? 'warning' : 'passed', `the Up sections run on ${rowsPhrase}; Down not run: ${plan.summary}`, [...notes, ...unfillableFindings(unfillable)]);
  }
  const reverted = await down(db.url, set, { to: plan.toVersion, logger: silentLogger });
  if (reverted.error) {
    const counts = await rowCountsOf(db.url).catch(() => afterUp);
    const entry = entryOf(reverted.error.fileName);
    return result('failed', `the Down section of ${reverted.error.fileName ?? 'a new migration'} fails on a database with rows`, [
      { ...failureFinding(reverted.error, entry, counts), ...(entry?.parsed?.down ? { line: reverted.error.line ?? entry.parsed.down.line } : {}) },
      ...notes,
      ...unfillableFindings(unfillable),
    ]);
  }

  // Rows must survive: every table the database had before the first reverted Up keeps its rows, unless
  // a new migration dropped it (its oid is gone from a later count; a renamed table keeps its oid).
  const start = before.get(plan.toVersion)!;
  const later = [...before].filter(([v]) => v > plan.toVersion).map(([, c]) => c);
  const laterOids = [...later, afterUp].map((c) => new Set([...c.values()].map((t) => t.oid)));
  const dropped = (table: string) => laterOids.some((oids) => !oids.has(start.get(table)!.oid));
  const after = await rowCountsOf(db.url);
  const lost = [...start].filter(([table, t]) => !dropped(table) && !emptied.has(table) && (after.get(table)?.rows ?? 0) < t.rows);
  const newest = plan.revert[0];
  if (lost.length > 0) {
    return result('failed', `rows do not survive Up and Down: ${lost.map(([t]) => t).join(', ')}`, [
      ...lost.map(([table, { rows: n }]): VerifyFinding => ({
        level: 'error',
        file: newest.path,
        line: newest.parsed?.down?.line ?? 1,
        message: `${table} held ${plural(n, 'row')} before the Up sections and ${after.has(table) ? plural(after.get(table)!.rows, 'row') : 'is gone'} after the Down sections: the migrations lose data they do not drop`,
      })),
      ...notes,
      ...unfillableFindings(unfillable),
    ]);
  }
  const kept = [...start].filter(([t]) => !dropped(t) && !emptied.has(t)).length;
  return result(
    unfillable.size + notes.length > 0 ? 'warning' : 'passed',
    `Up and Down run on ${rowsPhrase}; the rows of ${plural(kept, 'table')} at ${plan.toVersion > 0 ? `version ${plan.toVersion}` : 'the base'} survive Up and Down`,
    [...notes, ...unfillableFindings(unfillable)],
  );
}

function unfillableFindings(unfillable: ReadonlyMap<string, string>): VerifyFinding[] {
  return [...unfillable].map(([table, reason]) => ({ level: 'warning', message: `no synthetic row could be put in ${table}, so the migrations were not tried on its rows: ${reason}` }));
}
