import type { TriggerInfo } from '../catalog';
import type { ObjectKeys } from './keys';
import { query } from './query';
import { buildOnTables, type RelationRef } from './relations';
import { USER_NAMESPACE } from './scope';

/** A user trigger (not internal, not a partition's clone of its parent's). */
export interface TriggerRow {
  readonly oid: number;
  readonly relid: number;
  readonly name: string;
  readonly definition: string;
  readonly enabled: string;
}

export const TRIGGERS = query<TriggerRow>(
  `SELECT t.oid::int, t.tgrelid::int AS relid, t.tgname AS name,
      pg_catalog.pg_get_triggerdef(t.oid) AS definition, t.tgenabled AS enabled
    FROM pg_catalog.pg_trigger t
    JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND ${USER_NAMESPACE}
    ORDER BY n.nspname, c.relname, t.tgname`,
  {
    oid: 'int',
    relid: 'int',
    name: 'text',
    definition: 'text',
    enabled: 'text',
  },
);

export function buildTriggers(
  rows: readonly TriggerRow[],
  keys: ObjectKeys,
  tables: ReadonlyMap<number, RelationRef>,
): Map<string, TriggerInfo> {
  return buildOnTables<TriggerInfo, TriggerRow>(rows, 'trg', tables, keys.triggers, (r) => ({
    definition: r.definition,
    enabled: r.enabled,
    comment: null,
  }));
}
