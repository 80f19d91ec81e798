/**
 * Statements that hold a strong lock on an existing table for as long as they rewrite, scan or index it
 * (the differ's hazard codes `rewrites-table`, `scans-table`, `blocks-writes`, `validates-rows`), read
 * from the parse tree: a type change that rewrites, ADD COLUMN with a volatile default, SET NOT NULL
 * without a validated CHECK (col IS NOT NULL), a CHECK or foreign key added without NOT VALID, a unique,
 * primary or exclusion constraint built with its index, CREATE INDEX (or REINDEX) without CONCURRENTLY,
 * VACUUM FULL, CLUSTER. run.ts reads each table's size on the target and refuses the ones above the
 * large-table limit unless acknowledged (`--allow 'rewrites-table public.orders'` or the marker line).
 */
import type { Client } from 'pg';
import { VOLATILE_FUNCTIONS } from '../pg/volatile-functions';
import { type NodeOf, deepSome, lastName } from '../migrations/pg-parser';
import {
  type PendingRange,
  type PendingStatement,
  alterTableCmds,
  columnConstraints,
  tableOf,
  typeParts,
  typeSql,
} from './statements';
import type { LockingCode } from './types';

/** What a locking statement spends its lock on: each goes through a table at its own pace. */
export type LockWork = 'rewrite' | 'index build' | 'foreign key validation' | 'scan';

export interface LockingStatement {
  readonly code: LockingCode;
  readonly work: LockWork;
  readonly file: string;
  readonly line: number;
  readonly table: ReturnType<typeof tableOf>;
  readonly what: string;
}

/**
 * Rough rates at which each kind of work gets through a table while the lock is held (MB of
 * pg_total_relation_size per second), measured by bench/prechecks.ts on 1 M-row tables (71 MB) on a
 * shared 2-core machine: an estimate to tell seconds from minutes, not a promise (servers differ
 * several-fold, mostly faster).
 */
export const LOCK_RATES: Readonly<Record<LockWork, number>> = {
  rewrite: 12 * 1024 * 1024,
  'index build': 14 * 1024 * 1024,
  'foreign key validation': 12 * 1024 * 1024,
  scan: 130 * 1024 * 1024,
};

/** Seconds, rounded up to a tenth: the table's size at the rate of the statement's work. */
export function estimateLockSeconds(work: LockWork, bytes: number): number {
  return Math.ceil((bytes / LOCK_RATES[work]) * 10) / 10;
}

const WORK: Readonly<Record<LockingCode, LockWork>> = {
  'rewrites-table': 'rewrite',
  'blocks-writes': 'index build',
  'scans-table': 'scan',
  'validates-rows': 'scan',
};

const SERIAL_TYPES = new Set(['serial', 'serial2', 'serial4', 'serial8', 'smallserial', 'bigserial']);

/** True when a type change keeps the table as it is: varchar/text to text, unbounded varchar, or a longer varchar. */
async function typeChangeKeepsRows(
  client: Client,
  table: ReturnType<typeof tableOf>,
  cmd: NodeOf<'AlterTableCmd'>,
): Promise<boolean> {
  const def = cmd.def?.ColumnDef;
  if (!def || def.raw_default) return false;
  const to = typeParts(def.typeName);
  if (to.array || !['text', 'varchar'].includes(to.name)) return false;
  const { rows } = await client.query<{ from: string | null }>(
    `SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) AS from FROM pg_catalog.pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND NOT a.attisdropped`,
    [table.sql, String(cmd.name)],
  );
  const from = rows[0]?.from;
  if (!from) return false;
  if (from === 'text') return to.name === 'text' || to.mods.length === 0;
  const length = /^character varying(?:\((\d+)\))?$/.exec(from);
  if (!length) return false;
  if (to.name === 'text' || to.mods.length === 0) return true;
  return length[1] !== undefined && to.mods[0]! >= Number(length[1]);
}

/**
 * True when the target holds a CHECK (col IS NOT NULL) that is validated, or that an earlier statement
 * of the run validates: SET NOT NULL then reads no row.
 */
async function hasNotNullCheck(
  client: Client,
  table: ReturnType<typeof tableOf>,
  column: string,
  range: PendingRange,
): Promise<boolean> {
  const { rows } = await client.query<{ name: string; valid: boolean }>(
    `SELECT c.conname AS name, c.convalidated AS valid FROM pg_catalog.pg_constraint c WHERE c.conrelid = to_regclass($1) AND c.contype = 'c'
        AND pg_catalog.pg_get_constraintdef(c.oid) IN ('CHECK ((' || quote_ident($2) || ' IS NOT NULL))', 'CHECK ((' || quote_ident($2) || ' IS NOT NULL)) NOT VALID')`,
    [table.sql, column],
  );
  return rows.some((r) => r.valid || range.validated.has(`${table.key}:${r.name}`));
}

/** The statements of `s` that lock an existing table while they rewrite, scan or index it. */
export async function lockingStatements(
  client: Client,
  s: PendingStatement,
  range: PendingRange,
): Promise<LockingStatement[]> {
  const { kind, node: n } = s;
  const found: LockingStatement[] = [];
  const add = (code: LockingCode, range: NodeOf<'RangeVar'>, what: string, work: LockWork = WORK[code]) =>
    found.push({ code, work, file: s.file, line: s.line, table: tableOf(range), what });
  const existing = (r: NodeOf<'RangeVar'> | undefined): r is NodeOf<'RangeVar'> =>
    r !== undefined && !range.madeBy(tableOf(r).key);
  switch (kind) {
    case 'IndexStmt':
      if (!n.concurrent && existing(n.relation))
        add(
          'blocks-writes',
          n.relation,
          `CREATE INDEX ${n.idxname ?? ''} without CONCURRENTLY (writes wait while it builds)`.replace('  ', ' '),
        );
      break;
    case 'ReindexStmt': {
      const concurrently = (n.params ?? []).some((p) => p.DefElem?.defname === 'concurrently');
      if (!concurrently && n.kind === 'REINDEX_OBJECT_TABLE' && existing(n.relation))
        add('blocks-writes', n.relation, 'REINDEX without CONCURRENTLY');
      break;
    }
    case 'VacuumStmt': {
      const full = (n.options ?? []).some((o) => o.DefElem?.defname === 'full');
      if (n.is_vacuumcmd && full)
        for (const r of n.rels ?? []) {
          const relation = r.VacuumRelation?.relation;
          if (existing(relation)) add('rewrites-table', relation, 'VACUUM FULL');
        }
      break;
    }
    case 'ClusterStmt':
      if (existing(n.relation)) add('rewrites-table', n.relation, 'CLUSTER');
      break;
    case 'AlterTableStmt': {
      const relation = n.relation;
      if ((n.objtype !== undefined && n.objtype !== 'OBJECT_TABLE') || !existing(relation)) break;
      const table = tableOf(relation);
      for (const cmd of alterTableCmds(n)) {
        switch (cmd.subtype) {
          case 'AT_AlterColumnType':
            if (!(await typeChangeKeepsRows(client, table, cmd)))
              add(
                'rewrites-table',
                relation,
                `changes the type of column ${table.label}.${cmd.name} to ${typeSql(cmd.def?.ColumnDef?.typeName)} (every row is rewritten)`,
              );
            break;
          case 'AT_AddColumn': {
            const def = cmd.def?.ColumnDef ?? {};
            const constraints = columnConstraints(def);
            const defaultExpr = constraints.find((c) => c.contype === 'CONSTR_DEFAULT')?.raw_expr;
            const volatile = deepSome(
              defaultExpr,
              (x) => x.FuncCall !== undefined && VOLATILE_FUNCTIONS.has(String(lastName(x.FuncCall.funcname))),
            );
            const writesEveryRow =
              volatile ||
              SERIAL_TYPES.has(typeParts(def.typeName).name) ||
              constraints.some((c) => c.contype === 'CONSTR_IDENTITY' || c.contype === 'CONSTR_GENERATED');
            if (writesEveryRow)
              add(
                'rewrites-table',
                relation,
                `adds column ${table.label}.${def.colname} with a value computed for every row (the table is rewritten)`,
              );
            break;
          }
          case 'AT_SetNotNull': {
            const column = String(cmd.name);
            if (
              !range.notNullChecks.has(`${table.key}.${column}`) &&
              !(await hasNotNullCheck(client, table, column, range))
            ) {
              add(
                'scans-table',
                relation,
                `SET NOT NULL on ${table.label}.${column} without a validated CHECK (${column} IS NOT NULL) (reads every row, reads and writes wait)`,
              );
            }
            break;
          }
          case 'AT_SetLogged':
          case 'AT_SetUnLogged':
            add(
              'rewrites-table',
              relation,
              `SET ${cmd.subtype === 'AT_SetLogged' ? 'LOGGED' : 'UNLOGGED'} (the table is rewritten)`,
            );
            break;
          case 'AT_AddConstraint': {
            const c = cmd.def?.Constraint ?? {};
            const name = c.conname ? ` ${c.conname}` : '';
            if ((c.contype === 'CONSTR_CHECK' || c.contype === 'CONSTR_FOREIGN') && !c.skip_validation) {
              const check = c.contype === 'CONSTR_CHECK';
              add(
                'validates-rows',
                relation,
                `adds ${check ? 'CHECK' : 'FOREIGN KEY'}${name} without NOT VALID (reads every row while ${check ? 'reads and writes wait' : 'writes wait'})`,
                check ? 'scan' : 'foreign key validation',
              );
            } else if (
              ['CONSTR_UNIQUE', 'CONSTR_PRIMARY', 'CONSTR_EXCLUSION'].includes(c.contype ?? '') &&
              !c.indexname
            ) {
              const kind =
                c.contype === 'CONSTR_UNIQUE' ? 'UNIQUE' : c.contype === 'CONSTR_PRIMARY' ? 'PRIMARY KEY' : 'EXCLUDE';
              add('blocks-writes', relation, `adds ${kind}${name} building its index (reads and writes wait)`);
            }
            break;
          }
          default:
            break;
        }
      }
      break;
    }
    default:
      break;
  }
  return found;
}
