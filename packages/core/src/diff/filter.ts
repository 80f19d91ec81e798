import { BOOKKEEPING_SCHEMA, isBookkeepingRelation } from '../tracking';
import type { Catalog } from './catalog';
import type { DiffOptions } from './types';

/**
 * Leaves out of a catalog what the comparison must not see: schemas outside the --schema/--exclude-schema
 * selection, and migration bookkeeping (sql-migrate's gorp_migrations, our db_migrate schema), which is
 * never part of the user's schema.
 */
export function filterCatalog(catalog: Catalog, options: DiffOptions): Catalog {
  const excluded = new Set(options.excludeSchemas ?? []);
  excluded.add(BOOKKEEPING_SCHEMA);
  const inScope = (schema: string) => !excluded.has(schema) && (options.schema === undefined || schema === options.schema);
  const keep = <T extends { schema: string }>(map: ReadonlyMap<string, T>, extra: (v: T) => boolean = () => true) =>
    new Map([...map].filter(([, v]) => inScope(v.schema) && extra(v)));

  const relations = keep(catalog.relations, (r) => !isBookkeepingRelation(r.schema, r.name));
  const onKeptTable = (v: { tableKey: string }) => relations.has(v.tableKey);
  const columns = new Map([...catalog.columns].filter(([, c]) => relations.has(c.relationKey)));
  return {
    ...catalog,
    schemas: new Map([...catalog.schemas].filter(([, s]) => inScope(s.name))),
    extensions: keep(catalog.extensions),
    collations: keep(catalog.collations),
    enums: keep(catalog.enums),
    domains: keep(catalog.domains),
    compositeTypes: keep(catalog.compositeTypes),
    ranges: keep(catalog.ranges),
    sequences: keep(catalog.sequences),
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
    defaultPrivileges: new Map([...catalog.defaultPrivileges].filter(([, d]) =>
      d.schema === null ? options.schema === undefined : inScope(d.schema))),
    definedObjects: new Map([...catalog.definedObjects].filter(([, o]) => (o.schema === null ? options.schema === undefined : inScope(o.schema)))),
    unsupported: catalog.unsupported.filter((u) => u.schema === null || inScope(u.schema)),
  };
}
