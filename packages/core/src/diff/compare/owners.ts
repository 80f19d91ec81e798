import { type DiffContext, Phase } from '../plan';
import { ident } from '../sql';
import { commentables } from './comments';

/** Kinds of key that have no owner of their own (they follow their table, or have none), or that ALTER ... OWNER TO cannot name. */
const NO_OWNER = new Set(['col', 'con', 'idx', 'trg', 'pol', 'rule', 'ext', 'cast']);

/**
 * ALTER ... OWNER TO, with `withOwners`: for an object whose owner differs, and for one created here whose
 * owner in `to` is not `to`'s database owner (the role taken to run the migration). The COMMENT ON target
 * of an object names it for ALTER as well. A sequence owned by a column follows its table's owner.
 */
export function emitOwners(ctx: DiffContext): void {
  if (!ctx.options.withOwners) return;
  const targets = commentables(ctx.to);
  for (const [key, owner] of ctx.to.owners) {
    const commentable = targets.get(key);
    if (!commentable || key.includes('#') || NO_OWNER.has(key.slice(0, key.indexOf(':')))) continue;
    if (ctx.to.sequences.get(key)?.ownedBy) continue;
    const before = ctx.survives(key) ? ctx.from.owners.get(key) : ctx.to.databaseOwner;
    if (before === owner) continue;
    const target = commentable.named();
    ctx.emit({
      sql: `ALTER ${target.target} OWNER TO ${ident(owner)}`,
      object: { kind: target.kind, name: target.name },
      action: 'alter',
      phase: Phase.privilege - 0.5,
      produces: [`${key}#owner`],
      needs: [key],
    });
  }
}
