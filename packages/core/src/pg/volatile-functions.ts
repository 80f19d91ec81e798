/**
 * Built-in and extension functions that are VOLATILE in pg_proc (provolatile 'v') and commonly called in a
 * column default. What it means for us: ADD COLUMN with a default that calls one of them writes every row
 * under an ACCESS EXCLUSIVE lock, because PostgreSQL stores a default once (no rewrite) only when it is not
 * volatile. STABLE functions (now(), current_timestamp, txid_current()) are evaluated once per statement,
 * so they are not here. The differ (on pg_get_expr text) and the lint (on the parse tree) both
 * read this list; test/volatile-functions.test.ts checks it against pg_proc.
 */
export interface VolatileFunction {
  readonly name: string;
  /** The extension that defines it, when it is not built in. */
  readonly extension?: 'pgcrypto' | 'uuid-ossp';
  /** The first PostgreSQL major that has it, when later than 14. */
  readonly since?: number;
}

export const VOLATILE_FUNCTION_LIST: readonly VolatileFunction[] = [
  { name: 'clock_timestamp' },
  { name: 'timeofday' },
  { name: 'random' },
  { name: 'random_normal', since: 16 },
  { name: 'setseed' },
  { name: 'gen_random_uuid' },
  { name: 'uuidv4', since: 18 },
  { name: 'uuidv7', since: 18 },
  { name: 'nextval' },
  { name: 'currval' },
  { name: 'lastval' },
  { name: 'gen_random_bytes', extension: 'pgcrypto' },
  { name: 'gen_salt', extension: 'pgcrypto' },
  { name: 'uuid_generate_v1', extension: 'uuid-ossp' },
  { name: 'uuid_generate_v1mc', extension: 'uuid-ossp' },
  { name: 'uuid_generate_v4', extension: 'uuid-ossp' },
];

/** The names of VOLATILE_FUNCTION_LIST, for lookups by a call's (last) name. */
export const VOLATILE_FUNCTIONS: ReadonlySet<string> = new Set(VOLATILE_FUNCTION_LIST.map((f) => f.name));

const CALLS_VOLATILE = new RegExp(`\\b(${[...VOLATILE_FUNCTIONS].join('|')})\\s*\\(`, 'i');

/** Whether an expression as PostgreSQL prints it (pg_get_expr) calls one of VOLATILE_FUNCTIONS. */
export function callsVolatileFunction(expression: string): boolean {
  return CALLS_VOLATILE.test(expression);
}
