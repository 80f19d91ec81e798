import type { StatisticsInfo } from '../catalog';
import type { ObjectKeys } from './keys';
import { query } from './query';
import type { RelationRef } from './relations';
import { notExtensionMember, USER_NAMESPACE } from './scope';

export interface StatisticsRow {
  readonly oid: number;
  readonly schema: string;
  readonly name: string;
  readonly relid: number;
  readonly definition: string;
  /** stxstattarget: null for the default from PostgreSQL 17 on, -1 before. */
  readonly target: number | null;
}

export const STATISTICS = query<StatisticsRow>(
  `SELECT s.oid::int, n.nspname AS schema, s.stxname AS name, s.stxrelid::int AS relid,
      pg_catalog.pg_get_statisticsobjdef(s.oid) AS definition, s.stxstattarget AS target
    FROM pg_catalog.pg_statistic_ext s JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace
    WHERE ${USER_NAMESPACE} AND ${notExtensionMember('pg_statistic_ext', 's.oid')}
    ORDER BY n.nspname, s.stxname`,
  {
    oid: 'int',
    schema: 'text',
    name: 'text',
    relid: 'int',
    definition: 'text',
    target: 'int | null',
  },
);

export function buildStatistics(
  rows: readonly StatisticsRow[],
  keys: ObjectKeys,
  tables: ReadonlyMap<number, RelationRef>,
): Map<string, StatisticsInfo> {
  const statistics = new Map<string, StatisticsInfo>();
  for (const r of rows) {
    const rel = tables.get(r.relid);
    if (!rel) continue;
    const key = `stx:${r.schema}.${r.name}`;
    keys.statistics.set(r.oid, key);
    statistics.set(key, {
      key,
      schema: r.schema,
      name: r.name,
      tableKey: rel.key,
      definition: r.definition,
      target: r.target ?? -1,
      comment: null,
    });
  }
  return statistics;
}
