import type { IndexInfo } from '../catalog';
import type { ObjectKeys } from './keys';
import { query } from './query';
import type { RelationRef } from './relations';
import { USER_NAMESPACE } from './scope';

interface IndexRowBase {
  readonly oid: number;
  readonly schema: string;
  readonly name: string;
  readonly relid: number;
  readonly relispartition: boolean;
  readonly valid: boolean;
  /** The index of a partitioned index this one is attached to. */
  readonly parent_index: number | null;
  /** `attnum=target` for each index column whose statistics target is set. */
  readonly statistics_targets: string[];
}

/** An index; one a constraint owns comes without its definition (the constraint's says it). */
export type IndexRow = IndexRowBase &
  (
    | { readonly backs_constraint: true; readonly definition: null }
    | { readonly backs_constraint: false; readonly definition: string }
  );

export const INDEXES = query<IndexRow>(
  `SELECT i.indexrelid::int AS oid, n.nspname AS schema, ic.relname AS name, i.indrelid::int AS relid,
      ic.relispartition, i.indisvalid AS valid, backing.conindid IS NOT NULL AS backs_constraint,
      (SELECT inh.inhparent::int FROM pg_catalog.pg_inherits inh WHERE inh.inhrelid = i.indexrelid) AS parent_index,
      CASE WHEN backing.conindid IS NULL THEN pg_catalog.pg_get_indexdef(i.indexrelid) END AS definition,
      ARRAY(SELECT a.attnum || '=' || a.attstattarget FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = i.indexrelid AND COALESCE(a.attstattarget::int, -1) >= 0 ORDER BY a.attnum) AS statistics_targets
    FROM pg_catalog.pg_index i
    JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
    LEFT JOIN (SELECT DISTINCT co.conindid, co.conrelid FROM pg_catalog.pg_constraint co
      WHERE co.contype IN ('p', 'u', 'x')) backing ON backing.conindid = i.indexrelid AND backing.conrelid = i.indrelid
    WHERE ${USER_NAMESPACE}
    ORDER BY n.nspname, ic.relname`,
  {
    oid: 'int',
    schema: 'text',
    name: 'text',
    relid: 'int',
    relispartition: 'bool',
    valid: 'bool',
    backs_constraint: 'bool',
    parent_index: 'int | null',
    definition: 'text | null',
    statistics_targets: 'text[]',
  },
);

export interface Indexes {
  readonly indexes: Map<string, IndexInfo>;
  /** Indexes of partitions attached to their parent's index (made by the parent's CREATE INDEX). */
  readonly partitionIndexes: Map<string, IndexInfo>;
  /** A partition's own constraint whose index is attached to a partitioned index: constraint key -> that index's key. */
  readonly constraintParentIndexes: Map<string, string | null>;
}

/** `constraintByIndexOid`: the constraints' indexes (from buildConstraints), keyed as their constraint. */
export function buildIndexes(
  rows: readonly IndexRow[],
  keys: ObjectKeys,
  tables: ReadonlyMap<number, RelationRef>,
  constraintByIndexOid: ReadonlyMap<number, string>,
): Indexes {
  const indexes = new Map<string, IndexInfo>();
  const partitionIndexes = new Map<string, IndexInfo>();
  const constraintParentIndexes = new Map<string, string | null>();
  for (const r of rows) {
    const backing = constraintByIndexOid.get(r.oid);
    if (backing) {
      keys.classes.set(r.oid, backing);
      continue;
    }
    const rel = tables.get(r.relid);
    if (!rel || r.backs_constraint) continue;
    const key = `idx:${r.schema}.${r.name}`;
    keys.classes.set(r.oid, key);
    // An index on a partition attached to its parent's index is created by the parent's CREATE INDEX.
    const index = {
      key,
      schema: r.schema,
      name: r.name,
      tableKey: rel.key,
      definition: r.definition,
      valid: r.valid !== false,
      statisticsTargets: r.statistics_targets,
      comment: null,
    };
    (r.relispartition ? partitionIndexes : indexes).set(key, index);
  }
  // Parents are keyed once every index is (a parent may come after its partitions' indexes). A partition's own
  // constraint whose index is attached to a partitioned index says so too.
  for (const r of rows) {
    const key = keys.classes.get(r.oid);
    if (!key || !r.parent_index) continue;
    const index = partitionIndexes.get(key);
    if (index) partitionIndexes.set(key, { ...index, parentIndexKey: keys.classes.get(r.parent_index) ?? null });
    if (constraintByIndexOid.get(r.oid) === key)
      constraintParentIndexes.set(key, keys.classes.get(r.parent_index) ?? null);
  }
  return { indexes, partitionIndexes, constraintParentIndexes };
}
