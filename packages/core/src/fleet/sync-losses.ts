/**
 * What a sync will lose, read before anything runs: from the live catalog, the goal catalog and the
 * statements the differ planned (tables and columns dropped, recreated or gone from the goal, types
 * narrowed, enum values removed), named as data-loss/measure names what a run measures. The dry run and
 * the real run refuse on it alike; the real run still measures by OID in its transaction, as a backstop.
 */
import { valueChangingConversion } from '../diff/conversions';
import { hazards } from '../diff/hazards';
import type { Catalog, RelationInfo } from '../diff/catalog';
import type { DiffStatement } from '../diff/types';
import type { DataLoss } from '../data-loss/measure';

const isTable = (r: RelationInfo) => r.kind === 'table' || r.kind === 'partitioned table';

function tablesByName(catalog: Catalog): Map<string, RelationInfo> {
  return new Map([...catalog.relations.values()].filter(isTable).map((r) => [`${r.schema}.${r.name}`, r]));
}

/** The data losses of taking `live` to `goal` with `statements`, sorted as dataLosses sorts them. */
export function predictedLosses(live: Catalog, goal: Catalog, statements: readonly DiffStatement[]): DataLoss[] {
  const liveTables = tablesByName(live);
  const goalTables = tablesByName(goal);
  const dropped = (kind: string) =>
    new Set(statements.filter((s) => s.action === 'drop' && s.object.kind === kind).map((s) => s.object.name));
  const droppedTables = dropped('table');
  const droppedColumns = dropped('column');
  const losses: DataLoss[] = [];
  for (const [name, table] of liveTables) {
    const kept = goalTables.get(name);
    if (!kept || droppedTables.has(name)) {
      losses.push({ code: 'drops-data', object: name, message: hazards.dropsData(`table ${name}`).message });
      continue;
    }
    const keptColumns = new Map(kept.columns.map((c) => [c.name, c]));
    for (const column of table.columns) {
      const object = `${name}.${column.name}`;
      const now = keptColumns.get(column.name);
      if (!now || droppedColumns.has(object)) {
        losses.push({ code: 'drops-data', object, message: hazards.dropsData(`column ${object}`).message });
        continue;
      }
      const how = valueChangingConversion(column.type, now.type);
      if (how)
        losses.push({
          code: 'narrows-type',
          object,
          message: hazards.narrowsType(`column ${object}`, column.type, now.type, how).message,
          conversion: { from: column.type, to: now.type },
        });
    }
  }
  const goalEnums = new Map([...goal.enums.values()].map((e) => [`${e.schema}.${e.name}`, e]));
  for (const type of live.enums.values()) {
    const name = `${type.schema}.${type.name}`;
    const now = goalEnums.get(name);
    if (!now) continue; // a dropped enum: the columns using it are dropped or retyped, and say so
    for (const label of type.labels.filter((l) => !now.labels.includes(l)))
      losses.push({
        code: 'enum-recreated',
        object: `${name}.${label}`,
        message: hazards.removesEnumValue(`enum ${name}`, label).message,
      });
  }
  return losses.sort((a, b) => a.object.localeCompare(b.object) || a.code.localeCompare(b.code));
}
