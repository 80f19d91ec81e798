/**
 * Locks measured, not only linted: a migration's Up (and Down) section is rehearsed statement by statement on the
 * data check's rows, inside a transaction that is rolled back (the real run follows on the same rows).
 * After each statement the backend's own locks (pg_locks) and the relfilenode of every table that
 * existed before the section are read: per statement and table, the strongest lock it took, whether it
 * rewrote the table, and how long it ran. A transaction holds its locks until it ends, so a lock taken
 * by an earlier statement of the same section is not repeated on a later one.
 */
import { performance } from 'node:perf_hooks';
import type { Client } from 'pg';
import type { MigrationStatement } from '../migrations/format';
import type { MigrationEntry } from '../verify/numbering';

/** PostgreSQL's table lock modes, weakest first, as the docs name them. */
export const LOCK_MODES = [
  'ACCESS SHARE',
  'ROW SHARE',
  'ROW EXCLUSIVE',
  'SHARE UPDATE EXCLUSIVE',
  'SHARE',
  'SHARE ROW EXCLUSIVE',
  'EXCLUSIVE',
  'ACCESS EXCLUSIVE',
] as const;
export type LockMode = (typeof LOCK_MODES)[number];

/** One statement's effect on one table that existed before its section. */
export interface StatementLock {
  /** The migration's file name. */
  readonly file: string;
  readonly section: 'up' | 'down';
  /** 1-based line of the statement in the file. */
  readonly line: number;
  /** schema.table */
  readonly table: string;
  /** The strongest lock the statement took on the table (none: it only rewrote it under a lock taken before). */
  readonly lock: LockMode | 'none';
  /** True when the table's relfilenode changed: every row was written again. */
  readonly rewrite: boolean;
  /** How long the statement ran, on the data check's rows. */
  readonly ms: number;
}

/** The locks measured by the data check, and the sections it could not measure (with why). */
export interface LocksMeasured {
  readonly statements: readonly StatementLock[];
  readonly notMeasured: readonly { readonly file: string; readonly section: 'up' | 'down'; readonly reason: string }[];
}

/** `AccessExclusiveLock` -> `ACCESS EXCLUSIVE`. */
function modeName(mode: string): LockMode | undefined {
  const words = mode
    .replace(/Lock$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
  return (LOCK_MODES as readonly string[]).includes(words) ? (words as LockMode) : undefined;
}

const strength = (mode: LockMode | 'none') => (mode === 'none' ? -1 : LOCK_MODES.indexOf(mode));

const TABLE_STATE = `
SELECT c.oid::int8::text AS oid, pg_catalog.format('%I.%I', n.nspname, c.relname) AS name, c.relfilenode::int8::text AS node,
       ARRAY(SELECT l.mode FROM pg_catalog.pg_locks l
              WHERE l.locktype = 'relation' AND l.pid = pg_catalog.pg_backend_pid() AND l.relation = c.oid AND l.granted) AS modes
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid = ANY ($1::oid[])`;

interface TableState {
  readonly name: string;
  readonly node: string;
  readonly modes: ReadonlySet<string>;
}

async function tableStates(client: Client, oids: readonly number[]): Promise<Map<string, TableState>> {
  const { rows } = await client.query<{ oid: string; name: string; node: string; modes: string[] }>(TABLE_STATE, [
    oids.map(String),
  ]);
  return new Map(rows.map((r) => [r.oid, { name: r.name, node: r.node, modes: new Set(r.modes) }]));
}

/** A statement that starts or ends a transaction: the rehearsal, itself one transaction rolled back, cannot run it. */
const TRANSACTION_CONTROL =
  /^\s*(?:--[^\n]*\n\s*)*(BEGIN|COMMIT|ROLLBACK|ABORT|END|START\s+TRANSACTION|PREPARE\s+TRANSACTION|SAVEPOINT|RELEASE)\b/i;

/**
 * Rehearses the Up section of `entry` on `client` (at the version before it, outside any transaction) in
 * a transaction rolled back at the end, measuring each statement on `tables` (the oids of the tables that
 * exist before it). Stops quietly at a statement that fails: the real run reports it.
 */
export async function measureLocks(
  client: Client,
  entry: MigrationEntry,
  tables: readonly number[],
  which: 'up' | 'down' = 'up',
): Promise<LocksMeasured> {
  const section = which === 'up' ? entry.parsed?.up : entry.parsed?.down;
  if (!section || section.statements.length === 0) return { statements: [], notMeasured: [] };
  const name = which === 'up' ? 'Up' : 'Down';
  if (section.noTransaction)
    return {
      statements: [],
      notMeasured: [
        {
          file: entry.fileName,
          section: which,
          reason: `its ${name} section runs outside a transaction (notransaction), so no rehearsal can be rolled back`,
        },
      ],
    };
  const control = section.statements.find((s) => TRANSACTION_CONTROL.test(s.sql));
  if (control)
    return {
      statements: [],
      notMeasured: [
        {
          file: entry.fileName,
          section: which,
          reason: `line ${control.line} (${name}) controls the transaction itself`,
        },
      ],
    };
  const measured: StatementLock[] = [];
  let notMeasured: { file: string; section: 'up' | 'down'; reason: string }[] = [];
  await client.query('BEGIN');
  try {
    let before = await tableStates(client, tables);
    for (const statement of section.statements) {
      const started = performance.now();
      try {
        await client.query(statement.sql);
      } catch (error) {
        notMeasured = [
          {
            file: entry.fileName,
            section: which,
            reason: `stopped at line ${statement.line} (${name}), which fails: ${(error as Error).message}`,
          },
        ];
        break;
      }
      const ms = Math.round(performance.now() - started);
      const after = await tableStates(client, tables);
      measured.push(...statementLocks(entry, which, statement, before, after, ms));
      before = after;
    }
  } finally {
    await client.query('ROLLBACK');
  }
  return { statements: measured, notMeasured };
}

function statementLocks(
  entry: MigrationEntry,
  section: 'up' | 'down',
  statement: MigrationStatement,
  before: Map<string, TableState>,
  after: Map<string, TableState>,
  ms: number,
): StatementLock[] {
  const out: StatementLock[] = [];
  for (const [oid, now] of after) {
    const was = before.get(oid);
    const taken = [...now.modes]
      .filter((m) => !was?.modes.has(m))
      .map(modeName)
      .filter((m): m is LockMode => !!m);
    const lock = taken.reduce<LockMode | 'none'>((a, b) => (strength(b) > strength(a) ? b : a), 'none');
    const rewrite = !!was && was.node !== now.node && now.node !== '0';
    if (lock === 'none' && !rewrite) continue;
    out.push({ file: entry.fileName, section, line: statement.line, table: now.name, lock, rewrite, ms });
  }
  return out.sort((a, b) => a.table.localeCompare(b.table));
}

/** The measured locks as a small text table per file, for a terminal. */
export function formatLocks(locks: LocksMeasured): string[] {
  const out: string[] = [];
  for (const [file, section] of lockGroups(locks)) {
    out.push(
      `  ${file}${section === 'down' ? ' (Down)' : ''}:`,
      '    line  table                          lock                     rewrite  ms',
    );
    for (const s of locks.statements.filter((x) => x.file === file && x.section === section)) {
      out.push(
        `    ${String(s.line).padEnd(5)} ${s.table.padEnd(30)} ${s.lock.padEnd(24)} ${(s.rewrite ? 'yes' : 'no').padEnd(8)} ${s.ms}`,
      );
    }
  }
  for (const n of locks.notMeasured) out.push(`  ${n.file}: not measured: ${n.reason}`);
  return out;
}

/** The file and section of each group of measured statements, in the order measured. */
export function lockGroups(locks: LocksMeasured): [string, 'up' | 'down'][] {
  const seen = new Map<string, [string, 'up' | 'down']>();
  for (const s of locks.statements) seen.set(`${s.file}\0${s.section}`, [s.file, s.section]);
  return [...seen.values()];
}
