/**
 * The destructive-change gate: every data loss a new migration causes fails verify unless the file
 * acknowledges it by name (a `-- db-migrate: allow <code> <object>` line, which create copies from the
 * DB-Migrate-Allow trailers). Losses are measured, not read from the SQL: each new migration runs on a
 * shadow database at the base, one at a time, and what holds data is compared before and after each
 * (a RENAME keeps its OID and loses nothing). On the data check's seeded database the rows are counted
 * too, per table by oid, before and after each Up and each Down: rows gone from a table that stays are
 * `deletes-rows` (a Down may remove what its own Up added). Acknowledgements are read from the file as
 * it is now, so a hand edit cannot drop the gate silently.
 *
 * The steps are measured by the data check (data.ts) on its seeded database, one pass for both; this
 * file measures, without rows, only what that pass could not (the data check turned off, or stopped by
 * a migration that fails on rows), and turns the steps into findings.
 */
import { ConfigurationError, errorMessage } from '../errors';
import {
  type Acknowledgement,
  allowMarkerLine,
  howToAcknowledge,
  readMarkers,
  unacknowledged,
} from '../intent/acknowledgements';
import {
  type DataInventory,
  type DataLoss,
  type RowDeletion,
  dataLosses,
  inventoryTables,
  rowDeletions,
} from '../data-loss/measure';
import type { MigrationStatement } from '../migrations/format';
import type { MigrationSet } from '../migrations/store';
import { type ParsedSql, loadPgParser, parseSql, relationName } from '../migrations/pg-parser';
import type { RowCounts } from '../seed/rows';
import type { ShadowDatabase } from '../shadow/types';
import type { MigrationEntry } from './numbering';
import type { VerifyFinding } from './report';
import { rehearseMigrations, versionBelow } from '../rehearsal/rehearsal';

/** One section of one new migration, run on a shadow database, with what was measured around it. */
export interface MeasuredStep {
  readonly entry: MigrationEntry;
  readonly section: 'up' | 'down';
  /** Up: what holds data before and after (tables, columns, types, enum values). */
  readonly inventory?: { readonly before: DataInventory; readonly after: DataInventory };
  /** On a database with rows: the row counts before and after. */
  readonly rows?: { readonly before: RowCounts; readonly after: RowCounts };
  /** On a database with rows: the columns whose surviving rows hold other values after it (rehearsal/values.ts). */
  readonly values?: readonly DataLoss[];
}

/** The measured steps, in the order they ran, and why measuring stopped early. */
export interface Measured {
  readonly steps: readonly MeasuredStep[];
  /** The tables at the base (before the first new migration). */
  readonly baseTables: readonly string[];
  readonly skipped?: string;
}

export interface DataLossGate {
  /** Errors for the unacknowledged losses (and the file's bad marker lines), notices for the acknowledged ones. */
  readonly findings: readonly VerifyFinding[];
  readonly unacknowledged: number;
  readonly acknowledged: number;
  /** The acknowledged losses, by file: the hazard warnings that name them are answered. */
  readonly answered: readonly { readonly file: string; readonly code: string; readonly object: string }[];
  /** The tables the migrations reach at the base (before the first new migration). */
  readonly baseTables: readonly string[];
  /** Why the gate could not measure (a migration that does not apply: the consistency check says why). */
  readonly skipped?: string;
}

/**
 * Measures the Up sections of `entries` (consecutive new migrations) without rows, on `db`: the
 * migrations below the first are replayed, then each runs alone between two inventories. One
 * connection for the whole pass. Never throws for a migration that fails.
 */
export async function measureWithoutRows(
  db: ShadowDatabase,
  set: MigrationSet,
  entries: readonly MigrationEntry[],
  baseTables?: readonly string[],
): Promise<Measured> {
  if (entries.length === 0) return { steps: [], baseTables: baseTables ?? [] };
  return rehearseMigrations(db.url, set, async (rehearsal) => {
    const base = versionBelow(set, entries[0]!.version);
    const skipped = base > 0 ? await rehearsal.replayBase(base) : undefined;
    if (skipped) return { steps: [], baseTables: baseTables ?? [], skipped };
    const { run, inventories, readError } = await rehearsal.inventoried(base, entries[entries.length - 1]!.version);
    if (readError !== undefined) throw readError;
    const atBase = baseTables ?? inventoryTables(inventories.get(base)!);
    const steps: MeasuredStep[] = [];
    let before = inventories.get(base)!;
    for (const entry of entries) {
      const after = inventories.get(entry.version);
      if (!after) break;
      steps.push({ entry, section: 'up', inventory: { before, after } });
      before = after;
    }
    const failed = entries[steps.length];
    if (run.error && failed)
      return { steps, baseTables: atBase, skipped: `${failed.fileName} does not apply: ${run.error.message}` };
    return { steps, baseTables: atBase };
  });
}

/** The line of the statement that names the object's last part, else the section's marker. */
function lossLine(entry: MigrationEntry, object: string, section: 'up' | 'down' = 'up'): number {
  const name = object.split('.').pop()!;
  const part = section === 'up' ? entry.parsed?.up : entry.parsed?.down;
  const statement = part?.statements.find((s) => s.sql.includes(name));
  return statement?.line ?? part?.line ?? 1;
}

/** A declared narrowing of a column declares the values it changes too. */
function withNarrowings(allowed: readonly Acknowledgement[]): Acknowledgement[] {
  return [
    ...allowed,
    ...allowed
      .filter((a) => a.code === 'narrows-type')
      .map((a) => ({ code: 'changes-values' as const, object: a.object })),
  ];
}

/** The tables a statement removes rows from directly (DELETE, TRUNCATE), as written; none for anything else. */
function deletedTables(statement: MigrationStatement): string[] {
  let parsed: ParsedSql[];
  try {
    parsed = parseSql(statement.sql);
  } catch {
    return [];
  }
  return parsed.flatMap((s) =>
    s.kind === 'DeleteStmt'
      ? [relationName(s.node.relation)]
      : s.kind === 'TruncateStmt'
        ? (s.node.relations ?? []).map((r) => relationName(r.RangeVar))
        : [],
  );
}

/** The statement of the section that deletes from `table` (else any DELETE or TRUNCATE there), if there is one. */
function deletingStatement(
  entry: MigrationEntry,
  section: 'up' | 'down',
  table: string,
): MigrationStatement | undefined {
  const statements = (section === 'up' ? entry.parsed?.up : entry.parsed?.down)?.statements ?? [];
  const bare = table.slice(table.indexOf('.') + 1);
  const named = statements.find((s) => deletedTables(s).some((t) => t === table || t === bare));
  return named ?? statements.find((s) => deletedTables(s).length > 0);
}

const oneLine = (sql: string) => {
  const text = sql.replace(/\s+/g, ' ').trim();
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
};

/** The rows each table gained in the migration's Up (oid -> rows): its Down may remove them without loss. */
function addedByUp(up: MeasuredStep | undefined): Map<number, number> {
  const added = new Map<number, number>();
  if (!up?.rows) return added;
  const before = new Map([...up.rows.before.values()].map((t) => [t.oid, t.rows]));
  for (const t of up.rows.after.values()) added.set(t.oid, Math.max(0, t.rows - (before.get(t.oid) ?? 0)));
  return added;
}

/** The rows a step removed from tables that stay; a Down may remove what its own Up added. */
export function stepRowDeletions(measured: Measured, step: MeasuredStep): RowDeletion[] {
  if (!step.rows) return [];
  const up =
    step.section === 'down' ? measured.steps.find((s) => s.entry === step.entry && s.section === 'up') : undefined;
  return rowDeletions(step.rows.before, step.rows.after, step.section === 'down' ? addedByUp(up) : undefined);
}

/** Turns the measured steps into the gate: a finding per loss, failing unless the file names it. */
export async function gateDataLoss(measured: Measured): Promise<DataLossGate> {
  const findings: VerifyFinding[] = [];
  const answered: { file: string; code: string; object: string }[] = [];
  let open = 0;
  let acknowledged = 0;
  if (measured.steps.some((s) => s.rows)) await loadPgParser();
  const markers = new Map<MigrationEntry, Acknowledgement[]>();
  const allowedIn = (entry: MigrationEntry): Acknowledgement[] => {
    if (markers.has(entry)) return markers.get(entry)!;
    let allowed: Acknowledgement[];
    try {
      allowed = readMarkers(entry.text, entry.path).allow;
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      findings.push({
        level: 'error',
        file: entry.path,
        line: 1,
        code: 'drops-data',
        message: errorMessage(error),
        namesFile: error.file !== undefined,
      });
      open++;
      allowed = [];
    }
    markers.set(entry, allowed);
    return allowed;
  };
  for (const step of measured.steps) {
    const { entry, section } = step;
    const allowed = withNarrowings(allowedIn(entry));
    const losses: { loss: DataLoss; line: number; where: string }[] = [];
    if (step.inventory)
      for (const loss of dataLosses(step.inventory.before, step.inventory.after))
        losses.push({ loss, line: lossLine(entry, loss.object), where: '' });
    for (const loss of step.values ?? []) {
      // A narrowing already named for the column says the same: its example is added to it.
      const narrowing = losses.find((l) => l.loss.code === 'narrows-type' && l.loss.object === loss.object);
      if (narrowing) narrowing.where = ` (on the data check's rows, ${loss.example})`;
      else losses.push({ loss, line: lossLine(entry, loss.object, section), where: '' });
    }
    if (step.rows) {
      for (const loss of stepRowDeletions(measured, step)) {
        const statement = deletingStatement(entry, section, loss.object);
        const marker = (section === 'up' ? entry.parsed?.up : entry.parsed?.down)?.line ?? 1;
        const where = statement
          ? ` (the statement at line ${statement.line}: ${oneLine(statement.sql)})`
          : ' (no DELETE or TRUNCATE of it in the section: a cascade, a trigger or a function removed them)';
        losses.push({ loss, line: statement?.line ?? marker, where });
      }
    }
    if (losses.length === 0) continue;
    const missing = new Set(
      unacknowledged(
        losses.map((l) => l.loss),
        allowed,
      ),
    );
    const name = `${entry.fileName}${section === 'down' ? ' (Down)' : ''}`;
    for (const { loss, line, where } of losses) {
      if (missing.has(loss)) {
        open++;
        findings.push({
          level: 'error',
          file: entry.path,
          line,
          code: loss.code,
          message: `${name} ${loss.message}${where}; not acknowledged: ${howToAcknowledge(loss)}`,
        });
      } else {
        acknowledged++;
        answered.push({ file: entry.path, code: loss.code, object: loss.object });
        findings.push({
          level: 'notice',
          file: entry.path,
          line,
          code: loss.code,
          message: `${name} ${loss.message}${where}; acknowledged by "${allowMarkerLine(loss)}"`,
        });
      }
    }
  }
  return {
    findings,
    unacknowledged: open,
    acknowledged,
    answered,
    baseTables: measured.baseTables,
    ...(measured.skipped ? { skipped: measured.skipped } : {}),
  };
}
