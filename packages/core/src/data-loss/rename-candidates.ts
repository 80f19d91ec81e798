import { ident, qualified } from '../diff/sql';
import { RENAME_TRAILER } from '../intent/acknowledgements';
import type { DataInventory } from './measure';

/** A drop and an add that may be one rename: the ready RENAME and the trailer that declares it. */
export interface RenameCandidate {
  /** `public.products.title -> name`, as a DB-Migrate-Rename trailer takes it. */
  readonly rename: string;
  readonly sql: string;
  readonly trailer: string;
}

function byName(inventory: DataInventory): Map<string, Map<string, string>> {
  return new Map(
    [...inventory.tables.values()].map((t) => [t.name, new Map([...t.columns.values()].map((c) => [c.name, c.type]))]),
  );
}

function split(qualifiedName: string): [string, string] {
  const dot = qualifiedName.indexOf('.');
  return [qualifiedName.slice(0, dot), qualifiedName.slice(dot + 1)];
}

function shape(columns: Map<string, string>): string {
  return [...columns]
    .map(([n, t]) => `${n} ${t}`)
    .sort()
    .join(', ');
}

/**
 * Possible renames between two schemas, undeclared: a table that loses a column and gains one of the same
 * type, or a table dropped while one of the same columns and types is added. Each removed object pairs
 * with at most one added object, first match in name order.
 */
export function renameCandidates(base: DataInventory, goal: DataInventory): RenameCandidate[] {
  const before = byName(base);
  const after = byName(goal);
  const out: RenameCandidate[] = [];
  const add = (rename: string, sql: string) => out.push({ rename, sql, trailer: `${RENAME_TRAILER}: ${rename}` });
  for (const [table, columns] of before) {
    const now = after.get(table);
    if (!now) continue;
    const added = [...now].filter(([name]) => !columns.has(name));
    for (const [name, type] of columns) {
      if (now.has(name)) continue;
      const index = added.findIndex(([, t]) => t === type);
      if (index < 0) continue;
      const [newName] = added.splice(index, 1)[0]!;
      const [schema, bare] = split(table);
      add(
        `${table}.${name} -> ${newName}`,
        `ALTER TABLE ${qualified(schema, bare)} RENAME COLUMN ${ident(name)} TO ${ident(newName)}`,
      );
    }
  }
  const addedTables = [...after].filter(([name]) => !before.has(name));
  for (const [table, columns] of before) {
    if (after.has(table)) continue;
    const index = addedTables.findIndex(
      ([name, c]) => split(name)[0] === split(table)[0] && shape(c) === shape(columns),
    );
    if (index < 0) continue;
    const [newTable] = addedTables.splice(index, 1)[0]!;
    const [schema, bare] = split(table);
    const newName = split(newTable)[1];
    add(`${table} -> ${newName}`, `ALTER TABLE ${qualified(schema, bare)} RENAME TO ${ident(newName)}`);
  }
  return out;
}
