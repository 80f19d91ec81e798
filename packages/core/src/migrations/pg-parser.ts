/**
 * PostgreSQL's own parser (libpg-query: the server's grammar compiled to WebAssembly), for the places
 * that must understand SQL rather than cut it: the lint and the refusal of transaction control. Applying
 * files still follows sql-migrate's line rules (format.ts); this only reads the statements they cut.
 *
 * The WASM module (libpg-query.wasm, beside the bundle in dist/) loads asynchronously, once per
 * process and only when first needed (`loadPgParser`); after that `parseSql` is synchronous and pure.
 */
import type { MigrationStatement } from './format';

type PgQuery = typeof import('libpg-query');

/** One top-level statement of a piece of SQL, as the parser read it. */
export interface ParsedSql {
  /** The node type, e.g. `AlterTableStmt`, `TransactionStmt`. */
  readonly kind: string;
  /** The node's fields (libpg-query's JSON parse tree, PostgreSQL's field names). */
  readonly node: PgNode;
  /** Character offset of the statement's first token in the parsed text. */
  readonly offset: number;
}

// The parse tree is plain JSON whose shape depends on the node type: read it field by field.
// biome-ignore lint/suspicious/noExplicitAny: typed nodes from @pgsql/types replace this (#25)
export type PgNode = Record<string, any>;

export class SqlSyntaxError extends Error {
  /** Character offset in the parsed text that PostgreSQL's parser points at. */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'SqlSyntaxError';
    this.offset = offset;
  }
}

let loaded: Promise<void> | undefined;
let pgQuery: PgQuery | undefined;

/** Loads the parser's WASM module (once; later calls return at once). */
export function loadPgParser(): Promise<void> {
  loaded ??= (async () => {
    // Required here, not imported: the module starts loading its WASM as soon as it is required.
    const module = require('libpg-query') as PgQuery;
    try {
      await module.loadModule();
    } catch (error) {
      throw new Error(
        `cannot load PostgreSQL's parser (libpg-query.wasm, expected beside the bundle): ${(error as Error).message}`,
      );
    }
    pgQuery = module;
  })();
  return loaded;
}

/** Character offset of a UTF-8 byte offset (the parser counts bytes). */
function charOffset(_text: string, bytes: Buffer, byteOffset: number): number {
  return byteOffset <= 0 ? 0 : bytes.subarray(0, byteOffset).toString('utf8').length;
}

/** Skips whitespace and comments from `offset`: a statement's location starts right after the previous ";". */
function firstToken(text: string, offset: number): number {
  let i = offset;
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (text.startsWith('--', i)) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end + 1;
    } else if (text.startsWith('/*', i)) {
      let depth = 1;
      i += 2;
      while (i < text.length && depth > 0) {
        if (text.startsWith('/*', i)) depth++, (i += 2);
        else if (text.startsWith('*/', i)) depth--, (i += 2);
        else i++;
      }
    } else return i;
  }
}

/** The statements of `sql`, or throws a SqlSyntaxError at the offset the parser names. */
export function parseSql(sql: string): ParsedSql[] {
  if (!pgQuery) throw new Error('the PostgreSQL parser is not loaded: await loadPgParser() first');
  let tree: { stmts?: { stmt: PgNode; stmt_location?: number }[] };
  try {
    tree = pgQuery.parseSync(sql);
  } catch (error) {
    const details = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    const position = details?.cursorPosition ?? 0;
    throw new SqlSyntaxError((error as Error).message, Math.max(0, Math.min(position, sql.length)));
  }
  const bytes = Buffer.from(sql, 'utf8');
  return (tree.stmts ?? []).map((s) => {
    const kind = Object.keys(s.stmt)[0]!;
    return {
      kind,
      node: s.stmt[kind] as PgNode,
      offset: firstToken(sql, charOffset(sql, bytes, s.stmt_location ?? 0)),
    };
  });
}

/** The file line of a character offset in a migration statement's SQL. */
export function fileLineAt(statement: MigrationStatement, offset: number): number {
  const index = statement.sql.slice(0, offset).split('\n').length - 1;
  return statement.lines[index] ?? statement.line;
}

/** A qualified name as the parser gives it (`String` nodes), e.g. `public.users`. */
export function nameOf(parts: readonly PgNode[] | undefined): string {
  return (parts ?? []).map((p) => p.String?.sval ?? '').join('.');
}

/** A table name from a RangeVar: `schema.table`, or just `table` when written unqualified. */
export function relationName(range: PgNode | undefined): string {
  if (!range) return '?';
  return range.schemaname ? `${range.schemaname}.${range.relname}` : String(range.relname);
}
