import type { IndexInfo } from '../catalog';
import { hazards } from '../hazards';
import { DiffContext, Phase } from '../plan';
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
    if (!b || b.definition !== a.definition || a.valid !== b.valid) ctx.markGone(key);
  }
}

/**
 * The indexes a DETACH PARTITION turns into the detached table's own (those it had through its parent's
 * partitioned indexes), split by what `to` wants of them: `kept` when `to` has the same index on that table,
 * as its own or attached to its new parent's index (ATTACH PARTITION adopts a matching index rather than
 * building one); `leftOver` otherwise, to be dropped once the DETACH has made them droppable. Also, by the
 * key of a parent's index that goes away, the partition links whose DETACH must come before its DROP.
 */
function detachedIndexes(ctx: DiffContext): { kept: Set<string>; leftOver: IndexInfo[]; detachesBeforeDrop: Map<string, string[]> } {
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
    const concurrently = existing && !!ctx.options.concurrentIndexes && table?.kind !== 'partitioned table';
    let sql = concurrently ? b.definition.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX CONCURRENTLY ') : b.definition;
    // pg_get_indexdef prints ON ONLY for a partitioned table, which would leave the partitions without
    // the index (and the parent's index invalid): without ONLY it is built, or an equal one attached, on each.
    if (table?.kind === 'partitioned table') sql = sql.replace(/^(CREATE (?:UNIQUE )?INDEX (?:CONCURRENTLY )?(?:"(?:[^"]|"")*"|[^\s"]+) ON )ONLY /, '$1');
    ctx.emit({
      sql,
      object: { kind: 'index', name: `${b.schema}.${b.name}` },
      action: 'create',
      phase: Phase.createIndex,
      produces: [key],
      needs: [b.tableKey],
      transactional: !concurrently,
      hazards: existing && !concurrently ? [hazards.blocksWrites(`index ${b.schema}.${b.name}`)] : [],
    });
  }
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

/** A DROP INDEX; `needsRemoved` holds what must go first (the partition link that kept the index attached). */
function dropIndex(ctx: DiffContext, a: IndexInfo, needsRemoved: string[]): void {
  ctx.emit({
    sql: `DROP INDEX ${ident(a.schema)}.${ident(a.name)}`,
    object: { kind: 'index', name: `${a.schema}.${a.name}` },
    action: 'drop',
    phase: Phase.dropIndex,
    removes: [a.key],
    needsRemoved,
  });
}
