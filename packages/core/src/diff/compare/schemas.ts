import { hazards } from '../hazards';
import { DiffContext, Phase } from '../plan';
import { ident, literal } from '../sql';

/** Schemas, extensions and collations: the containers and add-ons everything else stands on. */
export function decideSchemas(ctx: DiffContext): void {
  for (const key of ctx.from.schemas.keys()) if (!ctx.to.schemas.has(key)) ctx.markGone(key);
  for (const key of ctx.from.extensions.keys()) if (!ctx.to.extensions.has(key)) ctx.markGone(key);
  for (const [key, a] of ctx.from.collations) {
    const b = ctx.to.collations.get(key);
    if (!b || a.provider !== b.provider || a.collate !== b.collate || a.ctype !== b.ctype || a.locale !== b.locale || a.deterministic !== b.deterministic) {
      ctx.markGone(key);
    }
  }
}

export function emitSchemas(ctx: DiffContext): void {
  for (const [key, a] of ctx.from.schemas) {
    if (!ctx.gone(key)) continue;
    ctx.emit({
      sql: `DROP SCHEMA ${ident(a.name)}`,
      object: { kind: 'schema', name: a.name },
      action: 'drop',
      phase: Phase.dropSchema,
      removes: [key],
      destructive: true,
      hazards: [hazards.dropsObject(`schema ${a.name}`)],
    });
  }
  for (const [key, b] of ctx.to.schemas) {
    if (ctx.from.schemas.has(key)) continue;
    ctx.emit({ sql: `CREATE SCHEMA ${ident(b.name)}`, object: { kind: 'schema', name: b.name }, action: 'create', phase: Phase.createSchema, produces: [key] });
  }
}

export function emitExtensions(ctx: DiffContext): void {
  const versions = !ctx.options.ignoreExtensionVersions;
  const onlyCreate = !!ctx.options.createExtensionsOnly;
  for (const [key, b] of ctx.to.extensions) {
    const a = ctx.from.extensions.get(key);
    if (!a) {
      ctx.emit({
        sql: `CREATE EXTENSION IF NOT EXISTS ${ident(b.name)} WITH SCHEMA ${ident(b.schema)}${versions ? ` VERSION ${literal(b.version)}` : ''}`,
        object: { kind: 'extension', name: b.name },
        action: 'create',
        phase: Phase.createExtension,
        produces: [key],
        needs: [`schema:${b.schema}`],
      });
      continue;
    }
    if (onlyCreate) continue;
    if (a.schema !== b.schema) {
      ctx.emit({
        sql: `ALTER EXTENSION ${ident(b.name)} SET SCHEMA ${ident(b.schema)}`,
        object: { kind: 'extension', name: b.name },
        action: 'alter',
        phase: Phase.createExtension,
        produces: [key],
        needs: [`schema:${b.schema}`],
      });
    }
    if (versions && a.version !== b.version) {
      ctx.emit({
        sql: `ALTER EXTENSION ${ident(b.name)} UPDATE TO ${literal(b.version)}`,
        object: { kind: 'extension', name: b.name },
        action: 'alter',
        phase: Phase.createExtension,
        produces: [key],
      });
    }
  }
  if (onlyCreate) return;
  for (const [key, a] of ctx.from.extensions) {
    if (ctx.to.extensions.has(key)) continue;
    ctx.emit({
      sql: `DROP EXTENSION ${ident(a.name)}`,
      object: { kind: 'extension', name: a.name },
      action: 'drop',
      phase: Phase.dropLate,
      removes: [key],
      destructive: true,
      hazards: [hazards.dropsObject(`extension ${a.name} and the types and functions it provides`)],
    });
  }
}

export function emitCollations(ctx: DiffContext): void {
  for (const [key, a] of ctx.from.collations) {
    if (!ctx.gone(key)) continue;
    ctx.emit({
      sql: `DROP COLLATION ${ident(a.schema)}.${ident(a.name)}`,
      object: { kind: 'collation', name: `${a.schema}.${a.name}` },
      action: 'drop',
      phase: ctx.recreated.has(key) ? Phase.dropTable : Phase.dropLate,
      removes: [key],
    });
  }
  for (const [key, b] of ctx.to.collations) {
    if (ctx.from.collations.has(key) && !ctx.gone(key)) continue;
    const options: string[] = [];
    if (b.provider === 'i') {
      options.push('provider = icu', `locale = ${literal(b.locale ?? '')}`);
    } else {
      options.push('provider = libc');
      if (b.collate === b.ctype) options.push(`locale = ${literal(b.collate ?? '')}`);
      else options.push(`lc_collate = ${literal(b.collate ?? '')}`, `lc_ctype = ${literal(b.ctype ?? '')}`);
    }
    if (!b.deterministic) options.push('deterministic = false');
    ctx.emit({
      sql: `CREATE COLLATION ${ident(b.schema)}.${ident(b.name)} (${options.join(', ')})`,
      object: { kind: 'collation', name: `${b.schema}.${b.name}` },
      action: 'create',
      phase: Phase.createCollation,
      produces: [key],
    });
  }
}
