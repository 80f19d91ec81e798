import type { IndexInfo } from '../catalog';
import { hazards } from '../hazards';
import { type DiffContext, Phase, Step } from '../plan';
import { ident } from '../sql';
import { detachesPartition, inheritanceKey } from './tables';

/**
 * Indexes compare by pg_get_indexdef (indexes backing constraints belong to the constraint) and validity:
 * an invalid index (a failed CREATE INDEX CONCURRENTLY) is rebuilt even where its definition matches.
 */
export function decideIndexes(ctx: DiffContext): void {
  for (const [key, a] of ctx.from.indexes) {
    if (ctx.gone(key)) continue;
    const b = ctx.to.indexes.get(key);
    if (b && b.definition === a.definition && a.valid === b.valid) continue;
    // A partition's own index that `to` has attached to its parent's index: kept, the parent's CREATE INDEX adopts it.
    if (!b && a.valid && adoptedBy(ctx, a)) continue;
    ctx.markGone(key);
  }
}

/**
 * A partitioned index with a partition's own primary key or unique constraint attached to it cannot be
 * dropped (the constraint depends on it), nor can the constraint (the index requires it). When both go, and
 * nothing outside them depends on the constraints, one DROP INDEX ... CASCADE takes both: the constraints get
 * no DROP of their own. Runs once what goes is decided.
 */
export function cascadeAttachedConstraints(ctx: DiffContext): void {
  for (const [key] of ctx.from.indexes) {
    if (!ctx.gone(key)) continue;
    const levels = new Set([key]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const [k, p] of ctx.from.partitionIndexes)
        if (p.parentIndexKey && levels.has(p.parentIndexKey) && !levels.has(k)) levels.add(k), (grew = true);
    }
    const attached = [...ctx.from.constraints.values()]
      .filter((c) => c.parentIndexKey && levels.has(c.parentIndexKey))
      .map((c) => c.key);
    if (attached.length === 0) continue;
    const outside = attached
      .flatMap((k) => [...(ctx.from.dependents.get(k) ?? [])])
      .filter((d) => !ctx.gone(d) && !attached.includes(d));
    if (!attached.every((k) => ctx.gone(k)) || outside.length > 0) continue;
    for (const k of attached) ctx.implicitlyDropped.add(k);
    ctx.indexCascades.set(key, attached);
  }
}

/** The `to` partition index `a` (a partition's own index in `from`) becomes by adoption, if any. */
function adoptedBy(ctx: DiffContext, a: IndexInfo): IndexInfo | undefined {
  const b = ctx.to.partitionIndexes.get(a.key);
  if (!b || b.tableKey !== a.tableKey || b.definition !== a.definition || !b.parentIndexKey) return undefined;
  // Only a parent index created here adopts it (ALTER INDEX ... ATTACH PARTITION is not emitted).
  return ctx.from.indexes.has(b.parentIndexKey) && !ctx.gone(b.parentIndexKey) ? undefined : b;
}

/**
 * The partition indexes `to` attaches to the partitioned index `parentKey`, created under their own names
 * before the parent's CREATE INDEX (which adopts an equal index rather than building one it would name
 * itself): the partitions' index names come out as in `to`. Returns their keys, for the parent to wait on.
 */
function createChildIndexes(ctx: DiffContext, parentKey: string, kept: ReadonlySet<string>, attach: boolean): string[] {
  const keys: string[] = [];
  // Partitions' own primary keys and unique constraints attached to it: added first, then adopted or attached.
  for (const c of ctx.to.constraints.values()) {
    if (c.parentIndexKey !== parentKey) continue;
    if (!attach) {
      keys.push(c.key);
      continue;
    }
    const parent = ctx.to.indexes.get(parentKey) ?? ctx.to.partitionIndexes.get(parentKey)!;
    keys.push(`${c.key}#attached`);
    ctx.emit({
      sql: `ALTER INDEX ${ident(parent.schema)}.${ident(parent.name)} ATTACH PARTITION ${ident(c.schema)}.${ident(c.name)}`,
      object: { kind: 'index', name: `${c.schema}.${c.name}` },
      action: 'alter',
      phase: Phase.addConstraint,
      produces: [`${c.key}#attached`],
      needs: [c.key, parentKey],
    });
  }
  for (const [key, child] of ctx.to.partitionIndexes) {
    if (child.parentIndexKey !== parentKey || !child.definition) continue;
    const grandchildren = createChildIndexes(ctx, key, kept, !child.valid);
    keys.push(attach ? `${key}#attached` : key);
    if (attach) {
      // The parent is built ON ONLY (it is invalid in `to`): its attached partition indexes are attached one by one.
      const parent = ctx.to.indexes.get(parentKey) ?? ctx.to.partitionIndexes.get(parentKey)!;
      ctx.emit({
        sql: `ALTER INDEX ${ident(parent.schema)}.${ident(parent.name)} ATTACH PARTITION ${ident(child.schema)}.${ident(child.name)}`,
        object: { kind: 'index', name: `${child.schema}.${child.name}` },
        action: 'alter',
        phase: Phase.createIndex,
        produces: [`${key}#attached`],
        needs: [key, parentKey],
      });
    }
    if (
      (ctx.from.indexes.has(key) && !ctx.gone(key) && ctx.from.indexes.get(key)!.tableKey === child.tableKey) ||
      kept.has(key)
    )
      continue;
    ctx.emit({
      sql: child.valid ? withoutOnly(child.definition) : child.definition,
      object: { kind: 'index', name: `${child.schema}.${child.name}` },
      action: 'create',
      phase: Phase.createIndex,
      produces: [key],
      needs: [child.tableKey, ...(child.valid ? grandchildren : [])],
      hazards: ctx.survives(child.tableKey) ? [hazards.blocksWrites(`index ${child.schema}.${child.name}`)] : [],
    });
  }
  return keys;
}

/** pg_get_indexdef prints ON ONLY for a partitioned table: without ONLY the index is built on (or adopted by) every partition. */
function withoutOnly(definition: string): string {
  return definition.replace(/^(CREATE (?:UNIQUE )?INDEX (?:CONCURRENTLY )?(?:"(?:[^"]|"")*"|[^\s"]+) ON )ONLY /, '$1');
}

/**
 * A partition index attached to a parent index that stays, under another name in `to` (the parent's CREATE
 * INDEX named it, or `to` renamed it): ALTER INDEX ... RENAME, so partition index names compare too.
 */
function renamePartitionIndexes(ctx: DiffContext): void {
  for (const [key, b] of ctx.to.partitionIndexes) {
    if (
      ctx.from.partitionIndexes.has(key) ||
      !b.parentIndexKey ||
      !ctx.survives(b.parentIndexKey) ||
      !ctx.survives(b.tableKey)
    )
      continue;
    const a = [...ctx.from.partitionIndexes.values()].find(
      (x) => x.tableKey === b.tableKey && x.parentIndexKey === b.parentIndexKey && !ctx.to.partitionIndexes.has(x.key),
    );
    if (!a) continue;
    ctx.emit({
      sql: `ALTER INDEX ${ident(a.schema)}.${ident(a.name)} RENAME TO ${ident(b.name)}`,
      object: { kind: 'index', name: `${b.schema}.${b.name}` },
      action: 'rename',
      phase: Phase.createIndex,
      removes: [a.key],
      produces: [key],
    });
  }
}

/**
 * The indexes a DETACH PARTITION turns into the detached table's own (those it had through its parent's
 * partitioned indexes), split by what `to` wants of them: `kept` when `to` has the same index on that table,
 * as its own or attached to its new parent's index (ATTACH PARTITION adopts a matching index rather than
 * building one); `leftOver` otherwise, to be dropped once the DETACH has made them droppable. Also, by the
 * key of a parent's index that goes away, the partition links whose DETACH must come before its DROP.
 */
function detachedIndexes(ctx: DiffContext): {
  kept: Set<string>;
  leftOver: IndexInfo[];
  detachesBeforeDrop: Map<string, string[]>;
} {
  const kept = new Set<string>();
  const leftOver: IndexInfo[] = [];
  const detachesBeforeDrop = new Map<string, string[]>();
  for (const [key, a] of ctx.from.partitionIndexes) {
    const before = ctx.from.relations.get(a.tableKey);
    const after = ctx.to.relations.get(a.tableKey);
    if (!before?.partitionOf || !after || !ctx.survives(a.tableKey) || !detachesPartition(before, after)) continue;
    // Dropping the parent's index first would take this one with it: the parent's DROP waits for the DETACH.
    if (a.parentIndexKey && ctx.gone(a.parentIndexKey)) {
      const links = detachesBeforeDrop.get(a.parentIndexKey) ?? [];
      links.push(inheritanceKey(a.tableKey, before.partitionOf));
      detachesBeforeDrop.set(a.parentIndexKey, links);
    }
    const b = ctx.to.indexes.get(key) ?? (after.partitionOf ? ctx.to.partitionIndexes.get(key) : undefined);
    if (b && b.tableKey === a.tableKey && b.definition === a.definition) kept.add(key);
    else leftOver.push(a);
  }
  return { kept, leftOver, detachesBeforeDrop };
}

export function emitIndexes(ctx: DiffContext): void {
  const detached = detachedIndexes(ctx);
  renamePartitionIndexes(ctx);
  for (const [key, a] of ctx.from.indexes) {
    if (!ctx.gone(key) || ctx.implicitlyDropped.has(key)) continue;
    dropIndex(ctx, a, detached.detachesBeforeDrop.get(key) ?? []);
  }
  for (const a of detached.leftOver) {
    dropIndex(ctx, a, [inheritanceKey(a.tableKey, ctx.from.relations.get(a.tableKey)!.partitionOf!)]);
  }
  for (const [key, b] of ctx.to.indexes) {
    const a = ctx.from.indexes.get(key);
    statisticsTargets(ctx, a && !ctx.gone(key) ? a.statisticsTargets : [], b);
    if ((a && !ctx.gone(key)) || detached.kept.has(key)) continue;
    const table = ctx.to.relations.get(b.tableKey);
    const existing = ctx.survives(b.tableKey);
    // CONCURRENTLY is refused on partitioned tables and pointless on tables created in the same migration.
    const concurrently = concurrentOn(ctx, b.tableKey);
    // IF NOT EXISTS (and IF EXISTS on the drop): a notransaction file stopped half way can be run again.
    let sql = concurrently
      ? b.definition.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX CONCURRENTLY IF NOT EXISTS ')
      : b.definition;
    // ON ONLY would leave the partitions without the index (and the parent's index invalid).
    // An invalid partitioned index in `to` (ON ONLY, partitions not all attached) is made so: ON ONLY, then ATTACH.
    const children = table?.kind === 'partitioned table' ? createChildIndexes(ctx, key, detached.kept, !b.valid) : [];
    if (table?.kind === 'partitioned table' && b.valid) sql = withoutOnly(sql);
    ctx.emit({
      sql,
      object: { kind: 'index', name: `${b.schema}.${b.name}` },
      action: 'create',
      phase: Phase.createIndex,
      produces: [key],
      // A valid one adopts the partition indexes made before it; an invalid one is attached to afterwards.
      needs: [b.tableKey, ...(b.valid ? children : [])],
      transactional: !concurrently,
      hazards: existing && !concurrently ? [hazards.blocksWrites(`index ${b.schema}.${b.name}`)] : [],
      ...(concurrently
        ? { step: Step.outside, note: `builds index ${b.schema}.${b.name} without blocking writes (CONCURRENTLY)` }
        : {}),
    });
  }
}

/**
 * Whether an index of this table is built and dropped CONCURRENTLY: online, on a table that stays, neither
 * partitioned (refused there) nor a partition (its indexes may be attached to, or adopted by, its parent's).
 */
function concurrentOn(ctx: DiffContext, tableKey: string): boolean {
  const [a, b] = [ctx.from.relations.get(tableKey), ctx.to.relations.get(tableKey)];
  return (
    ctx.options.online !== false &&
    ctx.survives(tableKey) &&
    a?.kind === 'table' &&
    b?.kind === 'table' &&
    !a.partitionOf &&
    !b.partitionOf
  );
}

/** ALTER INDEX ... ALTER COLUMN n SET STATISTICS for each (expression) column whose target differs. */
function statisticsTargets(ctx: DiffContext, before: readonly string[], b: IndexInfo): void {
  const parse = (list: readonly string[]) => new Map(list.map((x) => x.split('=') as [string, string]));
  const [was, now] = [parse(before), parse(b.statisticsTargets)];
  for (const column of new Set([...was.keys(), ...now.keys()])) {
    const target = now.get(column) ?? '-1';
    if ((was.get(column) ?? '-1') === target) continue;
    ctx.emit({
      sql: `ALTER INDEX ${ident(b.schema)}.${ident(b.name)} ALTER COLUMN ${column} SET STATISTICS ${target}`,
      object: { kind: 'index', name: `${b.schema}.${b.name}` },
      action: 'alter',
      phase: Phase.createIndex,
      produces: [`${b.key}#statistics`],
      needs: [b.key],
    });
  }
}

/**
 * A DROP INDEX; `needsRemoved` holds what must go first (the partition link that kept the index attached).
 * On a table that stays, CONCURRENTLY (outside a transaction), unless it must CASCADE (refused with it).
 */
function dropIndex(ctx: DiffContext, a: IndexInfo, needsRemoved: string[]): void {
  const cascade = ctx.indexCascades.get(a.key) ?? [];
  const concurrently = cascade.length === 0 && concurrentOn(ctx, a.tableKey);
  const what = `index ${a.schema}.${a.name}`;
  ctx.emit({
    sql: `DROP INDEX ${concurrently ? 'CONCURRENTLY IF EXISTS ' : ''}${ident(a.schema)}.${ident(a.name)}${cascade.length ? ' CASCADE' : ''}`,
    object: { kind: 'index', name: `${a.schema}.${a.name}` },
    action: 'drop',
    phase: Phase.dropIndex,
    removes: [a.key, ...cascade],
    needsRemoved,
    hazards: ctx.survives(a.tableKey)
      ? [concurrently ? hazards.dropsIndexConcurrently(what) : hazards.dropsIndex(what)]
      : [],
    ...(concurrently
      ? {
          transactional: false,
          step: Step.outside,
          note: `drops ${what} without blocking reads or writes (CONCURRENTLY)`,
          blocking: {
            sql: `DROP INDEX ${ident(a.schema)}.${ident(a.name)}`,
            hazards: [hazards.dropsIndex(what)],
            transactional: true,
            step: Step.main,
          },
        }
      : {}),
  });
}
