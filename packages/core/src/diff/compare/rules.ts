import { DiffContext, Phase } from '../plan';
import { ident } from '../sql';
import { relationName } from './tables';

const ENABLE_ACTIONS: Record<string, string> = {
  O: 'ENABLE RULE',
  D: 'DISABLE RULE',
  R: 'ENABLE REPLICA RULE',
  A: 'ENABLE ALWAYS RULE',
};

/**
 * Rewrite rules (CREATE RULE) compare by pg_get_ruledef; a changed one is dropped and created again, as is
 * one reading a column whose type changes (PostgreSQL refuses the change while a rule uses the column).
 */
export function decideRules(ctx: DiffContext): void {
  for (const [key, a] of ctx.from.rules) {
    if (ctx.gone(key)) continue;
    const b = ctx.to.rules.get(key);
    if (!b || b.definition !== a.definition) ctx.markGone(key);
  }
}

export function emitRules(ctx: DiffContext): void {
  for (const [key, a] of ctx.from.rules) {
    if (!ctx.gone(key) || ctx.implicitlyDropped.has(key)) continue;
    ctx.emit({
      sql: `DROP RULE ${ident(a.name)} ON ${relationName({ schema: a.schema, name: a.table })}`,
      object: { kind: 'rule', name: `${a.schema}.${a.table}.${a.name}` },
      action: 'drop',
      phase: Phase.dropRule,
      removes: [key],
    });
  }
  for (const [key, b] of ctx.to.rules) {
    const a = ctx.from.rules.get(key);
    const survives = !!a && !ctx.gone(key);
    const name = `${b.schema}.${b.table}.${b.name}`;
    if (!survives) {
      ctx.emit({ sql: b.definition, object: { kind: 'rule', name }, action: 'create', phase: Phase.createRule, produces: [key], needs: [b.tableKey] });
    }
    if ((survives ? a!.enabled : 'O') !== b.enabled) {
      ctx.emit({
        sql: `ALTER TABLE ${relationName({ schema: b.schema, name: b.table })} ${ENABLE_ACTIONS[b.enabled] ?? 'ENABLE RULE'} ${ident(b.name)}`,
        object: { kind: 'rule', name },
        action: 'alter',
        phase: Phase.createRule,
        produces: [`${key}#enabled`],
        needs: [key],
      });
    }
  }
}
