import { parseAcl } from '../acl';
import type { ColumnInfo, CompositeAttribute, IdentityOptions, RelationInfo } from '../catalog';
import { columnId, type ObjectKeys } from './keys';
import { query } from './query';
import { COLLATION_NAME, USER_NAMESPACE } from './scope';

/** A column of a relation or an attribute of a composite type. */
export interface ColumnRow {
  readonly relid: number;
  readonly position: number;
  readonly name: string;
  readonly type: string;
  readonly type_oid: number;
  readonly attnotnull: boolean;
  /** A NOT NULL constraint of the table's own besides the inherited one (PostgreSQL 18 keeps it when the parent drops its). */
  readonly notnull_own: boolean;
  readonly default_expr: string | null;
  readonly attgenerated: string;
  readonly attidentity: string;
  readonly attislocal: boolean;
  readonly attinhcount: number;
  readonly acl: string[] | null;
  readonly storage: string | null;
  readonly type_storage: string;
  readonly compression: string | null;
  readonly stattarget: number;
  readonly attoptions: string[] | null;
  readonly collation: string | null;
  readonly cast_type: string | null;
  readonly cast_category: string | null;
  readonly is_array: boolean | null;
}

export const COLUMNS = query<ColumnRow>(
  `SELECT a.attrelid::int AS relid, a.attnum AS position, a.attname AS name,
      pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.atttypid::int AS type_oid, a.attnotnull,
      EXISTS (SELECT FROM pg_catalog.pg_constraint nn WHERE nn.contype = 'n' AND nn.conrelid = a.attrelid
        AND nn.conkey[1] = a.attnum AND nn.conislocal AND nn.coninhcount > 0) AS notnull_own,
      -- A default never reads a column: printed without its table, which pg_get_expr would open (and
      -- build a cache entry of). A generation expression reads columns, so it gets its table.
      pg_catalog.pg_get_expr(ad.adbin, CASE WHEN a.attgenerated = '' THEN 0 ELSE ad.adrelid END) AS default_expr,
      a.attgenerated, a.attidentity,
      a.attislocal, a.attinhcount, a.attacl::text[] AS acl,
      CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage::text END AS storage, t.typstorage::text AS type_storage,
      a.attcompression::text AS compression,
      COALESCE(a.attstattarget, -1)::int AS stattarget, a.attoptions::text[] AS attoptions,
      CASE WHEN a.attcollation <> t.typcollation THEN ${COLLATION_NAME('a.attcollation')} END AS collation,
      pg_catalog.format_type(bt.oid, NULL) AS cast_type, bt.typcategory::text AS cast_category, t.typcategory = 'A' AS is_array
    FROM pg_catalog.pg_attribute a
    JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
    LEFT JOIN pg_catalog.pg_type et ON et.oid = CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE t.oid END
    LEFT JOIN pg_catalog.pg_type bt ON bt.oid = COALESCE(NULLIF(et.typbasetype, 0), et.oid)
    LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
    WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c') AND ${USER_NAMESPACE}
    ORDER BY n.nspname, c.relname, a.attnum`,
  {
    relid: 'int',
    position: 'int',
    name: 'text',
    type: 'text',
    type_oid: 'int',
    attnotnull: 'bool',
    notnull_own: 'bool',
    default_expr: 'text | null',
    attgenerated: 'text',
    attidentity: 'text',
    attislocal: 'bool',
    attinhcount: 'int',
    acl: 'text[] | null',
    storage: 'text | null',
    type_storage: 'text',
    compression: 'text | null',
    stattarget: 'int',
    attoptions: 'text[] | null',
    collation: 'text | null',
    cast_type: 'text | null',
    cast_category: 'text | null',
    is_array: 'bool | null',
  },
);

/**
 * Columns by relation key and attributes by composite type key, in attnum order; `relations` and the composite
 * types' pg_class rows (in `keys.classes`) say where each row belongs.
 */
export function buildColumns(
  rows: readonly ColumnRow[],
  keys: ObjectKeys,
  relations: ReadonlyMap<string, RelationInfo>,
  identityByColumn: ReadonlyMap<string, IdentityOptions>,
): { columns: Map<string, ColumnInfo[]>; attributes: Map<string, CompositeAttribute[]> } {
  const columns = new Map<string, ColumnInfo[]>();
  const attributes = new Map<string, CompositeAttribute[]>();
  const push = <T>(map: Map<string, T[]>, key: string, item: T) => {
    const list = map.get(key);
    if (list) list.push(item);
    else map.set(key, [item]);
  };
  for (const r of rows) {
    const typeKey = keys.classes.get(r.relid);
    if (!typeKey) continue;
    if (typeKey.startsWith('type:')) {
      push(attributes, typeKey, { name: r.name, type: r.type, collation: r.collation ?? null });
      continue;
    }
    const rel = relations.get(typeKey);
    if (!rel) continue;
    const key = `col:${rel.schema}.${rel.name}.${r.name}`;
    keys.columns.set(columnId(r.relid, r.position), key);
    push(columns, rel.key, {
      key,
      name: r.name,
      position: r.position,
      type: r.type,
      typeOid: r.type_oid,
      notNull: r.attnotnull,
      notNullOwn: r.notnull_own,
      default: r.default_expr ?? null,
      generated: r.attgenerated === 's' ? 's' : '',
      identity: r.attidentity === 'a' || r.attidentity === 'd' ? r.attidentity : '',
      identityOptions: identityByColumn.get(key) ?? null,
      collation: r.collation ?? null,
      isLocal: r.attislocal,
      inheritedCount: r.attinhcount,
      comment: null,
      acl: parseAcl(r.acl),
      storage: r.storage ?? null,
      typeStorage: r.type_storage,
      compression: r.compression ?? '',
      statisticsTarget: r.stattarget,
      options: r.attoptions ?? [],
      castType: r.cast_type ?? r.type,
      castCategory: r.cast_category ?? 'U',
      isArray: r.is_array === true,
    });
  }
  return { columns, attributes };
}
