import { type DiffContext, Phase } from '../plan';
import { decideKeyed, emitKeyed, tableEventKind } from './keyed';

/** Triggers compare by pg_get_triggerdef; a changed trigger is dropped and created again. */
const triggers = tableEventKind('trigger', (catalog) => catalog.triggers, {
  drop: Phase.dropTrigger,
  create: Phase.createTrigger,
});

export function decideTriggers(ctx: DiffContext): void {
  decideKeyed(ctx, triggers);
}

export function emitTriggers(ctx: DiffContext): void {
  emitKeyed(ctx, triggers);
}
