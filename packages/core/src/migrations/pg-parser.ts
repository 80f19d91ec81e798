/**
 * PostgreSQL's own parser (libpg-query: the server's grammar compiled to WebAssembly), for the places
 * that must understand SQL rather than cut it: the lint and the refusal of transaction control. Applying
 * files still follows sql-migrate's line rules (format.ts); this only reads the statements they cut.
 *
 * The WASM module (libpg-query.wasm, beside the bundle in dist/) loads asynchronously, once per
 * process and only when first needed (`loadPgParser`); after that `parseSql` is synchronous and pure.
 */
import type { Node } from '@pgsql/types';
import type { MigrationStatement } from './format';

type PgQuery = typeof import('libpg-query');

/** A node's type name, e.g. `AlterTableStmt`, `FuncCall`, `String` (the key of its JSON wrapper). */
export type NodeKind = Node extends infer N ? (N extends unknown ? keyof N : never) : never;

/** The fields of a node of type `K` as @pgsql/types declares them (their child nodes are `Node` unions). */
type PgsqlFields<K extends NodeKind> =
  Extract<Node, Record<K, unknown>> extends infer W ? (W extends Record<K, infer F> ? F : never) : never;

/** @pgsql/types' shapes with every child `Node` read as a PgNode, so a child's type is one `?.` away. */
type Readable<T> = T extends Node
  ? PgNode
  : T extends readonly (infer E)[]
    ? readonly Readable<E>[]
    : T extends object
      ? { readonly [F in keyof T]: Readable<T[F]> }
      : T;

/** The fields of a node of type `K`, e.g. `NodeOf<'RangeVar'>` has `schemaname` and `relname`. */
export type NodeOf<K extends NodeKind> = Readable<PgsqlFields<K>>;

/**
 * A node of any type, read through its wrapper: `node.FuncCall?.funcname`. The parse tree is JSON
 * `{ "<type>": { ...fields } }`; a @pgsql/types `Node` is such a wrapper, so every Node is a PgNode.
 */
export type PgNode = { readonly [K in NodeKind]?: NodeOf<K> };

/** One top-level statement of a piece of SQL, as the parser read it: `kind` tells the type of `node`. */
export type ParsedSql = {
  [K in NodeKind]: {
    /** The node type, e.g. `AlterTableStmt`, `TransactionStmt`. */
    readonly kind: K;
    /** The statement's fields (libpg-query's JSON parse tree, typed by @pgsql/types). */
    readonly node: NodeOf<K>;
    /** Character offset of the statement's first token in the parsed text. */
    readonly offset: number;
  };
}[NodeKind];

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
  let tree: { stmts?: { stmt: Node; stmt_location?: number }[] };
  try {
    tree = pgQuery.parseSync(sql) as typeof tree;
  } catch (error) {
    const details = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    const position = details?.cursorPosition ?? 0;
    throw new SqlSyntaxError((error as Error).message, Math.max(0, Math.min(position, sql.length)));
  }
  const bytes = Buffer.from(sql, 'utf8');
  return (tree.stmts ?? []).map((s) => {
    const [kind, node] = Object.entries(s.stmt)[0]!;
    // The wrapper's one key names the type of its value: the pair is a ParsedSql by construction.
    return { kind, node, offset: firstToken(sql, charOffset(sql, bytes, s.stmt_location ?? 0)) } as ParsedSql;
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

/** The last part of a qualified name (`String` nodes): `now` of `pg_catalog.now`. */
export function lastName(parts: readonly PgNode[] | undefined): string | undefined {
  return parts?.at(-1)?.String?.sval;
}

/** A table name from a RangeVar: `schema.table`, or just `table` when written unqualified. */
export function relationName(range: NodeOf<'RangeVar'> | undefined): string {
  if (!range) return '?';
  return range.schemaname ? `${range.schemaname}.${range.relname}` : String(range.relname);
}

/** The nodes of a `List` node's items, or of a node list itself. */
export function listItems(node: PgNode | undefined): readonly PgNode[] {
  return node?.List?.items ?? [];
}

/**
 * Whether `test` holds for `node` or any node below it (a wrapper `{ Type: fields }` at any depth, arrays
 * included). The tree is JSON: every object in it is read as a node, which is what libpg-query makes it.
 */
export function deepSome(node: unknown, test: (n: PgNode) => boolean): boolean {
  if (Array.isArray(node)) return node.some((x) => deepSome(x, test));
  if (typeof node !== 'object' || node === null) return false;
  if (test(node as PgNode)) return true;
  return Object.values(node).some((x) => deepSome(x, test));
}
