import { parseAcl } from '../acl';
import { defaultPrivilegeKey, type DefaultAclObjectType, type DefaultPrivilegeInfo } from '../catalog';
import { query } from './query';

/** One pg_default_acl entry; schema is null for a database-wide one. */
export interface DefaultAclRow {
  readonly role: string;
  readonly schema: string | null;
  readonly objtype: DefaultAclObjectType;
  readonly acl: string[];
  readonly builtin_acl: string[];
}

export const DEFAULT_ACLS = query<DefaultAclRow>(
  `SELECT pg_catalog.pg_get_userbyid(d.defaclrole) AS role, n.nspname AS schema, d.defaclobjtype AS objtype,
      d.defaclacl::text[] AS acl,
      pg_catalog.acldefault(CASE d.defaclobjtype WHEN 'S' THEN 's' ELSE d.defaclobjtype END, d.defaclrole)::text[] AS builtin_acl
    FROM pg_catalog.pg_default_acl d LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
    ORDER BY 1, 2 NULLS FIRST, 3`,
  {
    role: 'text',
    schema: 'text | null',
    objtype: 'text',
    acl: 'text[]',
    builtin_acl: 'text[]',
  },
);

export function buildDefaultPrivileges(rows: readonly DefaultAclRow[]): Map<string, DefaultPrivilegeInfo> {
  const defaultPrivileges = new Map<string, DefaultPrivilegeInfo>();
  for (const r of rows) {
    const schema: string | null = r.schema ?? null;
    const key = defaultPrivilegeKey(r.role, schema, r.objtype);
    defaultPrivileges.set(key, {
      key,
      role: r.role,
      schema,
      objectType: r.objtype,
      acl: parseAcl(r.acl),
      defaultAcl: schema === null ? parseAcl(r.builtin_acl) : {},
    });
  }
  return defaultPrivileges;
}
