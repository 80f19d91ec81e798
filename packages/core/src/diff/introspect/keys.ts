/**
 * Object keys by oid, per system catalog: each builder records the keys of the objects it makes, so that
 * comments, owners and pg_depend rows (which name objects by catalog and oid) map onto catalog keys.
 */
export interface ObjectKeys {
  /** pg_class: relations, sequences, indexes (or the constraint an index backs), composite types' rows. */
  readonly classes: Map<number, string>;
  /** pg_type (a range's multirange maps to the range). */
  readonly types: Map<number, string>;
  readonly procs: Map<number, string>;
  /** pg_constraint (a domain's constraint maps to the domain). */
  readonly constraints: Map<number, string>;
  readonly namespaces: Map<number, string>;
  readonly extensions: Map<number, string>;
  readonly collations: Map<number, string>;
  readonly triggers: Map<number, string>;
  readonly policies: Map<number, string>;
  readonly statistics: Map<number, string>;
  readonly rules: Map<number, string>;
  /** columnId(relid, attnum) -> `col:` key. */
  readonly columns: Map<number, string>;
  /** A domain constraint's oid -> its domain's key and its name (comments on it belong to the domain's entry). */
  readonly domainConstraints: Map<number, { readonly domain: string; readonly name: string }>;
  /** `catalog:oid` -> key of a defined object (operators, casts, publications and their members...). */
  readonly defined: Map<string, string>;
}

/** One number for a column (relation oid, attnum): map keys without building a string per lookup. */
export function columnId(relid: number, attnum: number): number {
  return relid * 65536 + attnum;
}

export function newObjectKeys(): ObjectKeys {
  return {
    classes: new Map(),
    types: new Map(),
    procs: new Map(),
    constraints: new Map(),
    namespaces: new Map(),
    extensions: new Map(),
    collations: new Map(),
    triggers: new Map(),
    policies: new Map(),
    statistics: new Map(),
    rules: new Map(),
    columns: new Map(),
    domainConstraints: new Map(),
    defined: new Map(),
  };
}

/** The key of the object a (catalog, oid, subid) triple names, if introspection read it. */
export function objectKey(keys: ObjectKeys, catalog: string, oid: number, subid: number): string | undefined {
  switch (catalog) {
    case 'pg_class': {
      if (subid > 0) return keys.columns.get(columnId(oid, subid)) ?? keys.classes.get(oid);
      return keys.classes.get(oid);
    }
    case 'pg_type':
      return keys.types.get(oid);
    case 'pg_proc':
      return keys.procs.get(oid);
    case 'pg_constraint':
      return keys.domainConstraints.has(oid) ? undefined : keys.constraints.get(oid);
    case 'pg_namespace':
      return keys.namespaces.get(oid);
    case 'pg_extension':
      return keys.extensions.get(oid);
    case 'pg_collation':
      return keys.collations.get(oid);
    case 'pg_trigger':
      return keys.triggers.get(oid);
    case 'pg_policy':
      return keys.policies.get(oid);
    case 'pg_statistic_ext':
      return keys.statistics.get(oid);
    case 'pg_rewrite':
      return keys.rules.get(oid);
    default:
      return keys.defined.get(`${catalog}:${oid}`);
  }
}
