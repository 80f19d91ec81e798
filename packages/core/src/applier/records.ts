/**
 * Reading and writing the record of applied migrations: sql-migrate's gorp_migrations table, exactly as
 * sql-migrate creates and finds it (bookkeeping.ts), plus db-migrate's checksum of each file it applied,
 * kept apart in the db_migrate schema so the sql-migrate CLI keeps working on the same database.
 *
 * Reading needs only SELECT on gorp_migrations (status and drift work as a read-only role); checksums
 * the role cannot read are unknown. Writing first checks the bookkeeping (location, owner, triggers,
 * rights) and creates what is missing in one transaction, so a failure leaves nothing behind.
 */
import type { Client } from 'pg';
import { ConfigurationError } from '../errors';
import { runBatch } from '../pg/batch';
import { BOOKKEEPING_SCHEMA } from '../tracking';
import {
  type Bookkeeping,
  CHECKSUM_TABLE,
  checkWritable,
  inspectBookkeeping,
  quoteIdent,
  trackingProblem,
  unwritableReason,
} from './bookkeeping';

export { CHECKSUM_TABLE } from './bookkeeping';

const checksumTable = `${quoteIdent(BOOKKEEPING_SCHEMA)}.${quoteIdent(CHECKSUM_TABLE)}`;

/** The tables writes go to, resolved once per connection (a migration's SET search_path cannot move them). */
const resolvedTables = new WeakMap<Client, string>();

export interface AppliedMigration {
  /** The migration's file name. */
  readonly id: string;
  readonly appliedAt?: Date;
  /** sha256Checksum of the file when db-migrate applied it; absent when another tool applied it (or it cannot be read). */
  readonly checksum?: string;
}

export interface AppliedRecords {
  readonly applied: AppliedMigration[];
  /** Said once per database: why checksums are unknown (the role cannot read them). */
  readonly notes: readonly string[];
  /** Why this role could not record a migration here (read with the records, so a dry run says it too). */
  readonly unwritable?: string;
}

/**
 * Makes sure the bookkeeping exists and may be written by this role, creating what is missing in one
 * transaction. Throws a ConfigurationError naming the missing right, a foreign owner, a trigger, or a
 * search_path on which sql-migrate would use another table; nothing is created then.
 */
export async function ensureTrackingTables(
  client: Client,
  database = '',
  options: { readonly inTransaction?: boolean } = {},
): Promise<BookkeepingPresence> {
  const bookkeeping = await inspectBookkeeping(client);
  const before = { tracking: !!bookkeeping.tracking, schema: !!bookkeeping.schema, checksums: !!bookkeeping.checksums };
  checkWritable(bookkeeping, database);
  const tracking = bookkeeping.trackingTable!;
  if (!bookkeeping.tracking || !bookkeeping.schema || !bookkeeping.checksums) {
    // sql-migrate's own DDL (through gorp), so both tools see the same table; one round trip.
    const creates = [
      ...(bookkeeping.tracking
        ? []
        : [`CREATE TABLE ${tracking} (id text not null primary key, applied_at timestamp with time zone)`]),
      ...(bookkeeping.schema ? [] : [`CREATE SCHEMA ${quoteIdent(BOOKKEEPING_SCHEMA)}`]),
      ...(bookkeeping.checksums
        ? []
        : [
            `CREATE TABLE ${checksumTable} (id text primary key, checksum text not null, recorded_at timestamp with time zone not null default now())`,
          ]),
    ];
    // Inside the caller's transaction (a baseline) its COMMIT or ROLLBACK covers these too.
    const own = !options.inTransaction;
    const created = await runBatch(client, own ? ['BEGIN', ...creates, 'COMMIT'] : creates);
    if (created.failure) {
      if (own) await client.query('ROLLBACK').catch(() => undefined);
      throw created.failure.error;
    }
  }
  resolvedTables.set(client, tracking);
  return before;
}

async function trackingTableFor(
  client: Client,
  database: string,
): Promise<{ table?: string; bookkeeping: Bookkeeping }> {
  const bookkeeping = await inspectBookkeeping(client);
  const problem = trackingProblem(bookkeeping);
  if (problem) throw new ConfigurationError(database ? `${database}: ${problem}` : problem);
  if (!bookkeeping.tracking) return { bookkeeping };
  if (!bookkeeping.tracking.canRead) {
    throw new ConfigurationError(
      `${database ? database + ': ' : ''}role ${bookkeeping.role} cannot read ${bookkeeping.tracking.label}: GRANT USAGE ON SCHEMA ${quoteIdent(bookkeeping.trackingSchema!)} TO ${quoteIdent(bookkeeping.role)}; ` +
        `GRANT SELECT ON ${bookkeeping.tracking.qualified} TO ${quoteIdent(bookkeeping.role)}`,
    );
  }
  return { table: bookkeeping.tracking.qualified, bookkeeping };
}

/** Every applied migration, with db-migrate's checksum when it has one and may read it. Creates nothing. */
export async function readAppliedRecords(client: Client, database = ''): Promise<AppliedRecords> {
  const { table, bookkeeping } = await trackingTableFor(client, database);
  const unwritable = unwritableReason(bookkeeping, database);
  const refusal = unwritable ? { unwritable } : {};
  if (!table) return { applied: [], notes: [], ...refusal };
  const checksums = bookkeeping.checksums;
  const readable = !!checksums?.canRead;
  const notes =
    checksums && !readable
      ? [
          `role ${bookkeeping.role} cannot read ${checksums.label}: whether applied files changed since is unknown (GRANT USAGE ON SCHEMA ${BOOKKEEPING_SCHEMA}, SELECT ON ${checksumTable} to know)`,
        ]
      : [];
  const { rows } = await client.query<{ id: string; applied_at: Date | null; checksum: string | null }>(
    readable
      ? `SELECT t.id, t.applied_at, c.checksum FROM ${table} t LEFT JOIN ${checksumTable} c ON c.id = t.id ORDER BY t.id`
      : `SELECT id, applied_at, NULL AS checksum FROM ${table} ORDER BY id`,
  );
  const applied = rows.map((r) => ({
    id: r.id,
    ...(r.applied_at ? { appliedAt: r.applied_at } : {}),
    ...(r.checksum ? { checksum: r.checksum } : {}),
  }));
  return { applied, notes, ...refusal };
}

/** Every applied migration (see readAppliedRecords). Creates nothing. */
export async function readAppliedMigrations(client: Client, database?: string): Promise<AppliedMigration[]> {
  return (await readAppliedRecords(client, database)).applied;
}

async function writableTrackingTable(client: Client): Promise<string> {
  const known = resolvedTables.get(client);
  if (known) return known;
  await ensureTrackingTables(client);
  return resolvedTables.get(client)!;
}

/** Records a migration as applied. Runs inside the caller's transaction when there is one. */
async function recordApplied(client: Client, id: string, checksum: string): Promise<void> {
  const table = await writableTrackingTable(client);
  await client.query(`INSERT INTO ${table} (id, applied_at) VALUES ($1, now())`, [id]);
  await client.query(
    `INSERT INTO ${checksumTable} (id, checksum) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET checksum = EXCLUDED.checksum, recorded_at = now()`,
    [id, checksum],
  );
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
export async function recordingStatements(
  client: Client,
  direction: 'up' | 'down',
  id: string,
  checksum: string,
): Promise<string[]> {
  const trackingTable = await writableTrackingTable(client);
  if (direction === 'down')
    return [
      `DELETE FROM ${trackingTable} WHERE id = ${sqlLiteral(id)}`,
      `DELETE FROM ${checksumTable} WHERE id = ${sqlLiteral(id)}`,
    ];
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
    if (session.lockTimeoutMs !== undefined)
      await client.query(`SET LOCAL lock_timeout = ${Math.floor(session.lockTimeoutMs)}`);
    if (session.statementTimeoutMs !== undefined)
      await client.query(`SET LOCAL statement_timeout = ${Math.floor(session.statementTimeoutMs)}`);
    await ensureTrackingTables(client, undefined, { inTransaction: true });
    const table = resolvedTables.get(client)!;
    // SHARE ROW EXCLUSIVE conflicts with the ROW EXCLUSIVE lock an INSERT takes: sql-migrate's
    // transaction in progress finishes first, and none starts until this one ends.
    await client.query(`LOCK TABLE ${table} IN SHARE ROW EXCLUSIVE MODE`);
    const { rows } = await client.query<{ id: string }>(`SELECT id FROM ${table} ORDER BY id`);
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

/** Which of the bookkeeping objects existed before a run (ensureTrackingTables says), to undo what a failed first run created. */
export interface BookkeepingPresence {
  readonly tracking: boolean;
  readonly schema: boolean;
  readonly checksums: boolean;
}

/**
 * Drops the bookkeeping a run created (absent in `before`) when it holds no row: a refused or failed
 * first run leaves the database as it found it. gorp_migrations is locked against sql-migrate's inserts
 * while it is checked and dropped; a lock not granted at once (someone uses it) leaves everything.
 */
export async function removeCreatedBookkeeping(client: Client, before: BookkeepingPresence): Promise<void> {
  const tracking = resolvedTables.get(client) ?? (await inspectBookkeeping(client)).trackingTable;
  try {
    await client.query('BEGIN');
    await client.query("SET LOCAL lock_timeout = '2s'");
    if (!before.tracking && tracking) {
      await client.query(`LOCK TABLE ${tracking} IN ACCESS EXCLUSIVE MODE`);
      const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${tracking}`);
      if (rows[0].n !== '0') {
        await client.query('ROLLBACK');
        return;
      }
      await client.query(`DROP TABLE ${tracking}`);
      resolvedTables.delete(client);
    }
    if (!before.checksums) await client.query(`DROP TABLE IF EXISTS ${checksumTable}`);
    if (!before.schema) await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(BOOKKEEPING_SCHEMA)}`);
    await client.query('COMMIT');
  } catch {
    // Leaving empty bookkeeping behind is harmless; the run's own error is what matters.
    await client.query('ROLLBACK').catch(() => undefined);
  }
}

/** True when the database holds tables of its own (outside the system schemas and the bookkeeping). */
export async function hasUserTables(client: Client): Promise<boolean> {
  const { rows } = await client.query(
    `SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', $1) AND n.nspname NOT LIKE 'pg\\_%'
        AND c.relname <> 'gorp_migrations' LIMIT 1`,
    [BOOKKEEPING_SCHEMA],
  );
  return rows.length > 0;
}
