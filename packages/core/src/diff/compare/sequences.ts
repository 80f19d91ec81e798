import type { SequenceInfo, SequenceOptions } from '../catalog';
import type { ObjectKind } from '../types';
import { hazards } from '../hazards';
import { type DiffContext, Phase } from '../plan';
import { ident, literal } from '../sql';
import { emitCreates, emitDrops, markChanged } from './keyed';

function sequenceName(s: { schema: string; name: string }): string {
  return `${ident(s.schema)}.${ident(s.name)}`;
}

function ownerName(s: SequenceInfo): string {
  const o = s.ownedByName;
  return o ? `${ident(o.schema)}.${ident(o.table)}.${ident(o.column)}` : 'NONE';
}

/**
 * Sequences with all their parameters (type, increment, bounds, start, cache, cycle) and OWNED BY,
 * which migra ignores. Identity sequences belong to their column (tables.ts).
 */
export function decideSequences(ctx: DiffContext): void {
  markChanged(ctx, ctx.from.sequences, ctx.to.sequences);
}

export function emitSequences(ctx: DiffContext): void {
  emitDrops(ctx, ctx.from.sequences, (a) => ({
    sql: `DROP SEQUENCE ${sequenceName(a)}`,
    object: { kind: 'sequence', name: `${a.schema}.${a.name}` },
    action: 'drop',
    phase: Phase.dropLate,
    destructive: true,
    hazards: [hazards.dropsObject(`sequence ${a.schema}.${a.name} and its current value`)],
  }));
  emitCreates(
    ctx,
    ctx.from.sequences,
    ctx.to.sequences,
    (b) => ({
      sql:
        `CREATE SEQUENCE ${sequenceName(b)} AS ${b.dataType} INCREMENT BY ${b.increment} MINVALUE ${b.min} ` +
        `MAXVALUE ${b.max} START WITH ${b.start} CACHE ${b.cache}${b.cycle ? ' CYCLE' : ' NO CYCLE'}`,
      object: { kind: 'sequence', name: `${b.schema}.${b.name}` },
      action: 'create',
      phase: Phase.createSequence,
    }),
    (b, a, key) => {
      const name = `${b.schema}.${b.name}`;
      if (a) alterSequence(ctx, a, b);
      const ownerBefore = a ? a.ownedBy : null;
      if (ownerBefore !== b.ownedBy && (b.ownedBy || ownerBefore)) {
        ctx.emit({
          sql: `ALTER SEQUENCE ${sequenceName(b)} OWNED BY ${ownerName(b)}`,
          object: { kind: 'sequence', name },
          action: 'alter',
          phase: Phase.ownedBy,
          needs: [key, ...(b.ownedBy ? [b.ownedBy] : [])],
          produces: [`owner:${key}`],
        });
      }
      if (!a) moveNewCounterPastRows(ctx, b);
    },
  );
}

/** The parameters of a surviving sequence that change, in one ALTER SEQUENCE (its value moved inside new bounds first). */
function alterSequence(ctx: DiffContext, a: SequenceInfo, b: SequenceInfo): void {
  const parts: string[] = [];
  if (a.dataType !== b.dataType) parts.push(`AS ${b.dataType}`);
  if (a.increment !== b.increment) parts.push(`INCREMENT BY ${b.increment}`);
  if (a.min !== b.min) parts.push(`MINVALUE ${b.min}`);
  if (a.max !== b.max) parts.push(`MAXVALUE ${b.max}`);
  if (a.start !== b.start) parts.push(`START WITH ${b.start}`);
  if (a.cache !== b.cache) parts.push(`CACHE ${b.cache}`);
  if (a.cycle !== b.cycle) parts.push(b.cycle ? 'CYCLE' : 'NO CYCLE');
  if (!parts.length) return;
  const name = `${b.schema}.${b.name}`;
  const raisesFloor = BigInt(b.min) > BigInt(a.min) || BigInt(b.max) < BigInt(a.max);
  moveIntoNewBounds(ctx, a, b, sequenceName(a), { produces: [`${b.key}#bounds`] }, { kind: 'sequence', name });
  ctx.emit({
    needs: [`${b.key}#bounds`],
    hazards: raisesFloor ? [hazards.sequenceBounds(`sequence ${name}`)] : [],
    sql: `ALTER SEQUENCE ${sequenceName(b)} ${parts.join(' ')}`,
    object: { kind: 'sequence', name },
    action: 'alter',
    phase: Phase.createSequence,
    produces: [b.key],
  });
}

/**
 * ALTER SEQUENCE checks the sequence's current value against new bounds, so raising MINVALUE above it (or
 * lowering MAXVALUE below it) fails, even on a sequence never used (its value is then START WITH). Before such
 * an ALTER this moves the value inside the new bounds: a used sequence only the way it counts (up for an
 * ascending sequence whose floor rises), which never hands out a value twice; an unused one to `to`'s START
 * WITH. A used sequence past the bound it counts towards is left alone: the ALTER then fails, as its
 * sequence-bounds hazard says. `sequence` is the sequence's SQL name in `from`.
 */
export function moveIntoNewBounds(
  ctx: DiffContext,
  a: SequenceOptions,
  b: SequenceOptions,
  sequence: string,
  order: { produces?: string[]; removes?: string[] },
  object: { kind: ObjectKind; name: string },
): void {
  const [oldMin, oldMax, newMin, newMax, start] = [a.min, a.max, b.min, b.max, b.start].map((v) => BigInt(v)) as [
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
  ];
  const raisesMin = newMin > oldMin;
  const lowersMax = newMax < oldMax;
  if (!raisesMin && !lowersMax) return;
  const ascending = !b.increment.startsWith('-');
  const low = raisesMin ? newMin : oldMin;
  const high = lowersMax ? newMax : oldMax;
  if (low > high) return;
  // biome-ignore lint/complexity/useMathMinMax: bigint
  const fresh = start < low ? low : start > high ? high : start;
  const below = raisesMin ? `(last_value < ${newMin}${ascending ? '' : ' AND NOT is_called'})` : null;
  const above = lowersMax ? `(last_value > ${newMax}${ascending ? ' AND NOT is_called' : ''})` : null;
  const value = `CASE WHEN NOT is_called THEN ${fresh} WHEN last_value < ${low} THEN ${low} ELSE ${high} END`;
  ctx.emit({
    sql: `SELECT pg_catalog.setval(${literal(sequence)}, ${value}, false) FROM ${sequence} WHERE ${[below, above].filter(Boolean).join(' OR ')}`,
    object,
    action: 'alter',
    phase: Phase.createSequence - 0.5,
    produces: order.produces ?? [],
    removes: order.removes ?? [],
  });
}

/** The session setting that holds a column's old counter position between the two statements (custom GUCs need a dotted name). */
function positionSetting(columnKey: string): string {
  let hash = 0x811c9dc5;
  for (const char of columnKey) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return `db_migrate.position_${hash.toString(16)}`;
}

/**
 * Keeps the next value of a column's counter that goes away (a serial sequence replaced by an identity, an
 * identity replaced by a serial sequence), before anything drops it: the new counter continues from there,
 * never from `max(id) + 1`, so an id once issued and deleted is not issued again. Held in a session setting
 * (the statements may run outside a transaction) and read back by `carriedPosition`.
 */
export function carryPosition(
  ctx: DiffContext,
  sequence: string,
  columnKey: string,
  object: { kind: ObjectKind; name: string },
): void {
  ctx.emit({
    sql:
      `SELECT pg_catalog.set_config(${literal(positionSetting(columnKey))}, (CASE WHEN s.is_called THEN s.last_value::numeric + p.seqincrement ELSE s.last_value END)::text, false) ` +
      `FROM ${sequence} AS s, pg_catalog.pg_sequence AS p WHERE p.seqrelid = ${literal(sequence)}::regclass`,
    object,
    action: 'alter',
    // First of all: it reads the old counter before any statement drops it.
    phase: 0,
  });
}

/**
 * The ascending counter a surviving column loses when it changes between serial and identity (the serial
 * sequence its default draws from, or its identity sequence), as its SQL name; undefined when none.
 */
export function replacedCounter(ctx: DiffContext, columnKey: string): string | undefined {
  const [was, will] = [ctx.from.columns.get(columnKey), ctx.to.columns.get(columnKey)];
  if (!was || !will || ctx.gone(columnKey) || !ctx.survives(was.relationKey)) return undefined;
  const [old, now] = [was.column, will.column];
  if (old.identity && !now.identity && old.identityOptions && !old.identityOptions.increment.startsWith('-')) {
    const [schema, ...rest] = old.identityOptions.sequenceName.split('.');
    return `${ident(schema!)}.${ident(rest.join('.'))}`;
  }
  if (!old.identity && now.identity) {
    const counter = [...ctx.from.sequences.values()].find(
      (q) => q.ownedBy === columnKey && !q.increment.startsWith('-') && ctx.from.dependsOn.get(columnKey)?.has(q.key),
    );
    return counter && sequenceName(counter);
  }
  return undefined;
}

/**
 * The next value a new counter of the column must not go below, as an SQL expression: the old counter's
 * kept position, and past every value the column holds (`max`, an SQL expression), and at least `start`.
 */
export function nextCounterValue(ctx: DiffContext, columnKey: string, max: string, start: string): string {
  const kept = replacedCounter(ctx, columnKey)
    ? `, pg_catalog.current_setting(${literal(positionSetting(columnKey))}, true)::numeric`
    : '';
  return `GREATEST(COALESCE(${max} + 1, ${start}), ${start}${kept})::bigint`;
}

/**
 * A sequence created here, owned by a column that already holds rows and whose default draws from it (an
 * identity column turned serial), is that column's counter: starting at START WITH, the next insert would collide with the values already
 * there, so it is moved past them, as a column turned identity is (tables.ts).
 */
function moveNewCounterPastRows(ctx: DiffContext, b: SequenceInfo): void {
  const column = b.ownedBy ? ctx.to.columns.get(b.ownedBy) : undefined;
  if (
    !column ||
    !b.ownedByName ||
    b.increment.startsWith('-') ||
    !ctx.survives(column.relationKey) ||
    !ctx.survives(b.ownedBy!)
  )
    return;
  // Only a column counting with it (its default calls nextval on it): MAX of any other column means nothing.
  if (!ctx.to.dependsOn.get(b.ownedBy!)?.has(b.key)) return;
  const table = `${ident(b.ownedByName.schema)}.${ident(b.ownedByName.table)}`;
  const value = ident(b.ownedByName.column);
  ctx.emit({
    sql: `SELECT pg_catalog.setval(${literal(sequenceName(b))}, ${nextCounterValue(ctx, b.ownedBy!, `MAX(${value})`, b.start)}, false) FROM ${table}`,
    object: { kind: 'sequence', name: `${b.schema}.${b.name}` },
    action: 'alter',
    phase: Phase.ownedBy,
    produces: [`${b.key}#position`],
    needs: [b.key, b.ownedBy!, `owner:${b.key}`],
  });
}
