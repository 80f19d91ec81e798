/**
 * Which column type changes keep every value: one answer shared by the differ (which guards a change that
 * could alter values), the loss gate (which counts the values a change would alter) and verify. Types are
 * written as PostgreSQL's format_type prints them: `character varying(20)`, `numeric(10,2)`.
 */
import { ident } from './sql';

const INTEGER_DIGITS: Record<string, number> = { smallint: 5, integer: 10, bigint: 19 };
const INTEGER_RANK: Record<string, number> = { smallint: 1, integer: 2, bigint: 3 };
const STRING_TYPES = new Set(['text', 'character varying', 'character']);
/** The session TimeZone decides what a timestamp without time zone means; a conversion that keeps that meaning keeps the value. */
const TIME_WIDENINGS: Record<string, readonly string[]> = {
  date: ['timestamp without time zone', 'timestamp with time zone'],
  'timestamp without time zone': ['timestamp with time zone'],
  json: ['jsonb'],
};

export function parseType(type: string): { base: string; mods: number[]; array: boolean } {
  const array = type.endsWith('[]');
  const bare = array ? type.slice(0, -2) : type;
  // The modifiers may sit inside the name: `timestamp(3) with time zone`.
  const match = /^([^(]*)(?:\((\d+)(?:,(\d+))?\))?(.*)$/.exec(bare)!;
  const mods = [match[2], match[3]].filter((m) => m !== undefined).map(Number);
  return { base: (match[1]! + match[4]!).trim(), mods, array };
}

/**
 * How converting a value of type `from` to type `to` may alter or refuse it, in a few words (`cuts strings
 * longer than 20 characters`), or null when every value converts unchanged: a widening (integer to bigint,
 * varchar(20) to varchar(50) or text, numeric(8,2) to numeric(12,2)), timestamp to timestamptz (read in the
 * session TimeZone), json to jsonb (valid documents, normalized). Anything not known to keep every value
 * counts as a possible change: the callers ask rather than guess.
 */
export function valueChangingConversion(from: string, to: string): string | null {
  if (from === to) return null;
  const a = parseType(from);
  const b = parseType(to);
  if (a.array !== b.array) return `converts ${from} to ${to}`;
  if (a.base in INTEGER_RANK) {
    if (b.base in INTEGER_RANK)
      return INTEGER_RANK[b.base]! >= INTEGER_RANK[a.base]! ? null : `refuses values outside the range of ${to}`;
    if (b.base === 'numeric') {
      return b.mods.length === 0 || b.mods[0]! - (b.mods[1] ?? 0) >= INTEGER_DIGITS[a.base]!
        ? null
        : `refuses values with more than ${b.mods[0]! - (b.mods[1] ?? 0)} digits`;
    }
    if (b.base === 'double precision' && a.base !== 'bigint') return null;
    if (
      STRING_TYPES.has(b.base) &&
      (b.mods.length === 0 || b.base === 'text' || b.mods[0]! >= INTEGER_DIGITS[a.base]! + 1)
    )
      return null;
    return `converts ${from} to ${to}`;
  }
  if (a.base === 'real' && b.base === 'double precision') return null;
  if (a.base === 'numeric' && b.base === 'numeric') {
    if (b.mods.length === 0) return null;
    const [p2, s2 = 0] = b.mods;
    if (a.mods.length === 0)
      return `rounds to ${s2} decimal places and refuses values with more than ${p2! - s2} digits before the point`;
    const [p, s = 0] = a.mods;
    if (s2 < s) return `rounds to ${s2} decimal places`;
    return p2! - s2 >= p! - s ? null : `refuses values with more than ${p2! - s2} digits before the point`;
  }
  if (STRING_TYPES.has(a.base) && STRING_TYPES.has(b.base)) {
    if (b.base === 'text') return null;
    if (b.mods.length === 0) return b.base === 'character' ? `cuts strings longer than 1 character` : null;
    // char(n) pads with spaces that varchar and text keep: same length limit, same value once trimmed.
    if (a.mods.length > 0 && b.mods[0]! >= a.mods[0]! && a.base !== 'text') return null;
    return `cuts strings longer than ${b.mods[0]} characters`;
  }
  if (TIME_WIDENINGS[a.base]?.includes(b.base)) return null;
  if (a.base === b.base) {
    // timestamp(3) -> timestamp(6), bit varying(8) -> bit varying: more precision or no limit.
    if (b.mods.length === 0) return null;
    if (a.mods.length > 0 && b.mods[0]! >= a.mods[0]!) return null;
    return /^(timestamp|time|interval)/.test(a.base)
      ? `rounds to ${b.mods[0]} fractional digits`
      : `cuts values to ${to}`;
  }
  if (a.base === 'timestamp with time zone' && b.base === 'timestamp without time zone')
    return 'drops the time zone (values read in the session TimeZone)';
  return `converts ${from} to ${to}`;
}

/**
 * The values of `column` (its SQL expression, of type `from`) that converting to `to` would alter: a WHERE
 * condition true for each. A value that cannot convert at all makes the query fail, which is as loud.
 * Compared in the old type, so numeric 12.5000 -> 12.50 is no change, and as text, so types without an
 * equality operator compare too.
 */
export function changedByConversion(column: string, from: string, to: string): string {
  return `((${column})::${to})::${from}::text IS DISTINCT FROM (${column})::text`;
}

/**
 * A statement that fails, naming the column and one value, when converting it would alter any value: put
 * before a type change whose conversion may change values, so the change stops instead of cutting or
 * rounding. It runs where the change runs (one transaction), on the table as it is then.
 */
export function conversionGuard(
  table: string,
  tableName: string,
  columnName: string,
  from: string,
  to: string,
  how: string,
): string {
  const column = ident(columnName);
  const quote = (text: string) => text.replace(/'/g, "''");
  const what = quote(`${tableName}.${columnName}`);
  const reason = quote(how);
  const dot = tableName.indexOf('.');
  // PostgreSQL's error fields name the table and column, as its own errors do.
  const fields = `SCHEMA = '${quote(tableName.slice(0, dot))}', TABLE = '${quote(tableName.slice(dot + 1))}', COLUMN = '${quote(columnName)}'`;
  return [
    'DO $guard$',
    'DECLARE example text;',
    'BEGIN',
    `  SELECT ${column}::text INTO example FROM ${table} WHERE ${changedByConversion(column, from, to)} LIMIT 1;`,
    '  IF FOUND THEN',
    `    RAISE EXCEPTION 'column ${what}: converting ${quote(from)} to ${quote(to)} would change the value %', example`,
    `      USING ERRCODE = 'data_exception', ${fields},`,
    `      DETAIL = 'The conversion ${reason}; db-migrate never changes a value silently.',`,
    `      HINT = 'Fix or convert those values first (an UPDATE), or write the conversion you intend in the migration.';`,
    '  END IF;',
    'END',
    '$guard$',
  ].join('\n');
}
