import { parseAcl } from '../acl';
import type { SchemaInfo } from '../catalog';
import type { ObjectKeys } from './keys';
import { query } from './query';
import { notExtensionMember, USER_NAMESPACE } from './scope';

export interface SchemaRow {
  readonly oid: number;
  readonly name: string;
  readonly acl: string[];
  readonly default_acl: string[];
}

export const SCHEMAS = query<SchemaRow>(
  `SELECT n.oid::int, n.nspname AS name,
      COALESCE(n.nspacl, pg_catalog.acldefault('n', n.nspowner))::text[] AS acl,
      pg_catalog.acldefault('n', n.nspowner)::text[] AS default_acl
    FROM pg_catalog.pg_namespace n
    WHERE ${USER_NAMESPACE} AND ${notExtensionMember('pg_namespace', 'n.oid')}
    ORDER BY n.nspname`,
  {
    oid: 'int',
    name: 'text',
    acl: 'text[]',
    default_acl: 'text[]',
  },
);

export function buildSchemas(rows: readonly SchemaRow[], keys: ObjectKeys): Map<string, SchemaInfo> {
  const schemas = new Map<string, SchemaInfo>();
  for (const r of rows) {
    const key = `schema:${r.name}`;
    keys.namespaces.set(r.oid, key);
    schemas.set(key, { key, name: r.name, comment: null, acl: parseAcl(r.acl), defaultAcl: parseAcl(r.default_acl) });
  }
  return schemas;
}
