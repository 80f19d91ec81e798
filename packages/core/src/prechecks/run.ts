/**
 * Runs the pre-checks on one target before it is touched: every statement the run would send is read
 * (statements.ts), each check it calls for (checks.ts) runs as one query, and each table a statement
 * would lock while rewriting or scanning it (large-tables.ts) has its size read. All of it in one READ
 * ONLY transaction, each query under a statement_timeout, a check on a table above the row limit skipped
 * with a notice; the transaction is rolled back. The result is plain data; `precheckRefusal` says why the
 * target must not start.
 */
import { type Remedy, type RemedyWording, remedyTail } from '../remedy';
import { performance } from 'node:perf_hooks';
import type { Client } from 'pg';
import { errorMessage } from '../errors';
import { type Acknowledgement, acknowledgementText } from '../intent/acknowledgements';
import { type PlannedCheck, plannedChecks } from './checks';
import { estimateLockSeconds, type LockingStatement, lockingStatements } from './large-tables';
import { PendingRange, type PendingStatement } from './statements';
import {
  DEFAULT_LARGE_TABLE_BYTES,
  DEFAULT_LARGE_TABLE_ROWS,
  DEFAULT_PRECHECK_MAX_ROWS,
  DEFAULT_PRECHECK_TIMEOUT_MS,
  type LockedTable,
  type PrecheckOptions,
  type PrecheckReport,
  type PrecheckResult,
} from './types';

/** Examples kept per check. */
const EXAMPLES = 3;

interface TableSize {
  readonly name: string;
  readonly rows: number;
  readonly bytes: number;
}

/**
 * The pre-checks' reads on the target: one READ ONLY transaction under the pre-check timeouts, opened by
 * the first read (a run whose statements need no read costs no round trip), and a savepoint around each
 * guarded step, taken by its first read, so an error (a timeout, a value refused) leaves the transaction usable.
 */
class PrecheckReader {
  private opened?: Promise<unknown>;
  private savepoint?: Promise<unknown>;
  private guarding = false;
  /** Opening the transaction or a savepoint failed: the target cannot be read, and runPrechecks throws it. */
  private broken: unknown;
  /** The client to pass to the checks: its queries open the transaction and the savepoint first. */
  readonly client: Client;

  constructor(
    private readonly target: Client,
    private readonly timeoutMs: number,
  ) {
    this.client = { query: (...args: unknown[]) => this.query(args) } as unknown as Client;
  }

  private async query(args: unknown[]): Promise<unknown> {
    const { timeoutMs } = this;
    this.opened ??= this.target.query(
      `BEGIN READ ONLY; SET LOCAL statement_timeout = ${timeoutMs}; SET LOCAL lock_timeout = ${timeoutMs}`,
    );
    if (this.guarding) this.savepoint ??= this.opened.then(() => this.target.query('SAVEPOINT db_migrate_precheck'));
    try {
      await (this.savepoint ?? this.opened);
    } catch (error) {
      this.broken ??= error;
      throw this.broken;
    }
    return (this.target.query as (...a: unknown[]) => Promise<unknown>).apply(this.target, args);
  }

  /** Runs `run` in a savepoint: an error leaves the transaction usable. */
  async guarded<T>(run: () => Promise<T>): Promise<{ value: T } | { error: Error & { code?: string } }> {
    this.guarding = true;
    this.savepoint = undefined;
    try {
      const value = await run();
      if (this.savepoint) await this.target.query('RELEASE SAVEPOINT db_migrate_precheck');
      return { value };
    } catch (error) {
      if (this.broken) throw this.broken;
      if (this.savepoint) await this.target.query('ROLLBACK TO SAVEPOINT db_migrate_precheck');
      return { error: error as Error & { code?: string } };
    } finally {
      this.guarding = false;
    }
  }

  /** Ends the transaction, if one was opened. */
  async close(): Promise<void> {
    if (this.opened) await this.target.query('ROLLBACK').catch(() => undefined);
  }
}

export interface PrecheckInput {
  /** What the run would send, in order (migrationStatements or sqlStatements). */
  readonly statements: readonly PendingStatement[];
  /** Acknowledgements in force (--allow, and the marker lines of the migrations going up). */
  readonly acknowledged: readonly Acknowledgement[];
  readonly options?: PrecheckOptions;
}

/** The pre-checks of `statements` on the target behind `client`. Throws only when the target cannot be read at all. */
export async function runPrechecks(target: Client, input: PrecheckInput): Promise<PrecheckReport> {
  const started = performance.now();
  const options = input.options ?? {};
  const maxRows = options.maxRows ?? DEFAULT_PRECHECK_MAX_ROWS;
  const timeoutMs = Math.floor(options.timeoutMs ?? DEFAULT_PRECHECK_TIMEOUT_MS);
  const largeRows = options.largeTableRows ?? DEFAULT_LARGE_TABLE_ROWS;
  const largeBytes = options.largeTableBytes ?? DEFAULT_LARGE_TABLE_BYTES;
  const checks: PrecheckResult[] = [];
  const lockedTables: LockedTable[] = [];
  const sizes = new Map<string, TableSize | undefined>();
  const reader = new PrecheckReader(target, timeoutMs);
  const client = reader.client;

  const sizeOf = async (tableSql: string): Promise<TableSize | undefined> => {
    if (sizes.has(tableSql)) return sizes.get(tableSql);
    const { rows } = await client.query<{ name: string; reltuples: number; bytes: string }>(
      `SELECT n.nspname || '.' || c.relname AS name, c.reltuples::float8 AS reltuples, pg_catalog.pg_total_relation_size(c.oid)::text AS bytes
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)`,
      [tableSql],
    );
    let size: TableSize | undefined;
    if (rows[0]) {
      let count = Math.round(rows[0].reltuples);
      if (count < 0) {
        // Never analyzed: counted, reading at most one row past the larger limit.
        const limit = Math.max(largeRows, Math.min(maxRows, 1_000_000)) + 1;
        const counted = await client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${tableSql} LIMIT ${limit}) AS t`,
        );
        count = counted.rows[0]?.n ?? 0;
      }
      size = { name: rows[0].name, rows: count, bytes: Number(rows[0].bytes) };
    }
    sizes.set(tableSql, size);
    return size;
  };

  try {
    const range = new PendingRange();
    const planned: PlannedCheck[] = [];
    const locking: LockingStatement[] = [];
    for (const s of input.statements) {
      const read = await reader.guarded(async () => ({
        checks: await plannedChecks(client, s, range),
        locking: await lockingStatements(client, s, range),
      }));
      if ('value' in read) {
        planned.push(...read.value.checks);
        locking.push(...read.value.locking);
      } else {
        checks.push({
          code: 'unmeasured',
          file: s.file,
          line: s.line,
          table: '',
          what: 'the statement',
          status: 'skipped',
          reason: `the catalog could not be read for it: ${errorMessage(read.error)}`,
        });
      }
      range.note(s);
    }

    for (const check of planned) {
      const { query, skip, raises, tableSql, ...result } = check;
      if (skip || !query) {
        checks.push({ ...result, status: 'skipped', reason: skip ?? 'nothing to measure' });
        continue;
      }
      const size = tableSql ? await reader.guarded(() => sizeOf(tableSql)) : undefined;
      if (size && 'value' in size && size.value && size.value.rows > maxRows) {
        checks.push({
          ...result,
          status: 'skipped',
          reason: `the table holds about ${size.value.rows} rows, above the pre-check limit of ${maxRows}`,
          remedies: [{ kind: 'option', option: 'precheckMaxRows', change: 'raise' }],
        });
        continue;
      }
      const found = await reader.guarded(() =>
        client.query<{ example: string | null; rows: string; groups: string; total: string }>(
          `SELECT example, rows::text, count(*) OVER ()::text AS groups, sum(rows) OVER ()::text AS total FROM (${query}) AS found LIMIT ${EXAMPLES}`,
        ),
      );
      if ('error' in found) {
        const code = found.error.code ?? '';
        if (raises && (code.startsWith('22') || code.startsWith('23'))) {
          checks.push({
            ...result,
            status: 'found',
            examples: [errorMessage(found.error)],
            reason: 'PostgreSQL refused a value: counting stopped at the first one',
          });
        } else if (code === '57014' || code === '55P03') {
          checks.push({
            ...result,
            status: 'skipped',
            reason: `did not finish within ${timeoutMs} ms`,
            remedies: [{ kind: 'option', option: 'precheckTimeout', change: 'raise' }],
          });
        } else {
          checks.push({ ...result, status: 'skipped', reason: `the check failed: ${errorMessage(found.error)}` });
        }
        continue;
      }
      const rows = found.value.rows;
      if (rows.length === 0) {
        checks.push({ ...result, status: 'clean', count: 0 });
        continue;
      }
      const groups = Number(rows[0]!.groups);
      const count = Number(rows[0]!.total);
      const examples = rows.map((r) => `${r.example ?? '?'}${Number(r.rows) > 1 ? ` (${r.rows} rows)` : ''}`);
      checks.push({ ...result, status: 'found', count, ...(groups !== count ? { groups } : {}), examples });
    }

    const acknowledged = new Set(input.acknowledged.map(acknowledgementText));
    for (const l of locking) {
      const size = await reader.guarded(() => sizeOf(l.table.sql));
      if (!('value' in size) || !size.value) continue; // the table does not exist here: the statement fails on its own
      const { name, rows, bytes } = size.value;
      lockedTables.push({
        code: l.code,
        file: l.file,
        line: l.line,
        table: name,
        what: l.what,
        rows,
        bytes,
        work: l.work,
        estimatedSeconds: estimateLockSeconds(l.work, bytes),
        large: rows > largeRows || bytes > largeBytes,
        acknowledged: acknowledged.has(`${l.code} ${name}`) || acknowledged.has(`${l.code} ${l.table.label}`),
      });
    }
  } finally {
    await reader.close();
  }
  return { checks, lockedTables, durationMs: Math.round(performance.now() - started) };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `12.3 MB`. */
export function describeBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} kB`;
}

/** What a check found, in a few words: `2 keys held by 5 rows`. */
function foundText(c: PrecheckResult): string {
  if (c.count === undefined) return `PostgreSQL refuses a value (${c.examples?.[0] ?? ''})`;
  const rows = plural(c.count, 'row');
  switch (c.code) {
    case 'duplicates':
      return `${rows} share ${plural(c.groups ?? c.count, 'key')}`;
    case 'orphans':
      return `${rows} reference ${plural(c.groups ?? c.count, 'key')} the referenced table does not hold`;
    case 'nulls':
      return `${rows} hold NULL`;
    case 'overlaps':
      return `${plural(c.count, 'pair')} of rows overlap`;
    case 'type-change':
      return `${plural(c.count, 'value')} the new type refuses`;
    case 'sequence-bounds':
      return 'the current value is outside the new bounds';
    case 'partition-bounds':
      return `${rows} outside its bounds`;
    default:
      return `${rows} fail it`;
  }
}

/** One line per check: `0003_mrn.sql line 2: unique index ... : 4 rows share 2 keys, e.g. mrn=M1 (2 rows)`. */
export function describeCheck(c: PrecheckResult, word?: RemedyWording): string {
  const where = `${c.file} line ${c.line}: ${c.what}`;
  if (c.status === 'skipped') return `${where}: not checked: ${c.reason}${word ? remedyTail(c.remedies, word) : ''}`;
  if (c.status === 'clean') return `${where}: no row it refuses`;
  const examples = c.count !== undefined && c.examples?.length ? `, e.g. ${c.examples.join('; ')}` : '';
  return `${where}: ${foundText(c)}${examples}`;
}

/** `0004_x.sql line 3: CREATE INDEX ... on public.orders (120000 rows, 9.1 MB): an estimated 0.2 s under lock`. */
export function describeLockedTable(t: LockedTable, word: RemedyWording): string {
  const verdict = !t.large
    ? 'below the large-table limit'
    : t.acknowledged
      ? `acknowledged (${t.code} ${t.table})`
      : `refused until acknowledged${remedyTail([lockedTableRemedy(t)], word)}`;
  return `${t.file} line ${t.line}: ${t.what} on ${t.table} (${plural(t.rows, 'row')}, ${describeBytes(t.bytes)}): an estimated ${t.estimatedSeconds} s under lock; ${verdict}`;
}

/** The acknowledgement that lets a statement lock a large table. */
function lockedTableRemedy(t: LockedTable): Remedy {
  return { kind: 'allow', value: `${t.code} ${t.table}` };
}

/**
 * Why the target must not start, or undefined: rows a statement cannot take, or a large table locked
 * without acknowledgement (the acknowledgements that would let it run are the remedies). `markerHint`:
 * the marker line may acknowledge it too (migrations going up).
 */
export function precheckRefusal(
  report: PrecheckReport,
  markerHint: boolean,
): { readonly message: string; readonly remedies: readonly Remedy[] } | undefined {
  const found = report.checks.filter((c) => c.status === 'found');
  const locked = report.lockedTables.filter((t) => t.large && !t.acknowledged);
  if (found.length === 0 && locked.length === 0) return undefined;
  const reasons = [
    ...found.map((c) => `${describeCheck(c)} (found before anything ran: the statement would fail here)`),
    ...locked.map(
      (t) =>
        `${t.file} line ${t.line}: ${t.what} on ${t.table}, ${plural(t.rows, 'row')} and ${describeBytes(t.bytes)}: about ${t.estimatedSeconds} s under lock ` +
        `(an estimate: its size at the ${t.work} rate bench/prechecks.ts measured); above the large-table limit. To run it anyway, acknowledge it` +
        (markerHint ? ` (or add the line "-- db-migrate: allow ${t.code} ${t.table}" to the migration)` : ''),
    ),
  ];
  return { message: `${reasons.join('; ')}; nothing was run`, remedies: locked.map(lockedTableRemedy) };
}
