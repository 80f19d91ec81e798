import type { RuleInfo } from '../catalog';
import { DiffContext, Phase } from '../plan';
import { decideKeyed, dropOnTable, emitKeyed, enabledState, KeyedKind, onTableName } from './keyed';

/**
 * Rewrite rules (CREATE RULE) compare by pg_get_ruledef; a changed one is dropped and created again, as is
 * one reading a column whose type changes (PostgreSQL refuses the change while a rule uses the column).
 */
const rules: KeyedKind<RuleInfo> = {
  kind: 'rule',
  objects: (catalog) => catalog.rules,
  name: onTableName,
  same: (a, b) => a.definition === b.definition,
  drop: { phase: Phase.dropRule, sql: dropOnTable('RULE') },
  create: { phase: Phase.createRule, sql: (b) => b.definition, needs: (b) => [b.tableKey] },
  setting: enabledState('RULE'),
};

export function decideRules(ctx: DiffContext): void {
  decideKeyed(ctx, rules);
}

export function emitRules(ctx: DiffContext): void {
  emitKeyed(ctx, rules);
}
