import { parseAcl } from '../acl';
import type { CompositeTypeInfo, DomainInfo, EnumInfo, RangeTypeInfo } from '../catalog';
import type { ObjectKeys } from './keys';
import { query } from './query';
import { COLLATION_NAME, notExtensionMember, USER_NAMESPACE } from './scope';

/** One user type: enum (e), domain (d), range (r) or stand-alone composite (c); the columns of other kinds are null. */
export interface TypeRow {
  readonly oid: number;
  readonly schema: string;
  readonly name: string;
  readonly typtype: 'e' | 'd' | 'r' | 'c';
  /** The composite type's pg_class row (0 for other kinds). */
  readonly relid: number;
  readonly labels: string[] | null;
  readonly base: string | null;
  readonly typnotnull: boolean;
  readonly default_expr: string | null;
  readonly collation: string | null;
  readonly acl: string[];
  readonly default_acl: string[];
  readonly range_subtype: string | null;
  readonly range_opclass: string | null;
  readonly range_collation: string | null;
  readonly range_canonical: string | null;
  readonly range_subdiff: string | null;
  readonly multirange: string | null;
  readonly multirange_oid: number | null;
}

export const TYPES = query<TypeRow>(
  `SELECT t.oid::int, n.nspname AS schema, t.typname AS name, t.typtype, t.typrelid::int AS relid,
      CASE WHEN t.typtype = 'e' THEN ARRAY(SELECT en.enumlabel::text FROM pg_catalog.pg_enum en
        WHERE en.enumtypid = t.oid ORDER BY en.enumsortorder) END AS labels,
      CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END AS base,
      t.typnotnull, pg_catalog.pg_get_expr(t.typdefaultbin, 0) AS default_expr,
      CASE WHEN t.typtype = 'd' AND t.typcollation <> 0 AND t.typcollation <> bt.typcollation
        THEN ${COLLATION_NAME('t.typcollation')} END AS collation,
      COALESCE(t.typacl, pg_catalog.acldefault('T', t.typowner))::text[] AS acl,
      pg_catalog.acldefault('T', t.typowner)::text[] AS default_acl,
      pg_catalog.format_type(rg.rngsubtype, NULL) AS range_subtype,
      CASE WHEN NOT opc.opcdefault THEN pg_catalog.quote_ident(opcn.nspname) || '.' || pg_catalog.quote_ident(opc.opcname) END AS range_opclass,
      CASE WHEN rg.rngcollation <> 0 AND rg.rngcollation <> st.typcollation THEN ${COLLATION_NAME('rg.rngcollation')} END AS range_collation,
      NULLIF(rg.rngcanonical, 0)::regproc::text AS range_canonical, NULLIF(rg.rngsubdiff, 0)::regproc::text AS range_subdiff,
      rg.rngmultitypid::regtype::text AS multirange, rg.rngmultitypid::int AS multirange_oid
    FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
    LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype
    LEFT JOIN pg_catalog.pg_class tc ON tc.oid = t.typrelid
    LEFT JOIN pg_catalog.pg_range rg ON rg.rngtypid = t.oid
    LEFT JOIN pg_catalog.pg_type st ON st.oid = rg.rngsubtype
    LEFT JOIN pg_catalog.pg_opclass opc ON opc.oid = rg.rngsubopc
    LEFT JOIN pg_catalog.pg_namespace opcn ON opcn.oid = opc.opcnamespace
    WHERE ${USER_NAMESPACE} AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND tc.relkind = 'c'))
      AND ${notExtensionMember('pg_type', 't.oid')}
    ORDER BY n.nspname, t.typname`,
  {
    oid: 'int',
    schema: 'text',
    name: 'text',
    typtype: 'text',
    relid: 'int',
    labels: 'text[] | null',
    base: 'text | null',
    typnotnull: 'bool',
    default_expr: 'text | null',
    collation: 'text | null',
    acl: 'text[]',
    default_acl: 'text[]',
    range_subtype: 'text | null',
    range_opclass: 'text | null',
    range_collation: 'text | null',
    range_canonical: 'text | null',
    range_subdiff: 'text | null',
    multirange: 'text | null',
    multirange_oid: 'int | null',
  },
);

/** User types by kind; domains come without their constraints and composites without their attributes (read with constraints and columns). */
export interface Types {
  readonly enums: Map<string, EnumInfo>;
  readonly domains: Map<string, DomainInfo>;
  readonly composites: Map<string, CompositeTypeInfo>;
  readonly ranges: Map<string, RangeTypeInfo>;
}

export function buildTypes(rows: readonly TypeRow[], keys: ObjectKeys): Types {
  const enums = new Map<string, EnumInfo>();
  const domains = new Map<string, DomainInfo>();
  const composites = new Map<string, CompositeTypeInfo>();
  const ranges = new Map<string, RangeTypeInfo>();
  for (const r of rows) {
    const key = `type:${r.schema}.${r.name}`;
    keys.types.set(r.oid, key);
    const acl = parseAcl(r.acl);
    const defaultAcl = parseAcl(r.default_acl);
    if (r.typtype === 'r') {
      // The multirange type comes and goes with its range: a column of either uses the range.
      keys.types.set(r.multirange_oid!, key);
      ranges.set(key, {
        key,
        schema: r.schema,
        name: r.name,
        subtype: r.range_subtype!,
        opclass: r.range_opclass ?? null,
        collation: r.range_collation ?? null,
        canonical: r.range_canonical ?? null,
        subtypeDiff: r.range_subdiff ?? null,
        multirange: r.multirange!,
        comment: null,
        acl,
        defaultAcl,
      });
    } else if (r.typtype === 'e') {
      enums.set(key, { key, schema: r.schema, name: r.name, labels: r.labels!, comment: null, acl, defaultAcl });
    } else if (r.typtype === 'd') {
      domains.set(key, {
        key,
        schema: r.schema,
        name: r.name,
        baseType: r.base!,
        collation: r.collation ?? null,
        default: r.default_expr ?? null,
        notNull: r.typnotnull,
        constraints: [],
        comment: null,
        acl,
        defaultAcl,
      });
    } else {
      keys.classes.set(r.relid, key);
      composites.set(key, { key, schema: r.schema, name: r.name, attributes: [], comment: null, acl, defaultAcl });
    }
  }
  return { enums, domains, composites, ranges };
}
