import { DiffContext, Phase } from '../plan';
import { ident } from '../sql';
import { relationName } from './tables';

const ENABLE_ACTIONS: Record<string, string> = {
  O: 'ENABLE TRIGGER',
  D: 'DISABLE TRIGGER',
  R: 'ENABLE REPLICA TRIGGER',
  A: 'ENABLE ALWAYS TRIGGER',
};

/** Triggers compare by pg_get_triggerdef; a changed trigger is dropped and created again. */
export function decideTriggers(ctx: DiffContext): void {
  for (const [key, a] of ctx.from.triggers) {
    if (ctx.gone(key)) continue;
    const b = ctx.to.triggers.get(key);
    if (!b || b.definition !== a.definition) ctx.markGone(key);
  }
}

export function emitTriggers(ctx: DiffContext): void {
  for (const [key, a] of ctx.from.triggers) {
    if (!ctx.gone(key) || ctx.implicitlyDropped.has(key)) continue;
    ctx.emit({
      sql: `DROP TRIGGER ${ident(a.name)} ON ${relationName({ schema: a.schema, name: a.table })}`,
      object: { kind: 'trigger', name: `${a.schema}.${a.table}.${a.name}` },
      action: 'drop',
      phase: Phase.dropTrigger,
      removes: [key],
    });
  }
  for (const [key, b] of ctx.to.triggers) {
    const a = ctx.from.triggers.get(key);
    const survives = !!a && !ctx.gone(key);
    const name = `${b.schema}.${b.table}.${b.name}`;
    if (!survives) {
      ctx.emit({
        sql: b.definition,
        object: { kind: 'trigger', name },
        action: 'create',
        phase: Phase.createTrigger,
        produces: [key],
        needs: [b.tableKey],
      });
    }
    if ((survives ? a!.enabled : 'O') !== b.enabled) {
      ctx.emit({
        sql: `ALTER TABLE ${relationName({ schema: b.schema, name: b.table })} ${ENABLE_ACTIONS[b.enabled] ?? 'ENABLE TRIGGER'} ${ident(b.name)}`,
        object: { kind: 'trigger', name },
        action: 'alter',
        phase: Phase.createTrigger,
        produces: [key],
        needs: [b.tableKey],
      });
    }
  }
}
