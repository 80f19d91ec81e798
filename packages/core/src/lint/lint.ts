/**
 * A small lint of migration SQL for operations that hurt a live database: locks that block writes,
 * table rewrites, data loss, validations that scan whole tables. It reads our parser's sections, so it
 * knows what sql-migrate runs: Up statements only, with the file line of each. Codes are the differ's
 * hazard codes (diff/hazards.ts), so a hazard reads the same whether the differ or the lint found it.
 *
 * It is deliberately a lint, not a parser: it matches statement shapes on SQL whose comments, strings
 * and function bodies are blanked out. A table is "existing" (and so may hold rows and serve traffic)
 * unless an earlier statement of the migrations being linted created it.
 */
import type { MigrationFile, MigrationStatement } from '../migrations/format';
import { NAME, maskSql, normalizeTableName, splitTopLevel } from './sql-text';

export type LintLevel = 'warning' | 'notice';

export interface LintFinding {
  /** e.g. `blocks-writes`, `drops-data`, `rewrites-table`, `missing-lock-timeout`. */
  readonly code: string;
  /** `notice` findings are advice and never fail a check, even with --fail-on-hazards. */
  readonly level: LintLevel;
  readonly message: string;
  /** The migration file (as given). */
  readonly file: string;
  /** 1-based line in the file. */
  readonly line: number;
}

export interface LintInput {
  /** Path of the migration file, used in findings. */
  readonly path: string;
  readonly parsed: MigrationFile;
}

const re = (source: string) => new RegExp(source, 'is');

const CREATE_TABLE = re(String.raw`^\s*CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:(?:TEMP|TEMPORARY|UNLOGGED)\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(${NAME})`);
const CREATE_INDEX = re(String.raw`^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(?:${NAME}\s+)?ON\s+(?:ONLY\s+)?(${NAME})`);
const DROP_TABLE = re(String.raw`^\s*DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(${NAME}(?:\s*,\s*${NAME})*)`);
const ALTER_TABLE = re(String.raw`^(\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(${NAME})\s*\*?\s+)(.*)$`);
const SET_LOCK_TIMEOUT = re(String.raw`^\s*SET\s+(?:LOCAL\s+|SESSION\s+)?lock_timeout\b`);

const DROP_COLUMN = re(String.raw`^\s*DROP\s+(?!CONSTRAINT\b)(?:COLUMN\s+)?(?:IF\s+EXISTS\s+)?(${NAME})`);
const ALTER_TYPE = re(String.raw`^\s*ALTER\s+(?:COLUMN\s+)?(${NAME})\s+(?:SET\s+DATA\s+)?TYPE\b`);
const SET_NOT_NULL = re(String.raw`^\s*ALTER\s+(?:COLUMN\s+)?(${NAME})\s+SET\s+NOT\s+NULL\b`);
const ADD_CONSTRAINT = re(String.raw`^\s*ADD\s+(?:CONSTRAINT\s+${NAME}\s+)?(CHECK|FOREIGN\s+KEY|UNIQUE|PRIMARY\s+KEY|EXCLUDE)\b(.*)$`);
const ADD_COLUMN = re(String.raw`^\s*ADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(${NAME})\s+(.*)$`);

/** The file line of an offset in a statement's SQL. */
function lineOf(statement: MigrationStatement, offset: number): number {
  const index = statement.sql.slice(0, offset).split('\n').length - 1;
  return statement.lines[index] ?? statement.line;
}

const shown = (table: string) => (table.startsWith('public.') ? table.slice('public.'.length) : table);
const unquote = (name: string) => (name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name.toLowerCase());

/**
 * Lints the Up sections of migrations in the order they apply. Tables created by an earlier migration
 * of the list count as new (empty), so list the migrations of one change together, oldest first.
 */
export function lintMigrations(migrations: readonly LintInput[]): LintFinding[] {
  const created = new Set<string>();
  const findings: LintFinding[] = [];
  for (const migration of migrations) {
    let lockTimeoutSet = false;
    let lockTimeoutReported = false;
    const add = (code: string, message: string, line: number, level: LintLevel = 'warning') =>
      findings.push({ code, level, message, file: migration.path, line });
    /** A statement that locks an existing table: say once per file if no lock_timeout bounds the wait. */
    const locks = (table: string, line: number) => {
      if (lockTimeoutSet || lockTimeoutReported) return;
      lockTimeoutReported = true;
      add(
        'missing-lock-timeout',
        `locks ${shown(table)} with no lock_timeout set before it: queued behind a long query, the lock blocks every other ` +
          `session on the table; add "SET lock_timeout = '5s';" before it, or apply with --lock-timeout`,
        line,
        'notice',
      );
    };

    for (const statement of migration.parsed.up.statements) {
      const sql = maskSql(statement.sql);
      const start = lineOf(statement, Math.max(0, sql.search(/\S/)));
      if (SET_LOCK_TIMEOUT.test(sql)) {
        lockTimeoutSet = true;
        continue;
      }
      let match = CREATE_TABLE.exec(sql);
      if (match) {
        created.add(normalizeTableName(match[1]));
        continue;
      }
      match = CREATE_INDEX.exec(sql);
      if (match) {
        const table = normalizeTableName(match[2]);
        if (!match[1] && !created.has(table)) {
          add(
            'blocks-writes',
            `CREATE INDEX on ${shown(table)} without CONCURRENTLY: blocks writes to the table while it builds ` +
              `(use CREATE INDEX CONCURRENTLY in a "-- +migrate Up notransaction" migration)`,
            start,
          );
          locks(table, start);
        }
        continue;
      }
      match = DROP_TABLE.exec(sql);
      if (match) {
        for (const name of match[1].split(',').map((n) => normalizeTableName(n.trim()))) {
          if (created.delete(name)) continue;
          add('drops-data', `drops table ${shown(name)}: the data it holds is lost`, start);
          locks(name, start);
        }
        continue;
      }
      match = ALTER_TABLE.exec(sql);
      if (match) {
        const table = normalizeTableName(match[2]);
        if (created.has(table)) continue;
        locks(table, start);
        for (const action of splitTopLevel(match[3], match[1].length)) {
          const line = lineOf(statement, action.offset + (action.text.length - action.text.trimStart().length));
          lintAlterTableAction(action.text, table, line, add);
        }
      }
    }
  }
  return findings;
}

function lintAlterTableAction(action: string, table: string, line: number, add: (code: string, message: string, line: number) => void): void {
  let match = DROP_COLUMN.exec(action);
  if (match) {
    add('drops-data', `drops column ${shown(table)}.${unquote(match[1])}: the data it holds is lost`, line);
    return;
  }
  match = ALTER_TYPE.exec(action);
  if (match) {
    add(
      'rewrites-table',
      `changes the type of ${shown(table)}.${unquote(match[1])}: may rewrite the table under an ACCESS EXCLUSIVE lock, and fails if existing values do not convert`,
      line,
    );
    return;
  }
  match = SET_NOT_NULL.exec(action);
  if (match) {
    add(
      'scans-table',
      `sets ${shown(table)}.${unquote(match[1])} NOT NULL: scans the whole table under an ACCESS EXCLUSIVE lock ` +
        `(add a CHECK (... IS NOT NULL) NOT VALID constraint and VALIDATE it first)`,
      line,
    );
    return;
  }
  match = ADD_CONSTRAINT.exec(action);
  if (match) {
    const kind = match[1].toUpperCase().replace(/\s+/g, ' ');
    const rest = match[2];
    if ((kind === 'CHECK' || kind === 'FOREIGN KEY') && !/\bNOT\s+VALID\b/i.test(rest)) {
      add(
        'validates-rows',
        `adds a ${kind} constraint to ${shown(table)} without NOT VALID: checks every existing row under a lock ` +
          `(add it NOT VALID, then VALIDATE CONSTRAINT in a later migration)`,
        line,
      );
    } else if ((kind === 'UNIQUE' || kind === 'PRIMARY KEY') && !/\bUSING\s+INDEX\b/i.test(rest)) {
      add(
        'blocks-writes',
        `adds a ${kind} constraint to ${shown(table)}: builds its index while blocking writes ` +
          `(build a unique index CONCURRENTLY first, then ADD CONSTRAINT ... USING INDEX)`,
        line,
      );
    }
    return;
  }
  match = ADD_COLUMN.exec(action);
  if (match) {
    const definition = match[2];
    const notNull = /\bNOT\s+NULL\b/i.test(definition) || /\bPRIMARY\s+KEY\b/i.test(definition);
    const filled = /\bDEFAULT\b/i.test(definition) || /\bGENERATED\b/i.test(definition) || /\b(?:SMALL|BIG)?SERIAL\d?\b/i.test(definition);
    if (notNull && !filled) {
      add('fails-on-existing-rows', `adds ${shown(table)}.${unquote(match[1])} NOT NULL without a default: fails if the table has rows`, line);
    }
  }
}
