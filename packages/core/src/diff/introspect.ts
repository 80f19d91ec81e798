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

/**
 * Every query, in the order they run: the catalog is built in this order as the rows arrive, except the
 * dependencies, read first (the largest result, parsed while the server reads the rest) and mapped last.
 */
export const QUERIES = {
  version: SERVER_VERSION,
  depends: DEPENDS,
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
} as const;

type QueryName = keyof typeof QUERIES;
type Rows = { readonly [Name in QueryName]: RowsOf<(typeof QUERIES)[Name]> };
/** Each query's rows, given as its result arrives. */
type ArrivingRows = { readonly [Name in QueryName]: Promise<Rows[Name]> };

/** How long reading a catalog waits for a lock held by someone else, and how long one catalog query may run. */
export const INTROSPECTION_LOCK_TIMEOUT_MS = 30_000;
const INTROSPECTION_STATEMENT_TIMEOUT_MS = 300_000;

export interface IntrospectOptions {
  /** Give up (SQLSTATE 55P03) when a catalog read waits this long for a lock; default INTROSPECTION_LOCK_TIMEOUT_MS. */
  readonly lockTimeoutMs?: number;
}

interface Reading {
  readonly rows: ArrivingRows;
  /** The batch's end: the error it failed with (its transaction already rolled back), if it failed. */
  readonly ended: Promise<{ readonly error?: Error }>;
}

/**
 * Sends every query in one round trip, inside one repeatable-read read-only transaction: all of them see
 * the same snapshot, so a change committed meanwhile is seen whole or not at all. Each query's rows are
 * given as its result arrives, so the catalog is built while the server still reads the rest. The settings
 * are local to that transaction, so a connection given by the caller (the fleet's locked one) keeps its own.
 */
function startQueries(
  client: Client,
  database: string,
  options: IntrospectOptions,
  queries: typeof QUERIES = QUERIES,
): Reading {
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
  const settle: { resolve(rows: readonly unknown[]): void; reject(error: unknown): void }[] = [];
  const rows = {} as Record<QueryName, Promise<readonly unknown[]>>;
  names.forEach((name, i) => {
    rows[name] = new Promise((resolve, reject) => (settle[i] = { resolve, reject }));
    // The build stops at the first failed query: the rest are never read, and their failure is no news.
    rows[name].catch(() => undefined);
  });
  const statements = [...prologue, ...names.map((name) => jsonQuery(queries[name])), 'COMMIT'];
  const ended = runBatch(client, statements, (index, result) => {
    const i = index - prologue.length;
    const name = names[i];
    if (name === undefined) return;
    try {
      // Here the rows take the shapes each query declares.
      settle[i]!.resolve(rowsFromJson(queries[name] as Query<unknown>, (result.rows[0] as { rows: string }).rows));
    } catch (error) {
      settle[i]!.reject(error);
    }
  }).then(
    async ({ failure }) => {
      if (!failure) return {};
      // The transaction stays open (aborted) after an error inside it: end it before the connection is used again.
      await client.query('ROLLBACK').catch(() => undefined);
      const error =
        failure.failedIndex < prologue.length
          ? new ConfigurationError(`cannot read the schema of ${database}: ${errorMessage(failure.error)}`)
          : failure.error;
      for (const s of settle) s.reject(error);
      return { error };
    },
    (error: unknown) => {
      for (const s of settle) s.reject(error);
      throw error;
    },
  );
  ended.catch(() => undefined);
  return { rows: rows as unknown as ArrivingRows, ended };
}

/** The catalog of a reading, built as its rows arrive; the batch's failure, if it failed. */
async function built(reading: Reading): Promise<Catalog> {
  const catalog = await buildCatalog(reading.rows);
  const { error } = await reading.ended;
  if (error) throw error;
  return catalog;
}

/** Reads the catalog on `client`. */
async function readCatalog(client: Client, database: string, options: IntrospectOptions): Promise<Catalog> {
  const reading = startQueries(client, database, options);
  try {
    return await built(reading);
  } catch (error) {
    const { error: failure } = await reading.ended;
    // PostgreSQL 14 lacks catalog columns the queries read (publication column lists): read it again with its own.
    const version = await reading.rows.version.then(
      (rows) => rows[0]?.version,
      () => undefined,
    );
    if (failure && !(failure instanceof ConfigurationError) && version !== undefined && version < 150000)
      return built(startQueries(client, database, options, { ...QUERIES, publications: PUBLICATIONS_BEFORE_15 }));
    throw error;
  }
}

/**
 * Reads the whole user schema of one database into plain data, in one round trip. Given a URL it opens
 * one connection and closes it; given a connected client it reads on it and leaves it open.
 */
export async function introspect(database: string | Client, options: IntrospectOptions = {}): Promise<Catalog> {
  if (typeof database !== 'string') return readCatalog(database, describeClient(database), options);
  const client = await connectDatabase(database);
  try {
    return await readCatalog(client, describeDatabase(database), options);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function describeClient(client: Client): string {
  return `${client.host}:${client.port}/${client.database ?? ''}`;
}

/** Builds the catalog part by part, each as soon as the rows it reads have arrived (in the queries' order). */
async function buildCatalog(rows: ArrivingRows): Promise<Catalog> {
  // Each builder records its objects' keys by oid in `keys`, which later builders (and comments, owners and
  // dependencies) read: the order below matters.
  const keys = newObjectKeys();
  const version = await rows.version;
  const schemas = buildSchemas(await rows.schemas, keys);
  const extensions = buildExtensions(await rows.extensions, keys);
  const collations = buildCollations(await rows.collations, keys);
  const types = buildTypes(await rows.types, keys);
  const sequenceRows = await rows.sequences;
  const relationRows = await rows.relations;
  const { relations, byOid: tables } = buildRelations(relationRows, keys);
  const { sequences, identityByColumn } = buildSequences(sequenceRows, keys);
  const { columns: columnsByRelation, attributes } = buildColumns(
    await rows.columns,
    keys,
    relations,
    identityByColumn,
  );
  const { constraints, domainConstraints, byIndexOid, partitionConstraints } = buildConstraints(
    await rows.constraints,
    keys,
    tables,
    types.domains,
    new Map(relationRows.map((r) => [r.oid, r.parents])),
  );
  const { indexes, partitionIndexes, constraintParentIndexes } = buildIndexes(
    await rows.indexes,
    keys,
    tables,
    byIndexOid,
  );
  const functions = buildFunctions(await rows.functions, await rows.aggregates, keys);
  const statistics = buildStatistics(await rows.statistics, keys, tables);
  const rules = buildRules(await rows.rules, keys, tables);
  const defaultPrivileges = buildDefaultPrivileges(await rows.defaultAcls);
  const triggers = buildTriggers(await rows.triggers, keys, tables);
  const policies = buildPolicies(await rows.policies, keys, tables);
  const casts = buildCasts(await rows.casts);
  const definedObjects = buildDefinedObjects(
    (
      await Promise.all(
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
        ).map((name) => rows[name]),
      )
    ).flat(),
    keys,
  );
  const { owners, databaseOwner } = buildOwners(await rows.owners, keys);
  const comments = buildComments(await rows.comments, keys);
  const unsupported = buildUnsupported(await rows.unsupported);
  const { dependsOn, dependents } = buildDependencies(await rows.depends, keys);

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
    serverVersion: version[0]!.version,
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
    casts,
    owners,
    databaseOwner,
    unsupported,
  };
}
