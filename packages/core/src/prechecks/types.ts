/**
 * What the pre-checks report: plain data, carried in a target's outcome and in the JSON report.
 */
import type { Remedy } from '../remedy';

/** The kinds of pre-check, one per way a statement can fail on rows a client already holds. */
export type PrecheckCode =
  | 'duplicates' // a new unique index, unique constraint or primary key
  | 'orphans' // a new foreign key
  | 'check-violations' // a new CHECK constraint
  | 'domain-violations' // a new domain constraint (CHECK or NOT NULL)
  | 'nulls' // SET NOT NULL, a primary key, ADD COLUMN NOT NULL without a default
  | 'overlaps' // a new exclusion constraint
  | 'type-change' // values a type change refuses (or, with an explicit cast, alters)
  | 'sequence-bounds' // a sequence or identity whose current value falls outside new bounds
  | 'partition-bounds' // ATTACH PARTITION: rows outside the partition's bounds
  | 'unmeasured'; // a statement whose checks could not be prepared (the reason says why)

export interface PrecheckResult {
  readonly code: PrecheckCode;
  /** The migration file (or `sync statement N`) and the file line of the statement. */
  readonly file: string;
  readonly line: number;
  /** The table read (schema-qualified as the statement names it). */
  readonly table: string;
  /** What the statement adds or changes, e.g. `unique index patients_mrn on patients (mrn)`. */
  readonly what: string;
  /** found: rows that the statement cannot take; clean: none; skipped: not measured (see reason). */
  readonly status: 'found' | 'clean' | 'skipped';
  /** Rows found (found and clean). */
  readonly count?: number;
  /** Duplicates, orphans, overlaps: how many distinct keys (or pairs) those rows make. */
  readonly groups?: number;
  /** A few offending keys, e.g. `mrn=M1 (2 rows)`. */
  readonly examples?: readonly string[];
  /** Skipped: why (too large, timed out, created earlier in the same run...). */
  readonly reason?: string;
  /** Skipped: what would let it run (a higher limit), worded by each front end. */
  readonly remedies?: readonly Remedy[];
}

/**
 * The hazard codes of statements that hold a strong lock for as long as they rewrite or scan a table; on
 * a large table each is acknowledged like a data loss: `allow rewrites-table public.orders`.
 */
export const LOCKING_CODES = ['rewrites-table', 'scans-table', 'blocks-writes', 'validates-rows'] as const;
export type LockingCode = (typeof LOCKING_CODES)[number];

/** A statement that rewrites or scans an existing table under a strong lock, with that table's size here. */
export interface LockedTable {
  readonly code: LockingCode;
  readonly file: string;
  readonly line: number;
  /** schema.table, as resolved on the target. */
  readonly table: string;
  /** What the statement does, e.g. `changes the type of column public.orders.total`. */
  readonly what: string;
  /** The planner's row estimate (pg_class.reltuples; counted up to the limit when never analyzed). */
  readonly rows: number;
  /** pg_total_relation_size: the table with its indexes and TOAST. */
  readonly bytes: number;
  /** What the lock is held for: `rewrite`, `index build`, `foreign key validation`, `scan`. */
  readonly work: string;
  /** Rough lock time in seconds: the size at the rate bench/prechecks.ts measured for that work (LOCK_RATES). */
  readonly estimatedSeconds: number;
  /** Above the large-table limit (rows or bytes). */
  readonly large: boolean;
  /** Acknowledged by --allow or a marker line: runs even when large. */
  readonly acknowledged: boolean;
}

/** What the pre-checks found on one target before it was touched. */
export interface PrecheckReport {
  readonly checks: readonly PrecheckResult[];
  readonly lockedTables: readonly LockedTable[];
  readonly durationMs: number;
}

export interface PrecheckOptions {
  /** A check on a table estimated above this many rows is skipped with a notice (default DEFAULT_PRECHECK_MAX_ROWS). */
  readonly maxRows?: number;
  /** statement_timeout of each check, ms (default DEFAULT_PRECHECK_TIMEOUT_MS); a check that runs out is skipped with a notice. */
  readonly timeoutMs?: number;
  /** A table above this many rows is large: a statement that locks it while rewriting or scanning is refused (default DEFAULT_LARGE_TABLE_ROWS). */
  readonly largeTableRows?: number;
  /** ... or above this many bytes (default DEFAULT_LARGE_TABLE_BYTES). */
  readonly largeTableBytes?: number;
}

export const DEFAULT_PRECHECK_MAX_ROWS = 10_000_000;
export const DEFAULT_PRECHECK_TIMEOUT_MS = 30_000;
export const DEFAULT_LARGE_TABLE_ROWS = 10_000;
export const DEFAULT_LARGE_TABLE_BYTES = 10 * 1024 * 1024;
