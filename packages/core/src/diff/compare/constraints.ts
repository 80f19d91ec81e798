import { type ConstraintInfo, type RelationInfo, childrenOf } from '../catalog';
import { hazards } from '../hazards';
import { type DiffContext, Phase, Step } from '../plan';
import { ident } from '../sql';
import type { Hazard } from '../types';
import { detachesPartition, inheritanceKey, relationName } from './tables';

/** Constraints that own an index: dropping one drops it. */
const INDEX_BACKED = new Set(['p', 'u', 'x']);

const TYPE_NAMES: Record<string, string> = {
  p: 'primary key',
  u: 'unique constraint',
  f: 'foreign key',
  c: 'check constraint',
  x: 'exclusion constraint',
  t: 'constraint trigger',
};

/** The trailing clauses pg_get_constraintdef prints after the constraint itself, in this order. */
interface Clauses {
  readonly core: string;
  readonly deferrable: boolean;
  readonly deferred: boolean;
  readonly notValid: boolean;
}

function clauses(definition: string): Clauses {
  const m = /^(.*?)( DEFERRABLE)?( INITIALLY DEFERRED)?( NOT VALID)?$/s.exec(definition)!;
  return { core: m[1]!, deferrable: !!m[2], deferred: !!m[3], notValid: !!m[4] };
}

/**
 * What turns `a` into `b` in place, or null when it must be dropped and added again. A foreign key's
 * deferrability changes with ALTER CONSTRAINT (PostgreSQL refuses it on other kinds), and a NOT VALID
 * foreign key or check becomes valid with VALIDATE CONSTRAINT: neither rebuilds nor re-adds anything.
 * The way back to NOT VALID has no statement of its own: drop and add.
 */
function inPlaceChange(
  a: ConstraintInfo,
  b: ConstraintInfo,
): { deferrability: string | null; validate: boolean } | null {
  if (a.type !== b.type) return null;
  const x = clauses(a.definition);
  const y = clauses(b.definition);
  if (x.core !== y.core || (!x.notValid && y.notValid)) return null;
  const deferrabilityChanged = x.deferrable !== y.deferrable || x.deferred !== y.deferred;
  if (deferrabilityChanged && a.type !== 'f') return null;
  const deferrability = deferrabilityChanged
    ? (y.deferrable ? 'DEFERRABLE' : 'NOT DEFERRABLE') + (y.deferred ? ' INITIALLY DEFERRED' : ' INITIALLY IMMEDIATE')
    : null;
  return { deferrability, validate: x.notValid && !y.notValid };
}

/**
 * Constraints compare by pg_get_constraintdef; a changed one is altered in place when it can be, else re-added.
 * A check constraint NOT VALID on a table inheriting it where `to` has it so, and that would be valid there,
 * is re-added too: only a NOT VALID ADD CONSTRAINT on the parent makes it NOT VALID on a table that has it.
 */
export function decideConstraints(ctx: DiffContext): void {
  for (const [key, a] of ctx.from.constraints) {
    if (ctx.gone(key)) continue;
    const b = ctx.to.constraints.get(key);
    if (!b && mergesOnAttach(ctx, a)) continue;
    if (!b || (b.definition !== a.definition && !inPlaceChange(a, b))) ctx.markGone(key);
    else if (b.notValidOn?.some((rel) => !keptNotValidOn(ctx, a).has(rel))) ctx.markGone(key);
  }
}

/** The check constraints a partition inherits in one catalog: its ancestors' own. */
function inheritedChecks(catalog: DiffContext['to'], rel: RelationInfo): ConstraintInfo[] {
  const ancestors = new Set<string>();
  for (let key = rel.partitionOf; key && !ancestors.has(key); key = catalog.relations.get(key)?.partitionOf ?? null)
    ancestors.add(key);
  return [...catalog.constraints.values()].filter((c) => c.type === 'c' && ancestors.has(c.tableKey));
}

/** A surviving table that becomes a partition here (ATTACH PARTITION), from a table that stood alone. */
function attachedHere(ctx: DiffContext, key: string): { x: RelationInfo; y: RelationInfo } | null {
  const [x, y] = [ctx.from.relations.get(key), ctx.to.relations.get(key)];
  return x && y?.partitionOf && !x.partitionOf && ctx.survives(key) ? { x, y } : null;
}

/**
 * A table's own check constraint that the parent it is attached to here has too (same name and expression):
 * ATTACH PARTITION requires it, and merges it into the inherited one.
 */
function mergesOnAttach(ctx: DiffContext, a: ConstraintInfo): boolean {
  const attached = a.type === 'c' ? attachedHere(ctx, a.tableKey) : null;
  return (
    !!attached &&
    inheritedChecks(ctx.to, attached.y).some(
      (c) => c.name === a.name && ctx.survives(c.key) && clauses(c.definition).core === clauses(a.definition).core,
    )
  );
}

/**
 * Check constraints around ATTACH and DETACH PARTITION. A table attached here must hold its new parent's check
 * constraints first (PostgreSQL refuses the ATTACH otherwise), and they are added to it before. A table detached
 * here keeps its inherited check constraints as its own: dropped where `to` has none of that name, kept where
 * `to` has the same one. Returns the `to` constraints the DETACH already gives.
 */
function aroundAttachAndDetach(ctx: DiffContext): { given: Set<string>; detachesBeforeDrop: Map<string, string[]> } {
  const given = new Set<string>();
  const detachesBeforeDrop = new Map<string, string[]>();
  for (const key of ctx.to.relations.keys()) {
    const attached = attachedHere(ctx, key);
    if (!attached) continue;
    const { y } = attached;
    for (const c of inheritedChecks(ctx.to, y)) {
      const own = ctx.from.constraints.get(`con:${y.schema}.${y.name}.${c.name}`);
      if (!ctx.survives(c.key) || (own && !ctx.gone(own.key))) continue;
      ctx.emit({
        sql: `ALTER TABLE ${relationName(y)} ADD CONSTRAINT ${ident(c.name)} ${clauses(c.definition).core}`,
        object: { kind: 'constraint', name: `${y.schema}.${y.name}.${c.name}` },
        action: 'create',
        phase: Phase.alterTable,
        produces: [`${y.key}#attach-checks`],
        needsRemoved: own ? [own.key] : [],
        hazards: [
          hazards.validatesRows(
            `${TYPE_NAMES.c} ${c.name} on ${y.schema}.${y.name}, before it is attached as a partition`,
          ),
        ],
      });
    }
  }
  for (const [key, x] of ctx.from.relations) {
    const y = ctx.to.relations.get(key);
    if (!x.partitionOf || !y || y.partitionOf || !ctx.survives(key)) continue;
    for (const c of inheritedChecks(ctx.from, x)) {
      const ownKey = `con:${y.schema}.${y.name}.${c.name}`;
      if (ctx.from.constraints.has(ownKey)) continue;
      const notValid = clauses(c.definition).notValid && (c.notValidOn ?? []).includes(key);
      const kept = `${clauses(c.definition).core}${notValid ? ' NOT VALID' : ''}`;
      const target = ctx.to.constraints.get(ownKey);
      if (target && target.definition === kept) {
        given.add(ownKey);
        continue;
      }
      ctx.emit({
        sql: `ALTER TABLE ${relationName(y)} DROP CONSTRAINT ${ident(c.name)}`,
        object: { kind: 'constraint', name: `${y.schema}.${y.name}.${c.name}` },
        action: 'drop',
        phase: Phase.dropConstraint,
        removes: [ownKey],
        needsRemoved: [inheritanceKey(key, x.partitionOf)],
      });
    }
  }
  // Primary keys, unique and exclusion constraints a detached partition had through its parent's stay as its
  // own: kept where `to` has the same on that table (its own, or adopted by the new parent's), else dropped.
  for (const [key, c] of ctx.from.partitionConstraints) {
    const x = ctx.from.relations.get(c.tableKey);
    const y = ctx.to.relations.get(c.tableKey);
    if (!x?.partitionOf || !y || !ctx.survives(c.tableKey) || !detachesPartition(x, y)) continue;
    // Dropping the parent's constraint first would take this one with it: the parent's DROP waits for the DETACH.
    if (c.parentKey && ctx.gone(c.parentKey)) {
      const links = detachesBeforeDrop.get(c.parentKey) ?? [];
      links.push(inheritanceKey(c.tableKey, x.partitionOf));
      detachesBeforeDrop.set(c.parentKey, links);
    }
    const target = ctx.to.constraints.get(key) ?? ctx.to.partitionConstraints.get(key);
    if (target && target.definition === c.definition) {
      if (ctx.to.constraints.has(key)) given.add(key);
      continue;
    }
    ctx.emit({
      sql: `ALTER TABLE ${relationName(y)} DROP CONSTRAINT ${ident(c.name)}`,
      object: { kind: 'constraint', name: `${c.schema}.${c.table}.${c.name}` },
      action: 'drop',
      phase: Phase.dropConstraint,
      removes: [key],
      needsRemoved: [inheritanceKey(c.tableKey, x.partitionOf)],
    });
  }
  return { given, detachesBeforeDrop };
}

/** The tables that inherit a check constraint in one catalog: partitions and inheritance children, at any depth, parents first. */
function inheritors(catalog: DiffContext['to'], tableKey: string): RelationInfo[] {
  const found: RelationInfo[] = [];
  const visit = (parentKey: string) => {
    for (const r of childrenOf(catalog.relations, parentKey)) {
      found.push(r);
      visit(r.key);
    }
  };
  visit(tableKey);
  return found;
}

/**
 * Where a surviving check constraint `a` stays NOT VALID: on the tables that hold it NOT VALID and keep their
 * link to the parent (a table created or attached here gets it valid).
 */
function keptNotValidOn(ctx: DiffContext, a: ConstraintInfo): Set<string> {
  return new Set(
    (a.notValidOn ?? []).filter((rel) => {
      const [x, y] = [ctx.from.relations.get(rel), ctx.to.relations.get(rel)];
      return (
        !!x &&
        !!y &&
        ctx.survives(rel) &&
        x.partitionOf === y.partitionOf &&
        x.partitionBound === y.partitionBound &&
        x.inherits.join() === y.inherits.join()
      );
    }),
  );
}

/**
 * VALIDATE CONSTRAINT on each table inheriting check constraint `b` that holds it NOT VALID once the parent's
 * statements ran (`notValidBefore`) and valid in `to`; a table whose parent is validated here gets it from there.
 */
function validateOnInheritors(ctx: DiffContext, b: ConstraintInfo, notValidBefore: ReadonlySet<string>): void {
  const target = new Set(b.notValidOn ?? []);
  const validated = new Set<string>();
  for (const r of inheritors(ctx.to, b.tableKey)) {
    if (!notValidBefore.has(r.key) || target.has(r.key)) continue;
    validated.add(r.key);
    if ([r.partitionOf, ...r.inherits].some((p) => p && validated.has(p))) continue;
    ctx.emit({
      sql: `ALTER TABLE ${relationName(r)} VALIDATE CONSTRAINT ${ident(b.name)}`,
      object: { kind: 'constraint', name: `${r.schema}.${r.name}.${b.name}` },
      action: 'alter',
      phase: Phase.addConstraint,
      needs: [b.key, r.key],
      hazards: ctx.survives(r.key)
        ? [hazards.validatesExistingRows(`${TYPE_NAMES[b.type]} ${b.name} on ${r.schema}.${r.name}`)]
        : [],
    });
  }
}

/**
 * Foreign keys between tables that are all dropped (or recreated) and reference each other in a cycle get a
 * DROP CONSTRAINT of their own, before any of those tables is dropped: otherwise each DROP TABLE waits for
 * another (PostgreSQL refuses to drop a table another table's foreign key references), and no order works.
 * Foreign keys outside a cycle still go with their table.
 */
export function breakForeignKeyCycles(ctx: DiffContext): void {
  const edges = new Map<string, Set<string>>();
  const cross: ConstraintInfo[] = [];
  for (const c of ctx.from.constraints.values()) {
    if (
      c.type !== 'f' ||
      !c.references ||
      c.references === c.tableKey ||
      !ctx.gone(c.tableKey) ||
      !ctx.gone(c.references)
    )
      continue;
    cross.push(c);
    const out = edges.get(c.tableKey) ?? new Set<string>();
    out.add(c.references);
    edges.set(c.tableKey, out);
  }
  if (cross.length === 0) return;
  const component = stronglyConnectedComponents(edges);
  for (const c of cross) {
    if (component.get(c.tableKey) === component.get(c.references!)) ctx.implicitlyDropped.delete(c.key);
  }
}

/** Tarjan's algorithm: node -> the id of its strongly connected component. */
function stronglyConnectedComponents(edges: ReadonlyMap<string, ReadonlySet<string>>): Map<string, number> {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const component = new Map<string, number>();
  let counter = 0;
  let components = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      for (;;) {
        const w = stack.pop()!;
        onStack.delete(w);
        component.set(w, components);
        if (w === v) break;
      }
      components++;
    }
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) visit(v);
  return component;
}

function tableOf(c: ConstraintInfo): string {
  return relationName({ schema: c.schema, name: c.table });
}

export function emitConstraints(ctx: DiffContext): void {
  const { given: givenByDetach, detachesBeforeDrop } = aroundAttachAndDetach(ctx);
  for (const [key, a] of ctx.from.constraints) {
    if (!ctx.gone(key) || ctx.implicitlyDropped.has(key)) continue;
    ctx.emit({
      sql: `ALTER TABLE ${tableOf(a)} DROP CONSTRAINT ${ident(a.name)}`,
      object: { kind: 'constraint', name: `${a.schema}.${a.table}.${a.name}` },
      action: 'drop',
      phase: a.type === 'f' ? Phase.dropForeignKey : Phase.dropConstraint,
      removes: [key],
      needsRemoved: detachesBeforeDrop.get(key) ?? [],
      hazards:
        INDEX_BACKED.has(a.type) && ctx.survives(a.tableKey)
          ? [hazards.dropsIndex(`${TYPE_NAMES[a.type]} ${a.name} on ${a.schema}.${a.table} and its index`)]
          : [],
    });
  }
  for (const [key, b] of ctx.to.constraints) {
    const a = ctx.from.constraints.get(key);
    if (a && !ctx.gone(key)) {
      const change = a.definition === b.definition ? null : inPlaceChange(a, b);
      const alter = (action: string, hazardList: Hazard[] = []) =>
        ctx.emit({
          sql: `ALTER TABLE ${tableOf(b)} ${action} CONSTRAINT ${ident(b.name)}${action === 'ALTER' ? ' ' + change!.deferrability : ''}`,
          object: { kind: 'constraint', name: `${b.schema}.${b.table}.${b.name}` },
          action: 'alter',
          phase: b.type === 'f' ? Phase.addForeignKey : Phase.addConstraint,
          produces: [key],
          needs: [b.tableKey],
          hazards: hazardList,
        });
      if (change?.deferrability) alter('ALTER');
      if (change?.validate)
        alter('VALIDATE', [hazards.validatesExistingRows(`${TYPE_NAMES[b.type]} ${b.name} on ${b.schema}.${b.table}`)]);
      // VALIDATE on the parent recurses; a parent staying NOT VALID keeps its tables' own state.
      else if (b.type === 'c') validateOnInheritors(ctx, b, keptNotValidOn(ctx, a));
      continue;
    }
    if (givenByDetach.has(key)) continue;
    if (addOnline(ctx, b)) continue;
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
      // A check constraint recurses into the tables inheriting it: added once they exist, NOT VALID on each when it is so.
      needs: [
        b.tableKey,
        ...(b.references ? [b.references] : []),
        ...(b.type === 'c' ? inheritors(ctx.to, b.tableKey).map((r) => r.key) : []),
      ],
      hazards: constraintHazards,
    });
    if (b.type === 'c' && /\bNOT VALID$/.test(b.definition))
      validateOnInheritors(ctx, b, new Set(inheritors(ctx.to, b.tableKey).map((r) => r.key)));
  }
}

/**
 * The non-blocking forms of ADD CONSTRAINT on a table that stays (docs/online.md), when it has one:
 * - a foreign key or check: added NOT VALID (new rows are checked at once, a brief lock), then validated in
 *   the next step, which scans the rows without blocking writes;
 * - a unique or primary key: its unique index built CONCURRENTLY, then ADD CONSTRAINT ... USING INDEX
 *   (no scan; a primary key's columns are made NOT NULL before, by tables.ts).
 * Returns false for the plain form.
 */
function addOnline(ctx: DiffContext, b: ConstraintInfo): boolean {
  if (!ctx.online(b.tableKey) || clauses(b.definition).notValid) return false;
  const what = `${TYPE_NAMES[b.type]} ${b.name} on ${b.schema}.${b.table}`;
  const object = { kind: 'constraint' as const, name: `${b.schema}.${b.table}.${b.name}` };
  if (b.type === 'f' || b.type === 'c') {
    if (b.type === 'f' && b.references && ctx.to.relations.get(b.references)?.kind === 'partitioned table')
      return false;
    const { core, deferrable, deferred } = clauses(b.definition);
    const notValid = `${core}${deferrable ? ' DEFERRABLE' : ''}${deferred ? ' INITIALLY DEFERRED' : ''} NOT VALID`;
    ctx.emit({
      sql: `ALTER TABLE ${tableOf(b)} ADD CONSTRAINT ${ident(b.name)} ${notValid}`,
      object,
      action: 'create',
      phase: b.type === 'f' ? Phase.addForeignKey : Phase.addConstraint,
      produces: [b.key],
      needs: [b.tableKey, ...(b.references ? [b.references] : [])],
      note: `adds ${what} NOT VALID: new and changed rows are checked at once, existing rows are validated in the next migration`,
    });
    ctx.emit({
      sql: `ALTER TABLE ${tableOf(b)} VALIDATE CONSTRAINT ${ident(b.name)}`,
      object,
      action: 'alter',
      phase: Phase.validate,
      produces: [`${b.key}#validated`],
      needsCommitted: [b.key],
      step: Step.finish,
      hazards: [hazards.validatesExistingRows(what)],
      note: `validates ${what}: scans the existing rows without blocking reads or writes`,
    });
    return true;
  }
  if (b.type !== 'p' && b.type !== 'u') return false;
  const m = /^(UNIQUE|UNIQUE NULLS NOT DISTINCT|PRIMARY KEY) \(([^()]*)\)( DEFERRABLE)?( INITIALLY DEFERRED)?$/.exec(
    b.definition,
  );
  if (!m) return false;
  const [, kind, columns, deferrable, deferred] = m;
  const indexKey = `${b.key}#index`;
  ctx.emit({
    sql: `CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ${ident(b.name)} ON ${tableOf(b)} USING btree (${columns})${kind === 'UNIQUE NULLS NOT DISTINCT' ? ' NULLS NOT DISTINCT' : ''}`,
    object: { kind: 'index', name: `${b.schema}.${b.name}` },
    action: 'create',
    phase: Phase.createIndex,
    produces: [indexKey],
    needs: [b.tableKey, ...columnKeys(b, columns!)],
    transactional: false,
    step: Step.outside,
    note: `builds the unique index of ${what} without blocking writes (CONCURRENTLY)`,
  });
  const names = columnNames(columns!);
  ctx.emit({
    sql: `ALTER TABLE ${tableOf(b)} ADD CONSTRAINT ${ident(b.name)} ${kind === 'PRIMARY KEY' ? 'PRIMARY KEY' : 'UNIQUE'} USING INDEX ${ident(b.name)}${deferrable ?? ''}${deferred ?? ''}`,
    object,
    action: 'create',
    phase: Phase.addConstraint,
    produces: [b.key],
    // A primary key's columns must be NOT NULL first, or ADD CONSTRAINT scans the table to make them so.
    needs: [
      indexKey,
      ...(kind === 'PRIMARY KEY' && names ? names.map((n) => `col:${b.schema}.${b.table}.${n}#not-null`) : []),
    ],
    step: Step.finish,
    note: `makes the unique index ${b.name} the ${TYPE_NAMES[b.type]} of ${b.schema}.${b.table} (no scan)`,
  });
  return true;
}

/** The column names of a constraint's column list (`a, "B c"`), or undefined when it holds anything else (an expression). */
function columnNames(list: string): string[] | undefined {
  const names = list.split(',').map((x) => x.trim());
  if (!names.every((n) => /^(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)$/.test(n))) return undefined;
  return names.map((n) => (n.startsWith('"') ? n.slice(1, -1).replace(/""/g, '"') : n));
}

function columnKeys(b: ConstraintInfo, list: string): string[] {
  return (columnNames(list) ?? []).map((n) => `col:${b.schema}.${b.table}.${n}`);
}
