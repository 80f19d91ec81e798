import { type ColumnInfo, type IdentityOptions, type RelationInfo, childrenOf } from '../catalog';
import { hazards } from '../hazards';
import { type DiffContext, Phase } from '../plan';
import { callsVolatileFunction } from '../../pg/volatile-functions';
import { ident, literal } from '../sql';
import type { Hazard } from '../types';
import { isTable } from './relations';
import { addColumnWithVolatileDefault, setNotNullOnline } from './online-columns';
import { carryPosition, moveIntoNewBounds, nextCounterValue, replacedCounter } from './sequences';
import { conversionGuard, parseType, valueChangingConversion } from '../conversions';
import { isRecreatedRange } from './types';

/** The SQL name of a relation: "schema"."name". */
export function relationName(r: { schema: string; name: string }): string {
  return `${ident(r.schema)}.${ident(r.name)}`;
}

/**
 * Keys a `from` relation takes with it when dropped: its columns and its implicitly dropped children (a child
 * with a DROP of its own, such as a foreign key in a cycle, removes its key itself).
 */
export function keysGoingWith(ctx: DiffContext, rel: RelationInfo): string[] {
  const keys = [rel.key, ...rel.columns.map((c) => c.key)];
  for (const map of [
    ctx.from.indexes,
    ctx.from.constraints,
    ctx.from.triggers,
    ctx.from.policies,
    ctx.from.statistics,
    ctx.from.rules,
  ] as const) {
    for (const [key, child] of map as ReadonlyMap<string, { tableKey: string }>) {
      if (child.tableKey === rel.key && (!ctx.gone(key) || ctx.implicitlyDropped.has(key))) keys.push(key);
    }
  }
  for (const [key, seq] of ctx.from.sequences) {
    if (seq.ownedBy && rel.columns.some((c) => c.key === seq.ownedBy) && ctx.implicitlyDropped.has(key)) keys.push(key);
  }
  for (const column of rel.columns) keys.push(...identitySequenceKeys(column));
  return keys;
}

/**
 * The `seq:` key of an identity column's sequence. Identity sequences are not in the catalog's sequences
 * (they belong to their column), but they hold their name: whatever takes the identity away (DROP IDENTITY,
 * DROP COLUMN, DROP TABLE, a rename) removes this key, so a sequence created under that name comes after.
 */
function identitySequenceKeys(column: ColumnInfo): string[] {
  return column.identity && column.identityOptions ? [`seq:${column.identityOptions.sequenceName}`] : [];
}

/** The marker key of an inheritance or partition link, removed by NO INHERIT / DETACH. */
export function inheritanceKey(child: string, parent: string): string {
  return `inh:${child}>${parent}`;
}

/** Whether a surviving table `a` is detached from its parent on its way to `b` (to stand alone, or to be attached again). */
export function detachesPartition(a: RelationInfo, b: RelationInfo): boolean {
  return !!a.partitionOf && (a.partitionOf !== b.partitionOf || a.partitionBound !== b.partitionBound);
}

function childLinks(ctx: DiffContext, parentKey: string): string[] {
  const links: string[] = [];
  for (const rel of ctx.from.relations.values()) {
    if (rel.inherits.includes(parentKey) || rel.partitionOf === parentKey)
      links.push(inheritanceKey(rel.key, parentKey));
  }
  return links;
}

export function emitTables(ctx: DiffContext): void {
  for (const [key, a] of ctx.from.relations) {
    if (!isTable(a) || !ctx.gone(key)) continue;
    ctx.emit({
      sql: `DROP TABLE ${relationName(a)}`,
      object: { kind: 'table', name: `${a.schema}.${a.name}` },
      action: 'drop',
      phase: Phase.dropTable,
      removes: keysGoingWith(ctx, a),
      needsRemoved: childLinks(ctx, key),
      destructive: true,
      // Also when the table is recreated (its kind or partitioning changed): its rows go with it.
      hazards: [hazards.dropsData(droppedTableWhat(ctx, a), `${a.schema}.${a.name}`)],
    });
  }
  for (const [key, b] of ctx.to.relations) {
    if (!isTable(b)) continue;
    const a = ctx.from.relations.get(key);
    if (!a || ctx.gone(key)) createTable(ctx, b);
    else alterTable(ctx, a, b);
  }
}

/**
 * What a DROP TABLE loses, for its hazard. A table recreated to change its partitioning says so, and names
 * every partition dropped with it (the partitions `to` keeps are detached first and attached again).
 */
function droppedTableWhat(ctx: DiffContext, a: RelationInfo): string {
  const b = ctx.to.relations.get(a.key);
  const name = `table ${a.schema}.${a.name}`;
  if (!b || b.partitionKey === a.partitionKey || (b.kind !== a.kind && !(a.partitionKey || b.partitionKey)))
    return name;
  const how = (r: RelationInfo) => (r.partitionKey ? `PARTITION BY ${r.partitionKey}` : 'not partitioned');
  const dropped: string[] = [];
  const visit = (parentKey: string) => {
    for (const r of ctx.from.relations.values()) {
      if (r.partitionOf !== parentKey) continue;
      if (!ctx.survives(r.key) || !ctx.to.relations.has(r.key)) dropped.push(`${r.schema}.${r.name}`);
      visit(r.key);
    }
  };
  visit(a.key);
  const partitions = dropped.length ? `, and with it its partitions ${dropped.sort().join(', ')}` : '';
  return `${name} to recreate it with a new partitioning (${how(a)} to ${how(b)})${partitions}`;
}

const TYPE_MAX: Record<string, string> = {
  smallint: '32767',
  integer: '2147483647',
  bigint: '9223372036854775807',
};

/** Identity sequence options that differ from what a plain GENERATED ... AS IDENTITY gives. */
function identityOptionList(
  table: { schema: string; name: string },
  column: ColumnInfo,
  options: IdentityOptions | null,
): string[] {
  if (!options) return [];
  const parts: string[] = [];
  const defaultName = `${table.schema}.${table.name}_${column.name}_seq`;
  if (options.sequenceName !== defaultName) {
    const [schema, ...rest] = options.sequenceName.split('.');
    parts.push(`SEQUENCE NAME ${ident(schema!)}.${ident(rest.join('.'))}`);
  }
  const ascending = !options.increment.startsWith('-');
  if (options.increment !== '1') parts.push(`INCREMENT BY ${options.increment}`);
  const defaultMin = ascending ? '1' : `-${TYPE_MAX[options.dataType] ?? ''}`;
  const defaultMax = ascending ? TYPE_MAX[options.dataType] : '-1';
  if (options.min !== defaultMin) parts.push(`MINVALUE ${options.min}`);
  if (options.max !== defaultMax) parts.push(`MAXVALUE ${options.max}`);
  if (options.start !== (ascending ? options.min : options.max)) parts.push(`START WITH ${options.start}`);
  if (options.cache !== '1') parts.push(`CACHE ${options.cache}`);
  if (options.cycle) parts.push('CYCLE');
  return parts;
}

function identityClause(table: { schema: string; name: string }, column: ColumnInfo): string {
  const kind = column.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT';
  const options = identityOptionList(table, column, column.identityOptions);
  return `GENERATED ${kind} AS IDENTITY${options.length ? ` (${options.join(' ')})` : ''}`;
}

export function columnDefinition(table: { schema: string; name: string }, column: ColumnInfo): string {
  let sql = `${ident(column.name)} ${column.type}`;
  if (column.collation) sql += ` COLLATE ${column.collation}`;
  if (column.generated === 's') sql += ` GENERATED ALWAYS AS (${column.default}) STORED`;
  else if (column.default !== null && !column.identity) sql += ` DEFAULT ${column.default}`;
  if (column.identity) sql += ' ' + identityClause(table, column);
  if (column.notNull) sql += ' NOT NULL';
  return sql;
}

function createTable(ctx: DiffContext, b: RelationInfo): void {
  const name = relationName(b);
  const parentKey = b.partitionOf;
  let sql: string;
  const needs: string[] = [...b.inherits];
  if (parentKey) {
    const parent = ctx.to.relations.get(parentKey)!;
    // After the parent's column settings: a new partition copies its storage and compression.
    needs.push(parentKey, ...parent.columns.map((c) => `${c.key}#settings`));
    // A partition's own generation expression (PostgreSQL 16 and later) is only set this way before 17.
    const own = b.columns.filter(
      (c) =>
        c.generated === 's' &&
        parent.columns.some((p) => p.name === c.name && p.generated === 's' && p.default !== c.default),
    );
    const body = own.length
      ? ` (${own.map((c) => `${ident(c.name)} GENERATED ALWAYS AS (${c.default}) STORED`).join(', ')})`
      : '';
    sql = `CREATE TABLE ${name} PARTITION OF ${relationName(parent)}${body} ${b.partitionBound}`;
  } else {
    const local = b.columns.filter((c) => c.isLocal);
    const body = local.length ? `\n    ${local.map((c) => columnDefinition(b, c)).join(',\n    ')}\n` : '';
    sql = `CREATE ${b.unlogged ? 'UNLOGGED ' : ''}TABLE ${name} (${body})`;
    if (b.inherits.length) {
      sql += ` INHERITS (${b.inherits.map((k) => relationName(ctx.to.relations.get(k)!)).join(', ')})`;
    }
  }
  if (b.partitionKey) sql += ` PARTITION BY ${b.partitionKey}`;
  if (b.options.length) sql += ` WITH (${b.options.join(', ')})`;
  ctx.emit({
    sql,
    object: { kind: 'table', name: `${b.schema}.${b.name}` },
    action: 'create',
    phase: Phase.alterTable,
    produces: [b.key, ...b.columns.map((c) => c.key)],
    needs,
  });
  if (b.rowSecurity) settingOfNewTable(ctx, b, 'ENABLE ROW LEVEL SECURITY');
  if (b.forceRowSecurity) settingOfNewTable(ctx, b, 'FORCE ROW LEVEL SECURITY');
  if (parentKey) partitionColumns(ctx, undefined, b);
  else for (const column of b.columns) if (!column.isLocal) inheritedDifferences(ctx, b, column);
}

/** A column's own default: null for identity and generated columns (their expression is something else). */
function plainDefault(c: ColumnInfo): string | null {
  return c.generated === '' && !c.identity ? c.default : null;
}

/**
 * A partition's own NOT NULL and DEFAULT (`PARTITION OF p (b NOT NULL, c DEFAULT 5)`, or the NOT NULL its
 * own primary key left behind). A partition takes its parent's at CREATE, and the parent's ALTER COLUMN
 * SET/DROP NOT NULL and SET/DROP DEFAULT recurse into it: so what the partition has once the parent's
 * statements ran is compared with `to`, and what differs is set on the partition afterwards. A table
 * attached here keeps its own, changed before the ATTACH (which requires the parent's NOT NULL).
 */
function partitionColumns(ctx: DiffContext, a: RelationInfo | undefined, b: RelationInfo): void {
  const parentTo = ctx.to.relations.get(b.partitionOf!)!;
  const staysAttached = !!a && a.partitionOf === b.partitionOf && !detachesPartition(a, b);
  const parentFrom = staysAttached && ctx.survives(b.partitionOf!) ? ctx.from.relations.get(b.partitionOf!) : undefined;
  const tableName = `${b.schema}.${b.name}`;
  // A table attached here is changed before its ATTACH (which produces its key), after a DETACH from another parent.
  const attaching = !!a && !staysAttached;
  const order = (inherited: ColumnInfo) => ({
    needs: attaching ? [inherited.key] : [b.key, inherited.key],
    needsRemoved: attaching && a!.partitionOf ? [inheritanceKey(a!.key, a!.partitionOf)] : [],
  });
  for (const column of b.columns) {
    const inherited = parentTo.columns.find((c) => c.name === column.name);
    const old = a?.columns.find((c) => c.name === column.name && !ctx.gone(c.key));
    if (inherited && a && column.generated === 's' && inherited.generated === 's') {
      // Its own generation expression; a parent column added again brings the parent's.
      const was =
        old && (!staysAttached || parentFrom?.columns.some((c) => c.name === column.name && !ctx.gone(c.key)))
          ? old.default
          : inherited.default;
      if (was !== column.default) {
        alterColumn(ctx, b, column, `SET EXPRESSION AS (${column.default})`, {
          ...order(inherited),
          hazards: [
            {
              code: 'rewrites-table',
              message: `changes the generation expression of column ${tableName}.${column.name}: rewrites the partition under an ACCESS EXCLUSIVE lock (PostgreSQL 17 and later; 16 has no statement for it)`,
            },
          ],
        });
      }
      continue;
    }
    if (!inherited || column.generated !== '' || column.identity || inherited.generated !== '' || inherited.identity)
      continue;
    const was = parentFrom?.columns.find((c) => c.name === column.name && !ctx.gone(c.key));
    let notNull: boolean;
    let defaultValue: string | null;
    if (old && !staysAttached) {
      [notNull, defaultValue] = [old.notNull, plainDefault(old)];
    } else if (old && was) {
      // The parent's own statements (alterColumns) recurse: the partition then has what the parent gets.
      const parentNotNullChanges = (was.notNull || (!was.identity && !!inherited.identity)) !== inherited.notNull;
      const parentDefaultChanges = ctx.defaultReset.has(was.key) || plainDefault(was) !== plainDefault(inherited);
      notNull = parentNotNullChanges ? inherited.notNull || !!old.notNullOwn : old.notNull;
      defaultValue = parentDefaultChanges ? plainDefault(inherited) : plainDefault(old);
    } else {
      // Created here, or its column arrives with the parent's ADD COLUMN: a copy of the parent's.
      [notNull, defaultValue] = [inherited.notNull, plainDefault(inherited)];
    }
    const extra = order(inherited);
    const newDefault = plainDefault(column);
    if (defaultValue !== newDefault)
      alterColumn(ctx, b, column, newDefault === null ? 'DROP DEFAULT' : `SET DEFAULT ${newDefault}`, extra);
    if (!notNull && column.notNull) {
      alterColumn(ctx, b, column, 'SET NOT NULL', {
        ...extra,
        hazards: a ? [hazards.setNotNull(`column ${tableName}.${column.name}`)] : [],
      });
    } else if (notNull && !column.notNull) {
      alterColumn(ctx, b, column, 'DROP NOT NULL', extra);
    }
  }
}

/**
 * Whether a column the child inherits in `to` and lacks in `from` comes with its parent's ADD COLUMN: only
 * when the child already inherits from that parent. A parent linked here (INHERIT) requires the child to
 * have the column already, so it is added to the child first; it then stays a local column as well.
 */
function arrivesFromParent(ctx: DiffContext, a: RelationInfo, b: RelationInfo, column: ColumnInfo): boolean {
  return b.inherits.some((parentKey) => {
    if (!a.inherits.includes(parentKey)) return false;
    return !!ctx.to.relations.get(parentKey)?.columns.some((c) => c.name === column.name);
  });
}

/** Inherited columns copy the parent's default and NOT NULL; a child that differs says so afterwards. */
function inheritedDifferences(ctx: DiffContext, b: RelationInfo, column: ColumnInfo): void {
  const inherited = parentColumn(ctx, b, column.name);
  if (!inherited) return;
  const parentKey = ctx.to.columns.get(inherited.key)?.relationKey;
  const needs = [inherited.key, ...(parentKey ? [parentKey] : [])];
  if (inherited.default !== column.default && column.generated === '' && !column.identity) {
    alterColumn(ctx, b, column, column.default === null ? 'DROP DEFAULT' : `SET DEFAULT ${column.default}`, { needs });
  }
  if (column.notNull && !inherited.notNull) alterColumn(ctx, b, column, 'SET NOT NULL', { needs });
}

function parentColumn(ctx: DiffContext, b: RelationInfo, name: string): ColumnInfo | undefined {
  for (const parentKey of b.inherits) {
    const found = ctx.to.relations.get(parentKey)?.columns.find((c) => c.name === name);
    if (found) return found;
  }
  return undefined;
}

/**
 * A setting of a table created here: after the CREATE TABLE (it needs the table), and producing only a
 * marker, so statements that need the table need not wait for it.
 */
function settingOfNewTable(ctx: DiffContext, b: RelationInfo, action: string): void {
  ctx.emit({
    hazards: [hazards.changesAccess(`${action.toLowerCase()} on ${b.schema}.${b.name}`)],
    sql: `ALTER TABLE ${relationName(b)} ${action}`,
    object: { kind: 'table', name: `${b.schema}.${b.name}` },
    action: 'alter',
    phase: Phase.alterTable,
    produces: [`${b.key}#settings`],
    needs: [b.key],
  });
}

function alterStatement(ctx: DiffContext, b: RelationInfo, action: string, hazardList: Hazard[] = []): void {
  ctx.emit({
    sql: `ALTER TABLE ${relationName(b)} ${action}`,
    object: { kind: 'table', name: `${b.schema}.${b.name}` },
    action: 'alter',
    phase: Phase.alterTable,
    produces: [b.key],
    hazards: hazardList,
  });
}

function alterColumn(
  ctx: DiffContext,
  b: RelationInfo,
  column: ColumnInfo,
  action: string,
  extra: {
    hazards?: Hazard[];
    only?: boolean;
    needs?: string[];
    needsRemoved?: string[];
    produces?: string[];
    removes?: string[];
  } = {},
): void {
  ctx.emit({
    sql: `ALTER TABLE ${extra.only ? 'ONLY ' : ''}${relationName(b)} ALTER COLUMN ${ident(column.name)} ${action}`,
    object: { kind: 'column', name: `${b.schema}.${b.name}.${column.name}` },
    action: 'alter',
    phase: Phase.alterColumn,
    produces: extra.produces ?? [column.key],
    hazards: extra.hazards ?? [],
    needs: extra.needs ?? [],
    needsRemoved: extra.needsRemoved ?? [],
    removes: extra.removes ?? [],
  });
}

function alterTable(ctx: DiffContext, a: RelationInfo, b: RelationInfo): void {
  const tableName = `${a.schema}.${a.name}`;
  if (a.unlogged !== b.unlogged) {
    alterStatement(ctx, b, b.unlogged ? 'SET UNLOGGED' : 'SET LOGGED', [
      {
        code: 'rewrites-table',
        message: `changes the persistence of ${tableName}: rewrites the table under an ACCESS EXCLUSIVE lock`,
      },
    ]);
  }
  if (a.rowSecurity !== b.rowSecurity) {
    const action = `${b.rowSecurity ? 'ENABLE' : 'DISABLE'} ROW LEVEL SECURITY`;
    alterStatement(ctx, b, action, [hazards.changesAccess(`${action.toLowerCase()} on ${tableName}`)]);
  }
  if (a.forceRowSecurity !== b.forceRowSecurity) {
    const action = `${b.forceRowSecurity ? '' : 'NO '}FORCE ROW LEVEL SECURITY`;
    alterStatement(ctx, b, action, [hazards.changesAccess(`${action.toLowerCase()} on ${tableName}`)]);
  }
  const removedOptions = a.options
    .map((o) => o.split('=')[0]!)
    .filter((k) => !b.options.some((o) => o.split('=')[0] === k));
  if (removedOptions.length) alterStatement(ctx, b, `RESET (${removedOptions.join(', ')})`);
  const newOptions = b.options.filter((o) => !a.options.includes(o));
  if (newOptions.length) alterStatement(ctx, b, `SET (${newOptions.join(', ')})`);

  // Inheritance and partition links.
  for (const parentKey of a.inherits) {
    if (b.inherits.includes(parentKey)) continue;
    const parent = ctx.from.relations.get(parentKey)!;
    ctx.emit({
      sql: `ALTER TABLE ${relationName(b)} NO INHERIT ${relationName(parent)}`,
      object: { kind: 'table', name: tableName },
      action: 'alter',
      phase: Phase.dropTable,
      removes: [inheritanceKey(a.key, parentKey)],
    });
  }
  const partitionChanged = a.partitionOf !== b.partitionOf || a.partitionBound !== b.partitionBound;
  if (a.partitionOf && detachesPartition(a, b)) {
    const parent = ctx.from.relations.get(a.partitionOf)!;
    ctx.emit({
      sql: `ALTER TABLE ${relationName(parent)} DETACH PARTITION ${relationName(a)}`,
      object: { kind: 'table', name: tableName },
      action: 'alter',
      phase: Phase.dropTable,
      removes: [inheritanceKey(a.key, a.partitionOf)],
    });
  }

  if (!b.partitionOf) alterColumns(ctx, a, b);
  else partitionColumns(ctx, a, b);

  for (const parentKey of b.inherits) {
    if (a.inherits.includes(parentKey)) continue;
    const parent = ctx.to.relations.get(parentKey)!;
    ctx.emit({
      sql: `ALTER TABLE ${relationName(b)} INHERIT ${relationName(parent)}`,
      object: { kind: 'table', name: tableName },
      action: 'alter',
      phase: Phase.ownedBy,
      produces: [b.key],
      // The child must have each of the parent's columns (with its NOT NULL) before it can inherit.
      needs: [parentKey, ...parent.columns.map((c) => c.key), ...b.columns.map((c) => c.key)],
    });
  }
  if (b.partitionOf && partitionChanged) {
    const parent = ctx.to.relations.get(b.partitionOf)!;
    ctx.emit({
      sql: `ALTER TABLE ${relationName(parent)} ATTACH PARTITION ${relationName(b)} ${b.partitionBound}`,
      object: { kind: 'table', name: tableName },
      action: 'alter',
      phase: Phase.ownedBy,
      produces: [b.key],
      // Its columns and check constraints must match the parent's first.
      needs: [
        b.partitionOf,
        ...parent.columns.map((c) => c.key),
        ...b.columns.map((c) => c.key),
        `${b.key}#attach-checks`,
      ],
      hazards: [
        {
          code: 'validates-rows',
          message: `attaches ${tableName} as a partition: scans it to check the partition bound`,
        },
      ],
    });
  }
}

function alterColumns(ctx: DiffContext, a: RelationInfo, b: RelationInfo): void {
  const tableName = `${a.schema}.${a.name}`;
  const hasChildren = childrenOf(ctx.to.relations, b.key).some((r) => r.inherits.includes(b.key));
  const aColumns = new Map(a.columns.map((c) => [c.name, c]));

  // Dropped columns, and columns dropped to be added again.
  for (const column of a.columns) {
    if (!ctx.gone(column.key)) continue;
    if (!column.isLocal) {
      // An inherited column goes away with the parent's column, unless the parent's drop keeps it (ONLY).
      const parentColumn = inheritedFromOnlyDroppedColumn(ctx, a, column);
      if (!parentColumn) continue;
      ctx.emit({
        sql: `ALTER TABLE ${relationName(a)} DROP COLUMN ${ident(column.name)}`,
        object: { kind: 'column', name: `${tableName}.${column.name}` },
        action: 'drop',
        phase: Phase.alterTable,
        removes: [column.key, ...ownedSequencesOf(ctx, column.key), ...identitySequenceKeys(column)],
        needsRemoved: [parentColumn],
        destructive: true,
        hazards: [hazards.dropsData(`column ${tableName}.${column.name}`, `${tableName}.${column.name}`)],
      });
      continue;
    }
    const readded = ctx.recreated.has(column.key);
    // Children that keep a column their parent drops must keep its data: ONLY turns theirs into local columns.
    const only = !readded && childrenKeepingColumn(ctx, a, column.name).length > 0;
    ctx.emit({
      sql: `ALTER TABLE ${only ? 'ONLY ' : ''}${relationName(a)} DROP COLUMN ${ident(column.name)}`,
      object: { kind: 'column', name: `${tableName}.${column.name}` },
      action: 'drop',
      phase: Phase.alterTable,
      removes: [column.key, ...ownedSequencesOf(ctx, column.key), ...identitySequenceKeys(column)],
      destructive: true,
      hazards: [
        !readded
          ? hazards.dropsData(`column ${tableName}.${column.name}`, `${tableName}.${column.name}`)
          : ctx.noCast.has(column.key)
            ? hazards.dropsData(
                `column ${tableName}.${column.name} to add it again as ${newType(ctx, b, column.name)}: ${ctx.noCast.get(column.key)}, so its values cannot be converted`,
              )
            : hazards.dropsData(`column ${tableName}.${column.name} to add it again with a new generation expression`),
      ],
    });
  }

  for (const column of b.columns) {
    const old = aColumns.get(column.name);
    const columnName = `${tableName}.${column.name}`;
    if (!old || ctx.recreated.has(old.key)) {
      if (!column.isLocal && !old && arrivesFromParent(ctx, a, b, column)) {
        // Arrives with the parent's ADD COLUMN, carrying the parent's default and NOT NULL.
        inheritedDifferences(ctx, b, column);
        continue;
      }
      if (
        ctx.online(b.key) &&
        !column.identity &&
        column.generated === '' &&
        column.default !== null &&
        callsVolatileFunction(column.default)
      ) {
        addColumnWithVolatileDefault(ctx, b, column, columnDefinition(b, { ...column, default: null, notNull: false }));
        continue;
      }
      const columnHazards: Hazard[] = [];
      if (column.generated === 's')
        columnHazards.push({
          code: 'rewrites-table',
          message: `adds stored generated column ${columnName}: rewrites the table under an ACCESS EXCLUSIVE lock`,
        });
      else if (column.identity) columnHazards.push(hazards.volatileDefault(`identity column ${columnName}`));
      else if (column.default !== null && callsVolatileFunction(column.default))
        columnHazards.push(hazards.volatileDefault(`column ${columnName}`));
      else if (column.notNull && column.default === null)
        columnHazards.push(hazards.addNotNullColumn(`column ${columnName}`, tableName));
      ctx.emit({
        sql: `ALTER TABLE ${relationName(b)} ADD COLUMN ${columnDefinition(b, column)}`,
        object: { kind: 'column', name: columnName },
        action: 'create',
        phase: Phase.alterColumn,
        produces: [column.key],
        needs: [b.key],
        hazards: columnHazards,
      });
      continue;
    }
    // Inherited columns change through their parent; only their own default and NOT NULL are set here.
    const inheritedOnly = !column.isLocal && !old.isLocal;

    const retyped = ctx.retyped.has(old.key) && !inheritedOnly;
    const resetDefault = ctx.defaultReset.has(old.key) && old.default !== null && old.generated === '' && !old.identity;
    if (old.generated === 's' && column.generated === '') alterColumn(ctx, b, column, 'DROP EXPRESSION');
    if (resetDefault)
      alterColumn(ctx, b, column, 'DROP DEFAULT', { only: hasChildren, produces: [], removes: [`${old.key}#default`] });
    if (retyped && usesRecreatedRange(ctx, old)) {
      // Parked as text while its range type is dropped and created again; converted back below.
      const text = old.type.endsWith('[]') ? 'text[]' : 'text';
      ctx.emit({
        sql: `ALTER TABLE ${relationName(b)} ALTER COLUMN ${ident(column.name)} SET DATA TYPE ${text} USING ${ident(column.name)}::${text}`,
        object: { kind: 'column', name: columnName },
        action: 'alter',
        phase: Phase.alterColumn,
        removes: [`${old.key}#type`],
        needsRemoved: [...(ctx.from.dependents.get(old.key) ?? []), `${old.key}#default`],
        hazards: [hazards.rewritesTable(`column ${columnName} (${old.type} to ${text}, while its type is recreated)`)],
      });
    }
    if (retyped) {
      const collate = column.collation ? ` COLLATE ${column.collation}` : '';
      const how = plainType(ctx, old) && plainType(ctx, column) ? valueChangingConversion(old.type, column.type) : null;
      if (how) {
        // Stops the change when a value would be cut, rounded or refused: never changed silently.
        ctx.emit({
          sql: conversionGuard(relationName(b), `${b.schema}.${b.name}`, column.name, old.type, column.type, how),
          object: { kind: 'column', name: columnName },
          action: 'alter',
          phase: Phase.alterColumn,
          produces: [`${old.key}#guard`],
        });
      }
      // Strings convert by PostgreSQL's own assignment cast, which refuses a value too long where `USING ::varchar(n)` cuts it.
      const using =
        how && isStringType(old.type) && isStringType(column.type) ? '' : ` USING ${usingCast(ctx, old, column)}`;
      const typeHazards = isSafeTypeChange(old, column)
        ? []
        : [hazards.rewritesTable(`column ${columnName} (${old.type} to ${column.type})`)];
      if (how)
        typeHazards.push(
          hazards.narrowsType(
            `column ${columnName}`,
            old.type,
            column.type,
            `${how}; a guard before it fails the migration if any value would change`,
          ),
        );
      ctx.emit({
        sql: `ALTER TABLE ${relationName(b)} ALTER COLUMN ${ident(column.name)} SET DATA TYPE ${column.type}${collate}${using}`,
        object: { kind: 'column', name: columnName },
        action: 'alter',
        phase: Phase.alterColumn,
        produces: [column.key],
        needs: how ? [`${old.key}#guard`] : [],
        hazards: typeHazards,
      });
    }
    // Removes a part of the column (produces nothing of `to`: the column's new default, which may need a
    // sequence taking the identity sequence's name, is set after it).
    if (old.identity && !column.identity) {
      const counter = replacedCounter(ctx, column.key);
      if (counter) carryPosition(ctx, counter, column.key, { kind: 'column', name: columnName });
      alterColumn(ctx, b, column, 'DROP IDENTITY', {
        produces: [],
        removes: [`${old.key}#identity`, ...identitySequenceKeys(old)],
      });
    }
    const oldDefault = resetDefault ? null : plainDefault(old);
    const newDefault = plainDefault(column);
    if (oldDefault !== newDefault) {
      alterColumn(ctx, b, column, newDefault === null ? 'DROP DEFAULT' : `SET DEFAULT ${newDefault}`, {
        only: hasChildren,
      });
    }
    // A column must be NOT NULL before it becomes an identity column.
    if (!old.identity && column.identity) {
      // A serial column's counter goes away: its position is kept for the identity.
      const counter = replacedCounter(ctx, column.key);
      if (counter) carryPosition(ctx, counter, column.key, { kind: 'column', name: columnName });
      if (!old.notNull)
        alterColumn(ctx, b, column, 'SET NOT NULL', { hazards: [hazards.setNotNull(`column ${columnName}`)] });
      addIdentity(ctx, b, column);
    } else if (old.identity && column.identity) {
      if (old.identity !== column.identity)
        alterColumn(ctx, b, column, `SET GENERATED ${column.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT'}`);
      const [oldName, newName] = [old.identityOptions?.sequenceName, column.identityOptions?.sequenceName];
      if (oldName && newName && oldName !== newName && oldName.split('.')[0] === newName.split('.')[0]) {
        const schema = newName.split('.')[0]!;
        ctx.emit({
          sql: `ALTER SEQUENCE ${ident(schema)}.${ident(oldName.slice(schema.length + 1))} RENAME TO ${ident(newName.slice(schema.length + 1))}`,
          object: { kind: 'column', name: columnName },
          action: 'rename',
          phase: Phase.alterColumn,
          produces: [column.key],
          removes: [`seq:${oldName}`],
          needsRemoved: clashingSequences(ctx, newName),
        });
      }
      const sequenceChanges = identitySequenceChanges(old.identityOptions, column.identityOptions);
      if (sequenceChanges) {
        // Runs before anything alters the column (the sequence may be renamed there): it names the old sequence.
        const [schema, ...rest] = old.identityOptions!.sequenceName.split('.');
        moveIntoNewBounds(
          ctx,
          old.identityOptions!,
          column.identityOptions!,
          `${ident(schema!)}.${ident(rest.join('.'))}`,
          { removes: [`${old.key}#sequence-value`] },
          { kind: 'column', name: columnName },
        );
        const [was, will] = [old.identityOptions!, column.identityOptions!];
        const narrows = BigInt(will.min) > BigInt(was.min) || BigInt(will.max) < BigInt(was.max);
        alterColumn(ctx, b, column, sequenceChanges, {
          hazards: narrows ? [hazards.sequenceBounds(`the identity of column ${columnName}`)] : [],
        });
      }
    }
    const oldNotNull = old.notNull || (!old.identity && !!column.identity);
    if (!oldNotNull && column.notNull && ctx.online(b.key)) {
      setNotNullOnline(ctx, b, column);
    } else if (!oldNotNull && column.notNull) {
      alterColumn(ctx, b, column, 'SET NOT NULL', { hazards: [hazards.setNotNull(`column ${columnName}`)] });
    } else if (oldNotNull && !column.notNull) {
      alterColumn(ctx, b, column, 'DROP NOT NULL');
    }
  }
}

function newType(ctx: DiffContext, b: RelationInfo, name: string): string {
  return ctx.to.relations.get(b.key)?.columns.find((c) => c.name === name)?.type ?? '?';
}

/**
 * Plain-inheritance children (in `from`) whose column of this name exists only through inheritance from
 * `parent` and that still have the column in `to`: dropping the parent's column would drop theirs too.
 */
function childrenKeepingColumn(ctx: DiffContext, parent: RelationInfo, name: string): RelationInfo[] {
  return childrenOf(ctx.from.relations, parent.key).filter((child) => {
    if (!child.inherits.includes(parent.key) || ctx.gone(child.key)) return false;
    const column = child.columns.find((c) => c.name === name);
    if (!column || column.isLocal || column.inheritedCount !== 1) return false;
    return !!ctx.to.relations.get(child.key)?.columns.some((c) => c.name === name);
  });
}

/**
 * The `col:` key of the parent column an inherited column of `child` comes from, when that parent column
 * is dropped with ONLY (another child keeps it): the child's column then survives as a local one and
 * needs a DROP COLUMN of its own, after the parent's.
 */
function inheritedFromOnlyDroppedColumn(ctx: DiffContext, child: RelationInfo, column: ColumnInfo): string | null {
  if (column.inheritedCount !== 1) return null;
  for (const parentKey of child.inherits) {
    const parent = ctx.from.relations.get(parentKey);
    const parentColumn = parent?.columns.find((c) => c.name === column.name);
    if (!parent || !parentColumn?.isLocal || !ctx.dropped.has(parentColumn.key) || ctx.gone(parent.key)) continue;
    if (childrenKeepingColumn(ctx, parent, column.name).length > 0) return parentColumn.key;
  }
  return null;
}

/** Sequences of `from` that go away and hold the name a new identity sequence needs. */
function clashingSequences(ctx: DiffContext, qualifiedName: string): string[] {
  return [...ctx.from.sequences.values()]
    .filter((s) => `${s.schema}.${s.name}` === qualifiedName && ctx.gone(s.key))
    .map((s) => s.key);
}

/**
 * Makes an existing column an identity column. Its sequence takes the default name, so a serial sequence
 * of that name that goes away is dropped first. Rows already hold values: the new sequence is moved past
 * them, or the next insert would collide, and never below the position of the serial counter it replaces
 * (carryPosition): an id issued and deleted is not issued again.
 */
function addIdentity(ctx: DiffContext, b: RelationInfo, column: ColumnInfo): void {
  const identityKey = `${column.key}#identity`;
  const name = column.identityOptions?.sequenceName ?? `${b.schema}.${b.name}_${column.name}_seq`;
  ctx.emit({
    sql: `ALTER TABLE ${relationName(b)} ALTER COLUMN ${ident(column.name)} ADD ${identityClause(b, column)}`,
    object: { kind: 'column', name: `${b.schema}.${b.name}.${column.name}` },
    action: 'alter',
    phase: Phase.alterColumn,
    produces: [identityKey],
    needs: [column.key],
    needsRemoved: clashingSequences(ctx, name),
  });
  const options = column.identityOptions;
  if (options && !options.increment.startsWith('-')) {
    const table = relationName(b);
    ctx.emit({
      sql:
        `SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence(${literal(table)}, ${literal(column.name)}), ` +
        `${nextCounterValue(ctx, column.key, `MAX(${ident(column.name)})`, options.start)}, false) FROM ${table}`,
      object: { kind: 'column', name: `${b.schema}.${b.name}.${column.name}` },
      action: 'alter',
      phase: Phase.alterColumn,
      produces: [`${identityKey}#position`],
      needs: [identityKey],
    });
  }
}

function ownedSequencesOf(ctx: DiffContext, columnKey: string): string[] {
  return [...ctx.from.sequences.values()].filter((s) => s.ownedBy === columnKey).map((s) => s.key);
}

function identitySequenceChanges(a: IdentityOptions | null, b: IdentityOptions | null): string | null {
  if (!a || !b) return null;
  const parts: string[] = [];
  if (a.increment !== b.increment) parts.push(`SET INCREMENT BY ${b.increment}`);
  if (a.min !== b.min) parts.push(`SET MINVALUE ${b.min}`);
  if (a.max !== b.max) parts.push(`SET MAXVALUE ${b.max}`);
  if (a.start !== b.start) parts.push(`SET START WITH ${b.start}`);
  if (a.cache !== b.cache) parts.push(`SET CACHE ${b.cache}`);
  if (a.cycle !== b.cycle) parts.push(b.cycle ? 'SET CYCLE' : 'SET NO CYCLE');
  return parts.length ? parts.join(' ') : null;
}

/** Whether a column (or an array column) is of a range type that is dropped and created again. */
function usesRecreatedRange(ctx: DiffContext, column: ColumnInfo): boolean {
  if (isRecreatedRange(ctx, ctx.from.typeKeysByOid.get(column.typeOid))) return true;
  const bare = column.type.replace(/\[\]$/, '');
  return [...ctx.from.ranges.values()].some(
    (r) =>
      isRecreatedRange(ctx, r.key) &&
      (bare === `${r.schema}.${r.name}` || bare === `${ident(r.schema)}.${ident(r.name)}`),
  );
}

function isEnumLike(ctx: DiffContext, typeText: string, side: 'from' | 'to'): boolean {
  const catalog = side === 'from' ? ctx.from : ctx.to;
  const bare = typeText.replace(/\[\]$/, '');
  for (const e of catalog.enums.values())
    if (`${ident(e.schema)}.${ident(e.name)}` === bare || `${e.schema}.${e.name}` === bare) return true;
  return false;
}

/**
 * The USING expression of a column type change: enums only convert through text; a recreated composite
 * type is rebuilt from the old value's attributes (new ones NULL), keeping NULL values NULL.
 */
function usingCast(ctx: DiffContext, old: ColumnInfo, column: ColumnInfo): string {
  const array = column.type.endsWith('[]');
  if (column.type === 'text' || column.type === 'text[]') return `${ident(column.name)}::${column.type}`;
  const before = ctx.from.compositeTypes.get(ctx.from.typeKeysByOid.get(old.typeOid) ?? '');
  const after = ctx.to.compositeTypes.get(ctx.to.typeKeysByOid.get(column.typeOid) ?? '');
  if (before && after) {
    const value = ident(column.name);
    const kept = new Set(before.attributes.map((x) => x.name));
    const fields = after.attributes.map((x) =>
      kept.has(x.name) ? `(${value}).${ident(x.name)}::${x.type}` : `NULL::${x.type}`,
    );
    return `CASE WHEN pg_catalog.num_nulls(${value}) = 1 THEN NULL ELSE ROW(${fields.join(', ')})::${column.type} END`;
  }
  if (isEnumLike(ctx, old.type, 'from') || isEnumLike(ctx, column.type, 'to')) {
    return `${ident(column.name)}::text${array ? '[]' : ''}::${column.type}`;
  }
  return `${ident(column.name)}::${column.type}`;
}

/** A built-in type (not an enum, domain, composite or range of this schema, which convert their own way). */
function plainType(ctx: DiffContext, column: ColumnInfo): boolean {
  return (
    !/[."]/.test(column.type) &&
    !isEnumLike(ctx, column.type, 'from') &&
    !isEnumLike(ctx, column.type, 'to') &&
    !usesRecreatedRange(ctx, column)
  );
}

function isStringType(type: string): boolean {
  const { base, array } = parseType(type);
  return !array && ['text', 'character varying', 'character'].includes(base);
}

/** Type changes PostgreSQL makes without a rewrite and that cannot fail: widening varchar, varchar to text. */
export function isSafeTypeChange(a: ColumnInfo, b: ColumnInfo): boolean {
  if (a.type === b.type) return a.collation === b.collation;
  const varchar = /^character varying(?:\((\d+)\))?$/;
  const va = varchar.exec(a.type);
  if (va && (b.type === 'text' || b.type === 'character varying')) return true;
  const vb = varchar.exec(b.type);
  if (va && vb) return vb[1] === undefined || (va[1] !== undefined && Number(vb[1]) >= Number(va[1]));
  const numeric = /^numeric(?:\((\d+),(\d+)\))?$/;
  const na = numeric.exec(a.type);
  const nb = numeric.exec(b.type);
  if (na && nb)
    return nb[1] === undefined || (na[1] !== undefined && na[2] === nb[2] && Number(nb[1]) >= Number(na[1]));
  if (a.type === 'text' && b.type === 'character varying') return true;
  return false;
}
