import type { StatisticsInfo } from '../catalog';
import { type DiffContext, Phase } from '../plan';
import { ident } from '../sql';
import { decideKeyed, emitKeyed, type KeyedKind } from './keyed';

function statisticsName(s: { schema: string; name: string }): string {
  return `${ident(s.schema)}.${ident(s.name)}`;
}

/**
 * Extended statistics (CREATE STATISTICS) compare by pg_get_statisticsobjdef; a changed one is dropped and
 * created again. Its statistics target (stxstattarget, -1 the default) changes in place. PostgreSQL
 * rebuilds them itself when a column they cover changes type.
 */
const statistics: KeyedKind<StatisticsInfo> = {
  kind: 'statistics',
  objects: (catalog) => catalog.statistics,
  name: (x) => `${x.schema}.${x.name}`,
  same: (a, b) => a.definition === b.definition,
  drop: { phase: Phase.dropIndex, sql: (a) => `DROP STATISTICS ${statisticsName(a)}` },
  create: { phase: Phase.createIndex, sql: (b) => b.definition, needs: (b) => [b.tableKey] },
  setting: {
    part: 'target',
    value: (x) => x.target,
    initial: -1,
    sql: (b) => `ALTER STATISTICS ${statisticsName(b)} SET STATISTICS ${b.target}`,
  },
};

export function decideStatistics(ctx: DiffContext): void {
  decideKeyed(ctx, statistics);
}

export function emitStatistics(ctx: DiffContext): void {
  emitKeyed(ctx, statistics);
}
