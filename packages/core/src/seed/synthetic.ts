/**
 * Synthetic rows: for each table to fill, a few rows that satisfy its NOT NULL columns, defaults, enums,
 * domains, foreign keys (parents first), unique and simple CHECK constraints. Plain data in (a catalog
 * from introspection), plain data out (INSERT statements to try); fill.ts runs them.
 *
 * The rows are made to catch what fails on existing data: a "full" row puts wide values in every column
 * (the longest a varchar holds, a bigint above the integer range), so a narrowing type change fails on
 * it; a "sparse" row leaves every nullable column NULL, so SET NOT NULL fails on it; and one row per
 * label of an enum column, so removing a label that rows use fails. Identity, serial and generated
 * columns are left to the database, as are other columns with a default in the sparse row.
 */
import type { Catalog, ColumnInfo, ConstraintInfo, RelationInfo } from '../diff/catalog';
import { ident } from '../diff/sql';

/** One row to insert: the statements to try in order (wide values first, then smaller ones); the first that inserts wins. */
export type RowAttempts = readonly string[];

export interface TableSeed {
  /** `rel:` key. */
  readonly key: string;
  /** schema.name, for messages. */
  readonly table: string;
  readonly rows: readonly RowAttempts[];
}

export interface UnfillableTable {
  readonly table: string;
  readonly reason: string;
}

export interface SeedPlan {
  /** In insertion order: parents before children. */
  readonly tables: readonly TableSeed[];
  /** Tables no row can be planned for, with the reason (a cycle of NOT NULL foreign keys). */
  readonly unfillable: readonly UnfillableTable[];
}

/** How many value sizes each row is tried with: wide, small, zero. */
const VARIANTS = 3;
/** At most this many rows per table (enum labels beyond it are not all covered). */
const MAX_ROWS = 8;

export function tableName(relation: Pick<RelationInfo, 'schema' | 'name'>): string {
  return `${relation.schema}.${relation.name}`;
}

/** Tables rows can be put in: plain and partitioned tables, not partitions (rows reach them through the parent). */
export function fillableTables(catalog: Catalog): RelationInfo[] {
  return [...catalog.relations.values()].filter(
    (r) => (r.kind === 'table' || r.kind === 'partitioned table') && !r.partitionOf,
  );
}

/** Identifiers in a parenthesised list as pg_get_constraintdef prints it: `(a, "B c")`. */
function identifierList(text: string): string[] {
  const names: string[] = [];
  const pattern = /\s*(?:"((?:[^"]|"")*)"|([^,\s()]+))\s*(?:,|$)/gy;
  let match: RegExpExecArray | null;
  while (pattern.lastIndex < text.length && (match = pattern.exec(text))) {
    names.push(match[1] !== undefined ? match[1].replace(/""/g, '"') : match[2]);
    if (match[0] === '') break;
  }
  return names;
}

interface ForeignKey {
  readonly columns: readonly string[];
  readonly parentKey: string;
  readonly parentColumns: readonly string[];
  /** Every column of the key allows NULL: the key can be left NULL. */
  readonly nullable: boolean;
}

function foreignKeys(relation: RelationInfo, constraints: readonly ConstraintInfo[]): ForeignKey[] {
  const columns = new Map(relation.columns.map((c) => [c.name, c]));
  return constraints
    .filter((c) => c.type === 'f' && c.references)
    .map((c) => {
      const match = /^FOREIGN KEY \((.*?)\) REFERENCES .*?\((.*?)\)/s.exec(c.definition);
      const own = match ? identifierList(match[1]) : [];
      const parent = match ? identifierList(match[2]) : [];
      return {
        columns: own,
        parentKey: c.references!,
        parentColumns: parent,
        nullable: own.every((n) => !columns.get(n)?.notNull),
      };
    })
    .filter((fk) => fk.columns.length > 0 && fk.columns.length === fk.parentColumns.length);
}

/** What the CHECK constraints on a column allow, as far as simple comparisons and IN lists tell. */
interface ColumnRules {
  /** Literals the column is compared with by `=` or `IN (...)`: the first is used. */
  readonly allowed: string[];
  lower?: number;
  upper?: number;
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function columnRules(column: string, definitions: readonly string[]): ColumnRules {
  const rules: ColumnRules = { allowed: [] };
  const name = `(?:"${escapeRegex(column.replace(/"/g, '""'))}"|${/^[a-z_][a-z0-9_$]*$/.test(column) ? escapeRegex(column) : '(?!)'})`;
  for (const definition of definitions) {
    if (!new RegExp(`\\b${name}\\b|${name}`).test(definition)) continue;
    const inList = new RegExp(
      `${name}\\)?(?:::[\\w ."]+)?\\s*=\\s*ANY\\s*\\(\\s*(?:\\(\\s*)?ARRAY\\[(.*?)\\]`,
      's',
    ).exec(definition);
    if (inList) for (const m of inList[1].matchAll(/'((?:[^']|'')*)'/g)) rules.allowed.push(m[1].replace(/''/g, "'"));
    const equal = new RegExp(`${name}\\)?(?:::[\\w ."]+)?\\s*=\\s*'((?:[^']|'')*)'`).exec(definition);
    if (equal) rules.allowed.push(equal[1].replace(/''/g, "'"));
    for (const m of definition.matchAll(
      new RegExp(`${name}\\)?(?:::[\\w ."]+)?\\s*(>=|>|<=|<)\\s*\\(?'?(-?\\d+(?:\\.\\d+)?)`, 'g'),
    )) {
      const bound = Number(m[2]);
      if (m[1] === '>') rules.lower = Math.max(rules.lower ?? -Infinity, Math.floor(bound) + 1);
      if (m[1] === '>=') rules.lower = Math.max(rules.lower ?? -Infinity, Math.ceil(bound));
      if (m[1] === '<') rules.upper = Math.min(rules.upper ?? Infinity, Math.ceil(bound) - 1);
      if (m[1] === '<=') rules.upper = Math.min(rules.upper ?? Infinity, Math.floor(bound));
    }
    for (const m of definition.matchAll(
      new RegExp(
        `${name}\\)?(?:::[\\w ."]+)?\\s+BETWEEN\\s+\\(?'?(-?\\d+)'?\\)?(?:::\\w+)?\\s+AND\\s+\\(?'?(-?\\d+)`,
        'g',
      ),
    )) {
      rules.lower = Math.max(rules.lower ?? -Infinity, Number(m[1]));
      rules.upper = Math.min(rules.upper ?? Infinity, Number(m[2]));
    }
  }
  return rules;
}

const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** A string of exactly `length` characters that differs by row. */
function sized(prefix: string, row: number, length: number): string {
  const text = `${prefix}${row}`;
  if (text.length >= length) return text.slice(text.length - length);
  return (text + 'x'.repeat(length)).slice(0, length);
}

/** Values for one scalar type name (as format_type prints it), one per variant, for row `row`. */
function valuesForType(type: string, row: number): (string | undefined)[] {
  if (type.endsWith('[]')) return [`'{}'`];
  const base = type.replace(/\(.*\)/, '').trim();
  const size = /\((\d+)(?:,\s*(\d+))?\)/.exec(type);
  const numberVariants = (wide: number) => [String(wide + row), String(1 + row), String(row)];
  switch (base) {
    case 'smallint':
      return numberVariants(1000);
    case 'integer':
      return numberVariants(100000);
    case 'bigint':
      return numberVariants(3000000000);
    case 'numeric': {
      const precision = size ? Number(size[1]) : undefined;
      const scale = size?.[2] !== undefined ? Number(size[2]) : 0;
      const digits = precision !== undefined ? Math.min(precision - scale, 15) : 9;
      const whole = digits > 0 ? String(10 ** digits - 1 - row) : '0';
      const wide = scale > 0 ? `${whole}.${'9'.repeat(Math.min(scale, 15))}` : whole;
      return [wide, String(1 + row), String(row)];
    }
    case 'real':
    case 'double precision':
      return ['12345.5', String(1 + row), String(row)].map((v, i) => (i === 0 ? String(12345.5 + row) : v));
    case 'money':
      return [`${1000 + row}`, `${1 + row}`, `${row}`].map(quote);
    case 'text':
    case 'citext':
    case 'name':
      return [quote(sized('synthetic value of a text column, row ', row, 48)), quote(`v${row}`), quote(`${row}`)];
    case 'character varying':
    case 'character':
    case 'bpchar': {
      const length = size ? Number(size[1]) : base === 'character varying' ? 48 : 1;
      return [
        quote(sized('synthetic value, row ', row, Math.min(length, 200))),
        quote(sized('v', row, Math.min(length, 3))),
        quote(sized('', row, 1)),
      ];
    }
    case 'boolean':
      return [row % 2 === 0 ? 'true' : 'false', row % 2 === 0 ? 'false' : 'true', 'true'];
    case 'date':
      return [quote(`2024-01-01`) + `::date + ${row}`, quote('2000-01-01') + `::date + ${row}`];
    case 'timestamp without time zone':
    case 'timestamp with time zone':
      return [
        quote('2024-01-01 12:00:00+00') + `::timestamptz + interval '${row} day'`,
        quote('2000-01-01 00:00:00+00') + `::timestamptz + interval '${row} day'`,
      ];
    case 'time without time zone':
    case 'time with time zone':
      return [quote(`12:${String(row % 60).padStart(2, '0')}:00`)];
    case 'interval':
      return [quote(`${row + 1} days`)];
    case 'uuid':
      return [quote(`00000000-0000-4000-8000-${String(row + 1).padStart(12, '0')}`)];
    case 'json':
    case 'jsonb':
      return [quote(`{"synthetic": ${row}}`), quote('{}')];
    case 'bytea':
      return [quote(`\\x${(row % 256).toString(16).padStart(2, '0')}`)];
    case 'inet':
      return [quote(`192.0.2.${(row % 250) + 1}`)];
    case 'cidr':
      return [quote(`10.${row % 250}.0.0/16`)];
    case 'macaddr':
      return [quote(`08:00:2b:01:02:${(row % 256).toString(16).padStart(2, '0')}`)];
    case 'xml':
      return [quote(`<synthetic row="${row}"/>`)];
    case 'tsvector':
      return [quote(`synthetic row${row}`)];
    case 'point':
      return [quote(`(${row},${row})`)];
    default:
      return [undefined];
  }
}

/** A type name's enum labels, domain base type and domain checks, read from the catalog. */
interface TypeFacts {
  readonly labels?: readonly string[];
  readonly scalar: string;
  readonly checks: readonly string[];
  /** A domain on the way says NOT NULL. */
  readonly notNull: boolean;
}

function typeFacts(catalog: Catalog, column: Pick<ColumnInfo, 'type' | 'typeOid'>): TypeFacts {
  const byName = (name: string) => {
    const key = `type:${name.replace(/"/g, '')}`;
    return { enumInfo: catalog.enums.get(key), domain: catalog.domains.get(key) };
  };
  const keyed = catalog.typeKeysByOid.get(column.typeOid);
  let { enumInfo, domain } = keyed
    ? { enumInfo: catalog.enums.get(keyed), domain: catalog.domains.get(keyed) }
    : byName(column.type);
  const checks: string[] = [];
  let notNull = false;
  for (let depth = 0; domain && depth < 5; depth++) {
    checks.push(...domain.constraints.map((c) => c.definition.replace(/\bVALUE\b/g, '"value"')));
    notNull ||= domain.notNull;
    const next = byName(domain.baseType);
    if (!next.domain && !next.enumInfo) return { scalar: domain.baseType, checks, notNull };
    ({ enumInfo, domain } = next);
  }
  if (enumInfo) return { labels: enumInfo.labels, scalar: column.type, checks, notNull };
  return { scalar: column.type, checks, notNull };
}

interface PlannedColumn {
  readonly column: ColumnInfo;
  /** SQL expressions by variant for each row; undefined: no value known for the type. */
  readonly value: (row: number, variant: number) => string | undefined;
  /** An enum column: rows cycle through its labels. */
  readonly labels: number;
  /** The column or its domain refuses NULL. */
  readonly notNull: boolean;
}

function planColumn(catalog: Catalog, column: ColumnInfo, checks: readonly string[]): PlannedColumn {
  const facts = typeFacts(catalog, column);
  const rules = columnRules(column.name, checks);
  const domainRules = columnRules('value', facts.checks);
  const allowed = [...rules.allowed, ...domainRules.allowed];
  const lower = Math.max(rules.lower ?? -Infinity, domainRules.lower ?? -Infinity);
  const upper = Math.min(rules.upper ?? Infinity, domainRules.upper ?? Infinity);
  const cast = (expression: string) => `(${expression})::${column.type}`;
  if (facts.labels && facts.labels.length > 0) {
    const labels = allowed.length > 0 ? facts.labels.filter((l) => allowed.includes(l)) : facts.labels;
    const usable = labels.length > 0 ? labels : facts.labels;
    // Row 1 is the sparse row: the full row and the rows after it cover every label.
    const label = (row: number) => usable[(row <= 1 ? 0 : row - 1) % usable.length];
    return {
      column,
      labels: usable.length,
      notNull: column.notNull || facts.notNull,
      value: (row) => cast(quote(label(row))),
    };
  }
  return {
    column,
    labels: 0,
    notNull: column.notNull || facts.notNull,
    value: (row, variant) => {
      if (allowed.length > 0) return cast(quote(allowed[(row + variant) % allowed.length]));
      const values = valuesForType(facts.scalar, row);
      const numeric = /^-?\d+(\.\d+)?$/;
      if ((lower > -Infinity || upper < Infinity) && values.every((v) => v === undefined || numeric.test(v))) {
        // Keep the values inside the bounds a CHECK sets; add the bounds themselves as last tries.
        const inside = values.filter((v): v is string => v !== undefined && Number(v) >= lower && Number(v) <= upper);
        const candidates = [
          ...inside,
          ...[lower + row, upper - row, lower, upper]
            .filter((n) => Number.isFinite(n) && n >= lower && n <= upper)
            .map(String),
        ];
        const chosen = candidates[Math.min(variant, candidates.length - 1)];
        return chosen === undefined ? undefined : cast(chosen);
      }
      const chosen = values[Math.min(variant, values.length - 1)];
      if (chosen !== undefined) return cast(chosen);
      // A type the generator does not know: text that most types accept, tried in turn.
      return cast(quote(['1', '', '{}'][variant] ?? ''));
    },
  };
}

function insertStatement(
  relation: RelationInfo,
  entries: readonly { name: string; value: string }[],
  joins: readonly string[],
): string {
  const target = `${ident(relation.schema)}.${ident(relation.name)}`;
  if (entries.length === 0) return `INSERT INTO ${target} DEFAULT VALUES`;
  const names = entries.map((e) => ident(e.name)).join(', ');
  const values = entries.map((e) => e.value).join(', ');
  if (joins.length === 0) return `INSERT INTO ${target} (${names}) VALUES (${values})`;
  return `INSERT INTO ${target} (${names}) SELECT ${values} FROM ${joins.join(', ')}`;
}

interface TablePlan {
  readonly relation: RelationInfo;
  readonly keys: readonly ForeignKey[];
  /** Foreign keys left NULL to break a cycle (or a reference to the table itself). */
  readonly nulled: ReadonlySet<ForeignKey>;
}

function planRows(catalog: Catalog, plan: TablePlan, constraints: readonly ConstraintInfo[]): RowAttempts[] {
  const { relation, keys, nulled } = plan;
  const checks = constraints.filter((c) => c.type === 'c').map((c) => c.definition);
  const fkColumn = new Map<string, { fk: ForeignKey; index: number }>();
  for (const fk of keys) for (const [index, name] of fk.columns.entries()) fkColumn.set(name, { fk, index });
  // Left to the database: identity and generated columns, serial ones, and defaults in the sparse row.
  const settable = relation.columns.filter((c) => !c.identity && c.generated === '');
  const planned = settable.map((c) => planColumn(catalog, c, checks));
  const rowCount = Math.min(MAX_ROWS, Math.max(2, ...planned.map((p) => p.labels + 1)));
  const rows: RowAttempts[] = [];
  for (let row = 0; row < rowCount; row++) {
    const sparse = row === 1;
    const attempts: string[] = [];
    for (let variant = 0; variant < VARIANTS; variant++) {
      const joins = new Map<ForeignKey, string>();
      const entries: { name: string; value: string }[] = [];
      for (const p of planned) {
        const { column } = p;
        const reference = fkColumn.get(column.name);
        if (reference) {
          const { fk, index } = reference;
          if (nulled.has(fk) || (sparse && fk.nullable)) {
            if (!p.notNull) entries.push({ name: column.name, value: 'NULL' });
            continue;
          }
          let alias = joins.get(fk);
          if (!alias) {
            alias = `parent${joins.size}`;
            joins.set(fk, alias);
          }
          entries.push({ name: column.name, value: `${alias}.${ident(fk.parentColumns[index])}` });
          continue;
        }
        const defaulted = column.default !== null;
        if (defaulted && p.labels === 0 && (sparse || /nextval\(/.test(column.default!))) continue;
        if (sparse && !p.notNull) {
          entries.push({ name: column.name, value: 'NULL' });
          continue;
        }
        const value = p.value(row, variant);
        if (value === undefined) {
          if (!p.notNull) continue;
          entries.push({ name: column.name, value: `NULL` });
          continue;
        }
        entries.push({ name: column.name, value });
      }
      const from = [...joins].map(([fk, alias]) => {
        const parent = catalog.relations.get(fk.parentKey)!;
        const columns = fk.parentColumns.map(ident).join(', ');
        const notNull = fk.parentColumns.map((c) => `${ident(c)} IS NOT NULL`).join(' AND ');
        return `(SELECT ${columns} FROM ${ident(parent.schema)}.${ident(parent.name)} WHERE ${notNull} LIMIT 1) AS ${alias}`;
      });
      const statement = insertStatement(relation, entries, from);
      if (!attempts.includes(statement)) attempts.push(statement);
    }
    rows.push(attempts);
  }
  return rows;
}

/**
 * Plans rows for the tables `fill` names (`rel:` keys; default: every fillable table). Parents come before
 * children; a foreign key into a cycle (or to the table itself) is left NULL where its columns allow it;
 * a cycle of NOT NULL foreign keys makes its tables unfillable, named with the reason.
 */
export function planSyntheticRows(catalog: Catalog, fill?: ReadonlySet<string>): SeedPlan {
  const tables = fillableTables(catalog).filter((r) => !fill || fill.has(r.key));
  const constraintsOf = new Map<string, ConstraintInfo[]>();
  for (const c of catalog.constraints.values())
    constraintsOf.set(c.tableKey, [...(constraintsOf.get(c.tableKey) ?? []), c]);
  const keysOf = new Map(tables.map((r) => [r.key, foreignKeys(r, constraintsOf.get(r.key) ?? [])]));
  const toPlace = new Set(tables.map((r) => r.key));
  const ordered: TablePlan[] = [];
  const unfillable: UnfillableTable[] = [];
  const nulledOf = new Map<string, Set<ForeignKey>>(tables.map((r) => [r.key, new Set<ForeignKey>()]));
  // A key to the table itself can only be NULL in the first rows.
  for (const r of tables)
    for (const fk of keysOf.get(r.key)!) if (fk.parentKey === r.key && fk.nullable) nulledOf.get(r.key)!.add(fk);
  const waitsOn = (key: string) =>
    keysOf.get(key)!.filter((fk) => toPlace.has(fk.parentKey) && !nulledOf.get(key)!.has(fk));
  while (toPlace.size > 0) {
    const ready = [...toPlace].filter((key) => waitsOn(key).length === 0);
    if (ready.length > 0) {
      for (const key of ready) {
        toPlace.delete(key);
        const relation = catalog.relations.get(key)!;
        ordered.push({ relation, keys: keysOf.get(key)!, nulled: nulledOf.get(key)! });
      }
      continue;
    }
    // A cycle: break it where every key still waited on may be NULL.
    const breakable = [...toPlace].find((key) => waitsOn(key).every((fk) => fk.nullable));
    if (breakable) {
      for (const fk of waitsOn(breakable)) nulledOf.get(breakable)!.add(fk);
      continue;
    }
    const reaches = (from: string, goal: string, seen = new Set<string>()): boolean =>
      waitsOn(from).some(
        (fk) =>
          fk.parentKey === goal ||
          (!seen.has(fk.parentKey) && (seen.add(fk.parentKey), reaches(fk.parentKey, goal, seen))),
      );
    for (const key of toPlace) {
      const relation = catalog.relations.get(key)!;
      const through = waitsOn(key).map(
        (fk) => `${fk.columns.join(', ')} -> ${tableName(catalog.relations.get(fk.parentKey)!)}`,
      );
      const reason = reaches(key, key)
        ? `its NOT NULL foreign keys form a cycle (${through.join('; ')}): no row can be inserted first`
        : `it references tables that cannot be filled (${through.join('; ')})`;
      unfillable.push({ table: tableName(relation), reason });
    }
    break;
  }
  return {
    tables: ordered.map((plan) => ({
      key: plan.relation.key,
      table: tableName(plan.relation),
      rows: planRows(catalog, plan, constraintsOf.get(plan.relation.key) ?? []),
    })),
    unfillable,
  };
}
