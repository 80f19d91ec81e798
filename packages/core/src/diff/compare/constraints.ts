import type { ConstraintInfo } from '../catalog';
import { hazards } from '../hazards';
import { DiffContext, Phase } from '../plan';
import { ident } from '../sql';
import { relationName } from './tables';

const TYPE_NAMES: Record<string, string> = {
  p: 'primary key', u: 'unique constraint', f: 'foreign key', c: 'check constraint', x: 'exclusion constraint', t: 'constraint trigger',
};

/** Constraints compare by pg_get_constraintdef; a changed one is dropped and added again. */
export function decideConstraints(ctx: DiffContext): void {
  for (const [key, a] of ctx.from.constraints) {
    if (ctx.gone(key)) continue;
    const b = ctx.to.constraints.get(key);
    if (!b || b.definition !== a.definition || b.type !== a.type) ctx.markGone(key);
  }
}

function tableOf(c: ConstraintInfo): string {
  return relationName({ schema: c.schema, name: c.table });
}

export function emitConstraints(ctx: DiffContext): void {
  for (const [key, a] of ctx.from.constraints) {
    if (!ctx.gone(key) || ctx.implicitlyDropped.has(key)) continue;
    ctx.emit({
      sql: `ALTER TABLE ${tableOf(a)} DROP CONSTRAINT ${ident(a.name)}`,
      object: { kind: 'constraint', name: `${a.schema}.${a.table}.${a.name}` },
      action: 'drop',
      phase: a.type === 'f' ? Phase.dropForeignKey : Phase.dropConstraint,
      removes: [key],
    });
  }
  for (const [key, b] of ctx.to.constraints) {
    if (ctx.from.constraints.has(key) && !ctx.gone(key)) continue;
    const tableSurvives = ctx.survives(b.tableKey);
    const what = `${TYPE_NAMES[b.type]} ${b.name} on ${b.schema}.${b.table}`;
    const constraintHazards = [];
    if (tableSurvives && !/\bNOT VALID$/.test(b.definition)) {
      if (b.type === 'f' || b.type === 'c') constraintHazards.push(hazards.validatesRows(what));
      else constraintHazards.push(hazards.blocksWrites(`the index of ${what}`));
    }
    ctx.emit({
      sql: `ALTER TABLE ${tableOf(b)} ADD CONSTRAINT ${ident(b.name)} ${b.definition}`,
      object: { kind: 'constraint', name: `${b.schema}.${b.table}.${b.name}` },
      action: 'create',
      phase: b.type === 'f' ? Phase.addForeignKey : Phase.addConstraint,
      produces: [key],
      needs: [b.tableKey, ...(b.references ? [b.references] : [])],
      hazards: constraintHazards,
    });
  }
}
