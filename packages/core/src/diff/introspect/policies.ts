import type { PolicyInfo } from '../catalog';
import type { ObjectKeys } from './keys';
import { query } from './query';
import { buildOnTables, type RelationRef } from './relations';

export interface PolicyRow {
  readonly oid: number;
  readonly relid: number;
  readonly name: string;
  readonly permissive: boolean;
  readonly command: string;
  /** Role names, `public` for PUBLIC. */
  readonly roles: string[];
  readonly using_expr: string | null;
  readonly check_expr: string | null;
}

export const POLICIES = query<PolicyRow>(
  `SELECT p.oid::int, p.polrelid::int AS relid, p.polname AS name, p.polpermissive AS permissive,
      p.polcmd AS command,
      ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(r)::text END
        FROM pg_catalog.unnest(p.polroles) AS r ORDER BY 1) AS roles,
      pg_catalog.pg_get_expr(p.polqual, p.polrelid) AS using_expr,
      pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) AS check_expr
    FROM pg_catalog.pg_policy p
    ORDER BY p.polrelid::regclass::text, p.polname`,
  {
    oid: 'int',
    relid: 'int',
    name: 'text',
    permissive: 'bool',
    command: 'text',
    roles: 'text[]',
    using_expr: 'text | null',
    check_expr: 'text | null',
  },
);

export function buildPolicies(
  rows: readonly PolicyRow[],
  keys: ObjectKeys,
  tables: ReadonlyMap<number, RelationRef>,
): Map<string, PolicyInfo> {
  return buildOnTables<PolicyInfo, PolicyRow>(rows, 'pol', tables, keys.policies, (r) => ({
    permissive: r.permissive,
    command: r.command,
    roles: r.roles,
    using: r.using_expr ?? null,
    withCheck: r.check_expr ?? null,
    comment: null,
  }));
}
