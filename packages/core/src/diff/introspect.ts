import type { Client } from 'pg';
import { ConfigurationError, errorMessage } from '../errors';
import { describeDatabase } from '../database-url';
import { runBatch } from '../pg/batch';
import { connectDatabase } from '../pg/connect';
import type { Catalog, ColumnInfo, CompositeTypeInfo, ConstraintInfo, DomainInfo, RelationInfo } from './catalog';
import { CASTS, buildCasts } from './introspect/casts';
import { COLLATIONS, buildCollations } from './introspect/collations';
import { COLUMNS, buildColumns } from './introspect/columns';
import { COMMENTS, buildComments } from './introspect/comments';
import { CONSTRAINTS, buildConstraints } from './introspect/constraints';
import { DEFAULT_ACLS, buildDefaultPrivileges } from './introspect/default-privileges';
import { DEFINED_OBJECT_QUERIES, PUBLICATIONS_BEFORE_15, buildDefinedObjects } from './introspect/defined-objects';
import { DEPENDS, buildDependencies } from './introspect/depends';
import { EXTENSIONS, buildExtensions } from './introspect/extensions';
import { AGGREGATES, FUNCTIONS, buildFunctions } from './introspect/functions';
import { INDEXES, buildIndexes } from './introspect/indexes';
import { newObjectKeys } from './introspect/keys';
import { OWNERS, buildOwners } from './introspect/owners';
import { POLICIES, buildPolicies } from './introspect/policies';
import { jsonQuery, type Query, query, rowsFromJson, type RowsOf } from './introspect/query';
import { RELATIONS, buildRelations } from './introspect/relations';
import { RULES, buildRules } from './introspect/rules';
import { SCHEMAS, buildSchemas } from './introspect/schemas';
import { SEQUENCES, buildSequences } from './introspect/sequences';
import { STATISTICS, buildStatistics } from './introspect/statistics';
import { TRIGGERS, buildTriggers } from './introspect/triggers';
import { TYPES, buildTypes } from './introspect/types';
import { UNSUPPORTED, buildUnsupported } from './introspect/unsupported';

/*
 * One set-based query per object kind for the whole database (never one per object), each in its own file
 * under introspect/ with the type of its rows and the builder of its part of the catalog. System schemas and
 * objects that belong to an extension are left out there; schema options and bookkeeping are applied later
 * (filter.ts) so introspection stays a pure read of the database.
 */

const SERVER_VERSION = query<{ readonly version: number }>(
  `SELECT pg_catalog.current_setting('server_version_num')::int AS version`,
  {
    version: 'int',
  },
);

/** Every query, in the order they run. */
export const QUERIES = {
  version: SERVER_VERSION,
  schemas: SCHEMAS,
  extensions: EXTENSIONS,
  collations: COLLATIONS,
  types: TYPES,
  sequences: SEQUENCES,
  relations: RELATIONS,
  columns: COLUMNS,
  constraints: CONSTRAINTS,
  indexes: INDEXES,
  functions: FUNCTIONS,
  aggregates: AGGREGATES,
  statistics: STATISTICS,
  rules: RULES,
  defaultAcls: DEFAULT_ACLS,
  triggers: TRIGGERS,
  policies: POLICIES,
  casts: CASTS,
  ...DEFINED_OBJECT_QUERIES,
  owners: OWNERS,
  comments: COMMENTS,
  unsupported: UNSUPPORTED,
  depends: DEPENDS,
} as const;

type QueryName = keyof typeof QUERIES;
type Rows = { readonly [Name in QueryName]: RowsOf<(typeof QUERIES)[Name]> };

/** How long reading a catalog waits for a lock held by someone else, and how long one catalog query may run. */
export const INTROSPECTION_LOCK_TIMEOUT_MS = 30_000;
const INTROSPECTION_STATEMENT_TIMEOUT_MS = 300_000;

export interface IntrospectOptions {
  /** Give up (SQLSTATE 55P03) when a catalog read waits this long for a lock; default INTROSPECTION_LOCK_TIMEOUT_MS. */
  readonly lockTimeoutMs?: number;
}

/**
 * Every query in one round trip, inside one repeatable-read read-only transaction: all of them see the
 * same snapshot, so a change committed meanwhile is seen whole or not at all. The settings are local to
 * that transaction, so a connection given by the caller (the fleet's locked one) keeps its own.
 */
async function runQueries(
  client: Client,
  database: string,
  options: IntrospectOptions,
  queries: typeof QUERIES = QUERIES,
): Promise<Rows> {
  const names = Object.keys(queries) as QueryName[];
  // An empty search_path makes every pg_get_*def and format_type schema-qualify user objects,
  // so definitions compare alike and run alike whatever the applying session's search_path is.
  // Some pg_get_*def functions lock the relation they describe: behind a long exclusive lock, reading
  // gives up after the lock timeout (55P03, which the fleet retries) instead of waiting for ever.
  const lockTimeout = Math.floor(options.lockTimeoutMs ?? INTROSPECTION_LOCK_TIMEOUT_MS);
  const prologue = [
    'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
    `SELECT pg_catalog.set_config('search_path', '', true), pg_catalog.set_config('lock_timeout', '${lockTimeout}ms', true), ` +
      `pg_catalog.set_config('statement_timeout', '${INTROSPECTION_STATEMENT_TIMEOUT_MS}ms', true)`,
  ];
  const { results, failure } = await runBatch(client, [
    ...prologue,
    ...names.map((name) => jsonQuery(queries[name])),
    'COMMIT',
  ]);
  if (failure) {
    // The transaction stays open (aborted) after an error inside it: end it before the connection is used again.
    await client.query('ROLLBACK').catch(() => undefined);
    if (failure.failedIndex < prologue.length)
      throw new ConfigurationError(`cannot read the schema of ${database}: ${errorMessage(failure.error)}`);
    // PostgreSQL 14 lacks catalog columns the queries read (publication column lists): read it again with its own.
    const versionRows = results[prologue.length]?.rows[0] as { rows?: string } | undefined;
    const version = versionRows?.rows ? rowsFromJson(queries.version, versionRows.rows)[0]?.version : undefined;
    if (queries === QUERIES && version !== undefined && version < 150000) {
      return runQueries(client, database, options, { ...QUERIES, publications: PUBLICATIONS_BEFORE_15 });
    }
    throw failure.error;
  }
  // Here the rows take the shapes each query declares.
  const rows = {} as Record<QueryName, readonly unknown[]>;
  names.forEach((name, i) => {
    rows[name] = rowsFromJson(
      queries[name] as Query<unknown>,
      (results[prologue.length + i]!.rows[0] as { rows: string }).rows,
    );
  });
  return rows as Rows;
}

/**
 * Reads the whole user schema of one database into plain data, in one round trip. Given a URL it opens
 * one connection and closes it; given a connected client it reads on it and leaves it open.
 */
export async function introspect(database: string | Client, options: IntrospectOptions = {}): Promise<Catalog> {
  if (typeof database !== 'string') return buildCatalog(await runQueries(database, describeClient(database), options));
  const client = await connectDatabase(database);
  try {
    return buildCatalog(await runQueries(client, describeDatabase(database), options));
  } finally {
    await client.end().catch(() => undefined);
  }
}

function describeClient(client: Client): string {
  return `${client.host}:${client.port}/${client.database ?? ''}`;
}

function buildCatalog(rows: Rows): Catalog {
  // Each builder records its objects' keys by oid in `keys`, which later builders (and comments, owners and
  // dependencies) read: the order below matters.
  const keys = newObjectKeys();
  const schemas = buildSchemas(rows.schemas, keys);
  const extensions = buildExtensions(rows.extensions, keys);
  const collations = buildCollations(rows.collations, keys);
  const types = buildTypes(rows.types, keys);
  const { relations, byOid: tables } = buildRelations(rows.relations, keys);
  const { sequences, identityByColumn } = buildSequences(rows.sequences, keys);
  const { columns: columnsByRelation, attributes } = buildColumns(rows.columns, keys, relations, identityByColumn);
  const { constraints, domainConstraints, byIndexOid, partitionConstraints } = buildConstraints(
    rows.constraints,
    keys,
    tables,
    types.domains,
    new Map(rows.relations.map((r) => [r.oid, r.parents])),
  );
  const { indexes, partitionIndexes, constraintParentIndexes } = buildIndexes(rows.indexes, keys, tables, byIndexOid);
  const definedObjects = buildDefinedObjects(
    (
      [
        'operators',
        'operatorFamilies',
        'operatorClasses',
        'userCasts',
        'textSearchDictionaries',
        'textSearchConfigurations',
        'eventTriggers',
        'publications',
      ] as const
    ).flatMap((name) => rows[name]),
    keys,
  );
  const functions = buildFunctions(rows.functions, rows.aggregates, keys);
  const statistics = buildStatistics(rows.statistics, keys, tables);
  const rules = buildRules(rows.rules, keys, tables);
  const defaultPrivileges = buildDefaultPrivileges(rows.defaultAcls);
  const triggers = buildTriggers(rows.triggers, keys, tables);
  const policies = buildPolicies(rows.policies, keys, tables);
  const comments = buildComments(rows.comments, keys);
  const { dependsOn, dependents } = buildDependencies(rows.depends, keys);
  const { owners, databaseOwner } = buildOwners(rows.owners, keys);

  // Attach comments now that every object is known, and the parts other queries read (columns, attributes,
  // domain constraints, the partitioned index a partition's constraint is attached to).
  const withComment = <T extends { key: string; comment: string | null }>(o: T): T =>
    comments.has(o.key) ? { ...o, comment: comments.get(o.key)! } : o;
  // Few objects have comments: a map none of whose objects has one is kept as it is.
  const mapValues = <T extends { key: string; comment: string | null }>(m: Map<string, T>) => {
    let out: Map<string, T> | undefined;
    for (const [k, v] of m) if (comments.has(v.key)) (out ??= new Map(m)).set(k, withComment(v));
    return out ?? m;
  };

  const finalRelations = new Map<string, RelationInfo>();
  for (const [k, rel] of relations) {
    finalRelations.set(k, withComment({ ...rel, columns: (columnsByRelation.get(k) ?? []).map(withComment) }));
  }
  const finalDomains = new Map<string, DomainInfo>();
  for (const [k, d] of types.domains) {
    finalDomains.set(
      k,
      withComment({
        ...d,
        constraints: (domainConstraints.get(k) ?? []).map((c) => ({
          ...c,
          comment: comments.get(`${k}#${c.name}`) ?? null,
        })),
      }),
    );
  }
  const composites = new Map<string, CompositeTypeInfo>();
  for (const [k, c] of types.composites) composites.set(k, withComment({ ...c, attributes: attributes.get(k) ?? [] }));
  const finalConstraints = new Map<string, ConstraintInfo>();
  for (const [k, c] of constraints) {
    finalConstraints.set(
      k,
      withComment(constraintParentIndexes.has(k) ? { ...c, parentIndexKey: constraintParentIndexes.get(k) } : c),
    );
  }
  const columns = new Map<string, { relationKey: string; column: ColumnInfo }>();
  for (const rel of finalRelations.values())
    for (const column of rel.columns) columns.set(column.key, { relationKey: rel.key, column });

  return {
    serverVersion: rows.version[0]!.version,
    schemas: mapValues(schemas),
    extensions: mapValues(extensions),
    definedObjects: mapValues(definedObjects),
    collations: mapValues(collations),
    enums: mapValues(types.enums),
    domains: finalDomains,
    compositeTypes: composites,
    ranges: mapValues(types.ranges),
    sequences: mapValues(sequences),
    relations: finalRelations,
    columns,
    constraints: finalConstraints,
    indexes: mapValues(indexes),
    partitionIndexes: mapValues(partitionIndexes),
    partitionConstraints,
    functions: mapValues(functions),
    triggers: mapValues(triggers),
    policies: mapValues(policies),
    statistics: mapValues(statistics),
    rules: mapValues(rules),
    defaultPrivileges,
    dependsOn,
    dependents,
    typeKeysByOid: keys.types,
    casts: buildCasts(rows.casts),
    owners,
    databaseOwner,
    unsupported: buildUnsupported(rows.unsupported),
  };
}
