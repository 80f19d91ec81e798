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
  /** The failing statement's first line, shortened. */
  readonly statement?: string;
  /** PostgreSQL's SQLSTATE, e.g. 42P01. */
  readonly sqlState?: string;
  /** The table PostgreSQL's error names (schema.name), when it names one. */
  readonly table?: string;
  /**
   * The failed migration may have left changes behind, unrecorded: a notransaction section (its earlier
   * statements stay; a failed CREATE INDEX CONCURRENTLY leaves an invalid index), or a migration that
   * committed its own transaction. Running it again would repeat them, so it is never retried
   * automatically, however transient the failure.
   */
  readonly partial?: boolean;
}

// The class carries the details as its own fields: declared once, in MigrationErrorDetails.
export interface MigrationError extends MigrationErrorDetails {}

/** One line, already redacted, naming the database and (for SQL errors) the file, line and statement. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';

  constructor(message: string, details: MigrationErrorDetails) {
    super(message);
    const { kind, database, fileName, version, line, statement, sqlState, table, partial } = details;
    Object.assign(this, { kind, database, fileName, version, line, statement, sqlState, table, partial });
  }
}
