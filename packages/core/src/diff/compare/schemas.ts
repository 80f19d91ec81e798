import type { CollationInfo } from '../catalog';
import { hazards } from '../hazards';
import { type DiffContext, Phase } from '../plan';
import { ident, literal } from '../sql';
import { emitCreates, emitDrops, markChanged } from './keyed';

function sameCollation(a: CollationInfo, b: CollationInfo): boolean {
  return (
    a.provider === b.provider &&
    a.collate === b.collate &&
    a.ctype === b.ctype &&
    a.locale === b.locale &&
    a.deterministic === b.deterministic
  );
}

/** Schemas, extensions and collations: the containers and add-ons everything else stands on. */
export function decideSchemas(ctx: DiffContext): void {
  markChanged(ctx, ctx.from.schemas, ctx.to.schemas);
  markChanged(ctx, ctx.from.extensions, ctx.to.extensions);
  markChanged(ctx, ctx.from.collations, ctx.to.collations, sameCollation);
}

export function emitSchemas(ctx: DiffContext): void {
  emitDrops(ctx, ctx.from.schemas, (a) => ({
    sql: `DROP SCHEMA ${ident(a.name)}`,
    object: { kind: 'schema', name: a.name },
    action: 'drop',
    phase: Phase.dropSchema,
    destructive: true,
    hazards: [hazards.dropsObject(`schema ${a.name}`)],
  }));
  emitCreates(ctx, ctx.from.schemas, ctx.to.schemas, (b) => ({
    sql: `CREATE SCHEMA ${ident(b.name)}`,
    object: { kind: 'schema', name: b.name },
    action: 'create',
    phase: Phase.createSchema,
  }));
}

/** Extensions; with createExtensionsOnly (nothing decided, nothing gone) only the missing ones are created. */
export function emitExtensions(ctx: DiffContext): void {
  const versions = !ctx.options.ignoreExtensionVersions;
  const onlyCreate = !!ctx.options.createExtensionsOnly;
  emitCreates(
    ctx,
    ctx.from.extensions,
    ctx.to.extensions,
    (b) => ({
      sql: `CREATE EXTENSION IF NOT EXISTS ${ident(b.name)} WITH SCHEMA ${ident(b.schema)}${versions ? ` VERSION ${literal(b.version)}` : ''}`,
      object: { kind: 'extension', name: b.name },
      action: 'create',
      phase: Phase.createExtension,
      needs: [`schema:${b.schema}`],
    }),
    (b, a, key) => {
      if (!a || onlyCreate) return;
      const object = { kind: 'extension', name: b.name } as const;
      if (a.schema !== b.schema) {
        ctx.emit({
          sql: `ALTER EXTENSION ${ident(b.name)} SET SCHEMA ${ident(b.schema)}`,
          object,
          action: 'alter',
          phase: Phase.createExtension,
          produces: [key],
          needs: [`schema:${b.schema}`],
        });
      }
      if (versions && a.version !== b.version) {
        ctx.emit({
          sql: `ALTER EXTENSION ${ident(b.name)} UPDATE TO ${literal(b.version)}`,
          object,
          action: 'alter',
          phase: Phase.createExtension,
          produces: [key],
        });
      }
    },
  );
  if (onlyCreate) return;
  emitDrops(ctx, ctx.from.extensions, (a) => ({
    sql: `DROP EXTENSION ${ident(a.name)}`,
    object: { kind: 'extension', name: a.name },
    action: 'drop',
    phase: Phase.dropLate,
    destructive: true,
    hazards: [hazards.dropsObject(`extension ${a.name} and the types and functions it provides`)],
  }));
}

export function emitCollations(ctx: DiffContext): void {
  emitDrops(ctx, ctx.from.collations, (a, key) => ({
    sql: `DROP COLLATION ${ident(a.schema)}.${ident(a.name)}`,
    object: { kind: 'collation', name: `${a.schema}.${a.name}` },
    action: 'drop',
    phase: ctx.recreated.has(key) ? Phase.dropTable : Phase.dropLate,
  }));
  emitCreates(ctx, ctx.from.collations, ctx.to.collations, (b) => {
    const options: string[] = [];
    if (b.provider === 'i') {
      options.push('provider = icu', `locale = ${literal(b.locale ?? '')}`);
    } else {
      options.push('provider = libc');
      if (b.collate === b.ctype) options.push(`locale = ${literal(b.collate ?? '')}`);
      else options.push(`lc_collate = ${literal(b.collate ?? '')}`, `lc_ctype = ${literal(b.ctype ?? '')}`);
    }
    if (!b.deterministic) options.push('deterministic = false');
    return {
      sql: `CREATE COLLATION ${ident(b.schema)}.${ident(b.name)} (${options.join(', ')})`,
      object: { kind: 'collation', name: `${b.schema}.${b.name}` },
      action: 'create',
      phase: Phase.createCollation,
    };
  });
}
