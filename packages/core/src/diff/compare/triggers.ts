import type { TriggerInfo } from '../catalog';
import { DiffContext, Phase } from '../plan';
import { decideKeyed, dropOnTable, emitKeyed, enabledState, KeyedKind, onTableName } from './keyed';

/** Triggers compare by pg_get_triggerdef; a changed trigger is dropped and created again. */
const triggers: KeyedKind<TriggerInfo> = {
  kind: 'trigger',
  objects: (catalog) => catalog.triggers,
  name: onTableName,
  same: (a, b) => a.definition === b.definition,
  drop: { phase: Phase.dropTrigger, sql: dropOnTable('TRIGGER') },
  create: { phase: Phase.createTrigger, sql: (b) => b.definition, needs: (b) => [b.tableKey] },
  setting: enabledState('TRIGGER'),
};

export function decideTriggers(ctx: DiffContext): void {
  decideKeyed(ctx, triggers);
}

export function emitTriggers(ctx: DiffContext): void {
  emitKeyed(ctx, triggers);
}
