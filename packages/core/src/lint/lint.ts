/**
 * The lint of migration SQL for operations that hurt a live database: data loss, table rewrites, locks
 * that block writes, validations that scan whole tables, statements PostgreSQL refuses in a transaction.
 * It reads each statement of our parser's sections (what sql-migrate sends, Up and Down, hand edits
 * included) with PostgreSQL's own parser (libpg-query), so strings, comments and function bodies are never
 * taken for statements. Hazard codes and wording are the differ's (diff/hazards.ts).
 *
 * A table is "existing" (it may hold rows and serve traffic) unless an earlier statement of the
 * migrations being linted created it. Down runs on the goal schema, so in a Down section every table is
 * existing; what the same file's Up created is only noted there (its loss is what reverting means).
 *
 * Volatility of functions lives in pg_proc, which a parser cannot see: a default is taken as volatile
 * when it calls one of VOLATILE_FUNCTIONS or a function created VOLATILE by the linted migrations.
 */
import { DEFAULT_LOCK_TIMEOUT_MS } from '../applier/lock-retry';
import { VOLATILE_FUNCTIONS } from '../pg/volatile-functions';
import { hazards } from '../diff/hazards';
import type { Hazard } from '../diff/types';
import type { MigrationFile, MigrationSection, MigrationStatement } from '../migrations/format';
import {
  type NodeOf,
  type ParsedSql,
  type PgNode,
  SqlSyntaxError,
  deepSome,
  fileLineAt,
  lastName,
  listItems,
  loadPgParser,
  nameOf,
  parseSql,
  relationName,
} from '../migrations/pg-parser';
import { DOWN_MARKER, NO_TRANSACTION_OPTION, UP_MARKER } from '../migrations/sql-migrate-syntax';
import { maskSql, splitTopLevel } from './sql-text';

export type LintLevel = 'error' | 'warning' | 'notice';
export type LintSection = 'up' | 'down';

export interface LintFinding {
  /** A hazard code of diff/hazards.ts (`drops-data`, `rewrites-table`...), `missing-lock-timeout`, or for errors `syntax-error` / `not-in-transaction`. */
  readonly code: string;
  /** `error`: the statement cannot run as written. `notice` findings are advice and never fail a check. */
  readonly level: LintLevel;
  readonly message: string;
  /** The migration file (as given). */
  readonly file: string;
  /** 1-based line in the file of the statement (or of its ALTER TABLE action). */
  readonly line: number;
  readonly section: LintSection;
  /** What a data-losing hazard loses and the code that acknowledges it (the Hazard's fields). */
  readonly object?: string;
  readonly acknowledgedAs?: string;
}

export interface LintInput {
  /** Path of the migration file, used in findings. */
  readonly path: string;
  readonly parsed: MigrationFile;
}

/**
 * Hazard codes the lint derives from the SQL as written, for every statement form the differ emits them
 * for: for these, the lint of an edited file is the authority. Others (`enum-recreated`, `recreates-object`,
 * `sequence-bounds`) need the catalog the differ compared, so only the differ's record knows them.
 */
export const LINT_HAZARD_CODES: ReadonlySet<string> = new Set([
  'drops-data',
  'drops-object',
  'fails-on-existing-rows',
  'rewrites-table',
  'scans-table',
  'blocks-writes',
  'validates-rows',
  'enum-value-added',
  'changes-access',
  'replica-identity',
]);

const SERIAL_TYPES = new Set(['serial', 'serial2', 'serial4', 'serial8', 'smallserial', 'bigserial']);

export interface LintOptions {
  /**
   * The column types before the first migration, `schema.table.column` -> format_type (e.g.
   * `character varying(64)`): a type change whose old type is known and that PostgreSQL makes without
   * rewriting (varchar(n) -> text, varchar(n) -> varchar(m >= n)) is then no rewrite.
   */
  readonly columnTypes?: ReadonlyMap<string, string>;
}

/** Lints the Up and Down sections of migrations in the order they apply (oldest first: tables created by an earlier one count as new). */
export async function lintMigrations(
  migrations: readonly LintInput[],
  options: LintOptions = {},
): Promise<LintFinding[]> {
  await loadPgParser();
  const findings: LintFinding[] = [];
  const createdByUp = new Set<string>();
  const volatileFunctions = new Set(VOLATILE_FUNCTIONS);
  // The Up sections one after the other build on each other: a CHECK (col IS NOT NULL) added NOT VALID by
  // one and validated by a later one lets SET NOT NULL skip its scan.
  const notNullChecks = new NotNullChecks();
  for (const migration of migrations) {
    const upCreated = new Set<string>();
    // Each section starts from the types known before the migration (a Down undoes its Up's changes).
    const types = new Map(options.columnTypes ?? []);
    new SectionLint(
      migration.path,
      'up',
      migration.parsed.up,
      createdByUp,
      upCreated,
      volatileFunctions,
      findings,
      types,
      notNullChecks,
    ).run();
    if (migration.parsed.down) {
      new SectionLint(
        migration.path,
        'down',
        migration.parsed.down,
        new Set(),
        upCreated,
        volatileFunctions,
        findings,
        new Map(types),
        new NotNullChecks(),
      ).run();
    }
  }
  return findings;
}

/** The CHECK (col IS NOT NULL) constraints seen, by `table.constraint`, and the columns one of them proves (validated). */
class NotNullChecks {
  readonly checks = new Map<string, string>();
  readonly proven = new Set<string>();
}

/** The format_type spelling of a parsed type name for the string types whose changes may skip the rewrite; undefined for others. */
function stringTypeName(typeName: NodeOf<'TypeName'> | undefined): string | undefined {
  const name = lastName(typeName?.names);
  const mods = typeName?.typmods ?? [];
  if (typeName?.arrayBounds) return undefined;
  if (name === 'text' && mods.length === 0) return 'text';
  if (name !== 'varchar') return undefined;
  if (mods.length === 0) return 'character varying';
  const length = mods[0]?.A_Const?.ival?.ival;
  return mods.length === 1 && length !== undefined ? `character varying(${length})` : undefined;
}

/** Whether changing a column from `from` to `to` (format_type spellings) keeps its values as they are, with no rewrite. */
function keepsValuesWithoutRewrite(from: string, to: string): boolean {
  if (from === to) return true;
  const varchar = /^character varying(?:\((\d+)\))?$/;
  const [a, b] = [varchar.exec(from), varchar.exec(to)];
  if (a && (to === 'text' || to === 'character varying')) return true;
  if (a && b) return b[1] === undefined || (a[1] !== undefined && Number(b[1]) >= Number(a[1]));
  return from === 'text' && to === 'character varying';
}

/** `public.users` for `users`: how PostgreSQL resolves a name without a search_path. */
function tableKey(name: string): string {
  return name.includes('.') ? name : `public.${name}`;
}

const OBJECT_WORDS: Record<string, string> = {
  OBJECT_TABLE: 'table',
  OBJECT_COLUMN: 'column',
  OBJECT_INDEX: 'index',
  OBJECT_VIEW: 'view',
  OBJECT_MATVIEW: 'materialized view',
  OBJECT_SEQUENCE: 'sequence',
  OBJECT_TYPE: 'type',
  OBJECT_DOMAIN: 'domain',
  OBJECT_FUNCTION: 'function',
  OBJECT_PROCEDURE: 'procedure',
  OBJECT_SCHEMA: 'schema',
  OBJECT_TABCONSTRAINT: 'constraint',
  OBJECT_TRIGGER: 'trigger',
  OBJECT_EXTENSION: 'extension',
  OBJECT_POLICY: 'policy',
  OBJECT_RULE: 'rule',
  OBJECT_FOREIGN_TABLE: 'foreign table',
  OBJECT_AGGREGATE: 'aggregate',
};

/** `table` for OBJECT_TABLE: an object type as a word. */
function objectWord(type: string | undefined): string {
  return OBJECT_WORDS[type ?? ''] ?? String(type).replace('OBJECT_', '').toLowerCase();
}

const RENAMES_BREAKING_CODE: ReadonlySet<string> = new Set([
  'OBJECT_TABLE',
  'OBJECT_COLUMN',
  'OBJECT_VIEW',
  'OBJECT_MATVIEW',
  'OBJECT_SEQUENCE',
  'OBJECT_FUNCTION',
  'OBJECT_PROCEDURE',
  'OBJECT_SCHEMA',
  'OBJECT_FOREIGN_TABLE',
]);

const ROW_SECURITY_ACTIONS: Record<string, string> = {
  AT_EnableRowSecurity: 'enable row level security',
  AT_DisableRowSecurity: 'disable row level security',
  AT_ForceRowSecurity: 'force row level security',
  AT_NoForceRowSecurity: 'no force row level security',
};

function roleNames(roles: readonly PgNode[] | undefined): string {
  return (roles ?? [])
    .map((r) =>
      r.RoleSpec?.roletype === 'ROLESPEC_PUBLIC'
        ? 'PUBLIC'
        : String(r.RoleSpec?.rolename ?? r.RoleSpec?.roletype ?? '?'),
    )
    .join(', ');
}

/** `grants SELECT, INSERT on table public.t to bob`: what a GRANT or REVOKE (or its default-privileges form) changes. */
/** The names a GRANT or REVOKE is on. */
function grantObjects(n: NodeOf<'GrantStmt'>): string[] {
  return (n.objects ?? []).map((o) =>
    o.RangeVar
      ? relationName(o.RangeVar)
      : o.String
        ? String(o.String.sval)
        : o.ObjectWithArgs
          ? nameOf(o.ObjectWithArgs.objname)
          : o.List
            ? nameOf(o.List.items)
            : '?',
  );
}

/** The one object of a list, or undefined when there are several (no one object to acknowledge). */
function soleObject(names: readonly string[]): string | undefined {
  return names.length === 1 ? names[0] : undefined;
}

function grantText(n: NodeOf<'GrantStmt'>): string {
  const privileges =
    (n.privileges ?? []).map((p) => String(p.AccessPriv?.priv_name ?? '').toUpperCase()).join(', ') || 'ALL';
  const kind = objectWord(n.objtype);
  const objects = grantObjects(n);
  const on =
    n.targtype === 'ACL_TARGET_ALL_IN_SCHEMA'
      ? `every ${kind} in schema ${objects.join(', ')}`
      : n.targtype === 'ACL_TARGET_DEFAULTS'
        ? `${kind}s`
        : `${kind} ${objects.join(', ')}`;
  return `${n.is_grant ? 'grants' : 'revokes'} ${privileges} on ${on} ${n.is_grant ? 'to' : 'from'} ${roleNames(n.grantees)}`;
}

class SectionLint {
  private lockTimeoutSet = false;
  private lockNoted = false;
  private readonly marker: string;

  constructor(
    private readonly file: string,
    private readonly section: LintSection,
    private readonly migrationSection: MigrationSection,
    /** Tables created so far by the statements linted before (new, so empty). */
    private readonly created: Set<string>,
    /** Tables and columns the file's Up creates; in Down their loss is only noted. */
    private readonly upCreated: Set<string>,
    private readonly volatileFunctions: Set<string>,
    private readonly findings: LintFinding[],
    /** Column types known so far (LintOptions.columnTypes, then what the section's statements set). */
    private readonly columnTypes: Map<string, string> = new Map(),
    private readonly notNullChecks: NotNullChecks = new NotNullChecks(),
  ) {
    this.marker = section === 'up' ? UP_MARKER : DOWN_MARKER;
  }

  run(): void {
    const parsedStatements: { statement: MigrationStatement; parsed: ParsedSql[] }[] = [];
    for (const statement of this.migrationSection.statements) {
      try {
        parsedStatements.push({ statement, parsed: parseSql(statement.sql) });
      } catch (error) {
        if (!(error instanceof SqlSyntaxError)) throw error;
        this.add(
          'error',
          'syntax-error',
          `PostgreSQL's parser refuses this statement: ${error.message}`,
          fileLineAt(statement, error.offset),
        );
      }
    }
    const all = parsedStatements.flatMap(({ statement, parsed }) =>
      parsed.map((s, i) => ({ statement, s, end: parsed[i + 1]?.offset ?? statement.sql.length })),
    );
    all.forEach(({ statement, s, end }, index) => {
      const line = fileLineAt(statement, s.offset);
      const later = all.slice(index + 1);
      this.statement(statement, s, end, line, later);
    });
  }

  private add(
    level: LintLevel,
    code: string,
    message: string,
    line: number,
    about: Pick<Hazard, 'object' | 'acknowledgedAs'> = {},
  ): void {
    this.findings.push({ code, level, message, file: this.file, line, section: this.section, ...about });
  }

  /** `object`: what the hazard concerns, as the SQL names it (an acknowledgement matches on it); undefined when it is no one object. */
  private hazard(
    hazard: Hazard,
    object: string | undefined,
    line: number,
    options: { hint?: string; createdByUp?: string } = {},
  ): void {
    // In Down, losing what the file's own Up created is what reverting it means: noted, not warned.
    const reverted =
      this.section === 'down' && options.createdByUp !== undefined && this.upCreated.has(options.createdByUp);
    const message =
      hazard.message +
      (options.hint ? ` (${options.hint})` : '') +
      (reverted ? ' (this Down reverts what the Up created)' : '');
    const about = {
      ...((hazard.object ?? object) ? { object: hazard.object ?? object } : {}),
      ...(hazard.acknowledgedAs ? { acknowledgedAs: hazard.acknowledgedAs } : {}),
    };
    this.add(reverted ? 'notice' : 'warning', hazard.code, message, line, about);
  }

  private refusedInTransaction(what: string, line: number): void {
    if (this.migrationSection.noTransaction) return;
    this.add(
      'error',
      'not-in-transaction',
      `${what} cannot run inside a transaction block, and this section runs in one: put it in a migration of its own marked "${this.marker} ${NO_TRANSACTION_OPTION}", so the rest stays atomic`,
      line,
    );
  }

  /** Says once per section that no lock_timeout bounds the wait for a lock on an existing table. */
  private locks(table: string, line: number): void {
    if (this.lockTimeoutSet || this.lockNoted) return;
    this.lockNoted = true;
    this.add(
      'notice',
      'missing-lock-timeout',
      `locks ${table} with no lock_timeout set before it: queued behind a long query, the lock blocks every other ` +
        `session on the table. db-migrate apply, up, down and sync set one (the lock timeout option, default ${DEFAULT_LOCK_TIMEOUT_MS} ms) and retry; ` +
        `if the file also runs elsewhere (sql-migrate, psql), add "SET lock_timeout = '1s';" before it`,
      line,
    );
  }

  private isNew(table: string): boolean {
    return this.created.has(tableKey(table));
  }

  private statement(
    statement: MigrationStatement,
    s: ParsedSql,
    end: number,
    line: number,
    later: readonly { statement: MigrationStatement; s: ParsedSql }[],
  ): void {
    const { kind, node: n } = s;
    switch (kind) {
      case 'VariableSetStmt':
        if (n.name === 'lock_timeout') this.lockTimeoutSet = n.kind !== 'VAR_RESET';
        return;
      case 'CreateStmt':
        for (const e of n.tableElts ?? []) {
          const type = stringTypeName(e.ColumnDef?.typeName);
          if (type) this.columnTypes.set(`${tableKey(relationName(n.relation))}.${e.ColumnDef?.colname}`, type);
        }
        this.created.add(tableKey(relationName(n.relation)));
        if (this.section === 'up') this.upCreated.add(tableKey(relationName(n.relation)));
        return;
      case 'CreateTableAsStmt':
        if (n.into?.rel) {
          this.created.add(tableKey(relationName(n.into.rel)));
          if (this.section === 'up') this.upCreated.add(tableKey(relationName(n.into.rel)));
        }
        return;
      case 'CreateFunctionStmt': {
        const volatility = n.options?.find((o) => o.DefElem?.defname === 'volatility')?.DefElem?.arg?.String?.sval;
        const name = lastName(n.funcname) ?? '';
        if (volatility === undefined || volatility === 'volatile') this.volatileFunctions.add(name);
        else this.volatileFunctions.delete(name);
        return;
      }
      case 'IndexStmt': {
        const table = relationName(n.relation);
        if (this.section === 'up' && n.idxname)
          this.upCreated.add(
            `index:${tableKey(n.relation?.schemaname ? `${n.relation.schemaname}.${n.idxname}` : n.idxname)}`,
          );
        if (n.concurrent) return this.refusedInTransaction('CREATE INDEX CONCURRENTLY', line);
        if (this.isNew(table)) return;
        const index = n.idxname
          ? n.relation?.schemaname
            ? `${n.relation.schemaname}.${n.idxname}`
            : n.idxname
          : table;
        this.hazard(hazards.blocksWrites(`index ${n.idxname ?? '(unnamed)'} on ${table}`), index, line, {
          hint: `use CREATE INDEX CONCURRENTLY in a "${this.marker} ${NO_TRANSACTION_OPTION}" migration of its own`,
        });
        return this.locks(table, line);
      }
      case 'ReindexStmt': {
        const concurrently = n.params?.some((p) => p.DefElem?.defname === 'concurrently');
        const wide = ['REINDEX_OBJECT_SCHEMA', 'REINDEX_OBJECT_DATABASE', 'REINDEX_OBJECT_SYSTEM'].includes(
          n.kind ?? '',
        );
        if (concurrently || wide)
          return this.refusedInTransaction(
            `REINDEX ${concurrently ? 'CONCURRENTLY' : String(n.kind).replace('REINDEX_OBJECT_', '')}`,
            line,
          );
        const target = n.relation ? relationName(n.relation) : String(n.name ?? '');
        return this.hazard(hazards.blocksWrites(`the indexes of ${target} again (REINDEX)`), target, line, {
          hint: 'use REINDEX CONCURRENTLY in a notransaction migration',
        });
      }
      case 'DropStmt':
        return this.drop(n, line);
      case 'GrantStmt':
        return this.hazard(hazards.changesAccess(grantText(n)), soleObject(grantObjects(n)), line);
      case 'AlterDefaultPrivilegesStmt':
        return this.hazard(
          hazards.changesAccess(`${grantText(n.action ?? {})} (default privileges of objects created later)`),
          undefined,
          line,
        );
      case 'GrantRoleStmt': {
        const granted = (n.granted_roles ?? []).map((r) => r.AccessPriv?.priv_name).join(', ');
        return this.hazard(
          hazards.changesAccess(
            `${n.is_grant ? 'grants' : 'revokes'} membership in ${granted} ${n.is_grant ? 'to' : 'from'} ${roleNames(n.grantee_roles)}`,
          ),
          granted,
          line,
        );
      }
      case 'CreatePolicyStmt':
        return this.hazard(
          hazards.changesAccess(`creates policy ${n.policy_name} on ${relationName(n.table)}`),
          `${relationName(n.table)}.${n.policy_name}`,
          line,
        );
      case 'AlterPolicyStmt':
        return this.hazard(
          hazards.changesAccess(`alters policy ${n.policy_name} on ${relationName(n.table)}`),
          `${relationName(n.table)}.${n.policy_name}`,
          line,
        );
      case 'AlterTableStmt':
        return this.alterTable(statement, s, end, line);
      case 'RenameStmt':
        return this.rename(n, line);
      case 'AlterEnumStmt': {
        const type = `enum ${nameOf(n.typeName)}`;
        if (n.oldVal !== undefined)
          return this.hazard(
            hazards.renames(`value '${n.oldVal}' of ${type}`, `'${n.newVal}'`),
            `${nameOf(n.typeName)}.${n.oldVal}`,
            line,
          );
        if (this.migrationSection.noTransaction) return;
        const user = later.find((l) => deepSome(l.s.node, (x) => x.A_Const?.sval?.sval === n.newVal));
        if (user)
          this.hazard(
            hazards.enumValueUsedInTransaction(
              `value '${n.newVal}' to ${type}`,
              fileLineAt(user.statement, user.s.offset),
            ),
            nameOf(n.typeName),
            line,
            {
              hint: 'add the value in a migration of its own, before the one that uses it: it commits there, in its own transaction',
            },
          );
        return;
      }
      case 'AlterDomainStmt': {
        const domain = `domain ${nameOf(n.typeName)}`;
        if (n.subtype === 'O') this.hazard(hazards.domainConstraint(`NOT NULL to ${domain}`), nameOf(n.typeName), line);
        else if (n.subtype === 'C' && !n.def?.Constraint?.skip_validation)
          this.hazard(
            hazards.domainConstraint(`constraint ${n.def?.Constraint?.conname ?? ''} to ${domain}`.replace('  ', ' ')),
            nameOf(n.typeName),
            line,
          );
        return;
      }
      case 'TruncateStmt':
        for (const r of n.relations ?? []) {
          const table = relationName(r.RangeVar);
          if (this.isNew(table)) continue;
          this.hazard(hazards.deletesRows('truncates', table), table, line, { createdByUp: tableKey(table) });
          this.locks(table, line);
        }
        return;
      case 'DeleteStmt':
      case 'UpdateStmt': {
        const table = relationName(n.relation);
        if (n.whereClause || this.isNew(table)) return;
        const hazard = kind === 'DeleteStmt' ? hazards.deletesRows('deletes', table) : hazards.updatesEveryRow(table);
        return this.hazard(hazard, table, line, { createdByUp: tableKey(table) });
      }
      case 'VacuumStmt': {
        if (!n.is_vacuumcmd) return; // ANALYZE
        const full = n.options?.some((o) => o.DefElem?.defname === 'full');
        this.refusedInTransaction(full ? 'VACUUM FULL' : 'VACUUM', line);
        if (!full) return;
        const tables = (n.rels ?? []).map((r) => relationName(r.VacuumRelation?.relation));
        this.hazard(
          hazards.rewritesWholeTable(
            'VACUUM FULL',
            tables.length > 0 ? tables.join(', ') : 'every table of the database',
          ),
          soleObject(tables),
          line,
        );
        return;
      }
      case 'ClusterStmt':
        if (!n.relation) {
          this.refusedInTransaction('CLUSTER without a table', line);
          return this.hazard(
            hazards.rewritesWholeTable('CLUSTER', 'every clustered table of the database'),
            undefined,
            line,
          );
        }
        if (this.isNew(relationName(n.relation))) return;
        this.hazard(hazards.rewritesWholeTable('CLUSTER', relationName(n.relation)), relationName(n.relation), line);
        return this.locks(relationName(n.relation), line);
      case 'CreatedbStmt':
        return this.refusedInTransaction('CREATE DATABASE', line);
      case 'DropdbStmt':
        return this.refusedInTransaction('DROP DATABASE', line);
      case 'AlterSystemStmt':
        return this.refusedInTransaction('ALTER SYSTEM', line);
      case 'CreateTableSpaceStmt':
        return this.refusedInTransaction('CREATE TABLESPACE', line);
      case 'DropTableSpaceStmt':
        return this.refusedInTransaction('DROP TABLESPACE', line);
      default:
        return;
    }
  }

  private drop(n: NodeOf<'DropStmt'>, line: number): void {
    const kind = objectWord(n.removeType);
    if (n.concurrent) this.refusedInTransaction(`DROP ${kind.toUpperCase()} CONCURRENTLY`, line);
    for (const object of n.objects ?? []) {
      const name = object.List
        ? nameOf(object.List.items)
        : object.String
          ? String(object.String.sval)
          : object.TypeName
            ? nameOf(object.TypeName.names)
            : object.ObjectWithArgs
              ? nameOf(object.ObjectWithArgs.objname)
              : '?';
      if (n.removeType === 'OBJECT_TABLE') {
        if (this.created.delete(tableKey(name))) continue;
        this.hazard(hazards.dropsData(`table ${name}`, name), name, line, { createdByUp: tableKey(name) });
        this.locks(name, line);
      } else if (n.removeType === 'OBJECT_POLICY') {
        const items = listItems(object);
        this.hazard(
          hazards.changesAccess(`drops policy ${lastName(items)} on ${nameOf(items.slice(0, -1))}`),
          `${nameOf(items.slice(0, -1))}.${lastName(items)}`,
          line,
        );
      } else if (n.removeType === 'OBJECT_INDEX' && !n.concurrent) {
        // CONCURRENTLY takes no lock that blocks queries.
        this.hazard(hazards.dropsIndex(`index ${name}`), name, line, {
          createdByUp: `index:${tableKey(name)}`,
          hint: `DROP INDEX CONCURRENTLY, in a "${this.marker} ${NO_TRANSACTION_OPTION}" migration of its own, blocks no query`,
        });
      } else if (n.removeType === 'OBJECT_SCHEMA') {
        this.hazard(
          n.behavior === 'DROP_CASCADE'
            ? hazards.dropsData(`schema ${name} and every table in it`)
            : hazards.dropsObject(`schema ${name}`),
          name,
          line,
        );
      } else if (n.removeType === 'OBJECT_MATVIEW' || n.removeType === 'OBJECT_SEQUENCE') {
        this.hazard(
          hazards.dropsObject(`${kind} ${name}${n.removeType === 'OBJECT_SEQUENCE' ? ' and its current value' : ''}`),
          name,
          line,
        );
      } else if (
        [
          'OBJECT_VIEW',
          'OBJECT_TYPE',
          'OBJECT_DOMAIN',
          'OBJECT_FUNCTION',
          'OBJECT_PROCEDURE',
          'OBJECT_EXTENSION',
          'OBJECT_AGGREGATE',
        ].includes(n.removeType ?? '')
      ) {
        this.hazard(hazards.dropsObject(`${kind} ${name}`), name, line);
      }
    }
  }

  private rename(n: NodeOf<'RenameStmt'>, line: number): void {
    // Names that running code uses in its queries; an index, constraint or type name it hardly ever does.
    if (!RENAMES_BREAKING_CODE.has(n.renameType ?? '')) return;
    const kind = objectWord(n.renameType);
    const table = n.relation ? relationName(n.relation) : undefined;
    if (table !== undefined && this.isNew(table)) return;
    let what: string;
    let object: string;
    if (n.renameType === 'OBJECT_COLUMN') {
      what = `column ${table}.${n.subname}`;
      object = `${table}.${n.subname}`;
    } else if (
      n.renameType === 'OBJECT_TABCONSTRAINT' ||
      n.renameType === 'OBJECT_TRIGGER' ||
      n.renameType === 'OBJECT_POLICY' ||
      n.renameType === 'OBJECT_RULE'
    ) {
      what = `${kind} ${n.subname} on ${table}`;
      object = `${table}.${n.subname}`;
    } else if (table !== undefined) {
      what = `${kind} ${table}`;
      object = table;
    } else {
      const o = n.object;
      object = `${o?.List ? nameOf(o.List.items) : o?.String ? o.String.sval : o?.ObjectWithArgs ? nameOf(o.ObjectWithArgs.objname) : '?'}`;
      what = `${kind} ${object}`;
    }
    this.hazard(hazards.renames(what, String(n.newname)), object, line);
  }

  private alterTable(statement: MigrationStatement, s: ParsedSql, end: number, line: number): void {
    if (s.kind !== 'AlterTableStmt') return;
    const n = s.node;
    if (n.objtype !== undefined && n.objtype !== 'OBJECT_TABLE') return;
    const table = relationName(n.relation);
    const cmds = (n.cmds ?? []).flatMap((c) => (c.AlterTableCmd ? [c.AlterTableCmd] : []));
    const isNew = this.isNew(table);
    for (const c of cmds) {
      const access = ROW_SECURITY_ACTIONS[c.subtype ?? ''];
      if (access) this.hazard(hazards.changesAccess(`${access} on ${table}`), table, line);
    }
    if (isNew) {
      if (this.section === 'up')
        for (const c of cmds)
          if (c.subtype === 'AT_AddColumn') this.upCreated.add(`${tableKey(table)}.${c.def?.ColumnDef?.colname}`);
      return;
    }
    const lines = this.actionLines(statement, s, end, cmds.length) ?? cmds.map(() => line);
    let locked = false;
    cmds.forEach((cmd, i) => {
      const at = lines[i]!;
      const found = this.findings.length;
      this.alterTableCmd(cmd, table, at);
      if (!locked) {
        locked = true;
        this.locks(table, found < this.findings.length ? this.findings[found]!.line : at);
      }
    });
  }

  private alterTableCmd(cmd: NodeOf<'AlterTableCmd'>, table: string, line: number): void {
    const column = (name: string | undefined) => `column ${table}.${name}`;
    const columnObject = (name: string | undefined) => `${table}.${name}`;
    const key = (name: string | undefined) => `${tableKey(table)}.${name}`;
    switch (cmd.subtype) {
      case 'AT_AddColumn': {
        const def = cmd.def?.ColumnDef ?? {};
        if (this.section === 'up') this.upCreated.add(key(def.colname));
        const added = stringTypeName(def.typeName);
        if (added) this.columnTypes.set(key(def.colname), added);
        const constraints = (def.constraints ?? []).flatMap((c) => (c.Constraint ? [c.Constraint] : []));
        const has = (type: string) => constraints.find((c) => c.contype === type);
        const typeName = lastName(def.typeName?.names);
        const defaultExpr = has('CONSTR_DEFAULT')?.raw_expr;
        const volatileDefault =
          defaultExpr !== undefined &&
          deepSome(
            defaultExpr,
            (x) => x.FuncCall !== undefined && this.volatileFunctions.has(lastName(x.FuncCall.funcname) ?? ''),
          );
        const addedColumn = columnObject(def.colname);
        if (has('CONSTR_GENERATED')) this.hazard(hazards.generatedStoredColumn(column(def.colname)), addedColumn, line);
        else if (has('CONSTR_IDENTITY'))
          this.hazard(hazards.volatileDefault(`identity column ${table}.${def.colname}`), addedColumn, line);
        else if (typeName !== undefined && SERIAL_TYPES.has(typeName))
          this.hazard(hazards.volatileDefault(`${typeName} ${column(def.colname)}`), addedColumn, line);
        else if (volatileDefault) this.hazard(hazards.volatileDefault(column(def.colname)), addedColumn, line);
        else if ((has('CONSTR_NOTNULL') || has('CONSTR_PRIMARY')) && !defaultExpr) {
          this.hazard(hazards.addNotNullColumn(column(def.colname)), addedColumn, line, {
            hint: 'add a DEFAULT, or add it nullable, backfill, then SET NOT NULL',
          });
        }
        return;
      }
      case 'AT_DropColumn':
        return this.hazard(hazards.dropsData(column(cmd.name), columnObject(cmd.name)), undefined, line, {
          createdByUp: key(cmd.name),
        });
      case 'AT_AlterColumnType': {
        const def = cmd.def?.ColumnDef ?? {};
        const from = this.columnTypes.get(key(cmd.name));
        const to = stringTypeName(def.typeName);
        this.columnTypes.delete(key(cmd.name));
        if (to) this.columnTypes.set(key(cmd.name), to);
        // USING the column itself (as the differ writes it), or none: the values stay as they are.
        const using = def.raw_default;
        const plainUsing =
          !using || [using, using.TypeCast?.arg].some((x) => x?.ColumnRef && lastName(x.ColumnRef.fields) === cmd.name);
        if (from && to && !def.collClause && plainUsing && keepsValuesWithoutRewrite(from, to)) return;
        return this.hazard(hazards.rewritesTable(column(cmd.name)), columnObject(cmd.name), line);
      }
      case 'AT_SetNotNull':
        // A validated CHECK (col IS NOT NULL) proves it: PostgreSQL 12+ skips the scan.
        if (this.notNullChecks.proven.has(key(cmd.name))) return;
        return this.hazard(hazards.setNotNull(column(cmd.name)), columnObject(cmd.name), line, {
          hint: 'add a CHECK (... IS NOT NULL) NOT VALID constraint and VALIDATE it first',
        });
      case 'AT_SetLogged':
        return this.hazard(hazards.setsPersistence(`table ${table}`, 'LOGGED'), table, line);
      case 'AT_SetUnLogged':
        return this.hazard(hazards.setsPersistence(`table ${table}`, 'UNLOGGED'), table, line);
      case 'AT_ReplicaIdentity': {
        const r = cmd.def?.ReplicaIdentityStmt;
        const identity =
          ({ d: 'DEFAULT', n: 'NOTHING', f: 'FULL' } as Record<string, string>)[r?.identity_type ?? ''] ??
          `USING INDEX ${r?.name}`;
        return this.hazard(hazards.replicaIdentity(table, identity), table, line);
      }
      case 'AT_ValidateConstraint': {
        const proves = this.notNullChecks.checks.get(`${tableKey(table)}.${cmd.name}`);
        if (proves) this.notNullChecks.proven.add(key(proves));
        return this.hazard(
          hazards.validatesExistingRows(`constraint ${cmd.name} on ${table}`),
          `${table}.${cmd.name}`,
          line,
        );
      }
      case 'AT_AddConstraint': {
        const c = cmd.def?.Constraint ?? {};
        const kind = (
          {
            CONSTR_CHECK: 'CHECK',
            CONSTR_FOREIGN: 'FOREIGN KEY',
            CONSTR_UNIQUE: 'UNIQUE',
            CONSTR_PRIMARY: 'PRIMARY KEY',
            CONSTR_EXCLUSION: 'EXCLUDE',
          } as Record<string, string>
        )[c.contype ?? ''];
        if (!kind) return;
        const what = `${kind} constraint ${c.conname ? `${c.conname} ` : ''}to ${table}`;
        const constraint = c.conname ? `${table}.${c.conname}` : table;
        const nullTest = c.raw_expr?.NullTest;
        const checked =
          nullTest?.nulltesttype === 'IS_NOT_NULL' ? lastName(nullTest.arg?.ColumnRef?.fields) : undefined;
        if (kind === 'CHECK' && checked && c.conname) {
          this.notNullChecks.checks.set(`${tableKey(table)}.${c.conname}`, checked);
          if (!c.skip_validation) this.notNullChecks.proven.add(key(checked));
        }
        if (kind === 'CHECK' || kind === 'FOREIGN KEY') {
          if (!c.skip_validation)
            this.hazard(hazards.validatesRows(what), constraint, line, {
              hint: 'add it NOT VALID, then VALIDATE CONSTRAINT in a later migration',
            });
        } else if (!c.indexname) {
          this.hazard(hazards.blocksWrites(`the index of ${what}`), constraint, line, {
            hint: 'build a unique index CONCURRENTLY first, then ADD CONSTRAINT ... USING INDEX',
          });
        }
        return;
      }
      default:
        return;
    }
  }

  /** The file line of each action of an ALTER TABLE (they are separated by top-level commas), when they can be told apart. */
  private actionLines(statement: MigrationStatement, s: ParsedSql, end: number, count: number): number[] | undefined {
    const text = maskSql(statement.sql.slice(0, end));
    const relationStart = s.offset + text.slice(s.offset).search(/\bTABLE\b/i) + 'TABLE'.length;
    // After TABLE: [IF EXISTS] [ONLY] name [*], then the first action.
    const head =
      /^\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?:"(?:[^"]|"")*"|[^\s."]+)(?:\s*\.\s*(?:"(?:[^"]|"")*"|[^\s."]+))?\s*\*?/i.exec(
        text.slice(relationStart),
      );
    if (!head) return undefined;
    const actionsStart = relationStart + head[0].length;
    const pieces = splitTopLevel(text.slice(actionsStart), actionsStart);
    if (pieces.length !== count) return undefined;
    return pieces.map((p) => fileLineAt(statement, p.offset + (p.text.length - p.text.trimStart().length)));
  }
}
