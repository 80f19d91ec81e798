import type { Catalog, ColumnInfo, RelationInfo } from '../catalog';
import { hazards } from '../hazards';
import { type DiffContext, Phase } from '../plan';
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
    for (const column of b.columns) {
      columnSettings(
        ctx,
        b,
        column,
        b.partitionOf ? partitionColumnBefore(ctx, old, b, column) : columnBefore(ctx, a, column),
      );
    }
  }
}

/** A column's settings, as compared with `to`. */
type ColumnSettings = Pick<ColumnInfo, 'storage' | 'compression' | 'statisticsTarget' | 'options'>;

const NEW_COLUMN: ColumnSettings = { storage: null, compression: '', statisticsTarget: -1, options: [] };

/** What a column of a plain table has once the rest of the migration ran: a type change resets storage and compression. */
function columnBefore(ctx: DiffContext, a: RelationInfo | undefined, column: ColumnInfo): ColumnSettings {
  const found = a?.columns.find((c) => c.name === column.name);
  const old = found && !ctx.gone(found.key) ? found : undefined;
  if (!old) return NEW_COLUMN;
  const retyped = ctx.retyped.has(old.key);
  return { ...old, storage: retyped ? null : old.storage, compression: retyped ? '' : old.compression };
}

/**
 * What a partition's column has once its parent's statements ran (measured on 15 to 18): CREATE ... PARTITION OF
 * copies the parent's storage and compression (it runs after the parent's settings), not its statistics target
 * or options; the parent's SET STORAGE and SET STATISTICS recurse, its SET COMPRESSION and SET (...) do not. A
 * table attached here keeps its own.
 */
function partitionColumnBefore(
  ctx: DiffContext,
  old: RelationInfo | undefined,
  b: RelationInfo,
  column: ColumnInfo,
): ColumnSettings {
  const parentTo = ctx.to.relations.get(b.partitionOf!)!;
  const inherited = parentTo.columns.find((c) => c.name === column.name);
  const a = old && !ctx.gone(old.key) ? old : undefined;
  if (!inherited) return columnBefore(ctx, a, column);
  if (!a) return { ...NEW_COLUMN, storage: inherited.storage, compression: inherited.compression };
  if (a.partitionOf !== b.partitionOf || a.partitionBound !== b.partitionBound) return columnBefore(ctx, a, column);
  const parentFrom = ctx.survives(parentTo.key) ? ctx.from.relations.get(parentTo.key) : undefined;
  const parentBefore = columnBefore(ctx, parentFrom, inherited);
  const own = columnBefore(ctx, a, column);
  const parentColumn = parentFrom?.columns.find((c) => c.name === column.name && !ctx.gone(c.key));
  const retyped = !!parentColumn && ctx.retyped.has(parentColumn.key);
  return {
    storage: parentBefore.storage !== inherited.storage ? inherited.storage : retyped ? null : own.storage,
    compression: retyped ? '' : own.compression,
    statisticsTarget:
      parentBefore.statisticsTarget !== inherited.statisticsTarget ? inherited.statisticsTarget : own.statisticsTarget,
    options: own.options,
  };
}

function alterTable(
  ctx: DiffContext,
  b: RelationInfo,
  action: string,
  marker: string,
  needs: string[],
  hazardList: Hazard[] = [],
): void {
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
  const identity =
    b.replicaIdentity === 'i' && b.replicaIdentityIndex
      ? `USING INDEX ${ident(b.replicaIdentityIndex)}`
      : (REPLICA_IDENTITY[b.replicaIdentity] ?? 'DEFAULT');
  // A table created here has nothing replicated yet.
  const hazardList = a ? [hazards.replicaIdentity(`${b.schema}.${b.name}`, identity)] : [];
  const needs =
    b.replicaIdentity === 'i' && b.replicaIdentityIndex ? [indexKey(ctx.to, b, b.replicaIdentityIndex)] : [];
  alterTable(ctx, b, `REPLICA IDENTITY ${identity}`, 'replica-identity', needs, hazardList);
}

function cluster(ctx: DiffContext, a: RelationInfo | undefined, b: RelationInfo): void {
  const current = a?.clusterIndex && !ctx.gone(indexKey(ctx.from, a, a.clusterIndex)) ? a.clusterIndex : null;
  if (current === b.clusterIndex) return;
  if (b.clusterIndex)
    alterTable(ctx, b, `CLUSTER ON ${ident(b.clusterIndex)}`, 'cluster', [indexKey(ctx.to, b, b.clusterIndex)]);
  else alterTable(ctx, b, 'SET WITHOUT CLUSTER', 'cluster', []);
}

function columnSettings(ctx: DiffContext, b: RelationInfo, column: ColumnInfo, was: ColumnSettings): void {
  const actions: string[] = [];
  if (was.storage !== column.storage)
    actions.push(`SET STORAGE ${STORAGE[column.storage ?? column.typeStorage] ?? 'EXTENDED'}`);
  if (was.compression !== column.compression)
    actions.push(`SET COMPRESSION ${COMPRESSION[column.compression] ?? 'default'}`);
  if (was.statisticsTarget !== column.statisticsTarget) actions.push(`SET STATISTICS ${column.statisticsTarget}`);
  const before = was.options;
  const inheritedKey = b.partitionOf
    ? ctx.to.relations.get(b.partitionOf)?.columns.find((c) => c.name === column.name)?.key
    : undefined;
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
      // A partition's after its parent's, which recurse.
      needs: [column.key, ...(inheritedKey ? [inheritedKey, `${inheritedKey}#settings`] : [])],
    });
  }
}
