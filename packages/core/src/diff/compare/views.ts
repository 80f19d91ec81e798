import type { RelationInfo } from '../catalog';
import { hazards } from '../hazards';
import { type DiffContext, Phase } from '../plan';
import { isView } from './relations';
import { keysGoingWith, relationName } from './tables';

function viewSql(b: RelationInfo, replace: boolean): string {
  const options = b.options.length ? ` WITH (${b.options.join(', ')})` : '';
  if (b.kind === 'materialized view') {
    return `CREATE MATERIALIZED VIEW ${relationName(b)}${options} AS\n${b.viewDefinition}\nWITH DATA`;
  }
  return `CREATE ${replace ? 'OR REPLACE ' : ''}VIEW ${relationName(b)}${options} AS\n${b.viewDefinition}`;
}

/**
 * Views and materialized views: dropped (dependents first, from `from`'s graph), created (dependencies
 * first, from `to`'s graph), or replaced in place when their old columns stay a prefix of the new ones.
 */
export function emitViews(ctx: DiffContext): void {
  for (const [key, a] of ctx.from.relations) {
    if (!isView(a) || !ctx.gone(key)) continue;
    const recreated = ctx.recreated.has(key);
    const kind = a.kind === 'view' ? 'view' : 'materialized view';
    ctx.emit({
      sql: `DROP ${a.kind === 'view' ? 'VIEW' : 'MATERIALIZED VIEW'} ${relationName(a)}`,
      object: { kind, name: `${a.schema}.${a.name}` },
      action: 'drop',
      phase: Phase.dropView,
      removes: keysGoingWith(ctx, a),
      destructive: !recreated,
      hazards: [
        recreated
          ? hazards.recreatesObject(`${kind} ${a.schema}.${a.name}`)
          : hazards.dropsObject(`${kind} ${a.schema}.${a.name}`),
      ],
    });
  }
  for (const [key, b] of ctx.to.relations) {
    if (!isView(b)) continue;
    const exists = ctx.from.relations.has(key) && !ctx.gone(key);
    const replace = ctx.replaced.has(key);
    if (exists && !replace) continue;
    ctx.emit({
      sql: viewSql(b, replace),
      object: { kind: b.kind === 'view' ? 'view' : 'materialized view', name: `${b.schema}.${b.name}` },
      action: replace ? 'replace' : 'create',
      phase: Phase.createView,
      produces: [key, ...b.columns.map((c) => c.key)],
    });
  }
}
