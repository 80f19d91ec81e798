import type { ConstraintInfo, ConstraintType, DomainConstraintInfo, DomainInfo } from '../catalog';
import type { ObjectKeys } from './keys';
import { query } from './query';
import type { RelationRef } from './relations';
import { USER_NAMESPACE } from './scope';

/** A table's constraint (relid set, typid 0) or a domain's (typid set, relid 0); 0 where an oid column is unset. */
export interface ConstraintRow {
  readonly oid: number;
  readonly schema: string;
  readonly name: string;
  readonly contype: string;
  readonly relid: number;
  readonly typid: number;
  readonly definition: string;
  readonly frelid: number;
  readonly indid: number;
  readonly conislocal: boolean;
  readonly parentid: number;
  readonly convalidated: boolean;
}

export const CONSTRAINTS = query<ConstraintRow>(
  `SELECT co.oid::int, n.nspname AS schema, co.conname AS name, co.contype, co.conrelid::int AS relid,
      co.contypid::int AS typid, pg_catalog.pg_get_constraintdef(co.oid) AS definition,
      co.confrelid::int AS frelid, co.conindid::int AS indid, co.conislocal, co.conparentid::int AS parentid, co.convalidated
    FROM pg_catalog.pg_constraint co JOIN pg_catalog.pg_namespace n ON n.oid = co.connamespace
    WHERE ${USER_NAMESPACE} AND (co.conrelid <> 0 OR co.contypid <> 0)
    ORDER BY n.nspname, co.conrelid::regclass::text, co.contypid::regtype::text, co.conname`,
  {
    oid: 'int',
    schema: 'text',
    name: 'text',
    contype: 'text',
    relid: 'int',
    typid: 'int',
    definition: 'text',
    frelid: 'int',
    indid: 'int',
    conislocal: 'bool',
    parentid: 'int',
    convalidated: 'bool',
  },
);

export interface Constraints {
  readonly constraints: Map<string, ConstraintInfo>;
  /** Check constraints by domain key, in the query's order. */
  readonly domainConstraints: Map<string, DomainConstraintInfo[]>;
  /** The oid of the index a primary key, unique or exclusion constraint owns -> the constraint's key. */
  readonly byIndexOid: Map<number, string>;
  /** Primary key, unique and exclusion constraints a partition has through its parent's (made with the parent's). */
  readonly partitionConstraints: Map<string, ConstraintInfo>;
}

/** A table's constraint from its row; `references`: the `rel:` key of a foreign key's referenced table. */
function constraintOf(r: ConstraintRow, rel: RelationRef, references: string | null): ConstraintInfo {
  return {
    key: `con:${rel.schema}.${rel.name}.${r.name}`,
    schema: rel.schema,
    table: rel.name,
    tableKey: rel.key,
    name: r.name,
    type: r.contype as ConstraintType,
    definition: r.definition,
    references,
    comment: null,
  };
}

/** Constraints: table constraints cloned onto partitions or inherited from a parent come with it. */
export function buildConstraints(
  rows: readonly ConstraintRow[],
  keys: ObjectKeys,
  tables: ReadonlyMap<number, RelationRef>,
  domains: ReadonlyMap<string, DomainInfo>,
  /** pg_inherits parents of each table, by oid. */
  parentsOf: ReadonlyMap<number, readonly number[]>,
): Constraints {
  const constraints = new Map<string, ConstraintInfo>();
  const domainConstraints = new Map<string, DomainConstraintInfo[]>();
  const byIndexOid = new Map<number, string>();
  const partitionConstraints = new Map<string, ConstraintInfo>();
  const parentOids = new Map<string, number>();
  for (const r of rows) {
    if (r.typid) {
      const domainKey = keys.types.get(r.typid);
      if (domainKey && domains.has(domainKey) && r.contype === 'c') {
        const list = domainConstraints.get(domainKey) ?? [];
        list.push({ name: r.name, definition: r.definition, comment: null });
        domainConstraints.set(domainKey, list);
        keys.constraints.set(r.oid, domainKey);
        keys.domainConstraints.set(r.oid, { domain: domainKey, name: r.name });
      }
      continue;
    }
    const rel = tables.get(r.relid);
    if (rel && r.parentid && 'pux'.includes(r.contype)) {
      const constraint = constraintOf(r, rel, null);
      partitionConstraints.set(constraint.key, constraint);
      parentOids.set(constraint.key, r.parentid);
    }
    if (!rel || r.parentid || !r.conislocal || !'pufcx'.includes(r.contype)) continue;
    const constraint = constraintOf(r, rel, r.frelid ? (tables.get(r.frelid)?.key ?? null) : null);
    keys.constraints.set(r.oid, constraint.key);
    if ('pux'.includes(r.contype) && r.indid) byIndexOid.set(r.indid, constraint.key);
    constraints.set(constraint.key, constraint);
  }

  // A check constraint a table inherits (a partition's, an inheritance child's) is its parent's, but it may be
  // NOT VALID there while valid here (a partition created after it was added): the parent's says where it is NOT VALID.
  const checkByRelName = new Map<string, ConstraintRow>(
    rows.filter((r) => r.contype === 'c' && r.relid).map((r) => [`${r.relid}:${r.name}`, r]),
  );
  for (const r of rows) {
    const child = tables.get(r.relid);
    if (r.contype !== 'c' || r.conislocal || r.convalidated || !child) continue;
    let root: ConstraintRow | undefined;
    for (let oid = r.relid, hops = 0; !root && hops < 100; hops++) {
      const parent = (parentsOf.get(oid) ?? []).find((p) => checkByRelName.has(`${p}:${r.name}`));
      if (parent === undefined) break;
      const row = checkByRelName.get(`${parent}:${r.name}`)!;
      if (row.conislocal) root = row;
      oid = parent;
    }
    const key = root ? keys.constraints.get(root.oid) : undefined;
    const constraint = key ? constraints.get(key) : undefined;
    if (constraint)
      constraints.set(key!, { ...constraint, notValidOn: [...(constraint.notValidOn ?? []), child.key].sort() });
  }

  // A foreign key referencing a partitioned table has a clone per partition, on the referencing table itself:
  // each clone stands for that foreign key, so its pg_depend rows (on the partitions) become the key's, and
  // the partitions are dropped after it. (Clones on the referencing side's own partitions belong to those.)
  const constraintRows = new Map<number, ConstraintRow>(rows.map((r) => [r.oid, r]));
  for (const r of rows) {
    if (!r.parentid || r.contype !== 'f' || keys.constraints.has(r.oid)) continue;
    let root = r;
    for (let hops = 0; root.parentid && constraintRows.has(root.parentid) && hops < 100; hops++)
      root = constraintRows.get(root.parentid)!;
    const key = keys.constraints.get(root.oid);
    if (key && root.relid === r.relid) keys.constraints.set(r.oid, key);
  }
  // Each partition constraint's parent, which may itself be a partition's (a sub-partition's constraint).
  const keyOf = (oid: number): string | undefined => {
    const row = constraintRows.get(oid);
    const rel = row && tables.get(row.relid);
    return rel ? `con:${rel.schema}.${rel.name}.${row.name}` : undefined;
  };
  for (const [key, c] of partitionConstraints)
    partitionConstraints.set(key, { ...c, parentKey: keyOf(parentOids.get(key)!) ?? null });
  return { constraints, domainConstraints, byIndexOid, partitionConstraints };
}
