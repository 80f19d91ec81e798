/** The public shapes of the schema differ: plain data in, plain data out. */

export type ObjectKind =
  | 'schema'
  | 'extension'
  | 'collation'
  | 'enum'
  | 'domain'
  | 'composite type'
  | 'range type'
  | 'sequence'
  | 'table'
  | 'column'
  | 'constraint'
  | 'index'
  | 'view'
  | 'materialized view'
  | 'function'
  | 'procedure'
  | 'aggregate'
  | 'trigger'
  | 'policy'
  | 'rule'
  | 'statistics'
  | 'default privileges'
  | 'privilege'
  | 'comment'
  | DefinedObjectKind;

/** The kinds defined by a few statements and nothing else, compared by those statements (catalog.ts DefinedObjectInfo). */
export type DefinedObjectKind =
  | 'operator'
  | 'operator class'
  | 'operator family'
  | 'cast'
  | 'text search dictionary'
  | 'text search configuration'
  | 'event trigger'
  | 'publication';

export type StatementAction = 'create' | 'alter' | 'drop' | 'replace' | 'rename' | 'grant' | 'revoke' | 'comment';

export interface Hazard {
  /** Stable machine-readable code, e.g. `drops-data`, `rewrites-table`. */
  readonly code: string;
  /** One human sentence saying what the statement risks. */
  readonly message: string;
  /** schema.name of the table whose rows the statement meets, for hazards that depend on rows (fails-on-existing-rows). */
  readonly table?: string;
  /**
   * The object it concerns, as an acknowledgement names it (`public.orders`, `public.orders.total`;
   * unqualified when the SQL was), so callers match on code and object, never on `message`. Every hazard
   * of the differ has one (its statement's object unless it names another); the lint's when the SQL names it.
   */
  readonly object?: string;
  /** The acknowledgement code that answers it when that differs from `code`: `deletes-rows` for a DELETE or TRUNCATE of every row. */
  readonly acknowledgedAs?: string;
}

export interface DiffStatement {
  /** One SQL statement, without the trailing semicolon. */
  readonly sql: string;
  /** The object the statement is about; `name` is schema-qualified where the object lives in a schema. */
  readonly object: { readonly kind: ObjectKind; readonly name: string };
  readonly action: StatementAction;
  /** True when the statement throws away data or an object that held data or code. */
  readonly destructive: boolean;
  readonly hazards: readonly Hazard[];
  /** False where PostgreSQL refuses to run the statement inside a transaction block. */
  readonly transactional: boolean;
  /**
   * The step of a non-blocking change it belongs to (0 first). A statement of a later step runs only once
   * those of the steps before it have committed: in a later migration file (e.g. VALIDATE CONSTRAINT after
   * the ADD ... NOT VALID). Always 0 with `online: false`.
   */
  readonly step: number;
  /** For a statement of a non-blocking form: what it does, in plain words (for the migration file's header). */
  readonly note?: string;
}

export interface DiffOptions {
  /** Compare only this schema (as migra's --schema). */
  readonly schema?: string;
  /** Leave these schemas out of the comparison (migra allows one; we allow several). */
  readonly excludeSchemas?: readonly string[];
  /**
   * Also compare GRANTs on tables (and their columns), sequences, functions, schemas and types, and
   * ALTER DEFAULT PRIVILEGES.
   * Objects created by the migration start from `to`'s default privileges, as they would when the
   * migration runs as the role that built `to`.
   */
  readonly withPrivileges?: boolean;
  /**
   * Also compare owners (ALTER ... OWNER TO). An object created by the migration is taken to be owned by the
   * role that runs it, which is taken to be `to`'s database owner: only other owners are set.
   */
  readonly withOwners?: boolean;
  /** Emit only CREATE EXTENSION statements for extensions missing from `from`. */
  readonly createExtensionsOnly?: boolean;
  /** Do not compare (nor emit) extension versions. */
  readonly ignoreExtensionVersions?: boolean;
  /**
   * Non-blocking forms on tables that exist before the change (default true; docs/online.md): indexes
   * built and dropped CONCURRENTLY, foreign keys and checks added NOT VALID then validated in a later
   * step, SET NOT NULL through a validated CHECK, unique and primary keys through a concurrent unique
   * index, a volatile default through a nullable column and a batched backfill. `false`: the plain
   * forms, which block the table while they run (one step).
   */
  readonly online?: boolean;
  /**
   * Tables to leave out, with what hangs on them: `table` (any schema) or `schema.table`, each part
   * a glob (glob.ts), e.g. `audit.*`, `public.tmp_*`.
   */
  readonly excludeTables?: readonly string[];
  /** Compare the frameworks' bookkeeping tables too (FRAMEWORK_TABLES: django_migrations, ...), left out by default. */
  readonly includeFrameworkTables?: boolean;
}

export interface DiffResult {
  /** The statements that take `from` to `to`, in an order PostgreSQL accepts. Empty when equal. */
  readonly statements: readonly DiffStatement[];
  /**
   * Objects of kinds the differ does not compare (foreign tables, publications, event triggers), one line
   * each: present on one side only, or on both sides without their definitions being
   * compared.
   */
  readonly warnings: readonly string[];
  /** Tables left out by the options (frameworks' bookkeeping, exclude-table), "schema.table (why)", on either side. */
  readonly excludedTables?: readonly string[];
}
