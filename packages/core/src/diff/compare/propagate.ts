import type { DiffContext } from '../plan';

/**
 * Spreads the consequences of drops and recreations through `from`'s dependency graph: a view reading a
 * dropped column, a trigger calling a recreated function, a column typed by a recreated enum... each
 * must be dropped first and (when `to` still has it) created again, or altered around the change.
 */
export function propagate(ctx: DiffContext): void {
  const { from } = ctx;
  const queue: string[] = [...ctx.dropped, ...ctx.recreated, ...ctx.retyped];
  const visited = new Set<string>();
  while (queue.length > 0) {
    const cause = queue.shift()!;
    const causeGone = ctx.gone(cause);
    if (visited.has(cause + (causeGone ? '#gone' : '#retyped'))) continue;
    visited.add(cause + (causeGone ? '#gone' : '#retyped'));
    for (const dependent of from.dependents.get(cause) ?? []) {
      if (ctx.gone(dependent)) continue;
      const prefix = dependent.slice(0, dependent.indexOf(':'));
      if (prefix === 'rel') {
        const rel = from.relations.get(dependent);
        // Only views and materialized views are rebuilt for a dependency; tables are altered in place.
        if (rel && (rel.kind === 'view' || rel.kind === 'materialized view')) {
          ctx.markGone(dependent);
          markChildrenGone(ctx, dependent);
          queue.push(dependent);
        }
      } else if (['op', 'opc', 'opf', 'cast', 'tsdict', 'tscfg', 'evt', 'pub'].includes(prefix)) {
        // Defined by what they name (a function, a type, a dictionary, a table): recreated when it goes.
        if (!causeGone) continue;
        ctx.markGone(dependent);
        queue.push(dependent);
      } else if (prefix === 'fn' || prefix === 'trg' || prefix === 'pol' || prefix === 'rule') {
        if (prefix === 'fn' && !causeGone) continue; // a function signature survives a column type change
        ctx.markGone(dependent);
        queue.push(dependent);
      } else if (prefix === 'idx' || prefix === 'con' || prefix === 'stx') {
        // PostgreSQL rebuilds indexes, constraints and statistics itself when a column changes type.
        if (!causeGone) continue;
        ctx.markGone(dependent);
        queue.push(dependent);
      } else if (prefix === 'col') {
        const column = from.columns.get(dependent);
        if (!column) continue;
        if (cause.startsWith('type:')) {
          if (from.typeKeysByOid.get(column.column.typeOid) === cause || isArrayColumn(ctx, column.column)) {
            ctx.retyped.add(dependent);
            if (column.column.default !== null) ctx.defaultReset.add(dependent);
            queue.push(dependent);
          } else if (column.column.default !== null) {
            ctx.defaultReset.add(dependent);
          }
        } else if (
          (cause.startsWith('col:') || (cause.startsWith('fn:') && causeGone)) &&
          column.column.generated === 's'
        ) {
          // A generated column reading a changed column, or calling a function dropped and created again, is
          // dropped and added again (its values are computed anew): its expression cannot be set aside.
          ctx.markGone(dependent);
          queue.push(dependent);
        } else if (cause.startsWith('fn:') && column.column.default !== null) {
          ctx.defaultReset.add(dependent);
        }
      } else if (prefix === 'type' && causeGone) {
        // A domain or range type over a recreated type is recreated too (rare).
        if (ctx.from.domains.has(dependent) || ctx.from.ranges.has(dependent)) {
          ctx.markGone(dependent);
          queue.push(dependent);
        }
      }
    }
  }
}

/** An array column that depends on a type is an array of that type (the graph maps arrays onto elements). */
function isArrayColumn(ctx: DiffContext, column: { typeOid: number; type: string }): boolean {
  return column.type.endsWith('[]') && !ctx.from.typeKeysByOid.has(column.typeOid);
}

/** Indexes, constraints, triggers, policies, statistics and rules of a relation dropped or recreated go with it. */
export function markChildrenGone(ctx: DiffContext, relationKey: string): void {
  const { from } = ctx;
  for (const map of [
    from.indexes,
    from.constraints,
    from.triggers,
    from.policies,
    from.statistics,
    from.rules,
  ] as const) {
    for (const [key, child] of map as ReadonlyMap<string, { tableKey: string }>) {
      if (child.tableKey === relationKey && !ctx.gone(key)) ctx.markGone(key, true);
    }
  }
  const rel = from.relations.get(relationKey);
  for (const column of rel?.columns ?? []) markOwnedSequencesGone(ctx, column.key);
}

/** A sequence OWNED BY a column disappears with that column. */
export function markOwnedSequencesGone(ctx: DiffContext, columnKey: string): void {
  for (const [key, seq] of ctx.from.sequences) {
    if (seq.ownedBy === columnKey && !ctx.gone(key)) ctx.markGone(key, true);
  }
}
