/**
 * Declared renames (`public.products.title -> name`): the differ cannot tell a rename from a drop and an
 * add, so the user says which it is. The renames are applied to the base database before the
 * comparison, by PostgreSQL itself, so every definition that names the object (views, indexes,
 * constraints, defaults) follows exactly as it will on a client database; the comparison then sees only
 * what else changed. Up runs the RENAME statements first, Down undoes them last.
 */
import type { Client } from 'pg';
import { ConfigurationError } from '../errors';
import { connectDatabase } from '../pg/connect';
import { diff } from './index';
import { hazards } from './hazards';
import { ident, literal, qualified } from './sql';
import type { DiffOptions, DiffStatement, ObjectKind } from './types';

/** A rename as written: `public.products.title -> name` (the object, schema-qualified, and its new name). */
export interface RenameDeclaration {
  readonly text: string;
  /** Where it was declared, for errors: a commit trailer, an option. */
  readonly source: string;
}

export interface ResolvedRename {
  /** As written (or implied by another rename). */
  readonly text: string;
  readonly kind: ObjectKind | 'enum value';
  readonly up: string;
  readonly down: string;
}

const RENAME = /^\s*(\S.*?)\s*->\s*(\S.*?)\s*$/;

function splitName(text: string): string[] {
  const parts: string[] = [];
  const re = /"((?:[^"]|"")*)"|([^."]+)/g;
  for (const match of text.matchAll(re))
    parts.push(match[1] !== undefined ? match[1].replace(/""/g, '"') : match[2]!.trim());
  return parts;
}

interface Found {
  readonly kind: ResolvedRename['kind'];
  readonly sql: (from: string, to: string) => string;
}

/** What `schema.parent.name` can name, in the order tried: a column, a constraint, an enum value. */
const PARTS: readonly {
  readonly kind: Found['kind'];
  /** Finds a row when it names one: $1 schema, $2 parent, $3 name. */
  readonly query: string;
  /** The statement renaming it, `parent` the qualified table or enum. */
  readonly sql: (parent: string, from: string, to: string) => string;
}[] = [
  {
    kind: 'column',
    query: `SELECT 1 FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = $2 AND a.attname = $3 AND a.attnum > 0 AND NOT a.attisdropped`,
    sql: (table, f, t) => `ALTER TABLE ${table} RENAME COLUMN ${ident(f)} TO ${ident(t)}`,
  },
  {
    kind: 'constraint',
    query: `SELECT 1 FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid = k.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = $2 AND k.conname = $3`,
    sql: (table, f, t) => `ALTER TABLE ${table} RENAME CONSTRAINT ${ident(f)} TO ${ident(t)}`,
  },
  {
    kind: 'enum value',
    query: `SELECT 1 FROM pg_catalog.pg_enum e JOIN pg_catalog.pg_type t ON t.oid = e.enumtypid JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = $1 AND t.typname = $2 AND e.enumlabel = $3`,
    sql: (type, f, t) => `ALTER TYPE ${type} RENAME VALUE ${literal(f)} TO ${literal(t)}`,
  },
];

/** What `parts` names in the database (the first match of column, constraint, enum value; relation, index, enum). */
async function find(client: Client, parts: readonly string[]): Promise<Found | undefined> {
  const one = async (sql: string, params: readonly string[]) =>
    (await client.query(sql, [...params])).rows[0] as Record<string, string> | undefined;
  if (parts.length === 3) {
    const [schema, parent, name] = parts as [string, string, string];
    const qualifiedParent = qualified(schema, parent);
    for (const part of PARTS) {
      if (await one(part.query, [schema, parent, name]))
        return { kind: part.kind, sql: (f, t) => part.sql(qualifiedParent, f, t) };
    }
    return undefined;
  }
  if (parts.length === 2) {
    const [schema, name] = parts as [string, string];
    const rel = await one(
      `SELECT c.relkind::text AS kind FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
      [schema, name],
    );
    const keyword: Record<string, [ObjectKind, string]> = {
      r: ['table', 'TABLE'],
      p: ['table', 'TABLE'],
      v: ['view', 'VIEW'],
      m: ['materialized view', 'MATERIALIZED VIEW'],
      i: ['index', 'INDEX'],
      I: ['index', 'INDEX'],
      S: ['sequence', 'SEQUENCE'],
    };
    const match = rel ? keyword[rel.kind!] : undefined;
    if (match)
      return { kind: match[0], sql: (f, t) => `ALTER ${match[1]} ${qualified(schema, f)} RENAME TO ${ident(t)}` };
    const type = await one(
      `SELECT 1 FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = $1 AND t.typname = $2 AND t.typtype = 'e'`,
      [schema, name],
    );
    if (type) return { kind: 'enum', sql: (f, t) => `ALTER TYPE ${qualified(schema, f)} RENAME TO ${ident(t)}` };
  }
  return undefined;
}

/** Resolves one declaration against the database as it is now and runs it there. */
async function renameOne(client: Client, declaration: RenameDeclaration): Promise<ResolvedRename> {
  const match = RENAME.exec(declaration.text);
  const parts = match ? splitName(match[1]!) : [];
  const target = match ? splitName(match[2]!) : [];
  const newName = target[target.length - 1];
  if (!match || parts.length < 2 || parts.length > 3 || !newName) {
    throw new ConfigurationError(
      `${declaration.source}: "${declaration.text}" is not a rename: write "<schema>.<table> -> <new name>" or "<schema>.<table>.<column> -> <new name>" ` +
        `(also indexes, constraints, enums "<schema>.<enum>" and enum values "<schema>.<enum>.<value>"), e.g. "public.products.title -> name"`,
    );
  }
  const found = await find(client, parts);
  if (!found) {
    throw new ConfigurationError(
      `${declaration.source}: "${declaration.text}": the base schema has no table, view, index, sequence, enum, column, constraint or enum value named ${parts.join('.')}`,
    );
  }
  const oldName = parts[parts.length - 1]!;
  const up = found.sql(oldName, newName);
  await client.query(up);
  return { text: `${parts.join('.')} -> ${newName}`, kind: found.kind, up, down: found.sql(newName, oldName) };
}

/** `public.products -> items` and `public.products.title -> name` as the old and new table, and the old and new name part. */
function nameChange(rename: ResolvedRename): { schema: string; table: string; from: string; to: string } | undefined {
  if (rename.kind !== 'table' && rename.kind !== 'column') return undefined;
  const [left, right] = rename.text.split(' -> ') as [string, string];
  const parts = splitName(left);
  const schema = parts[0]!;
  if (rename.kind === 'table') return { schema, table: right, from: parts[1]!, to: right };
  return { schema, table: parts[1]!, from: parts[2]!, to: right };
}

/**
 * Names derived from a renamed table or column (`products_pkey`, `products_id_seq`, `ix_products_title`)
 * follow it when the goal has the derived new name and not the old one: a sequence recreated would
 * restart at 1, an index or key recreated is rebuilt.
 */
async function impliedRenames(
  client: Client,
  goal: Client,
  renames: readonly ResolvedRename[],
): Promise<RenameDeclaration[]> {
  const implied: RenameDeclaration[] = [];
  const names = `SELECT 'rel' AS kind, c.relname AS name FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = $1 AND c.relkind IN ('i', 'I', 'S')
                    AND (c.relkind <> 'i' OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = c.oid AND k.contype IN ('p', 'u', 'x')))
                 UNION ALL
                 SELECT 'con:' || t.relname, k.conname FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class t ON t.oid = k.conrelid
                   JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = $1`;
  for (const rename of renames) {
    const change = nameChange(rename);
    if (!change?.from || change.from === change.to) continue;
    const [here, there] = await Promise.all([client.query(names, [change.schema]), goal.query(names, [change.schema])]);
    const key = (r: { kind: string; name: string }) => `${r.kind === 'rel' ? 'rel' : 'con'}\0${r.name}`;
    const inBase = new Set(here.rows.map(key));
    const inGoal = new Set(there.rows.map(key));
    for (const row of here.rows as { kind: string; name: string }[]) {
      // A column's name alone is too common a word: the derived name must name its table too.
      if (!row.name.includes(change.from) || (rename.kind === 'column' && !row.name.includes(change.table))) continue;
      const renamed = row.name.split(change.from).join(change.to);
      const kind = row.kind === 'rel' ? 'rel' : 'con';
      if (!inGoal.has(`${kind}\0${renamed}`) || inGoal.has(`${kind}\0${row.name}`) || inBase.has(`${kind}\0${renamed}`))
        continue;
      const owner = kind === 'con' ? `${change.schema}.${row.kind.slice(4)}.` : `${change.schema}.`;
      implied.push({ text: `${owner}${row.name} -> ${renamed}`, source: `implied by the rename ${rename.text}` });
    }
  }
  return implied;
}

export interface RenamedDiff {
  readonly renames: readonly ResolvedRename[];
  readonly up: readonly DiffStatement[];
  readonly down: readonly DiffStatement[];
}

function renameStatement(rename: ResolvedRename, sql: string): DiffStatement {
  const kind: ObjectKind = rename.kind === 'enum value' ? 'enum' : rename.kind;
  const [from, to] = rename.text.split(' -> ') as [string, string];
  // The same hazard verify's lint reads from the RENAME, so the header lists what verify warns about.
  return {
    sql,
    object: { kind, name: from },
    action: 'rename',
    destructive: false,
    hazards: [{ ...hazards.renames(`${rename.kind} ${from}`, to), object: from }],
    transactional: true,
    step: 0,
  };
}

/**
 * Up and Down between `fromUrl` and `toUrl` with the declared renames applied first. `fromUrl` must be
 * a shadow database: the renames are run on it (in one transaction), and it stays renamed.
 */
export async function diffWithRenames(
  fromUrl: string,
  toUrl: string,
  declarations: readonly RenameDeclaration[],
  options: DiffOptions = {},
): Promise<RenamedDiff> {
  const client = await connectDatabase(fromUrl);
  const goal = await connectDatabase(toUrl);
  const renames: ResolvedRename[] = [];
  try {
    await client.query('BEGIN');
    for (const declaration of declarations) renames.push(await renameOne(client, declaration));
    for (const declaration of await impliedRenames(client, goal, renames))
      renames.push(await renameOne(client, declaration));
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await Promise.all([client.end().catch(() => undefined), goal.end().catch(() => undefined)]);
  }
  const [up, down] = await Promise.all([diff(fromUrl, toUrl, options), diff(toUrl, fromUrl, options)]);
  return {
    renames,
    up: [...renames.map((r) => renameStatement(r, r.up)), ...up.statements],
    down: [...down.statements, ...[...renames].reverse().map((r) => renameStatement(r, r.down))],
  };
}
