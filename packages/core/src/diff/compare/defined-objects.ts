import type { DefinedObjectInfo } from '../catalog';
import { hazards } from '../hazards';
import { type DiffContext, Phase } from '../plan';
import type { ObjectKind } from '../types';

/**
 * Operators, casts, text search dictionaries and configurations, event triggers and publications compare
 * by the statements that create them (introspect/defined-objects.ts): one that differs is dropped and
 * created again, after what it depends on (functions, types, tables, dictionaries) exists.
 */
export function decideDefinedObjects(ctx: DiffContext): void {
  for (const [key, a] of ctx.from.definedObjects) {
    if (ctx.gone(key)) continue;
    const b = ctx.to.definedObjects.get(key);
    if (!b || b.definition.join(';\n') !== a.definition.join(';\n')) ctx.markGone(key);
  }
}

function objectOf(o: DefinedObjectInfo): { kind: ObjectKind; name: string } {
  return { kind: o.kind, name: o.name };
}

export function emitDefinedObjects(ctx: DiffContext): void {
  for (const [key, a] of ctx.from.definedObjects) {
    if (!ctx.gone(key)) continue;
    ctx.emit({
      sql: a.drop,
      object: objectOf(a),
      action: 'drop',
      phase: Phase.dropFunction - 0.5,
      removes: [key],
      hazards: ctx.recreated.has(key) ? [] : [hazards.dropsObject(`${a.kind} ${a.name}`)],
    });
  }
  for (const [key, b] of ctx.to.definedObjects) {
    if (ctx.from.definedObjects.has(key) && !ctx.gone(key)) continue;
    b.definition.forEach((sql, i) => {
      ctx.emit({
        sql,
        object: objectOf(b),
        action: i === 0 ? 'create' : 'alter',
        phase: Phase.createFunction + 0.5,
        // The first statement creates it; the others (mappings, ENABLE) alter it, in order.
        produces: i === 0 ? [key] : [`${key}#${i}`],
        needs: i === 0 ? [] : [i === 1 ? key : `${key}#${i - 1}`],
      });
    });
  }
}
