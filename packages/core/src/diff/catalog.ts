/**
 * What introspection reads from one database: plain data keyed by stable object keys, so that two
 * catalogs compare without touching a connection again. Definitions are kept as the text PostgreSQL
 * itself prints (pg_get_*def, format_type, pg_get_expr), read with an empty search_path so every
 * name in them is schema-qualified and the text is valid SQL on any session.
 *
 * Object keys: `schema:s`, `ext:e`, `coll:s.n`, `type:s.n`, `seq:s.n`, `rel:s.n`, `col:s.t.c`,
 * `con:s.t.n`, `idx:s.n`, `fn:s.n(args)` (functions, procedures, aggregates), `trg:s.t.n`, `pol:s.t.n`,
 * `stx:s.n`, `rule:s.t.n`, `defacl:role/schema/type`. Names inside keys are raw (unquoted).
 */

import type { DefinedObjectKind } from './types';

export interface Acl {
  /** grantee ('' = PUBLIC) -> privilege letters (as in aclitem), a `*` after a letter means WITH GRANT OPTION. */
  readonly [grantee: string]: string;
}

export interface SchemaInfo {
  readonly key: string;
  readonly name: string;
  readonly comment: string | null;
  readonly acl: Acl;
  /** What the ACL is when nothing was granted or revoked (acldefault for the owner). */
  readonly defaultAcl: Acl;
}

export interface ExtensionInfo {
  readonly key: string;
  readonly name: string;
  readonly schema: string;
  readonly version: string;
  /** COMMENT ON EXTENSION (CREATE EXTENSION sets the one of its control file). */
  readonly comment: string | null;
}

export interface CollationInfo {
  readonly key: string;
  readonly schema: string;
  readonly name: string;
  readonly provider: string;
  readonly collate: string | null;
  readonly ctype: string | null;
  readonly locale: string | null;
  readonly deterministic: boolean;
  readonly comment: string | null;
}

export interface EnumInfo {
  readonly key: string;
  readonly schema: string;
  readonly name: string;
  readonly labels: readonly string[];
  readonly comment: string | null;
  readonly acl: Acl;
  /** What the ACL is when nothing was granted or revoked (acldefault for the owner). */
  readonly defaultAcl: Acl;
}

export interface DomainConstraintInfo {
  readonly name: string;
  readonly definition: string;
  readonly comment: string | null;
}

export interface DomainInfo {
  readonly key: string;
  readonly schema: string;
  readonly name: string;
  readonly baseType: string;
  readonly collation: string | null;
  readonly default: string | null;
  readonly notNull: boolean;
  readonly constraints: readonly DomainConstraintInfo[];
  readonly comment: string | null;
  readonly acl: Acl;
  /** What the ACL is when nothing was granted or revoked (acldefault for the owner). */
  readonly defaultAcl: Acl;
}

export interface CompositeAttribute {
  readonly name: string;
  readonly type: string;
  readonly collation: string | null;
}

export interface CompositeTypeInfo {
  readonly key: string;
  readonly schema: string;
  readonly name: string;
  readonly attributes: readonly CompositeAttribute[];
  readonly comment: string | null;
  readonly acl: Acl;
  /** What the ACL is when nothing was granted or revoked (acldefault for the owner). */
  readonly defaultAcl: Acl;
}

export interface RangeTypeInfo {
  readonly key: string;
  readonly schema: string;
  readonly name: string;
  readonly subtype: string;
  /** Qualified operator class when not the subtype's default. */
  readonly opclass: string | null;
  /** Qualified collation when not the subtype's default. */
  readonly collation: string | null;
  readonly canonical: string | null;
  readonly subtypeDiff: string | null;
  /** Qualified name of the multirange type created with it. */
  readonly multirange: string;
  readonly comment: string | null;
  readonly acl: Acl;
  /** What the ACL is when nothing was granted or revoked (acldefault for the owner). */
  readonly defaultAcl: Acl;
}

/** The parameters a sequence and an identity column's sequence share. */
export interface SequenceOptions {
  readonly dataType: string;
  readonly start: string;
  readonly increment: string;
  readonly min: string;
  readonly max: string;
  readonly cache: string;
  readonly cycle: boolean;
}

export interface SequenceInfo extends SequenceOptions {
  readonly key: string;
  readonly schema: string;
  readonly name: string;
  /** `col:s.t.c` key of the column owning the sequence (OWNED BY), if any. */
  readonly ownedBy: string | null;
  readonly ownedByName: { readonly schema: string; readonly table: string; readonly column: string } | null;
  readonly comment: string | null;
  readonly acl: Acl;
  /** What the ACL is when nothing was granted or revoked (acldefault for the owner). */
  readonly defaultAcl: Acl;
}

export interface IdentityOptions extends SequenceOptions {
  readonly sequenceName: string;
}

export interface ColumnInfo {
  readonly key: string;
  readonly name: string;
  readonly position: number;
  readonly type: string;
  /** Oid of the column type, to find enum/domain users. */
  readonly typeOid: number;
  readonly notNull: boolean;
  /**
   * PostgreSQL 18 and later: an inherited column's NOT NULL is also its own (`PARTITION OF p (b NOT NULL)`), so
   * it stays when the parent's is dropped. Always false before 18, where the parent's DROP NOT NULL takes it.
   */
  readonly notNullOwn?: boolean;
  /** Default expression, or the generation expression when `generated` is 's'. */
  readonly default: string | null;
  readonly generated: '' | 's';
  readonly identity: '' | 'a' | 'd';
  readonly identityOptions: IdentityOptions | null;
  /** Qualified collation when it differs from the type's default. */
  readonly collation: string | null;
  /** False when the column exists only through inheritance or partitioning. */
  readonly isLocal: boolean;
  readonly inheritedCount: number;
  readonly comment: string | null;
  /** Column privileges (GRANT SELECT (c) ON t); empty when none were granted. */
  readonly acl: Acl;
  /** SET STORAGE: p, e, m or x when it differs from the type's default, else null. */
  readonly storage: string | null;
  /** The type's own storage, what SET STORAGE goes back to. */
  readonly typeStorage: string;
  /** SET COMPRESSION: '' (the default), p (pglz) or l (lz4). */
  readonly compression: string;
  /** SET STATISTICS: -1 for the default. */
  readonly statisticsTarget: number;
  /** SET (n_distinct = ...) options, as `name=value`. */
  readonly options: readonly string[];
  /** The type a cast of a value of the column starts from: the element type of an array, the base type of a domain, without typmod. */
  readonly castType: string;
  /** pg_type.typcategory of castType (S string, E enum, C composite, N numeric...). */
  readonly castCategory: string;
  readonly isArray: boolean;
}

export type RelationKind = 'table' | 'partitioned table' | 'view' | 'materialized view' | 'foreign table';

export interface RelationInfo {
  readonly key: string;
  readonly oid: number;
  readonly schema: string;
  readonly name: string;
  readonly kind: RelationKind;
  readonly unlogged: boolean;
  readonly rowSecurity: boolean;
  readonly forceRowSecurity: boolean;
  /**
   * REPLICA IDENTITY: d (default), n (nothing), f (full), i (an index, named below). An index identity
   * whose index is gone logs nothing, as pg_dump shows it: read as d.
   */
  readonly replicaIdentity: 'd' | 'n' | 'f' | 'i';
  readonly replicaIdentityIndex: string | null;
  /** The index CLUSTER ON marks, if any. */
  readonly clusterIndex: string | null;
  readonly options: readonly string[];
  /** pg_get_partkeydef for a partitioned table. */
  readonly partitionKey: string | null;
  /** Parent `rel:` key and bound when this table is a partition. */
  readonly partitionOf: string | null;
  readonly partitionBound: string | null;
  /** Parent `rel:` keys in inheritance order (plain inheritance, not partitioning). */
  readonly inherits: readonly string[];
  readonly columns: readonly ColumnInfo[];
  /** View or materialized view query (pg_get_viewdef), without the trailing semicolon. */
  readonly viewDefinition: string | null;
  readonly comment: string | null;
  readonly acl: Acl;
  /** What the ACL is when nothing was granted or revoked (acldefault for the owner). */
  readonly defaultAcl: Acl;
}

export type ConstraintType = 'p' | 'u' | 'f' | 'c' | 'x' | 't';

export interface ConstraintInfo {
  readonly key: string;
  readonly schema: string;
  readonly table: string;
  readonly tableKey: string;
  readonly name: string;
  readonly type: ConstraintType;
  readonly definition: string;
  /** `rel:` key of the referenced table of a foreign key. */
  readonly references: string | null;
  readonly comment: string | null;
  /** For a partition's own primary key or unique constraint: the key of the partitioned index its index is attached to. */
  readonly parentIndexKey?: string | null;
  /** For a check constraint: the `rel:` keys of the tables inheriting it (partitions, inheritance children) where it is NOT VALID. */
  readonly notValidOn?: readonly string[];
  /** For one in `partitionConstraints`: the key of the parent's constraint it was made by. */
  readonly parentKey?: string | null;
}

export interface IndexInfo {
  readonly key: string;
  /** ALTER INDEX ... ALTER COLUMN n SET STATISTICS: `n=target` for each column whose target is set, in column order. */
  readonly statisticsTargets: readonly string[];
  readonly schema: string;
  readonly name: string;
  readonly tableKey: string;
  readonly definition: string;
  /**
   * False for an index a failed CREATE INDEX CONCURRENTLY left behind: it exists but is never used, so it
   * is not the index `to` has (it is dropped and built again).
   */
  readonly valid: boolean;
  readonly comment: string | null;
  /** For an index in `partitionIndexes`: the key of the parent's index it is attached to. */
  readonly parentIndexKey?: string | null;
}

export interface FunctionInfo {
  readonly key: string;
  readonly schema: string;
  readonly name: string;
  readonly kind: 'function' | 'procedure' | 'aggregate';
  /** pg_get_function_identity_arguments: what names the function in DROP/COMMENT/GRANT. */
  readonly identityArguments: string;
  /** pg_get_function_arguments: names, modes and defaults. */
  readonly arguments: string;
  readonly result: string | null;
  readonly definition: string;
  readonly language: string;
  readonly body: string;
  readonly comment: string | null;
  readonly acl: Acl;
  /** What the ACL is when nothing was granted or revoked (acldefault for the owner). */
  readonly defaultAcl: Acl;
}

/** An extended statistics object (CREATE STATISTICS). */
export interface StatisticsInfo {
  readonly key: string;
  readonly schema: string;
  readonly name: string;
  readonly tableKey: string;
  /** pg_get_statisticsobjdef: the whole CREATE STATISTICS statement. */
  readonly definition: string;
  /** stxstattarget; -1 means the default. */
  readonly target: number;
  readonly comment: string | null;
}

/**
 * What a trigger and a rewrite rule have alike: a named object on one table, defined by one statement
 * (pg_get_triggerdef / pg_get_ruledef, without the trailing semicolon), that can be switched off.
 */
interface TableEventObject {
  readonly key: string;
  readonly schema: string;
  readonly table: string;
  readonly tableKey: string;
  readonly name: string;
  readonly definition: string;
  /** tgenabled / ev_enabled: O (origin, the default), D (disabled), R (replica), A (always). */
  readonly enabled: string;
  readonly comment: string | null;
}

/** A rewrite rule other than a view's own _RETURN rule. */
export type RuleInfo = TableEventObject;

/** pg_default_acl object types: tables (and views), sequences, functions, types, schemas. */
export type DefaultAclObjectType = 'r' | 'S' | 'f' | 'T' | 'n';

/** The key of an ALTER DEFAULT PRIVILEGES entry (role, schema or database-wide, object type). */
export function defaultPrivilegeKey(role: string, schema: string | null, objectType: string): string {
  return `defacl:${role}/${schema ?? ''}/${objectType}`;
}

/** One ALTER DEFAULT PRIVILEGES entry: for objects `role` creates, database-wide or in one schema. */
export interface DefaultPrivilegeInfo {
  readonly key: string;
  readonly role: string;
  /** Null for the database-wide entry. */
  readonly schema: string | null;
  readonly objectType: DefaultAclObjectType;
  readonly acl: Acl;
  /**
   * What the entry means when absent: the built-in default (acldefault) for a database-wide entry, nothing
   * for a schema's entry (which only adds to the database-wide one).
   */
  readonly defaultAcl: Acl;
}

export type TriggerInfo = TableEventObject;

export interface PolicyInfo {
  readonly key: string;
  readonly schema: string;
  readonly table: string;
  readonly tableKey: string;
  readonly name: string;
  readonly permissive: boolean;
  readonly command: string;
  readonly roles: readonly string[];
  readonly using: string | null;
  readonly withCheck: string | null;
  readonly comment: string | null;
}

/**
 * An object of a kind defined by a few statements and nothing else (operators, casts, text search
 * dictionaries and configurations, event triggers, publications): compared by those statements, dropped
 * and created again when they differ. Keys: `op:s.name(left,right)`, `opc:s.name/am`, `opf:s.name/am`, `cast:source->target`,
 * `tsdict:s.n`, `tscfg:s.n`, `evt:n`, `pub:n`.
 */
export interface DefinedObjectInfo {
  readonly key: string;
  readonly kind: DefinedObjectKind;
  /** Null for database-wide objects (casts, event triggers, publications). */
  readonly schema: string | null;
  /** How messages name it, e.g. `public.===(integer,integer)` or `cast (bigint AS public.money2)`. */
  readonly name: string;
  /** The statements that create it, in order (without semicolons). */
  readonly definition: readonly string[];
  readonly drop: string;
  /** The COMMENT ON target naming it, e.g. `OPERATOR public.=== (integer, integer)`. */
  readonly commentTarget: string;
  readonly comment: string | null;
}

export interface UnsupportedObject {
  readonly kind: string;
  /** Null for database-wide objects (publications, event triggers). */
  readonly schema: string | null;
  readonly name: string;
}

export interface Catalog {
  readonly serverVersion: number;
  readonly schemas: ReadonlyMap<string, SchemaInfo>;
  readonly extensions: ReadonlyMap<string, ExtensionInfo>;
  readonly collations: ReadonlyMap<string, CollationInfo>;
  readonly enums: ReadonlyMap<string, EnumInfo>;
  readonly domains: ReadonlyMap<string, DomainInfo>;
  readonly compositeTypes: ReadonlyMap<string, CompositeTypeInfo>;
  readonly ranges: ReadonlyMap<string, RangeTypeInfo>;
  readonly sequences: ReadonlyMap<string, SequenceInfo>;
  readonly relations: ReadonlyMap<string, RelationInfo>;
  readonly constraints: ReadonlyMap<string, ConstraintInfo>;
  readonly indexes: ReadonlyMap<string, IndexInfo>;
  /**
   * Indexes of partitions attached to their parent's partitioned index: made and dropped with the parent's
   * index, so not in `indexes`, but a DETACH PARTITION leaves them behind as the table's own indexes.
   */
  readonly partitionIndexes: ReadonlyMap<string, IndexInfo>;
  /**
   * Primary key, unique and exclusion constraints of partitions made by their parent's: not in `constraints`,
   * but a DETACH PARTITION leaves them behind as the table's own.
   */
  readonly partitionConstraints: ReadonlyMap<string, ConstraintInfo>;
  readonly functions: ReadonlyMap<string, FunctionInfo>;
  readonly triggers: ReadonlyMap<string, TriggerInfo>;
  readonly policies: ReadonlyMap<string, PolicyInfo>;
  readonly statistics: ReadonlyMap<string, StatisticsInfo>;
  readonly rules: ReadonlyMap<string, RuleInfo>;
  /** ALTER DEFAULT PRIVILEGES entries, by `defacl:role/schema/type` key. */
  readonly defaultPrivileges: ReadonlyMap<string, DefaultPrivilegeInfo>;
  /** Every column of every relation, by `col:` key. */
  readonly columns: ReadonlyMap<string, { readonly relationKey: string; readonly column: ColumnInfo }>;
  /** Object key -> keys of the objects it depends on (pg_depend, mapped to our keys). */
  readonly dependsOn: ReadonlyMap<string, ReadonlySet<string>>;
  /** Object key -> keys of the objects that depend on it. */
  readonly dependents: ReadonlyMap<string, ReadonlySet<string>>;
  /** Operators, casts, text search dictionaries and configurations, event triggers, publications. */
  readonly definedObjects: ReadonlyMap<string, DefinedObjectInfo>;
  /** Objects of kinds the differ does not compare (foreign tables, operator classes...): reported, never migrated. */
  readonly unsupported: readonly UnsupportedObject[];
  /** Type oid -> type key, for finding the columns that use an enum or domain. */
  readonly typeKeysByOid: ReadonlyMap<number, string>;
  /** Every cast pg_cast knows, as `source->target` (format_type names, no typmod). */
  readonly casts: ReadonlySet<string>;
  /** Object key -> the role owning it (relations, sequences, types, functions, schemas, collations, operators...). */
  readonly owners: ReadonlyMap<string, string>;
  /** The owner of the database: who is taken to have built it (and to run its migrations). */
  readonly databaseOwner: string;
}

const childrenIndexes = new WeakMap<ReadonlyMap<string, RelationInfo>, Map<string, RelationInfo[]>>();

/**
 * The relations that are partitions or inheritance children of `parentKey`, in the catalog's order. The
 * index is built once per relations map: looking children up must not cost a pass over every table.
 */
export function childrenOf(relations: ReadonlyMap<string, RelationInfo>, parentKey: string): readonly RelationInfo[] {
  let index = childrenIndexes.get(relations);
  if (!index) {
    index = new Map();
    for (const r of relations.values()) {
      const parents = r.partitionOf ? [r.partitionOf, ...r.inherits] : r.inherits;
      for (const [i, parent] of parents.entries()) {
        if (parents.indexOf(parent) !== i) continue;
        const list = index.get(parent);
        if (list) list.push(r);
        else index.set(parent, [r]);
      }
    }
    childrenIndexes.set(relations, index);
  }
  return index.get(parentKey) ?? [];
}
