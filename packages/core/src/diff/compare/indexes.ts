import { hazards } from '../hazards';
import { DiffContext, Phase } from '../plan';
import { ident } from '../sql';

/** Indexes compare by pg_get_indexdef (indexes backing constraints belong to the constraint). */
export function decideIndexes(ctx: DiffContext): void {
  for (const [key, a] of ctx.from.indexes) {
    if (ctx.gone(key)) continue;
    const b = ctx.to.indexes.get(key);
    if (!b || b.definition !== a.definition) ctx.markGone(key);
  }
}

export function emitIndexes(ctx: DiffContext): void {
  for (const [key, a] of ctx.from.indexes) {
    if (!ctx.gone(key) || ctx.implicitlyDropped.has(key)) continue;
    ctx.emit({
      sql: `DROP INDEX ${ident(a.schema)}.${ident(a.name)}`,
      object: { kind: 'index', name: `${a.schema}.${a.name}` },
      action: 'drop',
      phase: Phase.dropIndex,
      removes: [key],
    });
  }
  for (const [key, b] of ctx.to.indexes) {
    if (ctx.from.indexes.has(key) && !ctx.gone(key)) continue;
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
