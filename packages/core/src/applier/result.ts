import { errorCode } from '../error-codes';
import type { Remedy } from '../remedy';

/**
 * What up and down return instead of throwing (kysely's migrator shape): one result per migration they
 * meant to run, and the error that stopped them. Results before the error stay valid.
 */

export type MigrationDirection = 'up' | 'down';
export type MigrationOutcome = 'applied' | 'failed' | 'not-run';

export interface MigrationResult {
  readonly version: number;
  readonly fileName: string;
  readonly direction: MigrationDirection;
  readonly status: MigrationOutcome;
  /** The section ran statement by statement outside a transaction. */
  readonly noTransaction: boolean;
  readonly durationMs: number;
}

export interface MigrationRun {
  /** host:port/db, safe to print. */
  readonly database: string;
  readonly results: readonly MigrationResult[];
  /** The version the database is at afterwards (0: nothing applied); absent when it could not be read. */
  readonly version?: number;
  readonly error?: MigrationError;
}

export type MigrationErrorKind =
  /** Could not connect. */
  | 'connection'
  /** Another run held the migration lock for longer than the lock-wait timeout. */
  | 'lock-timeout'
  /** The database and the files disagree: a hole, or an applied migration whose file is gone. */
  | 'inconsistent'
  /** `to` names no version of the migration set. */
  | 'invalid-target'
  /** A migration to revert has no Down section, or is marked irreversible. */
  | 'irreversible'
  /** A statement (or the bookkeeping around it) failed on the server. */
  | 'sql'
  /** The migration records cannot be written safely: a missing right, a foreign owner, a trigger, a search_path mismatch. */
  | 'bookkeeping'
  /** The process got a signal: the migrations not started yet were left alone. */
  | 'interrupted';

export interface MigrationErrorDetails {
  readonly kind: MigrationErrorKind;
  readonly database: string;
  readonly fileName?: string;
  readonly version?: number;
  /** Line in the migration file of the failing statement. */
  readonly line?: number;
  /** The whole failing statement, redacted (the message quotes only its start). */
  readonly statement?: string;
  /** PostgreSQL's SQLSTATE, e.g. 42P01. */
  readonly sqlState?: string;
  /** The table PostgreSQL's error names (schema.name), when it names one. */
  readonly table?: string;
  /** PostgreSQL's DETAIL, e.g. `Key (mrn)=(M1) is duplicated.` (also on a line of its own in the message). */
  readonly detail?: string;
  readonly hint?: string;
  readonly constraint?: string;
  readonly column?: string;
  readonly dataType?: string;
  /** PostgreSQL's CONTEXT. */
  readonly where?: string;
  /**
   * The failed migration may have left changes behind, unrecorded: a notransaction section (its earlier
   * statements stay; a failed CREATE INDEX CONCURRENTLY leaves an invalid index), or a migration that
   * committed its own transaction. Running it again would repeat them, so it is never retried
   * automatically, however transient the failure.
   */
  readonly partial?: boolean;
  /** What a user would do to fix it (remedy.ts), worded by each front end; by default migrationRemedies. */
  readonly remedies?: readonly Remedy[];
}

/**
 * What fixes a failure by its kind and code, when an option of every command that migrates does: a
 * migration lock held too long (wait longer), a table lock not granted within the retry budget (retry
 * longer, or wait longer per attempt). None for the rest: a statement's own error is fixed in the migration.
 */
export function migrationRemedies(kind: MigrationErrorKind, code: string | undefined): readonly Remedy[] {
  if (kind === 'lock-timeout') return [{ kind: 'option', option: 'lockWaitTimeout', change: 'raise' }];
  if (code === '55P03')
    return [
      { kind: 'option', option: 'lockRetryBudget', change: 'raise' },
      { kind: 'option', option: 'lockTimeout', change: 'raise' },
    ];
  return [];
}

/** The kinds that refuse a run before anything ran: the database was not touched. */
const REFUSAL_KINDS: ReadonlySet<MigrationErrorKind> = new Set(['inconsistent', 'invalid-target', 'irreversible']);

// The class carries the details as its own fields: declared once, in MigrationErrorDetails.
export interface MigrationError extends MigrationErrorDetails {}

/**
 * One line, already redacted, naming the database and (for SQL errors) the file, line and statement,
 * followed by PostgreSQL's detail, hint and context on lines of their own.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the constructor assigns every detail (Object.assign)
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  /** refused: nothing ran (the plan was refused); failed: a step failed on the server (a transaction rolled back). */
  readonly outcome: 'refused' | 'failed';

  /** `cause`: what was thrown (its SQLSTATE or Node code, when the error is not a statement's). */
  constructor(message: string, details: MigrationErrorDetails, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    const defined = Object.entries(details).filter(([, value]) => value !== undefined);
    Object.assign(this, Object.fromEntries(defined));
    this.outcome = REFUSAL_KINDS.has(details.kind) ? 'refused' : 'failed';
    const remedies = details.remedies ?? migrationRemedies(details.kind, details.sqlState ?? errorCode(cause));
    if (remedies.length > 0) Object.assign(this, { remedies });
  }

  /** The --json report carries the message too (an Error's message is not enumerable). */
  toJSON(): MigrationErrorDetails & { readonly message: string; readonly outcome: string } {
    return { ...this, message: this.message };
  }
}
