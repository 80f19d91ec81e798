import type { ColumnInfo, RelationInfo } from '../catalog';
import type { DiffContext } from '../plan';
import { markChildrenGone, markOwnedSequencesGone } from './propagate';

const isView = (r: RelationInfo) => r.kind === 'view' || r.kind === 'materialized view';
const isTable = (r: RelationInfo) => r.kind === 'table' || r.kind === 'partitioned table' || r.kind === 'foreign table';

/**
 * Decides, per relation and column, what must go: relations only in `from`, relations whose kind or
 * partitioning changed (recreated), views that cannot be replaced in place, dropped columns, columns that
 * must be dropped and added again (generation expression), and columns whose type changes.
 */
export function decideRelations(ctx: DiffContext): void {
  const replaced = ctx.replaced;
  for (const [key, a] of ctx.from.relations) {
    const b = ctx.to.relations.get(key);
    if (!b) {
      ctx.markGone(key);
      markChildrenGone(ctx, key);
      continue;
    }
    if (a.kind !== b.kind || a.partitionKey !== b.partitionKey) {
      ctx.markGone(key);
      markChildrenGone(ctx, key);
      continue;
    }
    if (isView(a)) {
      if (a.viewDefinition === b.viewDefinition && sameOptions(a.options, b.options)) continue;
      if (a.kind === 'view' && columnsArePrefix(a.columns, b.columns)) {
        replaced.add(key);
      } else {
        ctx.markGone(key);
        markChildrenGone(ctx, key);
      }
      continue;
    }
    if (!isTable(a)) continue;
    const bColumns = new Map(b.columns.map((c) => [c.name, c]));
    for (const column of a.columns) {
      const target = bColumns.get(column.name);
      if (!target) {
        if (column.isLocal || !b.partitionOf) {
          ctx.markGone(column.key);
          markOwnedSequencesGone(ctx, column.key);
        }
        continue;
      }
      // A partition's own generation expression changes in place (tables.ts); the parent's re-add recurses.
      const partitionExpression =
        !!b.partitionOf && a.partitionOf === b.partitionOf && column.generated === 's' && target.generated === 's';
      if (needsReadd(column, target) && !partitionExpression) {
        ctx.markGone(column.key);
        markOwnedSequencesGone(ctx, column.key);
      } else if (column.type !== target.type && !castExists(ctx, column, target)) {
        ctx.noCast.set(column.key, `no cast from ${column.type} to ${target.type} exists`);
        ctx.markGone(column.key);
        markOwnedSequencesGone(ctx, column.key);
      } else if (column.type !== target.type || column.collation !== target.collation) {
        ctx.retyped.add(column.key);
        if (column.default !== null && column.generated === '') ctx.defaultReset.add(column.key);
      }
    }
  }
}

/**
 * Whether `USING col::newtype` can work at all (it may still fail on some values): the same type with another
 * typmod, an I/O conversion from or to a string type, enums and composite types (converted through text or
 * rebuilt, tables.ts), or a cast pg_cast knows between the base types (element types for arrays, which
 * convert element by element). bigint to timestamp or to uuid has none: `USING` would fail even on an
 * empty table.
 */
export function castExists(ctx: DiffContext, a: ColumnInfo, b: ColumnInfo): boolean {
  if (a.isArray !== b.isArray) return (!a.isArray && a.castCategory === 'S') || (!b.isArray && b.castCategory === 'S');
  if (a.castType === b.castType) return true;
  if (a.castCategory === 'S' || b.castCategory === 'S') return true;
  if ('EC'.includes(a.castCategory) || 'EC'.includes(b.castCategory)) return true;
  const cast = `${a.castType}->${b.castType}`;
  return ctx.to.casts.has(cast) || ctx.from.casts.has(cast);
}

/** A stored generated column whose expression changes, or a plain column becoming generated, is re-added. */
function needsReadd(a: ColumnInfo, b: ColumnInfo): boolean {
  if (b.generated === 's' && a.generated !== 's') return true;
  return a.generated === 's' && b.generated === 's' && a.default !== b.default;
}

function sameOptions(a: readonly string[], b: readonly string[]): boolean {
  return [...a].sort().join(',') === [...b].sort().join(',');
}

function columnsArePrefix(a: readonly ColumnInfo[], b: readonly ColumnInfo[]): boolean {
  if (a.length > b.length) return false;
  return a.every((c, i) => c.name === b[i]!.name && c.type === b[i]!.type && c.collation === b[i]!.collation);
}

export { isTable, isView };
