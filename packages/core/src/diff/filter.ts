import { BOOKKEEPING_SCHEMA, isBookkeepingRelation } from '../tracking';
import type { Catalog } from './catalog';
import { FRAMEWORK_SCHEMAS, frameworkOf, tablePatternMatcher } from './framework-tables';
import type { DiffOptions } from './types';

/** Why a table is left out by the options: a framework's bookkeeping or an exclude-table pattern. */
function tableExclusion(options: DiffOptions): (schema: string, table: string) => string | undefined {
  const patterns = (options.excludeTables ?? []).map((p) => ({ p, match: tablePatternMatcher(p) }));
  return (schema, table) => {
    const framework = options.includeFrameworkTables ? undefined : frameworkOf(schema, table);
    if (framework) return `${framework} bookkeeping`;
    const pattern = patterns.find((p) => p.match(schema, table));
    return pattern ? `exclude-table ${pattern.p}` : undefined;
  };
}

/** The tables of a catalog that the options leave out, as "schema.table (why)", sorted. */
export function excludedTables(catalog: Catalog, options: DiffOptions): string[] {
  const why = tableExclusion(options);
  const out: string[] = [];
  for (const r of catalog.relations.values()) {
    const reason = why(r.schema, r.name);
    if (reason) out.push(`${r.schema}.${r.name} (${reason})`);
  }
  return out.sort();
}

/**
 * Leaves out of a catalog what the comparison must not see: schemas outside the --schema/--exclude-schema
 * selection, and migration bookkeeping (sql-migrate's gorp_migrations, our db_migrate schema), which is
 * never part of the user's schema. Tables left out by tableExclusion (frameworks' bookkeeping unless
 * includeFrameworkTables, and excludeTables patterns) go with what hangs on them: columns, constraints,
 * indexes, triggers, policies, and the sequences they own; a framework's own schema goes when it is left empty.
 */
/** The entries of `map` that pass; `map` itself when all do (most comparisons filter nothing out). */
function kept<T>(map: ReadonlyMap<string, T>, pass: (value: T) => boolean): ReadonlyMap<string, T> {
  for (const value of map.values()) if (!pass(value)) return new Map([...map].filter(([, v]) => pass(v)));
  return map;
}

export function filterCatalog(catalog: Catalog, options: DiffOptions): Catalog {
  const excluded = new Set(options.excludeSchemas ?? []);
  excluded.add(BOOKKEEPING_SCHEMA);
  const inScope = (schema: string) =>
    !excluded.has(schema) && (options.schema === undefined || schema === options.schema);
  const keep = <T extends { schema: string }>(map: ReadonlyMap<string, T>, extra: (v: T) => boolean = () => true) =>
    kept(map, (v) => inScope(v.schema) && extra(v));

  const excludedTable = tableExclusion(options);
  const relations = keep(
    catalog.relations,
    (r) => !isBookkeepingRelation(r.schema, r.name) && excludedTable(r.schema, r.name) === undefined,
  );
  const sequences = keep(
    catalog.sequences,
    (s) => s.ownedByName === null || excludedTable(s.ownedByName.schema, s.ownedByName.table) === undefined,
  );
  const used = new Set(
    [...relations.values(), ...sequences.values(), ...catalog.functions.values(), ...catalog.enums.values()].map(
      (o) => o.schema,
    ),
  );
  const leftEmpty = (schema: string) =>
    FRAMEWORK_SCHEMAS.includes(schema) && !options.includeFrameworkTables && !used.has(schema);
  const onKeptTable = (v: { tableKey: string }) => relations.has(v.tableKey);
  const columns = kept(catalog.columns, (c) => relations.has(c.relationKey));
  return {
    ...catalog,
    schemas: kept(catalog.schemas, (s) => inScope(s.name) && !leftEmpty(s.name)),
    extensions: keep(catalog.extensions),
    collations: keep(catalog.collations),
    enums: keep(catalog.enums),
    domains: keep(catalog.domains),
    compositeTypes: keep(catalog.compositeTypes),
    ranges: keep(catalog.ranges),
    sequences,
    relations,
    columns,
    constraints: keep(catalog.constraints, onKeptTable),
    indexes: keep(catalog.indexes, onKeptTable),
    partitionIndexes: keep(catalog.partitionIndexes, onKeptTable),
    functions: keep(catalog.functions),
    triggers: keep(catalog.triggers, onKeptTable),
    policies: keep(catalog.policies, onKeptTable),
    statistics: keep(catalog.statistics, onKeptTable),
    rules: keep(catalog.rules, onKeptTable),
    // Database-wide entries belong to no schema: left out only when a single schema is compared.
    defaultPrivileges: kept(catalog.defaultPrivileges, (d) =>
      d.schema === null ? options.schema === undefined : inScope(d.schema),
    ),
    definedObjects: kept(catalog.definedObjects, (o) =>
      o.schema === null ? options.schema === undefined : inScope(o.schema),
    ),
    unsupported: catalog.unsupported.filter((u) => u.schema === null || inScope(u.schema)),
  };
}
