import { type DiffContext, Phase } from '../plan';
import { decideKeyed, emitKeyed, tableEventKind } from './keyed';

/**
 * Rewrite rules (CREATE RULE) compare by pg_get_ruledef; a changed one is dropped and created again, as is
 * one reading a column whose type changes (PostgreSQL refuses the change while a rule uses the column).
 */
const rules = tableEventKind('rule', (catalog) => catalog.rules, { drop: Phase.dropRule, create: Phase.createRule });

export function decideRules(ctx: DiffContext): void {
  decideKeyed(ctx, rules);
}

export function emitRules(ctx: DiffContext): void {
  emitKeyed(ctx, rules);
}
