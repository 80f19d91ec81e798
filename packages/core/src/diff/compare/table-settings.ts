import type { Catalog, ColumnInfo, RelationInfo } from '../catalog';
import { hazards } from '../hazards';
import { DiffContext, Phase } from '../plan';
import { ident } from '../sql';
import type { Hazard } from '../types';
import { isTable } from './relations';
import { relationName } from './tables';

const STORAGE: Record<string, string> = { p: 'PLAIN', e: 'EXTERNAL', m: 'MAIN', x: 'EXTENDED' };
const COMPRESSION: Record<string, string> = { '': 'default', p: 'pglz', l: 'lz4' };
const REPLICA_IDENTITY: Record<string, string> = { d: 'DEFAULT', n: 'NOTHING', f: 'FULL' };

/** The key of the index named `name` on a table: the constraint's when it backs one. */
function indexKey(catalog: Catalog, table: RelationInfo, name: string): string {
  const constraint = `con:${table.schema}.${table.name}.${name}`;
  return catalog.constraints.has(constraint) ? constraint : `idx:${table.schema}.${name}`;
}

/**
 * Settings pg_dump prints apart from CREATE TABLE: REPLICA IDENTITY, CLUSTER ON, and per column STORAGE,
 * COMPRESSION, STATISTICS and options. Each is compared with what the table has once the rest of the
 * migration ran: a new table or column has the defaults; a type change resets storage and compression;
 * an index we drop and create again loses its replica-identity and cluster marks.
 */
export function emitTableSettings(ctx: DiffContext): void {
  for (const [key, b] of ctx.to.relations) {
    if (!isTable(b) || b.kind === 'foreign table') continue;
    const old = ctx.from.relations.get(key);
    const a = old && !ctx.gone(key) ? old : undefined;
    replicaIdentity(ctx, a, b);
    cluster(ctx, a, b);
    // Partitions take their columns' settings from the partitioned table's statements, which recurse.
    if (!b.partitionOf) for (const column of b.columns) columnSettings(ctx, a, b, column);
  }
}

function alterTable(ctx: DiffContext, b: RelationInfo, action: string, marker: string, needs: string[], hazardList: Hazard[] = []): void {
  ctx.emit({
    hazards: hazardList,
    sql: `ALTER TABLE ${relationName(b)} ${action}`,
    object: { kind: 'table', name: `${b.schema}.${b.name}` },
    action: 'alter',
    phase: Phase.ownedBy,
    produces: [`${b.key}#${marker}`],
    needs: [b.key, ...needs],
  });
}

function replicaIdentity(ctx: DiffContext, a: RelationInfo | undefined, b: RelationInfo): void {
  let current = a?.replicaIdentity ?? 'd';
  let currentIndex = a?.replicaIdentityIndex ?? null;
  if (a && currentIndex && ctx.gone(indexKey(ctx.from, a, currentIndex))) [current, currentIndex] = ['d', null];
  if (current === b.replicaIdentity && currentIndex === b.replicaIdentityIndex) return;
  const identity = b.replicaIdentity === 'i' && b.replicaIdentityIndex ? `USING INDEX ${ident(b.replicaIdentityIndex)}` : REPLICA_IDENTITY[b.replicaIdentity] ?? 'DEFAULT';
  // A table created here has nothing replicated yet.
  const hazardList = a ? [hazards.replicaIdentity(`${b.schema}.${b.name}`, identity)] : [];
  const needs = b.replicaIdentity === 'i' && b.replicaIdentityIndex ? [indexKey(ctx.to, b, b.replicaIdentityIndex)] : [];
  alterTable(ctx, b, `REPLICA IDENTITY ${identity}`, 'replica-identity', needs, hazardList);
}

function cluster(ctx: DiffContext, a: RelationInfo | undefined, b: RelationInfo): void {
  const current = a?.clusterIndex && !ctx.gone(indexKey(ctx.from, a, a.clusterIndex)) ? a.clusterIndex : null;
  if (current === b.clusterIndex) return;
  if (b.clusterIndex) alterTable(ctx, b, `CLUSTER ON ${ident(b.clusterIndex)}`, 'cluster', [indexKey(ctx.to, b, b.clusterIndex)]);
  else alterTable(ctx, b, 'SET WITHOUT CLUSTER', 'cluster', []);
}

function columnSettings(ctx: DiffContext, a: RelationInfo | undefined, b: RelationInfo, column: ColumnInfo): void {
  const found = a?.columns.find((c) => c.name === column.name);
  const old = found && !ctx.gone(found.key) ? found : undefined;
  const retyped = !!old && ctx.retyped.has(old.key);
  const actions: string[] = [];
  const storage = old && !retyped ? old.storage : null;
  if (storage !== column.storage) actions.push(`SET STORAGE ${STORAGE[column.storage ?? column.typeStorage] ?? 'EXTENDED'}`);
  const compression = old && !retyped ? old.compression : '';
  if (compression !== column.compression) actions.push(`SET COMPRESSION ${COMPRESSION[column.compression] ?? 'default'}`);
  if ((old?.statisticsTarget ?? -1) !== column.statisticsTarget) actions.push(`SET STATISTICS ${column.statisticsTarget}`);
  const before = old?.options ?? [];
  const removed = before.map((o) => o.split('=')[0]!).filter((k) => !column.options.some((o) => o.split('=')[0] === k));
  if (removed.length) actions.push(`RESET (${removed.join(', ')})`);
  const added = column.options.filter((o) => !before.includes(o));
  if (added.length) actions.push(`SET (${added.join(', ')})`);
  for (const action of actions) {
    ctx.emit({
      sql: `ALTER TABLE ${relationName(b)} ALTER COLUMN ${ident(column.name)} ${action}`,
      object: { kind: 'column', name: `${b.schema}.${b.name}.${column.name}` },
      action: 'alter',
      phase: Phase.ownedBy,
      produces: [`${column.key}#settings`],
      needs: [column.key],
    });
  }
}
