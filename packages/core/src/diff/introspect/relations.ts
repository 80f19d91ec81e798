import { parseAcl } from '../acl';
import type { RelationInfo, RelationKind } from '../catalog';
import type { ObjectKeys } from './keys';
import { query } from './query';
import { notExtensionMember, USER_NAMESPACE } from './scope';

/** Tables, partitioned tables, views and materialized views. */
export interface RelationRow {
  readonly oid: number;
  readonly schema: string;
  readonly name: string;
  readonly relkind: 'r' | 'p' | 'v' | 'm';
  readonly relpersistence: string;
  readonly relrowsecurity: boolean;
  readonly relforcerowsecurity: boolean;
  readonly options: string[] | null;
  readonly relreplident: 'd' | 'n' | 'f' | 'i';
  readonly replident_index: string | null;
  readonly cluster_index: string | null;
  readonly partition_key: string | null;
  readonly relispartition: boolean;
  readonly bound: string | null;
  /** pg_inherits parents in inhseqno order (the partitioned table of a partition). */
  readonly parents: number[];
  readonly view_definition: string | null;
  readonly acl: string[];
  readonly default_acl: string[];
}

export const RELATIONS = query<RelationRow>(
  `SELECT c.oid::int, n.nspname AS schema, c.relname AS name, c.relkind, c.relpersistence,
      c.relrowsecurity, c.relforcerowsecurity, c.reloptions::text[] AS options, c.relreplident,
      CASE WHEN c.relreplident = 'i' THEN (SELECT ic.relname FROM pg_catalog.pg_index i
        JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid AND i.indisreplident LIMIT 1)
        END AS replident_index,
      (SELECT ic.relname FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
        WHERE i.indrelid = c.oid AND i.indisclustered LIMIT 1) AS cluster_index,
      CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS partition_key,
      c.relispartition, CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END AS bound,
      ARRAY(SELECT i.inhparent::int FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid ORDER BY i.inhseqno) AS parents,
      CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END AS view_definition,
      COALESCE(c.relacl, pg_catalog.acldefault('r', c.relowner))::text[] AS acl,
      pg_catalog.acldefault('r', c.relowner)::text[] AS default_acl
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm') AND ${USER_NAMESPACE} AND ${notExtensionMember('pg_class', 'c.oid')}
    ORDER BY n.nspname, c.relname`,
  {
    oid: 'int',
    schema: 'text',
    name: 'text',
    relkind: 'text',
    relpersistence: 'text',
    relrowsecurity: 'bool',
    relforcerowsecurity: 'bool',
    options: 'text[] | null',
    relreplident: 'text',
    replident_index: 'text | null',
    cluster_index: 'text | null',
    partition_key: 'text | null',
    relispartition: 'bool',
    bound: 'text | null',
    parents: 'int[]',
    view_definition: 'text | null',
    acl: 'text[]',
    default_acl: 'text[]',
  },
);

/** What the objects on a relation (constraints, indexes, triggers...) need of it. */
export interface RelationRef {
  readonly schema: string;
  readonly name: string;
  readonly key: string;
}

const relationKinds: Record<RelationRow['relkind'], RelationKind> = {
  r: 'table',
  p: 'partitioned table',
  v: 'view',
  m: 'materialized view',
};

export function stripSemicolon(text: string): string {
  return text.replace(/;\s*$/, '');
}

/** The relations by key (columns come from the columns query), and the relations by oid. */
export function buildRelations(
  rows: readonly RelationRow[],
  keys: ObjectKeys,
): { relations: Map<string, RelationInfo>; byOid: Map<number, RelationRef> } {
  const relations = new Map<string, RelationInfo>();
  const byOid = new Map<number, RelationRef>();
  for (const r of rows) {
    const key = `rel:${r.schema}.${r.name}`;
    keys.classes.set(r.oid, key);
    byOid.set(r.oid, { schema: r.schema, name: r.name, key });
  }
  for (const r of rows) {
    const key = `rel:${r.schema}.${r.name}`;
    const parents = r.parents.map((oid) => keys.classes.get(oid)).filter((k): k is string => !!k);
    relations.set(key, {
      key,
      oid: r.oid,
      schema: r.schema,
      name: r.name,
      kind: relationKinds[r.relkind],
      unlogged: r.relpersistence === 'u',
      rowSecurity: r.relrowsecurity,
      forceRowSecurity: r.relforcerowsecurity,
      replicaIdentity: r.relreplident === 'i' && !r.replident_index ? 'd' : r.relreplident,
      replicaIdentityIndex: r.relreplident === 'i' ? (r.replident_index ?? null) : null,
      clusterIndex: r.cluster_index ?? null,
      options: r.options ?? [],
      partitionKey: r.partition_key ?? null,
      partitionOf: r.relispartition ? (parents[0] ?? null) : null,
      partitionBound: r.bound ?? null,
      inherits: r.relispartition ? [] : parents,
      columns: [],
      viewDefinition: r.view_definition ? stripSemicolon(r.view_definition) : null,
      comment: null,
      acl: parseAcl(r.acl),
      defaultAcl: parseAcl(r.default_acl),
    });
  }
  return { relations, byOid };
}

/** An object named within one table (a rule, a trigger, a policy). */
interface OnTable {
  readonly key: string;
  readonly schema: string;
  readonly table: string;
  readonly tableKey: string;
  readonly name: string;
}

/**
 * Objects named within one table, keyed `prefix:schema.table.name`, their keys recorded by oid in `keysByOid`;
 * rows on relations introspection did not read are left out. `rest` gives what follows the name.
 */
export function buildOnTables<
  T extends OnTable,
  R extends { readonly oid: number; readonly relid: number; readonly name: string },
>(
  rows: readonly R[],
  prefix: string,
  tables: ReadonlyMap<number, RelationRef>,
  keysByOid: Map<number, string>,
  rest: (r: R) => Omit<T, keyof OnTable>,
): Map<string, T> {
  const objects = new Map<string, T>();
  for (const r of rows) {
    const rel = tables.get(r.relid);
    if (!rel) continue;
    const key = `${prefix}:${rel.schema}.${rel.name}.${r.name}`;
    keysByOid.set(r.oid, key);
    objects.set(key, { key, schema: rel.schema, table: rel.name, tableKey: rel.key, name: r.name, ...rest(r) } as T);
  }
  return objects;
}
