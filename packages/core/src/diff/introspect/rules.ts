import type { RuleInfo } from '../catalog';
import type { ObjectKeys } from './keys';
import { query } from './query';
import { buildOnTables, stripSemicolon, type RelationRef } from './relations';
import { USER_NAMESPACE } from './scope';

/** A rewrite rule other than a view's _RETURN rule. */
export interface RuleRow {
  readonly oid: number;
  readonly relid: number;
  readonly name: string;
  readonly definition: string;
  readonly enabled: string;
}

export const RULES = query<RuleRow>(
  `SELECT r.oid::int, r.ev_class::int AS relid, r.rulename AS name, pg_catalog.pg_get_ruledef(r.oid) AS definition,
      r.ev_enabled AS enabled
    FROM pg_catalog.pg_rewrite r
    JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE r.rulename <> '_RETURN' AND ${USER_NAMESPACE}
    ORDER BY n.nspname, c.relname, r.rulename`,
  {
    oid: 'int',
    relid: 'int',
    name: 'text',
    definition: 'text',
    enabled: 'text',
  },
);

export function buildRules(
  rows: readonly RuleRow[],
  keys: ObjectKeys,
  tables: ReadonlyMap<number, RelationRef>,
): Map<string, RuleInfo> {
  return buildOnTables<RuleInfo, RuleRow>(rows, 'rule', tables, keys.rules, (r) => ({
    definition: stripSemicolon(r.definition),
    enabled: r.enabled,
    comment: null,
  }));
}
