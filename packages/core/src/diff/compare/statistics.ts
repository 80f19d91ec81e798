import { DiffContext, Phase } from '../plan';
import { ident } from '../sql';

function statisticsName(s: { schema: string; name: string }): string {
  return `${ident(s.schema)}.${ident(s.name)}`;
}

/**
 * Extended statistics (CREATE STATISTICS) compare by pg_get_statisticsobjdef; a changed one is dropped and
 * created again. Its statistics target changes in place. PostgreSQL rebuilds them itself when a column
 * they cover changes type.
 */
export function decideStatistics(ctx: DiffContext): void {
  for (const [key, a] of ctx.from.statistics) {
    if (ctx.gone(key)) continue;
    const b = ctx.to.statistics.get(key);
    if (!b || b.definition !== a.definition) ctx.markGone(key);
  }
}

export function emitStatistics(ctx: DiffContext): void {
  for (const [key, a] of ctx.from.statistics) {
    if (!ctx.gone(key) || ctx.implicitlyDropped.has(key)) continue;
    ctx.emit({
      sql: `DROP STATISTICS ${statisticsName(a)}`,
      object: { kind: 'statistics', name: `${a.schema}.${a.name}` },
      action: 'drop',
      phase: Phase.dropIndex,
      removes: [key],
    });
  }
  for (const [key, b] of ctx.to.statistics) {
    const a = ctx.from.statistics.get(key);
    const survives = !!a && !ctx.gone(key);
    const name = `${b.schema}.${b.name}`;
    if (!survives) {
      ctx.emit({
        sql: b.definition,
        object: { kind: 'statistics', name },
        action: 'create',
        phase: Phase.createIndex,
        produces: [key],
        needs: [b.tableKey],
      });
    }
    if ((survives ? a!.target : -1) !== b.target) {
      ctx.emit({
        sql: `ALTER STATISTICS ${statisticsName(b)} SET STATISTICS ${b.target}`,
        object: { kind: 'statistics', name },
        action: 'alter',
        phase: Phase.createIndex,
        produces: [`${key}#target`],
        needs: [key],
      });
    }
  }
}
