import { parseAcl } from '../acl';
import type { IdentityOptions, SequenceInfo, SequenceOptions } from '../catalog';
import type { ObjectKeys } from './keys';
import { query } from './query';
import { notExtensionMember, USER_NAMESPACE } from './scope';

/** The parameters come as the catalog keeps them (int8 as text). */
interface SequenceRowBase extends Pick<SequenceOptions, 'start' | 'increment' | 'min' | 'max' | 'cache' | 'cycle'> {
  readonly oid: number;
  readonly schema: string;
  readonly name: string;
  readonly data_type: string;
  readonly acl: string[];
  readonly default_acl: string[];
}

/** The owning column (OWNED BY, deptype a, or an identity column's, deptype i) comes whole or not at all. */
export type SequenceRow = SequenceRowBase &
  (
    | {
        readonly owner_deptype: 'a' | 'i';
        readonly owner_relid: number;
        readonly owner_schema: string;
        readonly owner_table: string;
        readonly owner_column: string;
      }
    | {
        readonly owner_deptype: null;
        readonly owner_relid: null;
        readonly owner_schema: null;
        readonly owner_table: null;
        readonly owner_column: null;
      }
  );

export const SEQUENCES = query<SequenceRow>(
  `SELECT c.oid::int, n.nspname AS schema, c.relname AS name,
      pg_catalog.format_type(s.seqtypid, NULL) AS data_type, s.seqstart::text AS start,
      s.seqincrement::text AS increment, s.seqmin::text AS min, s.seqmax::text AS max,
      s.seqcache::text AS cache, s.seqcycle AS cycle,
      o.deptype AS owner_deptype, o.relid::int AS owner_relid, o.schema AS owner_schema, o.tname AS owner_table,
      o.attname AS owner_column,
      COALESCE(c.relacl, pg_catalog.acldefault('s', c.relowner))::text[] AS acl,
      pg_catalog.acldefault('s', c.relowner)::text[] AS default_acl
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid
    LEFT JOIN LATERAL (
      SELECT d.deptype, t.oid AS relid, tn.nspname AS schema, t.relname AS tname, a.attname
      FROM pg_catalog.pg_depend d
      JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
      JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
      JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass
        AND d.deptype IN ('a', 'i') LIMIT 1) o ON true
    WHERE c.relkind = 'S' AND ${USER_NAMESPACE} AND ${notExtensionMember('pg_class', 'c.oid')}
    ORDER BY n.nspname, c.relname`,
  {
    oid: 'int',
    schema: 'text',
    name: 'text',
    data_type: 'text',
    start: 'text',
    increment: 'text',
    min: 'text',
    max: 'text',
    cache: 'text',
    cycle: 'bool',
    owner_deptype: 'text | null',
    owner_relid: 'int | null',
    owner_schema: 'text | null',
    owner_table: 'text | null',
    owner_column: 'text | null',
    acl: 'text[]',
    default_acl: 'text[]',
  },
);

/** The parameters a sequence and an identity column's sequence share, from a row. */
function sequenceOptions(r: SequenceRow): SequenceOptions {
  return {
    dataType: r.data_type,
    start: r.start,
    increment: r.increment,
    min: r.min,
    max: r.max,
    cache: r.cache,
    cycle: r.cycle,
  };
}

/** Sequences by key; identity sequences belong to their column instead (by `col:` key). */
export function buildSequences(
  rows: readonly SequenceRow[],
  keys: ObjectKeys,
): { sequences: Map<string, SequenceInfo>; identityByColumn: Map<string, IdentityOptions> } {
  const sequences = new Map<string, SequenceInfo>();
  const identityByColumn = new Map<string, IdentityOptions>();
  for (const r of rows) {
    const key = `seq:${r.schema}.${r.name}`;
    const owner =
      r.owner_schema === null ? null : { schema: r.owner_schema, table: r.owner_table, column: r.owner_column };
    const ownerKey = owner ? `col:${owner.schema}.${owner.table}.${owner.column}` : null;
    if (r.owner_deptype === 'i' && ownerKey) {
      identityByColumn.set(ownerKey, { sequenceName: `${r.schema}.${r.name}`, ...sequenceOptions(r) });
      continue;
    }
    keys.classes.set(r.oid, key);
    sequences.set(key, {
      key,
      schema: r.schema,
      name: r.name,
      ...sequenceOptions(r),
      ownedBy: ownerKey,
      ownedByName: owner,
      comment: null,
      acl: parseAcl(r.acl),
      defaultAcl: parseAcl(r.default_acl),
    });
  }
  return { sequences, identityByColumn };
}
