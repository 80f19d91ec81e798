/**
 * Where applied migrations are recorded. `gorp_migrations` is sql-migrate's table (id = file name,
 * applied_at), kept exactly as sql-migrate creates it so a database moves between the sql-migrate CLI
 * and db-migrate in both directions. db-migrate's own bookkeeping (checksums, locks) lives in the
 * `db_migrate` schema, which sql-migrate never looks at.
 *
 * None of these objects is part of the user's schema: the differ leaves them out of every comparison.
 */
/** gorp_migrations follows the role's search_path (applier/bookkeeping.ts). */
export const TRACKING_TABLE = 'gorp_migrations';
export const BOOKKEEPING_SCHEMA = 'db_migrate';

/**
 * True for a relation that belongs to migration bookkeeping, not to the schema being migrated:
 * gorp_migrations in whichever schema the role's search_path put it, and all of db_migrate.
 */
export function isBookkeepingRelation(schema: string, name: string): boolean {
  return schema === BOOKKEEPING_SCHEMA || name === TRACKING_TABLE;
}
