import type { CompositeTypeInfo, DomainInfo, EnumInfo, RangeTypeInfo } from '../catalog';
import { hazards } from '../hazards';
import { type DiffContext, Phase } from '../plan';
import { ident, literal } from '../sql';

const OLD_SUFFIX = '__old_version_to_be_dropped';

export function typeName(t: { schema: string; name: string }): string {
  return `${ident(t.schema)}.${ident(t.name)}`;
}

/** True when `to`'s labels keep `from`'s in the same order, so ALTER TYPE ... ADD VALUE reaches them. */
function onlyAdds(a: readonly string[], b: readonly string[]): boolean {
  let i = 0;
  for (const label of b) if (i < a.length && label === a[i]) i++;
  return i === a.length;
}

/**
 * Enums gain values in place (ADD VALUE). Removing or reordering values, changing a domain's base type or
 * collation, recreates the type: rename the old one, create the new one, convert every column (propagate.ts
 * marks them retyped), then drop the old one.
 */
export function decideTypes(ctx: DiffContext): void {
  for (const [key, a] of ctx.from.enums) {
    const b = ctx.to.enums.get(key);
    if (!b) ctx.markGone(key);
    else if (!onlyAdds(a.labels, b.labels)) ctx.markGone(key);
  }
  for (const [key, a] of ctx.from.domains) {
    const b = ctx.to.domains.get(key);
    if (!b) ctx.markGone(key);
    else if (a.baseType !== b.baseType || a.collation !== b.collation) ctx.markGone(key);
  }
  for (const [key, a] of ctx.from.ranges) {
    const b = ctx.to.ranges.get(key);
    if (!b || createRange(a) !== createRange(b)) ctx.markGone(key);
  }
  for (const [key, a] of ctx.from.compositeTypes) {
    const b = ctx.to.compositeTypes.get(key);
    // PostgreSQL refuses ALTER ATTRIBUTE ... TYPE while a column stores the type (even with CASCADE):
    // recreate it, and convert those columns attribute by attribute (tables.ts).
    if (!b || (attributeRetyped(a, b) && storedInColumns(ctx, key))) ctx.markGone(key);
  }
}

function attributeRetyped(a: CompositeTypeInfo, b: CompositeTypeInfo): boolean {
  const after = new Map(b.attributes.map((x) => [x.name, x]));
  return a.attributes.some((x) => {
    const y = after.get(x.name);
    return !!y && (y.type !== x.type || y.collation !== x.collation);
  });
}

function storedInColumns(ctx: DiffContext, typeKey: string): boolean {
  return [...(ctx.from.dependents.get(typeKey) ?? [])].some((k) => k.startsWith('col:'));
}

function createEnum(b: EnumInfo): string {
  return `CREATE TYPE ${typeName(b)} AS ENUM (${b.labels.map(literal).join(', ')})`;
}

function createDomain(b: DomainInfo): string {
  let sql = `CREATE DOMAIN ${typeName(b)} AS ${b.baseType}`;
  if (b.collation) sql += ` COLLATE ${b.collation}`;
  if (b.default !== null) sql += ` DEFAULT ${b.default}`;
  if (b.notNull) sql += ' NOT NULL';
  for (const c of b.constraints) sql += ` CONSTRAINT ${ident(c.name)} ${c.definition}`;
  return sql;
}

function createRange(b: RangeTypeInfo): string {
  const options = [`SUBTYPE = ${b.subtype}`];
  if (b.opclass) options.push(`SUBTYPE_OPCLASS = ${b.opclass}`);
  if (b.collation) options.push(`COLLATION = ${b.collation}`);
  if (b.canonical) options.push(`CANONICAL = ${b.canonical}`);
  if (b.subtypeDiff) options.push(`SUBTYPE_DIFF = ${b.subtypeDiff}`);
  options.push(`MULTIRANGE_TYPE_NAME = ${b.multirange}`);
  return `CREATE TYPE ${typeName(b)} AS RANGE (${options.join(', ')})`;
}

/**
 * A recreated range type cannot step aside by renaming like an enum (its constructor functions keep the
 * name): its columns move to text first (tables.ts), then it is dropped and created again.
 */
export function isRecreatedRange(ctx: DiffContext, typeKey: string | undefined): boolean {
  return !!typeKey && ctx.from.ranges.has(typeKey) && ctx.recreated.has(typeKey);
}

function emitRanges(ctx: DiffContext): void {
  for (const [key, a] of ctx.from.ranges) {
    if (!ctx.gone(key)) continue;
    const recreated = ctx.recreated.has(key);
    const what = `range type ${a.schema}.${a.name}`;
    ctx.emit({
      sql: `DROP TYPE ${typeName(a)}`,
      object: { kind: 'range type', name: `${a.schema}.${a.name}` },
      action: 'drop',
      phase: recreated ? Phase.renameType : Phase.dropLate,
      removes: [key],
      destructive: !recreated,
      hazards: [recreated ? hazards.recreatesObject(what) : hazards.dropsObject(what)],
    });
  }
  for (const [key, b] of ctx.to.ranges) {
    if (ctx.from.ranges.has(key) && !ctx.gone(key)) continue;
    ctx.emit({
      sql: createRange(b),
      object: { kind: 'range type', name: `${b.schema}.${b.name}` },
      action: 'create',
      phase: Phase.createType,
      produces: [key],
    });
  }
}

function createComposite(b: CompositeTypeInfo): string {
  const attributes = b.attributes.map(
    (a) => `${ident(a.name)} ${a.type}${a.collation ? ` COLLATE ${a.collation}` : ''}`,
  );
  return `CREATE TYPE ${typeName(b)} AS (${attributes.join(', ')})`;
}

export function emitTypes(ctx: DiffContext): void {
  emitRanges(ctx);
  const kindOf = (key: string) =>
    ctx.from.enums.has(key) || ctx.to.enums.has(key)
      ? 'enum'
      : ctx.from.domains.has(key) || ctx.to.domains.has(key)
        ? 'domain'
        : 'composite type';
  const allFrom = [...ctx.from.enums.values(), ...ctx.from.domains.values(), ...ctx.from.compositeTypes.values()];
  for (const a of allFrom) {
    if (!ctx.gone(a.key)) continue;
    const kind = kindOf(a.key);
    const what = `${kind} ${a.schema}.${a.name}`;
    const keyword = kind === 'domain' ? 'DOMAIN' : 'TYPE';
    if (ctx.recreated.has(a.key)) {
      // Rename first so the new type can take the name while columns still use the old one.
      const oldName = a.name + OLD_SUFFIX;
      ctx.emit({
        sql: `ALTER ${keyword} ${typeName(a)} RENAME TO ${ident(oldName)}`,
        object: { kind, name: `${a.schema}.${a.name}` },
        action: 'rename',
        phase: Phase.renameType,
        removes: [a.key],
        hazards: [kind === 'enum' ? hazards.enumRecreated(what) : hazards.recreatesObject(what)],
      });
      const users = [...(ctx.from.dependents.get(a.key) ?? [])];
      ctx.emit({
        sql: `DROP ${keyword} ${ident(a.schema)}.${ident(oldName)}`,
        object: { kind, name: `${a.schema}.${oldName}` },
        action: 'drop',
        phase: Phase.dropLate,
        needs: users,
        needsRemoved: users,
      });
    } else {
      ctx.emit({
        sql: `DROP ${keyword} ${typeName(a)}`,
        object: { kind, name: `${a.schema}.${a.name}` },
        action: 'drop',
        phase: Phase.dropLate,
        removes: [a.key],
        destructive: true,
        hazards: [hazards.dropsObject(what)],
      });
    }
  }

  for (const b of ctx.to.enums.values()) {
    const a = ctx.from.enums.get(b.key);
    if (!a || ctx.gone(b.key)) {
      ctx.emit({
        sql: createEnum(b),
        object: { kind: 'enum', name: `${b.schema}.${b.name}` },
        action: 'create',
        phase: Phase.createType,
        produces: [b.key],
      });
      continue;
    }
    const existing = new Set(a.labels);
    b.labels.forEach((label, i) => {
      if (existing.has(label)) return;
      const position =
        i > 0 ? ` AFTER ${literal(b.labels[i - 1]!)}` : b.labels.length > 1 ? ` BEFORE ${literal(b.labels[1]!)}` : '';
      ctx.emit({
        sql: `ALTER TYPE ${typeName(b)} ADD VALUE ${literal(label)}${position}`,
        object: { kind: 'enum', name: `${b.schema}.${b.name}` },
        action: 'alter',
        phase: Phase.alterType,
        produces: [b.key],
        hazards: [hazards.enumValueInTransaction(`enum ${b.schema}.${b.name}`)],
      });
    });
  }

  for (const b of ctx.to.domains.values()) {
    const a = ctx.from.domains.get(b.key);
    const what = `domain ${b.schema}.${b.name}`;
    if (!a || ctx.gone(b.key)) {
      ctx.emit({
        sql: createDomain(b),
        object: { kind: 'domain', name: `${b.schema}.${b.name}` },
        action: 'create',
        phase: Phase.createType,
        produces: [b.key],
      });
      continue;
    }
    const alter = (action: string, hazardList = [] as ReturnType<typeof hazards.domainConstraint>[]) =>
      ctx.emit({
        sql: `ALTER DOMAIN ${typeName(b)} ${action}`,
        object: { kind: 'domain', name: `${b.schema}.${b.name}` },
        action: 'alter',
        phase: Phase.alterType,
        produces: [b.key],
        hazards: hazardList,
      });
    if (a.default !== b.default) alter(b.default === null ? 'DROP DEFAULT' : `SET DEFAULT ${b.default}`);
    if (a.notNull !== b.notNull)
      alter(
        b.notNull ? 'SET NOT NULL' : 'DROP NOT NULL',
        b.notNull ? [hazards.domainConstraint(`NOT NULL to ${what}`)] : [],
      );
    const before = new Map(a.constraints.map((c) => [c.name, c]));
    const after = new Map(b.constraints.map((c) => [c.name, c]));
    for (const c of a.constraints) {
      if (after.get(c.name)?.definition !== c.definition) alter(`DROP CONSTRAINT ${ident(c.name)}`);
    }
    for (const c of b.constraints) {
      if (before.get(c.name)?.definition !== c.definition) {
        alter(
          `ADD CONSTRAINT ${ident(c.name)} ${c.definition}`,
          /NOT VALID$/.test(c.definition) ? [] : [hazards.domainConstraint(`constraint ${c.name} to ${what}`)],
        );
      }
    }
  }

  for (const b of ctx.to.compositeTypes.values()) {
    const a = ctx.from.compositeTypes.get(b.key);
    if (!a || ctx.gone(b.key)) {
      ctx.emit({
        sql: createComposite(b),
        object: { kind: 'composite type', name: `${b.schema}.${b.name}` },
        action: 'create',
        phase: Phase.createType,
        produces: [b.key],
      });
      continue;
    }
    const before = new Map(a.attributes.map((x) => [x.name, x]));
    const after = new Map(b.attributes.map((x) => [x.name, x]));
    const actions: string[] = [];
    for (const x of a.attributes) if (!after.has(x.name)) actions.push(`DROP ATTRIBUTE ${ident(x.name)}`);
    for (const x of b.attributes) {
      const old = before.get(x.name);
      const collate = x.collation ? ` COLLATE ${x.collation}` : '';
      if (!old) actions.push(`ADD ATTRIBUTE ${ident(x.name)} ${x.type}${collate}`);
      else if (old.type !== x.type || old.collation !== x.collation)
        actions.push(`ALTER ATTRIBUTE ${ident(x.name)} SET DATA TYPE ${x.type}${collate}`);
    }
    if (actions.length) {
      ctx.emit({
        sql: `ALTER TYPE ${typeName(b)} ${actions.join(', ')}`,
        object: { kind: 'composite type', name: `${b.schema}.${b.name}` },
        action: 'alter',
        phase: Phase.alterType,
        produces: [b.key],
        destructive: actions.some((x) => x.startsWith('DROP')),
      });
    }
  }
}

/**
 * A value added to an enum cannot be used before the transaction that added it commits. When another
 * statement of the same diff uses it (a default, a view, a check), the ADD VALUE must run on its own,
 * outside the migration's transaction; IF NOT EXISTS keeps it safe to run again after a failure.
 */
export function commitAddedEnumValuesBeforeUse(ctx: DiffContext): void {
  const statements = ctx.statements;
  statements.forEach((s, i) => {
    const match = /^ALTER TYPE "((?:[^"]|"")+)"\."((?:[^"]|"")+)" ADD VALUE ('(?:[^']|'')*')/.exec(s.sql);
    if (!match) return;
    const [, schema, name, label] = match;
    // The type as PostgreSQL prints it (quoted when it must be, schema-qualified) or as a user wrote it in
    // a function body (maybe unqualified); a quoted name ends in `"`, where \b would never match.
    const typeText = new RegExp(
      `${escapeRegExp(label!)}::(?:"?${escapeRegExp(schema!)}"?\\.)?"?${escapeRegExp(name!)}"?(?![\\w$])`,
    );
    const used = statements.some((other, j) => j !== i && typeText.test(other.sql));
    if (!used) return;
    statements[i] = {
      ...s,
      sql: s.sql.replace(' ADD VALUE ', ' ADD VALUE IF NOT EXISTS '),
      transactional: false,
      hazards: [
        {
          code: 'enum-value-added',
          message: `adds a value to enum ${schema}.${name} that this migration uses: it must commit first, so it runs outside the migration's transaction`,
          object: s.object.name,
        },
      ],
    };
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
