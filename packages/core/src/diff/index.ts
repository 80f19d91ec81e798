import type { Catalog } from './catalog';
import { emitComments } from './compare/comments';
import { breakForeignKeyCycles, decideConstraints, emitConstraints } from './compare/constraints';
import { emitDefaultPrivileges } from './compare/default-privileges';
import { decideDefinedObjects, emitDefinedObjects } from './compare/defined-objects';
import { decideFunctions, emitFunctions, sqlBodyDependencies } from './compare/functions';
import { cascadeAttachedConstraints, decideIndexes, emitIndexes } from './compare/indexes';
import { decidePolicies, emitPolicies } from './compare/policies';
import { emitOwners } from './compare/owners';
import { emitPrivileges } from './compare/privileges';
import { propagate } from './compare/propagate';
import { decideRelations } from './compare/relations';
import { decideRules, emitRules } from './compare/rules';
import { decideSchemas, emitCollations, emitExtensions, emitSchemas } from './compare/schemas';
import { decideSequences, emitSequences } from './compare/sequences';
import { decideStatistics, emitStatistics } from './compare/statistics';
import { emitTableSettings } from './compare/table-settings';
import { emitTables } from './compare/tables';
import { decideTriggers, emitTriggers } from './compare/triggers';
import { commitAddedEnumValuesBeforeUse, decideTypes, emitTypes } from './compare/types';
import { emitViews } from './compare/views';
import { excludedTables, filterCatalog } from './filter';
import { introspect } from './introspect';
import { orderStatements } from './order';
import { DiffContext, type PlannedStatement } from './plan';
import type { DiffOptions, DiffResult, DiffStatement } from './types';

export { FRAMEWORK_TABLES, type FrameworkTable } from './framework-tables';
export { excludedTables } from './filter';
export type { DiffOptions, DiffResult, DiffStatement, Hazard, ObjectKind, StatementAction } from './types';
export type { Catalog } from './catalog';
export { introspect, INTROSPECTION_LOCK_TIMEOUT_MS, type IntrospectOptions } from './introspect';
export { renderMarkedSql, renderSql } from './render';
export {
  describeHazardGroups,
  groupHazards,
  HAZARD_OBJECTS_SHOWN,
  type HazardGroup,
  type HazardItem,
} from './hazard-groups';
export { changedByConversion, conversionGuard, valueChangingConversion } from './conversions';

/**
 * The statements that take the database at `fromUrl` to the schema of the database at `toUrl`, in an
 * order PostgreSQL accepts. Both databases are only read. Migration bookkeeping (gorp_migrations, the
 * db_migrate schema), system schemas and objects owned by extensions are never part of the comparison.
 */
export async function diff(fromUrl: string, toUrl: string, options: DiffOptions = {}): Promise<DiffResult> {
  return diffResult(await Promise.all([introspect(fromUrl), introspect(toUrl)]), options);
}

/** diff's result from the two catalogs already read (introspect): the CLI reads them before it loads the rest. */
export function diffResult([from, to]: readonly [Catalog, Catalog], options: DiffOptions = {}): DiffResult {
  const excluded = [...new Set([...excludedTables(from, options), ...excludedTables(to, options)])].sort();
  return {
    statements: diffCatalogs(from, to, options),
    warnings: unsupportedObjects(from, to, options),
    ...(excluded.length ? { excludedTables: excluded } : {}),
  };
}

/** The comparison itself, on catalogs already read: pure, no connection. */
export function diffCatalogs(fromCatalog: Catalog, toCatalog: Catalog, options: DiffOptions = {}): DiffStatement[] {
  const ctx = new DiffContext(filterCatalog(fromCatalog, options), filterCatalog(toCatalog, options), options);
  if (options.createExtensionsOnly) {
    emitExtensions(ctx);
    return finish(ctx);
  }
  decideSchemas(ctx);
  decideRelations(ctx);
  decideTypes(ctx);
  decideFunctions(ctx);
  decideConstraints(ctx);
  decideIndexes(ctx);
  decideTriggers(ctx);
  decidePolicies(ctx);
  decideStatistics(ctx);
  decideRules(ctx);
  decideSequences(ctx);
  decideDefinedObjects(ctx);
  propagate(ctx);
  breakForeignKeyCycles(ctx);
  cascadeAttachedConstraints(ctx);

  emitSchemas(ctx);
  emitExtensions(ctx);
  emitCollations(ctx);
  emitTypes(ctx);
  emitSequences(ctx);
  emitTables(ctx);
  emitViews(ctx);
  emitFunctions(ctx);
  emitDefinedObjects(ctx);
  emitConstraints(ctx);
  emitIndexes(ctx);
  emitTableSettings(ctx);
  emitStatistics(ctx);
  emitTriggers(ctx);
  emitPolicies(ctx);
  emitRules(ctx);
  emitComments(ctx);
  emitDefaultPrivileges(ctx);
  emitOwners(ctx);
  emitPrivileges(ctx);
  commitAddedEnumValuesBeforeUse(ctx);
  return finish(ctx, sqlBodyDependencies(ctx));
}

/**
 * One line per object of a kind the differ does not compare (foreign tables, operator classes...), on either
 * side, so nothing is ignored silently: every caller that decides "equal" (diff --exit-code, verify, drift)
 * counts these as a difference.
 */
export function unsupportedObjects(fromCatalog: Catalog, toCatalog: Catalog, options: DiffOptions = {}): string[] {
  if (options.createExtensionsOnly) return [];
  const label = (u: Catalog['unsupported'][number]) => `${u.kind} ${u.schema === null ? '' : u.schema + '.'}${u.name}`;
  const before = new Set(filterCatalog(fromCatalog, options).unsupported.map(label));
  const after = new Set(filterCatalog(toCatalog, options).unsupported.map(label));
  const warnings: string[] = [];
  for (const x of before)
    warnings.push(
      after.has(x)
        ? `${x} is not compared (not supported by the differ)`
        : `${x} exists only in the first database and is not dropped (not supported by the differ)`,
    );
  for (const x of after)
    if (!before.has(x))
      warnings.push(`${x} exists only in the second database and is not created (not supported by the differ)`);
  return warnings.sort();
}

function finish(ctx: DiffContext, extra?: Map<string, string[]>): DiffStatement[] {
  return orderStatements(ctx.statements, ctx.from, ctx.to, extra).map(publicShape);
}

function publicShape(s: PlannedStatement): DiffStatement {
  return {
    sql: s.sql,
    object: s.object,
    action: s.action,
    destructive: s.destructive,
    hazards: s.hazards,
    transactional: s.transactional,
    step: s.step,
    ...(s.note ? { note: s.note } : {}),
  };
}
