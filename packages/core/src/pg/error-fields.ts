/**
 * The evidence PostgreSQL attaches to an error (its DETAIL, HINT, CONTEXT and the object it names), kept
 * as data for reports and printed on lines of their own under the one-line message: the detail is often
 * what says which row broke the statement (`Key (mrn)=(M1) is duplicated.`).
 */
import { redact } from '../redact';

export interface ServerErrorFields {
  /** SQLSTATE, e.g. 23505. */
  readonly sqlState?: string;
  readonly detail?: string;
  readonly hint?: string;
  /** The constraint the error is about. */
  readonly constraint?: string;
  /** schema.table when the server names both. */
  readonly table?: string;
  readonly column?: string;
  readonly dataType?: string;
  /** PostgreSQL's CONTEXT: where in a function or a cascade the error arose. */
  readonly where?: string;
}

/** The fields a node-postgres DatabaseError carries (undefined members left out), redacted. */
export function serverErrorFields(error: unknown): ServerErrorFields {
  const e = (error ?? {}) as Record<string, unknown>;
  const text = (key: string): string | undefined =>
    typeof e[key] === 'string' && e[key] !== '' ? redact(e[key] as string) : undefined;
  const table = text('table');
  const fields: Record<string, string | undefined> = {
    sqlState: text('code'),
    detail: text('detail'),
    hint: text('hint'),
    constraint: text('constraint'),
    table: table && text('schema') ? `${text('schema')}.${table}` : table,
    column: text('column'),
    dataType: text('dataType'),
    where: text('where'),
  };
  // Only SQLSTATEs (five characters): a Node error code (ECONNRESET) is not the server's.
  if (fields.sqlState && !/^[0-9A-Z]{5}$/.test(fields.sqlState)) delete fields.sqlState;
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as ServerErrorFields;
}

/** The detail, hint and context as lines (`  detail: Key (mrn)=(M1) is duplicated.`), each on its own line. */
export function serverErrorLines(fields: ServerErrorFields): string[] {
  const lines: string[] = [];
  if (fields.detail) lines.push(`detail: ${fields.detail}`);
  if (fields.hint) lines.push(`hint: ${fields.hint}`);
  if (fields.where) lines.push(`context: ${fields.where}`);
  return lines.map((line) => `  ${line.replace(/\n/g, '\n    ')}`);
}
