/**
 * The statements a run would send, parsed with PostgreSQL's parser, one top-level statement each with
 * its file and line; what earlier statements of the same run create (the target cannot be asked about
 * those); and the text of the expressions a check re-uses (libpg-query has no deparser: an expression's
 * text is cut from the statement at the positions the parser gives, comments and literals masked).
 */
import { maskSql, splitTopLevel } from '../lint/sql-text';
import { quotedSpans } from '../migrations/sql-scan';
import type { MigrationSection } from '../migrations/format';
import {
  type NodeKind,
  type NodeOf,
  type ParsedSql,
  type PgNode,
  SqlSyntaxError,
  fileLineAt,
  lastName,
  listItems,
  loadPgParser,
  parseSql,
} from '../migrations/pg-parser';
import type { Migration } from '../migrations/store';
import { ident, literal, qualified } from '../diff/sql';

/** One statement of a run: where it is, its text, and its parsed node (`kind` tells the node's type). */
export type PendingStatement = {
  [K in NodeKind]: {
    /** The migration file (or `sync statement N`). */
    readonly file: string;
    readonly line: number;
    /** This one statement's text; the parser's locations are UTF-8 byte offsets into it. */
    readonly sql: string;
    readonly kind: K;
    readonly node: NodeOf<K>;
  };
}[NodeKind];

/** A constraint node's fields. */
export type ConstraintNode = NodeOf<'Constraint'>;

/** The statement `parsed` placed at `file` line `line`, its text `sql`. */
function placed(parsed: ParsedSql, file: string, line: number, sql: string): PendingStatement {
  // The kind and node come from one ParsedSql, so they still agree: only the offset is swapped for the place.
  return { file, line, sql, kind: parsed.kind, node: parsed.node } as PendingStatement;
}

function parsedStatements(sql: string, file: string, lineOf: (offset: number) => number): PendingStatement[] {
  let parsed: ReturnType<typeof parseSql>;
  try {
    parsed = parseSql(sql);
  } catch (error) {
    // The lint and the run name a syntax error; nothing here can be checked.
    if (error instanceof SqlSyntaxError) return [];
    throw error;
  }
  return parsed.map((s, i) => {
    const text = sql.slice(s.offset, parsed[i + 1]?.offset ?? sql.length);
    const [own] = parseSql(text);
    return placed(own ?? s, file, lineOf(s.offset), text);
  });
}

/** The statements of the migrations' Up (or Down) sections, in the order the run sends them. */
export async function migrationStatements(
  migrations: readonly Migration[],
  direction: 'up' | 'down',
): Promise<PendingStatement[]> {
  await loadPgParser();
  return migrations.flatMap((m) => {
    const section: MigrationSection | undefined = direction === 'up' ? m.parsed.up : m.parsed.down;
    return (section?.statements ?? []).flatMap((statement) =>
      parsedStatements(statement.sql, m.fileName, (offset) => fileLineAt(statement, offset)),
    );
  });
}

/** Statements given as SQL (sync's), named `sync statement N`. */
export async function sqlStatements(sqls: readonly string[], label: string): Promise<PendingStatement[]> {
  await loadPgParser();
  return sqls.flatMap((sql, i) =>
    parsedStatements(sql, `${label} ${i + 1}`, (offset) => sql.slice(0, offset).split('\n').length),
  );
}

/** `public.users` for `users`: how lint and this module key a name (the run's search_path is not known here). */
export function nameKey(schema: string | undefined, name: string): string {
  return `${schema ?? 'public'}.${name}`;
}

/** A RangeVar as SQL (`"s"."t"` or `"t"`, resolved by the target's search_path) and as its key. */
export function tableOf(range: NodeOf<'RangeVar'>): {
  readonly sql: string;
  readonly key: string;
  readonly label: string;
} {
  const name = String(range.relname);
  return {
    sql: range.schemaname ? qualified(range.schemaname, name) : ident(name),
    key: nameKey(range.schemaname, name),
    label: range.schemaname ? `${range.schemaname}.${name}` : name,
  };
}

/** Objects that earlier statements of the run create or rename: the target does not hold them yet. */
export class PendingRange {
  private readonly made = new Map<string, string>();
  /** Enum types created in the run: their labels (what a type change to them accepts). */
  readonly enums = new Map<string, readonly string[]>();
  /** CHECK (col IS NOT NULL) constraints validated in the run, as `table.col`: SET NOT NULL then scans nothing. */
  readonly notNullChecks = new Set<string>();
  private readonly pendingNotNullChecks = new Map<string, string>();
  /** Constraints validated in the run (VALIDATE CONSTRAINT), as `table:name`. */
  readonly validated = new Set<string>();
  /** CHECK and foreign keys added NOT VALID in the run, by `table:name`: what a later VALIDATE checks. */
  readonly notValid = new Map<string, { readonly statement: PendingStatement; readonly constraint: ConstraintNode }>();

  /**
   * Columns added in the run whose every value is still known (`table.col` -> SQL of the value: the
   * constant default, or NULL): until a later statement may write rows (UPDATE, INSERT, COPY, DO, CALL,
   * a SELECT that may call a function) or changes its type or default.
   */
  private readonly known = new Map<string, string>();

  /** The SQL of the one value every row holds in a column added earlier in the run, if known. */
  knownValue(column: string): string | undefined {
    return this.known.get(column);
  }

  /** Where an earlier statement of the run made the table (or `table.column`, `type:name`, `sequence:name`); undefined when it did not. */
  madeBy(key: string): string | undefined {
    return this.made.get(key);
  }

  /** Records what a statement creates or renames (call after checking it). */
  note(s: PendingStatement): void {
    const at = `${s.file} line ${s.line}`;
    const { kind, node: n } = s;
    const table = (range: NodeOf<'RangeVar'> | undefined) => (range ? tableOf(range).key : undefined);
    switch (kind) {
      case 'CreateStmt':
      case 'CreateTableAsStmt': {
        const key = table(kind === 'CreateStmt' ? n.relation : n.into?.rel);
        if (key) this.made.set(key, at);
        return;
      }
      case 'CreateSeqStmt':
        this.made.set(`sequence:${table(n.sequence)}`, at);
        return;
      case 'CreateEnumStmt': {
        const key = `type:${typeKey(n.typeName)}`;
        this.made.set(key, at);
        this.enums.set(
          typeKey(n.typeName),
          (n.vals ?? []).map((v) => String(v.String?.sval)),
        );
        return;
      }
      case 'CreateDomainStmt':
      case 'CompositeTypeStmt':
        this.made.set(
          `type:${typeKey(kind === 'CreateDomainStmt' ? n.domainname : [{ String: { sval: n.typevar?.relname } }])}`,
          at,
        );
        return;
      case 'RenameStmt': {
        if (n.renameType === 'OBJECT_TABLE' && n.relation)
          this.made.set(nameKey(n.relation.schemaname, String(n.newname)), at);
        else if (n.renameType === 'OBJECT_COLUMN' && n.relation) this.made.set(`${table(n.relation)}.${n.newname}`, at);
        else if (n.renameType === 'OBJECT_TYPE' && n.object?.List)
          this.made.set(`type:${typeKey([...listItems(n.object).slice(0, -1), { String: { sval: n.newname } }])}`, at);
        return;
      }
      case 'UpdateStmt':
      case 'InsertStmt':
      case 'MergeStmt':
      case 'CopyStmt':
      case 'DoStmt':
      case 'CallStmt':
      case 'SelectStmt':
        this.known.clear();
        return;
      case 'AlterTableStmt': {
        const key = table(n.relation);
        for (const cmd of alterTableCmds(n)) {
          if (cmd.subtype === 'AT_AddColumn' && cmd.def?.ColumnDef) {
            this.made.set(`${key}.${cmd.def.ColumnDef.colname}`, at);
            const value = addedValue(cmd.def.ColumnDef);
            if (value !== undefined) this.known.set(`${key}.${cmd.def.ColumnDef.colname}`, value);
          }
          if (['AT_AlterColumnType', 'AT_ColumnDefault', 'AT_DropColumn'].includes(cmd.subtype ?? '') && cmd.name)
            this.known.delete(`${key}.${cmd.name}`);
          const c = cmd.subtype === 'AT_AddConstraint' ? cmd.def?.Constraint : undefined;
          if (c?.skip_validation && c.conname)
            this.notValid.set(`${key}:${c.conname}`, { statement: s, constraint: c });
          const column = c?.contype === 'CONSTR_CHECK' ? notNullColumn(c.raw_expr) : undefined;
          if (column !== undefined) {
            if (c!.skip_validation) this.pendingNotNullChecks.set(`${key}:${c!.conname}`, `${key}.${column}`);
            else this.notNullChecks.add(`${key}.${column}`);
          }
          if (cmd.subtype === 'AT_ValidateConstraint') this.validated.add(`${key}:${cmd.name}`);
          const validated =
            cmd.subtype === 'AT_ValidateConstraint' ? this.pendingNotNullChecks.get(`${key}:${cmd.name}`) : undefined;
          if (validated) this.notNullChecks.add(validated);
        }
        return;
      }
      default:
        return;
    }
  }
}

/** The commands of an ALTER TABLE. */
export function alterTableCmds(n: NodeOf<'AlterTableStmt'>): NodeOf<'AlterTableCmd'>[] {
  return (n.cmds ?? []).flatMap((c) => (c.AlterTableCmd ? [c.AlterTableCmd] : []));
}

/** The constraints written on a column definition. */
export function columnConstraints(def: NodeOf<'ColumnDef'>): ConstraintNode[] {
  return (def.constraints ?? []).flatMap((c) => (c.Constraint ? [c.Constraint] : []));
}

/** The value every existing row gets in a column added with no default (NULL) or a constant one; undefined otherwise. */
function addedValue(def: NodeOf<'ColumnDef'>): string | undefined {
  const constraints = columnConstraints(def);
  if (constraints.some((c) => c.contype === 'CONSTR_IDENTITY' || c.contype === 'CONSTR_GENERATED')) return undefined;
  if (['serial', 'serial2', 'serial4', 'serial8', 'smallserial', 'bigserial'].includes(typeParts(def.typeName).name))
    return undefined;
  const expr = constraints.find((c) => c.contype === 'CONSTR_DEFAULT')?.raw_expr;
  const c = expr ? expr.A_Const : { isnull: true };
  if (!c) return undefined;
  if (c.isnull) return `NULL::${typeSql(def.typeName)}`;
  const raw = constantText(c);
  return raw === undefined ? undefined : `${literal(raw)}::${typeSql(def.typeName)}`;
}

/** A constant's value as text (string, integer, numeric or boolean); undefined for any other constant. */
export function constantText(c: NodeOf<'A_Const'>): string | undefined {
  if (c.sval) return String(c.sval.sval);
  if (c.ival) return String(c.ival.ival ?? 0);
  if (c.fval) return String(c.fval.fval);
  if (c.boolval) return String(c.boolval.boolval ?? false);
  return undefined;
}

/** The column of `col IS NOT NULL`, else undefined. */
function notNullColumn(expr: PgNode | undefined): string | undefined {
  const test = expr?.NullTest;
  if (test?.nulltesttype !== 'IS_NOT_NULL') return undefined;
  const fields = test.arg?.ColumnRef?.fields;
  return fields?.length === 1 ? fields[0]!.String?.sval : undefined;
}

/** A type name (list of String nodes) as a key: `public.mood`. */
export function typeKey(names: readonly PgNode[] | undefined): string {
  const parts = (names ?? []).map((p) => String(p.String?.sval ?? ''));
  return parts.length === 1 ? nameKey(undefined, parts[0]!) : parts.join('.');
}

/** A TypeName node as SQL: `pg_catalog.varchar(20)`, `public.mood[]`. */
export function typeSql(typeName: NodeOf<'TypeName'> | undefined): string {
  const names = (typeName?.names ?? []).map((p) => String(p.String?.sval ?? ''));
  const base = names.map((n) => (/^[a-z_][a-z0-9_]*$/.test(n) ? n : ident(n))).join('.');
  const mods = (typeName?.typmods ?? []).map((m) => m.A_Const?.ival?.ival ?? m.A_Const?.sval?.sval ?? '');
  const bounds = (typeName?.arrayBounds ?? []).map(() => '[]').join('');
  return `${base}${mods.length ? `(${mods.join(',')})` : ''}${bounds}`;
}

/** The type name's last part and its integer modifiers: `varchar`, [20]. */
export function typeParts(typeName: NodeOf<'TypeName'> | undefined): {
  readonly name: string;
  readonly mods: readonly number[];
  readonly array: boolean;
} {
  const name = lastName(typeName?.names) ?? '';
  const mods = (typeName?.typmods ?? []).map((m) => Number(m.A_Const?.ival?.ival ?? NaN));
  return { name, mods, array: (typeName?.arrayBounds ?? []).length > 0 };
}

/** Positions in a statement's text: the parser counts UTF-8 bytes, strings count characters. */
export class StatementText {
  /** Comments, and the insides of literals, blanked (same length): where words and parentheses are. */
  readonly masked: string;
  /** Comments blanked (same length): the text cut out, safe to embed in a query. */
  private readonly sql: string;
  private readonly bytes: Buffer;
  constructor(sql: string) {
    this.masked = maskSql(sql);
    this.bytes = Buffer.from(sql, 'utf8');
    let text = sql;
    for (const span of quotedSpans(sql)) {
      if (span.kind === 'line comment' || span.kind === 'block comment')
        text = text.slice(0, span.start) + ' '.repeat(span.end - span.start) + text.slice(span.end);
    }
    this.sql = text;
  }

  /** Character offset of a parser location (bytes). */
  at(location: number): number {
    return location <= 0 ? 0 : this.bytes.subarray(0, location).toString('utf8').length;
  }

  /** The smallest location in a node's subtree, as a character offset (undefined when it has none). */
  start(node: unknown): number | undefined {
    let min: number | undefined;
    const walk = (n: unknown) => {
      if (Array.isArray(n)) return n.forEach(walk);
      if (n === null || typeof n !== 'object') return;
      for (const [k, v] of Object.entries(n)) {
        if (k === 'location' && typeof v === 'number' && v >= 0) min = min === undefined ? v : Math.min(min, v);
        else walk(v);
      }
    };
    walk(node);
    return min === undefined ? undefined : this.at(min);
  }

  /** The first `keyword` (a whole word, outside literals and comments) at or after `from`. */
  keyword(keyword: string, from: number): number | undefined {
    const re = new RegExp(`\\b${keyword}\\b`, 'ig');
    re.lastIndex = from;
    const match = re.exec(this.masked);
    return match ? match.index : undefined;
  }

  /** The text between two offsets (comments blanked). */
  slice(from: number, to?: number): string {
    return this.sql.slice(from, to).trim();
  }

  /** The parenthesized group that starts at the first "(" at or after `from`: its inside and where it ends. */
  group(from: number): { readonly inside: string; readonly start: number; readonly end: number } | undefined {
    const open = this.masked.indexOf('(', from);
    if (open < 0) return undefined;
    let depth = 0;
    for (let i = open; i < this.masked.length; i++) {
      if (this.masked[i] === '(') depth++;
      else if (this.masked[i] === ')' && --depth === 0)
        return { inside: this.sql.slice(open + 1, i), start: open + 1, end: i + 1 };
    }
    return undefined;
  }

  /** The group's top-level comma-separated items, each as its text and masked text. */
  items(group: { readonly start: number; readonly end: number }): { readonly text: string; readonly masked: string }[] {
    return splitTopLevel(this.masked.slice(group.start, group.end - 1), group.start).map((p) => {
      const lead = p.text.length - p.text.trimStart().length;
      const trail = p.text.trimEnd().length;
      return { text: this.sql.slice(p.offset + lead, p.offset + trail), masked: p.text.slice(lead, trail) };
    });
  }

  /** From `from` to the next top-level comma, closing parenthesis or semicolon (an expression in a list). */
  untilListEnd(from: number): string {
    let depth = 0;
    let i = from;
    for (; i < this.masked.length; i++) {
      const c = this.masked[i];
      if (c === '(') depth++;
      else if (c === ')' && depth-- === 0) break;
      else if ((c === ',' || c === ';') && depth === 0) break;
    }
    return this.sql.slice(from, i).trim();
  }
}

/**
 * An index element's expression: `lower(email)` of `lower(email) DESC`, `(a + b)` of `(a + b) COLLATE "C"`
 * (an expression element is a function call or parenthesized, so it ends at its last closing parenthesis).
 */
export function elementExpression(item: { readonly text: string; readonly masked: string }): string {
  const end = item.masked.lastIndexOf(')');
  return end < 0 ? item.text : item.text.slice(0, end + 1);
}
