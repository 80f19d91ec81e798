/**
 * Reading and writing the record of applied migrations: sql-migrate's gorp_migrations table, exactly as
 * sql-migrate creates it, plus db-migrate's checksum of each file it applied, kept apart in the
 * db_migrate schema so the sql-migrate CLI keeps working on the same database.
 */
import type { Client } from 'pg';
import { BOOKKEEPING_SCHEMA, TRACKING_SCHEMA, TRACKING_TABLE } from '../tracking';

export const CHECKSUM_TABLE = 'applied_checksums';

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
const trackingTable = `${quote(TRACKING_SCHEMA)}.${quote(TRACKING_TABLE)}`;
const checksumTable = `${quote(BOOKKEEPING_SCHEMA)}.${quote(CHECKSUM_TABLE)}`;

export interface AppliedMigration {
  /** The migration's file name. */
  readonly id: string;
  readonly appliedAt?: Date;
  /** sha256Checksum of the file when db-migrate applied it; absent when another tool applied it. */
  readonly checksum?: string;
}

async function relationExists(client: Client, qualifiedName: string): Promise<boolean> {
  const { rows } = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [qualifiedName]);
  return rows[0].exists;
}

/**
 * Creates the tracking tables when absent. Checks first rather than relying on IF NOT EXISTS, because
 * CREATE SCHEMA checks the CREATE privilege even when the schema exists.
 */
export async function ensureTrackingTables(client: Client): Promise<void> {
  if (!(await relationExists(client, trackingTable))) {
    // sql-migrate's own DDL (through gorp), so both tools see the same table.
    await client.query(`CREATE TABLE IF NOT EXISTS ${trackingTable} (id text not null primary key, applied_at timestamp with time zone)`);
  }
  if (!(await relationExists(client, checksumTable))) {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quote(BOOKKEEPING_SCHEMA)}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${checksumTable} (id text primary key, checksum text not null, recorded_at timestamp with time zone not null default now())`,
    );
  }
}

/** Every applied migration, with db-migrate's checksum when it has one. Creates nothing. */
export async function readAppliedMigrations(client: Client): Promise<AppliedMigration[]> {
  if (!(await relationExists(client, trackingTable))) return [];
  const withChecksums = await relationExists(client, checksumTable);
  const { rows } = await client.query<{ id: string; applied_at: Date | null; checksum: string | null }>(
    withChecksums
      ? `SELECT t.id, t.applied_at, c.checksum FROM ${trackingTable} t LEFT JOIN ${checksumTable} c ON c.id = t.id ORDER BY t.id`
      : `SELECT id, applied_at, NULL AS checksum FROM ${trackingTable} ORDER BY id`,
  );
  return rows.map((r) => ({ id: r.id, ...(r.applied_at ? { appliedAt: r.applied_at } : {}), ...(r.checksum ? { checksum: r.checksum } : {}) }));
}

/** The ids (file names) in gorp_migrations; empty when the table does not exist yet. */
export async function readAppliedIds(client: Client): Promise<string[]> {
  return (await readAppliedMigrations(client)).map((m) => m.id);
}

/** Records a migration as applied. Runs inside the caller's transaction when there is one. */
export async function recordApplied(client: Client, id: string, checksum: string): Promise<void> {
  await client.query(`INSERT INTO ${trackingTable} (id, applied_at) VALUES ($1, now())`, [id]);
  await client.query(
    `INSERT INTO ${checksumTable} (id, checksum) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET checksum = EXCLUDED.checksum, recorded_at = now()`,
    [id, checksum],
  );
}

/** Removes a reverted migration's records. Runs inside the caller's transaction when there is one. */
export async function removeApplied(client: Client, id: string): Promise<void> {
  await client.query(`DELETE FROM ${trackingTable} WHERE id = $1`, [id]);
  await client.query(`DELETE FROM ${checksumTable} WHERE id = $1`, [id]);
}

/** A string literal that reads the same whatever standard_conforming_strings says. */
function sqlLiteral(value: string): string {
  const quoted = "'" + value.replace(/'/g, "''") + "'";
  return value.includes('\\') ? 'E' + quoted.replace(/\\/g, '\\\\') : quoted;
}

/**
 * What recordApplied (up) or removeApplied (down) runs, as statements with their values inlined, so the
 * record can share a round trip with the COMMIT that follows it.
 */
export function recordingStatements(direction: 'up' | 'down', id: string, checksum: string): string[] {
  if (direction === 'down') return [`DELETE FROM ${trackingTable} WHERE id = ${sqlLiteral(id)}`, `DELETE FROM ${checksumTable} WHERE id = ${sqlLiteral(id)}`];
  return [
    `INSERT INTO ${trackingTable} (id, applied_at) VALUES (${sqlLiteral(id)}, now())`,
    `INSERT INTO ${checksumTable} (id, checksum) VALUES (${sqlLiteral(id)}, ${sqlLiteral(checksum)}) ` +
      `ON CONFLICT (id) DO UPDATE SET checksum = EXCLUDED.checksum, recorded_at = now()`,
  ];
}

/**
 * Records migrations as applied without running them (a baseline: the schema is already there), in ONE
 * transaction together with the tracking tables it may create, so either every row lands or nothing,
 * not even an empty table, is left behind. The advisory lock keeps other db-migrate runs out but not the
 * sql-migrate CLI, so gorp_migrations is locked against inserts and read again inside the transaction:
 * when it is no longer empty, nothing is recorded and the ids found are returned.
 */
export async function recordBaseline(
  client: Client,
  migrations: readonly { readonly fileName: string; readonly checksum: string }[],
  session: { readonly lockTimeoutMs?: number; readonly statementTimeoutMs?: number } = {},
): Promise<{ readonly recorded: boolean; readonly existing: readonly string[] }> {
  try {
    await client.query('BEGIN');
    if (session.lockTimeoutMs !== undefined) await client.query(`SET LOCAL lock_timeout = ${Math.floor(session.lockTimeoutMs)}`);
    if (session.statementTimeoutMs !== undefined) await client.query(`SET LOCAL statement_timeout = ${Math.floor(session.statementTimeoutMs)}`);
    await ensureTrackingTables(client);
    // SHARE ROW EXCLUSIVE conflicts with the ROW EXCLUSIVE lock an INSERT takes: sql-migrate's
    // transaction in progress finishes first, and none starts until this one ends.
    await client.query(`LOCK TABLE ${trackingTable} IN SHARE ROW EXCLUSIVE MODE`);
    const { rows } = await client.query<{ id: string }>(`SELECT id FROM ${trackingTable} ORDER BY id`);
    if (rows.length > 0) {
      await client.query('ROLLBACK');
      return { recorded: false, existing: rows.map((r) => r.id) };
    }
    for (const migration of migrations) await recordApplied(client, migration.fileName, migration.checksum);
    await client.query('COMMIT');
    return { recorded: true, existing: [] };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
