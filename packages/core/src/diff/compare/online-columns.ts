import type { ColumnInfo, RelationInfo } from '../catalog';
import { hazards } from '../hazards';
import { type DiffContext, Phase, Step } from '../plan';
import { ident, literal } from '../sql';
import { relationName } from './tables';

/**
 * The non-blocking forms of column changes on a table that stays (docs/online.md): NOT NULL set through a
 * validated CHECK (col IS NOT NULL), and a column with a volatile default added nullable, given its default,
 * filled in short batches, then made NOT NULL when the goal says so. tables.ts calls these only where
 * ctx.online(table) holds.
 */

/**
 * SET NOT NULL in three statements over two steps: a CHECK (col IS NOT NULL) NOT VALID (brief lock, no
 * scan); then, once it committed, VALIDATE (scans without blocking writes), SET NOT NULL (PostgreSQL 12+
 * skips its scan given the validated check) and DROP of the helper check. The SET NOT NULL produces
 * `col:...#not-null` (a primary key added USING INDEX waits for it), not the column itself: what needs the
 * column (an index on it) need not wait for the last step.
 */
export function setNotNullOnline(
  ctx: DiffContext,
  b: RelationInfo,
  column: ColumnInfo,
  options: { readonly needs?: readonly string[] } = {},
): void {
  const table = relationName(b);
  const name = helperCheckName(ctx, b, column);
  const checkKey = `${column.key}#not-null-check`;
  const object = { kind: 'column' as const, name: `${b.schema}.${b.name}.${column.name}` };
  const what = `column ${b.schema}.${b.name}.${column.name}`;
  ctx.emit({
    sql: `ALTER TABLE ${table} ADD CONSTRAINT ${ident(name)} CHECK (${ident(column.name)} IS NOT NULL) NOT VALID`,
    object,
    action: 'alter',
    phase: Phase.alterColumn,
    produces: [checkKey],
    needs: [column.key],
    note: `adds a NOT VALID check that ${what} is not null: new rows are checked at once, existing ones in the next migration`,
  });
  ctx.emit({
    sql: `ALTER TABLE ${table} VALIDATE CONSTRAINT ${ident(name)}`,
    object,
    action: 'alter',
    phase: Phase.validate,
    produces: [`${checkKey}#validated`],
    needs: [...(options.needs ?? [])],
    needsCommitted: [checkKey],
    step: Step.finish,
    hazards: [hazards.validatesExistingRows(`that ${what} holds no NULL`)],
    note: `validates that ${what} holds no NULL: scans the rows without blocking reads or writes`,
  });
  ctx.emit({
    sql: `ALTER TABLE ${table} ALTER COLUMN ${ident(column.name)} SET NOT NULL`,
    object,
    action: 'alter',
    phase: Phase.alterColumn,
    produces: [`${column.key}#not-null`],
    needs: [`${checkKey}#validated`],
    step: Step.finish,
    note: `sets ${what} NOT NULL without a scan (the validated check proves it)`,
  });
  ctx.emit({
    sql: `ALTER TABLE ${table} DROP CONSTRAINT ${ident(name)}`,
    object,
    action: 'alter',
    phase: Phase.alterColumn,
    needs: [`${column.key}#not-null`],
    step: Step.finish,
  });
}

/**
 * ADD COLUMN with a volatile default (gen_random_uuid(), clock_timestamp(), nextval...), which would rewrite
 * the table under an ACCESS EXCLUSIVE lock: the column added nullable without a default (instant), its
 * default set (new rows get it), the existing rows filled in batches outside a transaction, then NOT NULL
 * through the check when the goal column has it.
 */
export function addColumnWithVolatileDefault(
  ctx: DiffContext,
  b: RelationInfo,
  column: ColumnInfo,
  definition: string,
): void {
  const table = relationName(b);
  const what = `column ${b.schema}.${b.name}.${column.name}`;
  const object = { kind: 'column' as const, name: `${b.schema}.${b.name}.${column.name}` };
  ctx.emit({
    sql: `ALTER TABLE ${table} ADD COLUMN ${definition}`,
    object,
    action: 'create',
    phase: Phase.alterColumn,
    produces: [column.key],
    needs: [b.key],
    note: `adds ${what} without its default (instant: no rewrite)`,
  });
  ctx.emit({
    sql: `ALTER TABLE ${table} ALTER COLUMN ${ident(column.name)} SET DEFAULT ${column.default}`,
    object,
    action: 'alter',
    phase: Phase.alterColumn,
    produces: [column.key],
    note: `gives ${what} its default for new rows`,
  });
  const filled = `${column.key}#filled`;
  ctx.emit({
    sql: backfillSql(table, column.name, `${b.schema}.${b.name}.${column.name}`),
    object,
    action: 'alter',
    phase: Phase.alterColumn,
    produces: [filled],
    needs: [column.key],
    transactional: false,
    step: Step.outside,
    note: `fills ${what} with its default on the existing rows, in batches of a fraction of a second, each committed on its own (safe to run again)`,
  });
  if (column.notNull) setNotNullOnline(ctx, b, column, { needs: [filled] });
}

/**
 * The backfill: a DO block that sets the column to its default where it is NULL, a batch of rows at a time,
 * committing after each (PostgreSQL 11+ allows COMMIT in a DO block run outside a transaction block), the
 * batch size adjusted to keep each batch between about 0.1 and 0.4 s. It only touches NULLs: run again, it
 * fills what is left. A default that gives NULL stops it with an error rather than looping.
 */
function backfillSql(table: string, column: string, label: string): string {
  const col = ident(column);
  return [
    'DO $db_migrate$',
    'DECLARE',
    '  batch bigint := 1000;',
    '  updated bigint;',
    '  filled bigint;',
    '  started timestamptz;',
    'BEGIN',
    '  LOOP',
    '    started := clock_timestamp();',
    `    WITH done AS (`,
    `      UPDATE ${table} SET ${col} = DEFAULT`,
    `      WHERE ctid IN (SELECT ctid FROM ${table} WHERE ${col} IS NULL LIMIT batch)`,
    `      RETURNING ${col}`,
    `    )`,
    `    SELECT count(*), count(${col}) INTO updated, filled FROM done;`,
    `    IF filled < updated THEN`,
    `      RAISE EXCEPTION 'the default of % gave NULL: the column cannot be filled', ${literal(label)};`,
    '    END IF;',
    '    COMMIT;',
    '    EXIT WHEN updated = 0;',
    "    IF clock_timestamp() - started < interval '100 milliseconds' THEN",
    '      batch := least(batch * 2, 100000);',
    "    ELSIF clock_timestamp() - started > interval '400 milliseconds' THEN",
    '      batch := greatest(batch / 2, 100);',
    '    END IF;',
    '  END LOOP;',
    'END',
    '$db_migrate$',
  ].join('\n');
}

/** The suffix of the helper checks' names: a violation of one means a NULL where the goal says NOT NULL. */
export const NOT_NULL_CHECK_SUFFIX = '_not_null_db_migrate';

/** The helper check's name: `<column>_not_null_db_migrate`, cut to 63 bytes, and not one the table has on either side. */
function helperCheckName(ctx: DiffContext, b: RelationInfo, column: ColumnInfo): string {
  const taken = new Set(
    [...ctx.from.constraints.values(), ...ctx.to.constraints.values()]
      .filter((c) => c.tableKey === b.key)
      .map((c) => c.name),
  );
  const base = `${column.name}${NOT_NULL_CHECK_SUFFIX}`;
  for (let n = 0; ; n++) {
    const suffix = n === 0 ? '' : `_${n}`;
    const name = cut(base, 63 - Buffer.byteLength(suffix)) + suffix;
    if (!taken.has(name)) return name;
  }
}

function cut(text: string, bytes: number): string {
  let out = text;
  while (Buffer.byteLength(out) > bytes) out = out.slice(0, -1);
  return out;
}
