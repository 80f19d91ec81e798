import type { DiffStatement } from '../diff/types';

/** The name used when a change gives nothing better to name the migration after. */
export const FALLBACK_MIGRATION_NAME = 'schema_change';

/** `public.orders` -> `orders`: the default schema adds nothing to a file name. */
function shortName(qualified: string): string {
  return qualified.replace(/^public\./, '');
}

/** "orders", "orders_and_invoices", "orders_and_2_more". */
function list(names: readonly string[]): string {
  if (names.length <= 2) return names.join('_and_');
  return `${names[0]}_and_${names.length - 1}_more`;
}

/**
 * A name for a migration, read from what it does, most telling change first: tables created, columns
 * added, tables dropped, columns dropped, then the first statement's action and object. The result is
 * slugified into the file name by the store (0007_create_orders.sql).
 */
export function migrationNameFor(statements: readonly DiffStatement[]): string {
  const names = (kind: string, action: string) => [
    ...new Set(
      statements.filter((s) => s.object.kind === kind && s.action === action).map((s) => shortName(s.object.name)),
    ),
  ];
  const createdTables = names('table', 'create');
  if (createdTables.length > 0) return `create_${list(createdTables)}`;

  const addedColumns = names('column', 'create');
  if (addedColumns.length > 0) {
    const tables = [...new Set(addedColumns.map((c) => c.slice(0, c.lastIndexOf('.'))))];
    if (addedColumns.length === 1) return `add_${addedColumns[0]}`;
    if (tables.length === 1) return `add_columns_to_${tables[0]}`;
    return `add_columns_to_${list(tables)}`;
  }

  const droppedTables = names('table', 'drop');
  if (droppedTables.length > 0) return `drop_${list(droppedTables)}`;
  const droppedColumns = names('column', 'drop');
  if (droppedColumns.length > 0) return `drop_${list(droppedColumns)}`;

  const first = statements[0];
  if (!first) return FALLBACK_MIGRATION_NAME;
  return `${first.action}_${first.object.kind}_${shortName(first.object.name)}`;
}
