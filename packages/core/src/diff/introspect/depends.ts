import { columnId, objectKey, type ObjectKeys } from './keys';
import { query } from './query';

/**
 * One pg_depend row between user objects, with what maps it onto keys: the relation of a rule, the column of
 * a default, and for a type (or an array of one) the element type and its composite's relation.
 */
export interface DependRow {
  readonly catalog: string;
  readonly oid: number;
  readonly subid: number;
  readonly ref_catalog: string;
  readonly ref_oid: number;
  readonly ref_subid: number;
  readonly deptype: string;
  readonly rule_relid: number | null;
  readonly default_relid: number | null;
  readonly default_column: number | null;
  readonly ref_type_oid: number | null;
  readonly ref_type_relid: number | null;
}

export const DEPENDS = query<DependRow>(
  `SELECT d.classid::regclass::text AS catalog, d.objid::int AS oid, d.objsubid AS subid,
      d.refclassid::regclass::text AS ref_catalog, d.refobjid::int AS ref_oid, d.refobjsubid AS ref_subid, d.deptype,
      CASE WHEN d.classid = 'pg_catalog.pg_rewrite'::regclass
        THEN (SELECT rw.ev_class::int FROM pg_catalog.pg_rewrite rw WHERE rw.oid = d.objid) END AS rule_relid,
      ad.adrelid::int AS default_relid, ad.adnum AS default_column,
      rte.oid::int AS ref_type_oid, NULLIF(rte.typrelid, 0)::int AS ref_type_relid
    FROM pg_catalog.pg_depend d
    -- Each lookup's key is NULL on rows of other catalogs, which an index probe answers at once (joined on
    -- the catalog alone, every row would probe: a third of the query's time on a fresh schema).
    LEFT JOIN pg_catalog.pg_attrdef ad ON ad.oid = CASE WHEN d.classid = 'pg_catalog.pg_attrdef'::regclass THEN d.objid END
    LEFT JOIN pg_catalog.pg_type rt ON rt.oid = CASE WHEN d.refclassid = 'pg_catalog.pg_type'::regclass THEN d.refobjid END
    LEFT JOIN pg_catalog.pg_type rte ON rte.oid = CASE WHEN rt.typcategory = 'A' THEN rt.typelem ELSE rt.oid END
    WHERE d.objid >= 16384 AND d.refobjid >= 16384 AND (d.deptype IN ('n', 'a', 'e')
      OR (d.deptype = 'i' AND d.classid = 'pg_catalog.pg_proc'::regclass AND d.refclassid = 'pg_catalog.pg_type'::regclass))
      -- Every default has a row pointing at its own column, which maps to nothing: left out.
      AND (ad.adrelid = d.refobjid AND ad.adnum = d.refobjsubid) IS NOT TRUE
    ORDER BY 1, 2, 3, 4, 5, 6`,
  {
    catalog: 'text',
    oid: 'int',
    subid: 'int',
    ref_catalog: 'text',
    ref_oid: 'int',
    ref_subid: 'int',
    deptype: 'text',
    rule_relid: 'int | null',
    default_relid: 'int | null',
    default_column: 'int | null',
    ref_type_oid: 'int | null',
    ref_type_relid: 'int | null',
  },
);

export interface Dependencies {
  /** Object key -> keys of the objects it depends on. */
  readonly dependsOn: Map<string, Set<string>>;
  /** Object key -> keys of the objects that depend on it. */
  readonly dependents: Map<string, Set<string>>;
}

/**
 * Dependencies mapped onto our keys. Extension members stand for their extension, and functions a type
 * made for itself (a range type's constructors) for that type.
 */
export function buildDependencies(rows: readonly DependRow[], keys: ObjectKeys): Dependencies {
  const standsFor = new Map<string, string>();
  for (const r of rows) {
    if (r.deptype === 'e') {
      const ext = keys.extensions.get(r.ref_oid);
      if (ext) standsFor.set(`${r.catalog}:${r.oid}`, ext);
    } else if (r.deptype === 'i') {
      const type = keys.types.get(r.ref_oid);
      if (type) standsFor.set(`${r.catalog}:${r.oid}`, type);
    }
  }
  const dependsOn = new Map<string, Set<string>>();
  const dependents = new Map<string, Set<string>>();
  const addEdge = (from: string, to: string) => {
    if (from === to) return;
    let set = dependsOn.get(from);
    if (!set) dependsOn.set(from, (set = new Set()));
    set.add(to);
    let back = dependents.get(to);
    if (!back) dependents.set(to, (back = new Set()));
    back.add(from);
  };
  // Usually empty (no extension members or range constructors among the rows): then no key is built to look up.
  const standIn: (catalog: string, oid: number) => string | undefined = standsFor.size
    ? (catalog: string, oid: number) => standsFor.get(`${catalog}:${oid}`)
    : () => undefined;
  for (const r of rows) {
    if (r.deptype === 'e' || r.deptype === 'i') continue;
    if (standIn(r.catalog, r.oid)) continue;
    let from: string | undefined;
    // A view's _RETURN rule stands for the view; other rules are objects of their own.
    if (r.catalog === 'pg_rewrite')
      from = keys.rules.get(r.oid) ?? (r.rule_relid ? keys.classes.get(r.rule_relid) : undefined);
    else if (r.catalog === 'pg_attrdef') from = keys.columns.get(columnId(r.default_relid ?? 0, r.default_column ?? 0));
    else from = objectKey(keys, r.catalog, r.oid, r.subid);
    if (!from) continue;
    // OWNED BY is not an ordering dependency: the column's default depends on the sequence the other way.
    if (from.startsWith('seq:') && r.deptype === 'a') continue;
    const member = standIn(r.ref_catalog, r.ref_oid);
    if (member) addEdge(from, member);
    else if (r.ref_catalog === 'pg_type') {
      const typeMember = r.ref_type_oid ? standIn('pg_type', r.ref_type_oid) : undefined;
      const k = typeMember
        ? typeMember
        : r.ref_type_relid
          ? keys.classes.get(r.ref_type_relid)
          : r.ref_type_oid
            ? keys.types.get(r.ref_type_oid)
            : undefined;
      if (k) addEdge(from, k);
    } else if (r.ref_catalog === 'pg_class' && r.ref_subid > 0) {
      const col = keys.columns.get(columnId(r.ref_oid, r.ref_subid));
      if (col) addEdge(from, col);
      // A default or generation expression reading its own table's columns says nothing about the table
      // itself: an edge to it would order every change of the column after every change of the table.
      const ownTable = r.catalog === 'pg_attrdef' && r.default_relid === r.ref_oid;
      const rel = ownTable ? undefined : keys.classes.get(r.ref_oid);
      if (rel) addEdge(from, rel);
    } else {
      const k = objectKey(keys, r.ref_catalog, r.ref_oid, r.ref_subid);
      if (k) addEdge(from, k);
    }
  }
  return { dependsOn, dependents };
}
