/**
 * One function per kind of pre-check: from a parsed statement, the read-only query that finds the rows a
 * client already holds that the statement cannot take (duplicates for a new unique key, orphans for a
 * foreign key, rows failing a CHECK, a domain constraint or NOT NULL, overlaps for an exclusion
 * constraint, values a type change refuses, a sequence beyond new bounds). Each query returns one row per
 * offending key (or row) as `example` text and `rows`; run.ts counts them and keeps a few examples. A
 * statement on something an earlier statement of the same run creates is skipped with the reason: the
 * target cannot answer for it yet, and nothing is guessed.
 */
import type { Client } from 'pg';
import { ident, literal } from '../diff/sql';
import { type NodeKind, type NodeOf, type PgNode, lastName, listItems } from '../migrations/pg-parser';
import type { PrecheckCode } from './types';
import {
  type ConstraintNode,
  type PendingRange,
  type PendingStatement,
  StatementText,
  alterTableCmds,
  columnConstraints,
  elementExpression,
  tableOf,
  typeKey,
  typeParts,
  typeSql,
  constantText,
} from './statements';

export interface PlannedCheck {
  readonly code: PrecheckCode;
  readonly file: string;
  readonly line: number;
  readonly table: string;
  /** The table as SQL, for its size (absent for a sequence). */
  readonly tableSql?: string;
  readonly what: string;
  /** Returns `example` (text) and `rows` (bigint), one row per offending key, row or pair. */
  readonly query?: string;
  /** Not measured, and why. */
  readonly skip?: string;
  /** The query stops at the first value PostgreSQL refuses (it raises): found means "at least one". */
  readonly raises?: boolean;
}

type Table = ReturnType<typeof tableOf>;

/** A pending statement of one kind. */
type StatementOf<K extends NodeKind> = Extract<PendingStatement, { readonly kind: K }>;

/** `mrn=' || coalesce(...)`: the SQL of an example key, `mrn=M1, site=2`. */
function keyText(keys: readonly { readonly label: string; readonly sql: string }[]): string {
  const parts = keys.map((k) => `${literal(`${k.label}=`)} || coalesce((${k.sql})::text, 'NULL')`);
  return parts.length === 1 ? parts[0]! : `concat_ws(', ', ${parts.join(', ')})`;
}

/** The primary key columns of a table on the target ([] without one; undefined when the table does not exist). */
async function primaryKey(client: Client, table: Table): Promise<string[] | undefined> {
  const { rows } = await client.query<{ exists: boolean; cols: string[] | null }>(
    `SELECT to_regclass($1) IS NOT NULL AS exists,
            (SELECT array_agg(a.attname::text ORDER BY array_position(i.indkey::int2[], a.attnum))
               FROM pg_catalog.pg_index i JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])
              WHERE i.indrelid = to_regclass($1) AND i.indisprimary) AS cols`,
    [table.sql],
  );
  return rows[0]?.exists ? (rows[0].cols ?? []) : undefined;
}

/** The SQL naming one row by its primary key (`id=3`), or by its physical position without one. */
async function rowKey(client: Client, table: Table, alias?: string): Promise<string> {
  const key = (await primaryKey(client, table)) ?? [];
  const column = (c: string) => (alias ? `${alias}.${ident(c)}` : ident(c));
  if (key.length === 0) return `'ctid=' || ${alias ? `${alias}.` : ''}ctid::text`;
  return keyText(key.map((c) => ({ label: c, sql: column(c) })));
}

function base(code: PrecheckCode, s: PendingStatement, table: Table, what: string) {
  return { code, file: s.file, line: s.line, table: table.label, tableSql: table.sql, what };
}

/**
 * Why a check on `table` (and these columns of it) cannot be run on the target yet, if so. `valued`:
 * columns the check can read as the one value a column added earlier in the run holds (columnSql).
 */
function madeInRun(
  range: PendingRange,
  table: Table,
  columns: readonly string[] = [],
  valued: readonly string[] = [],
): string | undefined {
  const made = range.madeBy(table.key);
  if (made) return `the table is created by ${made}, earlier in this run: the target holds none of its rows yet`;
  for (const c of columns) {
    const by = range.madeBy(`${table.key}.${c}`);
    if (by && !(valued.includes(c) && range.knownValue(`${table.key}.${c}`) !== undefined))
      return `column ${c} is added (or renamed) by ${by}, earlier in this run: its values are not on the target yet`;
  }
  return undefined;
}

/** A column as SQL: its one known value when an earlier statement of the run added it (a constant default, or NULL). */
function columnSql(range: PendingRange, table: Table, column: string, alias?: string): string {
  return range.knownValue(`${table.key}.${column}`) ?? (alias ? `${alias}.${ident(column)}` : ident(column));
}

/** The column names a parse-tree expression refers to (unqualified or as the table's). */
function columnsIn(node: unknown): string[] {
  const found = new Set<string>();
  const walk = (n: unknown) => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (n === null || typeof n !== 'object') return;
    // Any object of the tree is a node wrapper or a node's fields: read as a wrapper, only wrappers match.
    const ref = (n as PgNode).ColumnRef;
    const element = (n as PgNode).IndexElem;
    if (element?.name) found.add(String(element.name));
    if (ref) {
      const last = lastName(ref.fields);
      if (last) found.add(String(last));
    }
    Object.values(n).forEach(walk);
  };
  walk(node);
  return [...found];
}

/** Duplicates for a new unique index: keys (columns or expressions) held by more than one row. */
export async function duplicatesOfIndex(
  s: StatementOf<'IndexStmt'>,
  range: PendingRange,
): Promise<PlannedCheck | undefined> {
  const n = s.node;
  if (!n.unique || !n.relation) return undefined;
  const table = tableOf(n.relation);
  const text = new StatementText(s.sql);
  const elems = (n.indexParams ?? []).flatMap((p) => (p.IndexElem ? [p.IndexElem] : []));
  const what = `unique index ${n.idxname ?? '(unnamed)'} on ${table.label}`;
  const named = elems.filter((e) => e.name).map((e) => String(e.name));
  const skip = madeInRun(
    range,
    table,
    columnsIn([n.indexParams, n.whereClause]),
    named.filter((c) => !columnsIn([elems.filter((e) => !e.name), n.whereClause]).includes(c)),
  );
  if (skip) return { ...base('duplicates', s, table, what), skip };
  const group = text.group(text.at(n.relation.location ?? 0));
  const items = group ? text.items(group) : [];
  if (!group || items.length !== elems.length)
    return { ...base('duplicates', s, table, what), skip: 'its key list could not be read from the statement' };
  const keys = elems.map((e, i) =>
    e.name
      ? { label: String(e.name), sql: columnSql(range, table, String(e.name)) }
      : { label: elementExpression(items[i]!), sql: elementExpression(items[i]!) },
  );
  const whereAt = n.whereClause ? text.keyword('WHERE', group.end) : undefined;
  const where = whereAt !== undefined ? text.slice(whereAt + 'WHERE'.length).replace(/;\s*$/, '') : undefined;
  return {
    ...base(
      'duplicates',
      s,
      table,
      `${what} (${keys.map((k) => k.label).join(', ')})${where ? ` WHERE ${where}` : ''}`,
    ),
    query: duplicatesQuery(table, keys, where, !!n.nulls_not_distinct),
  };
}

function duplicatesQuery(
  table: Table,
  keys: readonly { readonly label: string; readonly sql: string }[],
  where: string | undefined,
  nullsNotDistinct: boolean,
): string {
  // NULLS DISTINCT (the default): a key with a NULL in it never collides; GROUP BY would put NULLs together.
  const conditions = [
    ...(where ? [`(${where})`] : []),
    ...(nullsNotDistinct ? [] : keys.map((k) => `(${k.sql}) IS NOT NULL`)),
  ];
  return `SELECT ${keyText(keys)} AS example, count(*) AS rows FROM ${table.sql}${conditions.length ? ` WHERE ${conditions.join(' AND ')}` : ''} GROUP BY ${keys.map((k) => `(${k.sql})`).join(', ')} HAVING count(*) > 1`;
}

/** Duplicates (and NULLs, for a primary key) for ADD CONSTRAINT ... UNIQUE / PRIMARY KEY (cols). */
export function keyConstraintChecks(
  s: PendingStatement,
  table: Table,
  c: ConstraintNode,
  range: PendingRange,
): PlannedCheck[] {
  if (c.indexname) return []; // USING INDEX: the unique index exists already, built on these rows
  const columns = (c.keys ?? []).map((k) => String(k.String?.sval));
  const primary = c.contype === 'CONSTR_PRIMARY';
  const what =
    `${primary ? 'primary key' : 'unique constraint'} ${c.conname ?? ''} on ${table.label} (${columns.join(', ')})`.replace(
      '  ',
      ' ',
    );
  const skip = madeInRun(range, table, columns, columns);
  if (skip) return [{ ...base('duplicates', s, table, what), skip }];
  const keys = columns.map((k) => ({ label: k, sql: columnSql(range, table, k) }));
  const checks: PlannedCheck[] = [
    { ...base('duplicates', s, table, what), query: duplicatesQuery(table, keys, undefined, !!c.nulls_not_distinct) },
  ];
  if (primary)
    checks.push({
      ...base('nulls', s, table, what),
      query: `SELECT ${keyText(keys)} AS example, count(*) AS rows FROM ${table.sql} WHERE ${keys.map((k) => `${k.sql} IS NULL`).join(' OR ')} GROUP BY ${keys.map((k) => k.sql).join(', ')}`,
    });
  return checks;
}

/** Plans the check of the existing rows a new (or newly validated) constraint `c` of `table` would refuse. */
type ConstraintRowsCheck = (
  client: Client,
  s: PendingStatement,
  table: Table,
  c: ConstraintNode,
  range: PendingRange,
) => Promise<PlannedCheck | undefined>;

/**
 * Orphans for a new foreign key: rows whose key no row of the referenced table holds. MATCH SIMPLE (the
 * default): a row with any NULL in its key is no orphan; MATCH FULL: a key partly NULL is refused too.
 */
export const orphans: ConstraintRowsCheck = async (client, s, table, c, range) => {
  if (c.skip_validation) return undefined; // NOT VALID: existing rows are not checked
  const referenced = tableOf(c.pktable ?? {});
  const columns = (c.fk_attrs ?? []).map((k) => String(k.String?.sval));
  let targets = (c.pk_attrs ?? []).map((k) => String(k.String?.sval));
  const what =
    `foreign key ${c.conname ?? ''} on ${table.label} (${columns.join(', ')}) referencing ${referenced.label}`.replace(
      '  ',
      ' ',
    );
  const skip = madeInRun(range, table, columns) ?? madeInRun(range, referenced, targets);
  if (skip) return { ...base('orphans', s, table, what), skip };
  if (targets.length === 0) targets = (await primaryKey(client, referenced)) ?? [];
  if (targets.length !== columns.length)
    return {
      ...base('orphans', s, table, what),
      skip: `the referenced key of ${referenced.label} could not be read on the target`,
    };
  const own = columns.map((k) => ({ label: k, sql: `c.${ident(k)}` }));
  const allSet = own.map((k) => `${k.sql} IS NOT NULL`).join(' AND ');
  const missing = `NOT EXISTS (SELECT 1 FROM ${referenced.sql} AS p WHERE ${targets.map((t, i) => `p.${ident(t)} = ${own[i]!.sql}`).join(' AND ')})`;
  const partlyNull =
    c.fk_matchtype === 'f' && own.length > 1
      ? ` OR (NOT (${allSet}) AND NOT (${own.map((k) => `${k.sql} IS NULL`).join(' AND ')}))`
      : '';
  return {
    ...base('orphans', s, table, what),
    query: `SELECT ${keyText(own)} AS example, count(*) AS rows FROM ${table.sql} AS c WHERE (${allSet} AND ${missing})${partlyNull} GROUP BY ${own.map((k) => k.sql).join(', ')}`,
  };
};

/** The rows a CHECK or FOREIGN KEY refuses when it validates them (added, or a NOT VALID one validated). */
const rowsRefused: ConstraintRowsCheck = (client, s, table, c, range) => {
  if (c.contype === 'CONSTR_CHECK') return checkViolations(client, s, table, c, range);
  if (c.contype === 'CONSTR_FOREIGN') return orphans(client, s, table, c, range);
  return Promise.resolve(undefined);
};

/** Rows failing a new CHECK constraint (a CHECK passes on NULL: only rows where it is false fail). */
export const checkViolations: ConstraintRowsCheck = async (client, s, table, c, range) => {
  if (c.skip_validation) return undefined;
  const text = new StatementText(s.sql);
  const what = `check constraint ${c.conname ?? ''} on ${table.label}`.replace('  ', ' ');
  const skip = madeInRun(range, table, columnsIn(c.raw_expr));
  if (skip) return { ...base('check-violations', s, table, what), skip };
  const at = text.keyword('CHECK', text.at(c.location ?? 0));
  const group = at !== undefined ? text.group(at) : undefined;
  if (!group)
    return { ...base('check-violations', s, table, what), skip: 'its expression could not be read from the statement' };
  const expression = group.inside.trim();
  return {
    ...base('check-violations', s, table, `${what} CHECK (${expression})`),
    query: `SELECT ${await rowKey(client, table)} AS example, 1::bigint AS rows FROM ${table.sql} WHERE NOT (${expression})`,
  };
};

/** Rows holding NULL in a column SET NOT NULL; every row, for a column added NOT NULL without a default. */
export async function nulls(
  client: Client,
  s: PendingStatement,
  table: Table,
  column: string,
  range: PendingRange,
  added: boolean,
): Promise<PlannedCheck> {
  const what = added
    ? `column ${table.label}.${column} added NOT NULL without a default`
    : `SET NOT NULL on ${table.label}.${column}`;
  const skip = madeInRun(range, table, added ? [] : [column], [column]);
  if (skip) return { ...base('nulls', s, table, what), skip };
  return {
    ...base('nulls', s, table, what),
    query: `SELECT ${await rowKey(client, table)} AS example, 1::bigint AS rows FROM ${table.sql}${added ? '' : ` WHERE (${columnSql(range, table, column)}) IS NULL`}`,
  };
}

/** Pairs of rows a new exclusion constraint refuses: rows where every element's operator holds. */
export async function overlaps(
  client: Client,
  s: PendingStatement,
  table: Table,
  c: ConstraintNode,
  range: PendingRange,
): Promise<PlannedCheck> {
  const text = new StatementText(s.sql);
  const pairs = (c.exclusions ?? []).map((e) => listItems(e));
  const what = `exclusion constraint ${c.conname ?? ''} on ${table.label}`.replace('  ', ' ');
  const skip = madeInRun(range, table, columnsIn([pairs, c.where_clause]));
  if (skip) return { ...base('overlaps', s, table, what), skip };
  const at = text.keyword('EXCLUDE', text.at(c.location ?? 0));
  const group = at !== undefined ? text.group(at) : undefined;
  const items = group ? text.items(group) : [];
  if (!group || items.length !== pairs.length)
    return { ...base('overlaps', s, table, what), skip: 'its elements could not be read from the statement' };
  const elements = pairs.map(([elem, operator], i) => {
    const e = elem?.IndexElem ?? {};
    const op = listItems(operator).map((o) => String(o.String?.sval));
    // The element is the text before its last top-level WITH.
    const withAt = [...items[i]!.masked.matchAll(/\bWITH\b/gi)].at(-1)?.index ?? items[i]!.text.length;
    const sql = e.name
      ? ident(e.name)
      : elementExpression({ text: items[i]!.text.slice(0, withAt), masked: items[i]!.masked.slice(0, withAt) });
    return {
      sql,
      label: e.name ? String(e.name) : sql,
      operator: op.length === 1 ? op[0]! : `OPERATOR(${op.slice(0, -1).map(ident).join('.')}.${op.at(-1)})`,
    };
  });
  let where: string | undefined;
  if (c.where_clause) {
    const whereAt = text.keyword('WHERE', group.end);
    const predicate = whereAt !== undefined ? text.group(whereAt) : undefined;
    if (!predicate)
      return { ...base('overlaps', s, table, what), skip: 'its WHERE predicate could not be read from the statement' };
    where = predicate.inside.trim();
  }
  const key = await rowKey(client, table);
  const rows = `SELECT ctid AS row_id, ${key} AS row_key, ${elements.map((e, i) => `(${e.sql}) AS e${i}`).join(', ')} FROM ${table.sql}${where ? ` WHERE (${where})` : ''}`;
  return {
    ...base(
      'overlaps',
      s,
      table,
      `${what} (${elements.map((e) => `${e.label} WITH ${e.operator}`).join(', ')})${where ? ` WHERE (${where})` : ''}`,
    ),
    query: `WITH r AS (${rows}) SELECT a.row_key || ' and ' || b.row_key AS example, 1::bigint AS rows FROM r AS a JOIN r AS b ON a.row_id < b.row_id AND ${elements.map((e, i) => `a.e${i} ${e.operator} b.e${i}`).join(' AND ')}`,
  };
}

/** Rows failing a domain's new CHECK (VALUE stands for the column) or NOT NULL, in every column of that domain. */
export async function domainViolations(
  client: Client,
  s: StatementOf<'AlterDomainStmt'>,
  range: PendingRange,
): Promise<PlannedCheck[]> {
  const n = s.node;
  const domain = typeKey(n.typeName);
  const name = (n.typeName ?? []).map((p) => ident(String(p.String?.sval))).join('.');
  const notNull = n.subtype === 'O';
  const c = n.def?.Constraint;
  if (!notNull && !(n.subtype === 'C' && c?.contype === 'CONSTR_CHECK' && !c.skip_validation)) return [];
  const what = notNull
    ? `NOT NULL on domain ${domain}`
    : `check constraint ${c!.conname ?? ''} on domain ${domain}`.replace('  ', ' ');
  const made = range.madeBy(`type:${domain}`);
  const stub = { code: 'domain-violations' as const, file: s.file, line: s.line, table: domain, what };
  if (made)
    return [
      { ...stub, skip: `the domain is created by ${made}, earlier in this run: no column holds it on the target yet` },
    ];
  let expression: string | undefined;
  if (!notNull) {
    const text = new StatementText(s.sql);
    const at = text.keyword('CHECK', text.at(c?.location ?? 0));
    const group = at !== undefined ? text.group(at) : undefined;
    if (!group) return [{ ...stub, skip: 'its expression could not be read from the statement' }];
    expression = group.inside.trim();
  }
  const { rows } = await client.query<{ schema: string; name: string; col: string }>(
    `SELECT n.nspname AS schema, c.relname AS name, a.attname AS col
       FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid AND c.relkind IN ('r', 'p')
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE a.atttypid = to_regtype($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, 2, 3`,
    [name],
  );
  const checks: PlannedCheck[] = [];
  for (const r of rows) {
    const table = tableOf({ schemaname: r.schema, relname: r.name });
    const column = ident(r.col);
    // VALUE is the parser's column reference `value`: the same word, outside quotes, stands for the column.
    const test = notNull
      ? `${column} IS NULL`
      : `NOT (${expression!.replace(/(?<!["\w.])value(?!["\w])/gi, `(${column})`)})`;
    checks.push({
      ...base('domain-violations', s, table, `${what} (column ${table.label}.${r.col})`),
      query: `SELECT ${await rowKey(client, table)} AS example, 1::bigint AS rows FROM ${table.sql} WHERE ${test}`,
    });
  }
  return checks;
}

const INTEGER_RANGES: Record<string, readonly [string, string]> = {
  int2: ['-32768', '32767'],
  int4: ['-2147483648', '2147483647'],
  int8: ['-9223372036854775808', '9223372036854775807'],
};

/** `col`, `col::T`, `col::text::T` (the forms a generated type change uses): the column the USING reads, or undefined. */
function castOfColumn(expr: PgNode | undefined, column: string): boolean {
  let node = expr;
  while (node?.TypeCast) node = node.TypeCast.arg;
  const fields = node?.ColumnRef?.fields;
  return fields?.length === 1 && fields[0]!.String?.sval === column;
}

/**
 * Values a type change refuses. Counted, with examples, for the conversions PostgreSQL refuses value by
 * value: to an enum (labels it lacks, e.g. a recreated enum of a Down), to an integer type (text that is
 * no integer, or out of range), to varchar(n)/char(n) without USING (longer values). Any other conversion
 * runs as a query that stops at the first value refused.
 */
export async function typeChange(
  client: Client,
  s: PendingStatement,
  table: Table,
  cmd: NodeOf<'AlterTableCmd'>,
  range: PendingRange,
): Promise<PlannedCheck | undefined> {
  const column = String(cmd.name);
  const def = cmd.def?.ColumnDef ?? {};
  const newType = typeSql(def.typeName);
  const parts = typeParts(def.typeName);
  const what = `type change of ${table.label}.${column} to ${newType}`;
  const skip = madeInRun(range, table, [column]);
  if (skip) return { ...base('type-change', s, table, what), skip };
  const using = def.raw_default;
  const plain = !using || castOfColumn(using, column);
  const col = ident(column);
  const check = async (test: string, value = `${col}::text`) => ({
    ...base('type-change', s, table, what),
    query: `SELECT ${await rowKey(client, table)} || ': ' || coalesce(quote_literal(${value}), 'NULL') AS example, 1::bigint AS rows FROM ${table.sql} WHERE ${col} IS NOT NULL AND ${test}`,
  });
  const typeName = parts.name;
  const enumKey = typeKey(def.typeName?.names);
  const labels = range.enums.get(enumKey);
  if (plain && labels) return check(`${col}::text NOT IN (${labels.map(literal).join(', ') || 'NULL'})`);
  if (range.madeBy(`type:${enumKey}`))
    return {
      ...base('type-change', s, table, what),
      skip: `type ${enumKey} is created by ${range.madeBy(`type:${enumKey}`)}, earlier in this run`,
    };
  const { rows } = await client.query<{ enum: boolean; from: string | null }>(
    `SELECT coalesce((SELECT t.typtype = 'e' FROM pg_catalog.pg_type t WHERE t.oid = to_regtype($1)), false) AS enum,
            (SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a WHERE a.attrelid = to_regclass($2) AND a.attname = $3 AND NOT a.attisdropped) AS from`,
    [newType, table.sql, column],
  );
  if (rows[0]?.from === null || rows[0]?.from === undefined)
    return { ...base('type-change', s, table, what), skip: `column ${column} was not found on the target` };
  if (plain && rows[0].enum)
    return check(
      `${col}::text NOT IN (SELECT e.enumlabel FROM pg_catalog.pg_enum e WHERE e.enumtypid = to_regtype(${literal(newType)}))`,
    );
  const integer =
    INTEGER_RANGES[{ smallint: 'int2', integer: 'int4', int: 'int4', bigint: 'int8' }[typeName] ?? typeName];
  const from = rows[0].from;
  if (plain && integer && !parts.array && /^(text|character varying|character)\b/.test(from)) {
    const t = `btrim(${col}::text)`;
    return check(
      `CASE WHEN ${t} ~ '^[+-]?[0-9]+$' THEN ${t}::numeric NOT BETWEEN ${integer[0]} AND ${integer[1]} ELSE true END`,
    );
  }
  if (plain && integer && !parts.array && /^(smallint|integer|bigint|numeric)\b/.test(from)) {
    return check(`round(${col}::numeric) NOT BETWEEN ${integer[0]} AND ${integer[1]}`);
  }
  const length = parts.mods[0];
  if (!using && ['varchar', 'bpchar'].includes(typeName) && length !== undefined && !parts.array) {
    // An assignment to varchar(n) or char(n) refuses a longer value unless what is cut is only spaces.
    return check(`length(rtrim(${col}::text, ' ')) > ${length}`);
  }
  // Any other conversion: PostgreSQL's own, on every value; the first value it refuses raises.
  const text = new StatementText(s.sql);
  let converted = `${col}::${newType}`;
  if (using) {
    const start = text.start(using);
    const at = start !== undefined ? [...text.masked.slice(0, start).matchAll(/\bUSING\b/gi)].at(-1)?.index : undefined;
    if (at === undefined)
      return {
        ...base('type-change', s, table, what),
        skip: 'its USING expression could not be read from the statement',
      };
    converted = `(${text.untilListEnd(at + 'USING'.length)})::${newType}`;
  }
  // count(v) makes every value be converted; the outer condition is never true, and the planner cannot know.
  return {
    ...base('type-change', s, table, what),
    raises: true,
    query: `SELECT NULL::text AS example, 0::bigint AS rows FROM (SELECT count(v) AS n FROM (SELECT ${converted} AS v FROM ${table.sql}) AS c) AS converted WHERE n < 0`,
  };
}

const TYPE_BOUNDS: Record<string, readonly [string, string]> = {
  ...INTEGER_RANGES,
  smallint: INTEGER_RANGES.int2!,
  integer: INTEGER_RANGES.int4!,
  bigint: INTEGER_RANGES.int8!,
};

/** The bounds options set (MINVALUE, MAXVALUE, AS type) of ALTER SEQUENCE or an identity's SET. */
function boundsOf(options: readonly PgNode[]): { min?: string; max?: string } {
  const bounds: { min?: string; max?: string } = {};
  const value = (arg: PgNode | undefined) =>
    arg?.Integer ? String(arg.Integer.ival ?? 0) : arg?.Float ? String(arg.Float.fval) : undefined;
  for (const o of options) {
    const d = o.DefElem ?? {};
    if (d.defname === 'maxvalue' && d.arg) bounds.max = value(d.arg);
    if (d.defname === 'minvalue' && d.arg) bounds.min = value(d.arg);
    if (d.defname === 'as' && d.arg?.TypeName) {
      const t = TYPE_BOUNDS[typeParts(d.arg.TypeName).name];
      if (t) {
        bounds.min ??= t[0];
        bounds.max ??= t[1];
      }
    }
  }
  return bounds;
}

/** A sequence (or an identity's) whose current value falls outside the new MINVALUE/MAXVALUE. */
export function sequenceBounds(
  s: PendingStatement,
  sequence: { readonly sql: string; readonly label: string; readonly key: string },
  options: readonly PgNode[],
  range: PendingRange,
): PlannedCheck | undefined {
  const { min, max } = boundsOf(options);
  if (min === undefined && max === undefined) return undefined;
  const what = `bounds of sequence ${sequence.label}${min !== undefined ? ` MINVALUE ${min}` : ''}${max !== undefined ? ` MAXVALUE ${max}` : ''}`;
  const stub = { code: 'sequence-bounds' as const, file: s.file, line: s.line, table: sequence.label, what };
  const made = range.madeBy(sequence.key);
  if (made) return { ...stub, skip: `it is created by ${made}, earlier in this run` };
  const outside = [
    ...(max !== undefined ? [`last_value > ${max}`] : []),
    ...(min !== undefined ? [`last_value < ${min}`] : []),
  ].join(' OR ');
  return {
    ...stub,
    query: `SELECT 'last_value=' || last_value AS example, 1::bigint AS rows FROM ${sequence.sql} WHERE ${outside}`,
  };
}

/**
 * VALIDATE CONSTRAINT: the rows the CHECK or foreign key (added NOT VALID) refuses. Added earlier in the
 * run: checked as written there; else as the target's catalog defines it.
 */
export async function validation(
  client: Client,
  s: PendingStatement,
  table: Table,
  name: string,
  range: PendingRange,
): Promise<PlannedCheck | undefined> {
  const at = { file: s.file, line: s.line };
  const earlier = range.notValid.get(`${table.key}:${name}`);
  if (earlier) {
    const c: ConstraintNode = { ...earlier.constraint, skip_validation: false };
    const check = await rowsRefused(client, earlier.statement, table, c, range);
    return check && { ...check, ...at, what: `VALIDATE CONSTRAINT: ${check.what}` };
  }
  if (madeInRun(range, table)) return undefined;
  const { rows } = await client.query<{
    contype: string;
    def: string;
    cols: string[];
    ref_schema: string | null;
    ref_name: string | null;
    ref_cols: string[] | null;
    matchtype: string;
  }>(
    `SELECT c.contype::text, pg_catalog.pg_get_constraintdef(c.oid) AS def,
            (SELECT array_agg(a.attname::text ORDER BY k.i) FROM unnest(c.conkey) WITH ORDINALITY AS k(n, i) JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n) AS cols,
            rn.nspname AS ref_schema, r.relname AS ref_name,
            (SELECT array_agg(a.attname::text ORDER BY k.i) FROM unnest(c.confkey) WITH ORDINALITY AS k(n, i) JOIN pg_catalog.pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n) AS ref_cols,
            c.confmatchtype::text AS matchtype
       FROM pg_catalog.pg_constraint c
       LEFT JOIN pg_catalog.pg_class r ON r.oid = c.confrelid LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
      WHERE c.conrelid = to_regclass($1) AND c.conname = $2`,
    [table.sql, name],
  );
  const found = rows[0];
  if (!found) return undefined;
  const strings = (names: readonly string[]) => names.map((n) => ({ String: { sval: n } }));
  if (found.contype === 'f' && found.ref_name) {
    const c: ConstraintNode = {
      conname: name,
      pktable: { schemaname: found.ref_schema ?? undefined, relname: found.ref_name },
      fk_attrs: strings(found.cols),
      pk_attrs: strings(found.ref_cols ?? []),
      fk_matchtype: found.matchtype,
    };
    const check = await orphans(client, s, table, c, range);
    return check && { ...check, what: `VALIDATE CONSTRAINT: ${check.what}` };
  }
  const expression = found.contype === 'c' ? /^CHECK \((.*)\)(?: NOT VALID)?$/s.exec(found.def)?.[1] : undefined;
  if (expression === undefined) return undefined;
  return {
    ...base(
      'check-violations',
      s,
      table,
      `VALIDATE CONSTRAINT: check constraint ${name} on ${table.label} ${found.def.replace(/ NOT VALID$/, '')}`,
    ),
    query: `SELECT ${await rowKey(client, table)} AS example, 1::bigint AS rows FROM ${table.sql} WHERE NOT (${expression})`,
  };
}

/** A partition bound's value as SQL of the key's type; 'unbounded' for MINVALUE/MAXVALUE; undefined when not a constant. */
function boundValue(datum: PgNode, type: string): string | undefined {
  const c = datum.A_Const;
  if (c) {
    if (c.isnull) return 'NULL';
    const raw = constantText(c);
    return raw === undefined ? undefined : `${literal(raw)}::${type}`;
  }
  const word = datum.ColumnRef?.fields?.[0]?.String?.sval;
  return word === 'minvalue' || word === 'maxvalue' ? 'unbounded' : undefined;
}

/**
 * ATTACH PARTITION: rows of the table attached that its bounds exclude (PostgreSQL scans it and refuses).
 * For a partition key of one column, bounds RANGE or LIST written as constants.
 */
export async function partitionBounds(
  client: Client,
  s: PendingStatement,
  parent: Table,
  cmd: NodeOf<'PartitionCmd'>,
  range: PendingRange,
): Promise<PlannedCheck | undefined> {
  const bound = cmd.bound;
  if (!bound || bound.is_default || !cmd.name) return undefined;
  const table = tableOf(cmd.name);
  const what = `partition ${table.label} of ${parent.label}`;
  const stub = { ...base('partition-bounds', s, table, what) };
  const skip = madeInRun(range, table) ?? madeInRun(range, parent);
  if (skip) return { ...stub, skip };
  const { rows } = await client.query<{ col: string | null; type: string | null; keys: number }>(
    `SELECT p.partnatts::int AS keys, a.attname AS col, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_catalog.pg_partitioned_table p LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = (p.partattrs::int2[])[0]
      WHERE p.partrelid = to_regclass($1)`,
    [parent.sql],
  );
  const key = rows[0];
  if (!key?.col || !key.type || key.keys !== 1)
    return { ...stub, skip: 'only a partition key of one column is checked' };
  const column = ident(key.col);
  const values = (datums: readonly PgNode[] | undefined) => (datums ?? []).map((d) => boundValue(d, key.type!));
  let fits: string;
  if (bound.strategy === 'r') {
    const [lower] = values(bound.lowerdatums);
    const [upper] = values(bound.upperdatums);
    if (lower === undefined || upper === undefined) return { ...stub, skip: 'its bounds are not constants' };
    fits = [
      `${column} IS NOT NULL`,
      ...(lower !== 'unbounded' ? [`${column} >= ${lower}`] : []),
      ...(upper !== 'unbounded' ? [`${column} < ${upper}`] : []),
    ].join(' AND ');
  } else if (bound.strategy === 'l') {
    const list = values(bound.listdatums);
    if (list.some((v) => v === undefined || v === 'unbounded'))
      return { ...stub, skip: 'its values are not constants' };
    const listed = list.filter((v) => v !== 'NULL');
    fits =
      [
        ...(listed.length ? [`${column} IN (${listed.join(', ')})`] : []),
        ...(list.includes('NULL') ? [`${column} IS NULL`] : []),
      ].join(' OR ') || 'false';
  } else {
    return { ...stub, skip: 'hash partition bounds are not checked' };
  }
  return {
    ...stub,
    what: `${what} (key ${key.col})`,
    query: `SELECT ${await rowKey(client, table)} || ': ' || coalesce(quote_literal(${column}::text), 'NULL') AS example, 1::bigint AS rows FROM ${table.sql} WHERE NOT coalesce(${fits}, false)`,
  };
}

/** Every check one statement calls for, in its order. */
export async function plannedChecks(client: Client, s: PendingStatement, range: PendingRange): Promise<PlannedCheck[]> {
  const { kind, node: n } = s;
  switch (kind) {
    case 'IndexStmt': {
      const check = await duplicatesOfIndex({ ...s, kind, node: n }, range);
      return check ? [check] : [];
    }
    case 'AlterDomainStmt':
      return domainViolations(client, { ...s, kind, node: n }, range);
    case 'AlterSeqStmt': {
      const sequence = tableOf(n.sequence ?? {});
      const check = sequenceBounds(s, { ...sequence, key: `sequence:${sequence.key}` }, n.options ?? [], range);
      return check ? [check] : [];
    }
    case 'AlterTableStmt': {
      if ((n.objtype !== undefined && n.objtype !== 'OBJECT_TABLE') || !n.relation) return [];
      const table = tableOf(n.relation);
      const checks: PlannedCheck[] = [];
      for (const cmd of alterTableCmds(n)) {
        checks.push(...(await commandChecks(client, s, table, cmd, range)));
      }
      return checks;
    }
    default:
      return [];
  }
}

async function commandChecks(
  client: Client,
  s: PendingStatement,
  table: Table,
  cmd: NodeOf<'AlterTableCmd'>,
  range: PendingRange,
): Promise<PlannedCheck[]> {
  const one = (c: PlannedCheck | undefined) => (c ? [c] : []);
  switch (cmd.subtype) {
    case 'AT_SetNotNull':
      return [await nulls(client, s, table, String(cmd.name), range, false)];
    case 'AT_AlterColumnType':
      return one(await typeChange(client, s, table, cmd, range));
    case 'AT_AddColumn': {
      const def = cmd.def?.ColumnDef ?? {};
      const constraints = columnConstraints(def);
      const has = (type: string) => constraints.some((c) => c.contype === type);
      const serial = ['serial', 'serial2', 'serial4', 'serial8', 'smallserial', 'bigserial'].includes(
        typeParts(def.typeName).name,
      );
      // Without a default every existing row gets NULL, which NOT NULL (or a primary key) refuses.
      if (
        (has('CONSTR_NOTNULL') || has('CONSTR_PRIMARY')) &&
        !has('CONSTR_DEFAULT') &&
        !has('CONSTR_IDENTITY') &&
        !has('CONSTR_GENERATED') &&
        !serial
      ) {
        return [await nulls(client, s, table, String(def.colname), range, true)];
      }
      return [];
    }
    case 'AT_SetIdentity':
    case 'AT_AddIdentity': {
      const options = cmd.subtype === 'AT_SetIdentity' ? listItems(cmd.def) : (cmd.def?.Constraint?.options ?? []);
      if (range.madeBy(table.key) || range.madeBy(`${table.key}.${cmd.name}`)) return [];
      const { rows } = await client.query<{ seq: string | null }>(
        `SELECT pg_catalog.pg_get_serial_sequence($1, $2) AS seq`,
        [table.sql, String(cmd.name)],
      );
      const seq = rows[0]?.seq;
      if (!seq || cmd.subtype === 'AT_AddIdentity') return [];
      return one(sequenceBounds(s, { sql: seq, label: seq, key: `sequence:${seq}` }, options, range));
    }
    case 'AT_AttachPartition':
      return one(await partitionBounds(client, s, table, cmd.def?.PartitionCmd ?? {}, range));
    case 'AT_ValidateConstraint':
      return one(await validation(client, s, table, String(cmd.name), range));
    case 'AT_AddConstraint': {
      const c = cmd.def?.Constraint ?? {};
      switch (c.contype) {
        case 'CONSTR_UNIQUE':
        case 'CONSTR_PRIMARY':
          return keyConstraintChecks(s, table, c, range);
        case 'CONSTR_FOREIGN':
        case 'CONSTR_CHECK':
          return one(await rowsRefused(client, s, table, c, range));
        case 'CONSTR_EXCLUSION':
          return [await overlaps(client, s, table, c, range)];
        default:
          return [];
      }
    }
    default:
      return [];
  }
}
