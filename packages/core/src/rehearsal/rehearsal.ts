/**
 * The rehearsal engine: migrations, or a change's statements, run on a throwaway copy the way the real
 * run runs them (the migrator's up and down, under the migration lock), with what they change measured
 * around each step: what holds data, the row counts, the values of surviving rows, the locks. Verify's
 * data check and destructive-change gate, apply's pre-flight and create's split all rehearse here.
 * One connection per rehearsal; the copy's lifetime stays with the caller, or with rehearseOnCopy.
 */
import type { Client } from 'pg';
import { downLocked, up, upLocked } from '../applier/migrator';
import { holdDatabaseLock } from '../applier/lock';
import type { MigrationRun } from '../applier/result';
import { ident } from '../diff/sql';
import { describeDatabase } from '../database-url';
import { errorMessage } from '../errors';
import { type DataInventory, type DataLoss, readDataInventory } from '../data-loss/measure';
import { type Logger, silentLogger } from '../logger';
import type { MigrationSet } from '../migrations/store';
import { connectDatabase } from '../pg/connect';
import { type FillResult, fillEmptyTables } from '../seed/fill';
import { countRows, type RowCounts } from '../seed/rows';
import { runUserSeed, type UserSeed } from '../seed/user-seed';
import type { ShadowDatabase } from '../shadow/types';
import { type LocksMeasured, measureLocks } from './locks';
import type { MigrationEntry } from '../verify/numbering';
import { readValues, type ValueSnapshot, valueChanges } from './values';

/** A copy to run statements on and measure. */
export interface Rehearsal {
  /** Runs statements in one transaction (or one by one outside any); PostgreSQL's message when one fails. */
  statements(sql: readonly string[], inTransaction: boolean): Promise<string | undefined>;
  /** Runs the user's seed on the copy (its own connection); throws a ConfigurationError when it fails. */
  seed(seed: UserSeed, where: string, logger: Logger): Promise<void>;
  /** Synthetic rows in every table still empty. */
  fill(): Promise<FillResult>;
  /** Empties a table (and the tables referencing it); the row counts after. */
  empty(table: string): Promise<RowCounts>;
  /** What holds data: tables, columns, types, enum values. */
  inventory(): Promise<DataInventory>;
  rowCounts(): Promise<RowCounts>;
  /** The values of the rows of every table with a primary key. */
  values(): Promise<ValueSnapshot>;
  /** The columns whose surviving rows hold other values than `before`. */
  valueChanges(before: ValueSnapshot): Promise<DataLoss[]>;
  /** Each statement's locks and rewrites of the tables in `rows`, in a transaction rolled back (locks.ts). */
  locks(entry: MigrationEntry, section: 'up' | 'down', rows: RowCounts): Promise<LocksMeasured>;
}

/** A run of migrations with what held data at the start and after each migration. */
export interface InventoriedRun {
  readonly run: MigrationRun;
  /** By the version reached: the starting version, then one per migration that ran. */
  readonly inventories: ReadonlyMap<number, DataInventory>;
  /** Why an inventory could not be read: the inventories stop there (the run goes on). */
  readonly readError?: unknown;
}

/** A copy that also runs migrations, as apply does, holding the migration lock. */
export interface MigrationRehearsal extends Rehearsal {
  /** Applies the pending migrations up to and including `to`. */
  up(to: number): Promise<MigrationRun>;
  /** Reverts the applied migrations above `to`, newest first. */
  down(to: number): Promise<MigrationRun>;
  /** Migrates from `from` to `to` (up, or down when `to` is below), reading what holds data at the start and after each migration. */
  inventoried(from: number, to: number): Promise<InventoriedRun>;
  /** Brings an empty copy to the base `version`: why the migrations up to it do not apply, if they do not. */
  replayBase(version: number): Promise<string | undefined>;
}

function rehearsalOn(url: string, client: Client): Rehearsal {
  return {
    async statements(sql, inTransaction) {
      try {
        if (inTransaction) await client.query('BEGIN');
        for (const statement of sql) await client.query(statement);
        if (inTransaction) await client.query('COMMIT');
        return undefined;
      } catch (error) {
        if (inTransaction) await client.query('ROLLBACK').catch(() => undefined);
        return errorMessage(error);
      }
    },
    seed: (seed, where, logger) => runUserSeed(seed, url, where, logger),
    fill: () => fillEmptyTables(client),
    async empty(table) {
      const dot = table.indexOf('.');
      await client.query(`TRUNCATE ${ident(table.slice(0, dot))}.${ident(table.slice(dot + 1))} CASCADE`);
      return countRows(client);
    },
    inventory: () => readDataInventory(client),
    rowCounts: () => countRows(client),
    values: () => readValues(client),
    valueChanges: (before) => valueChanges(client, before),
    locks: (entry, section, rows) =>
      measureLocks(
        client,
        entry,
        [...rows.values()].map((t) => t.oid),
        section,
      ),
  };
}

async function withConnection<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = await connectDatabase(url);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Connects to the copy at `url`, runs `fn`, closes. */
export function rehearse<T>(url: string, fn: (rehearsal: Rehearsal) => Promise<T>): Promise<T> {
  return withConnection(url, (client) => fn(rehearsalOn(url, client)));
}

/** Connects to the copy at `url`, takes the migration lock, runs `fn`, then unlocks and closes. */
export function rehearseMigrations<T>(
  url: string,
  set: MigrationSet,
  fn: (rehearsal: MigrationRehearsal) => Promise<T>,
): Promise<T> {
  const database = describeDatabase(url);
  return withConnection(url, (client) =>
    holdDatabaseLock(client, url, (locked) => {
      const options = (to: number, afterEach?: (version: number) => Promise<void>) => ({
        to,
        database,
        logger: silentLogger,
        ...(afterEach ? { afterEach: (_: Client, step: { version: number }) => afterEach(step.version) } : {}),
      });
      const up = (to: number) => upLocked(locked, set, options(to));
      return fn({
        ...rehearsalOn(url, locked),
        up,
        down: (to) => downLocked(locked, set, options(to)),
        async inventoried(from, to) {
          const inventories = new Map<number, DataInventory>();
          let readFailure: { error: unknown } | undefined;
          const record = async (version: number) => {
            if (readFailure) return;
            try {
              inventories.set(version, await readDataInventory(locked));
            } catch (error) {
              readFailure = { error };
            }
          };
          await record(from);
          const run =
            to > from
              ? await upLocked(locked, set, options(to, record))
              : await downLocked(locked, set, options(to, record));
          return { run, inventories, ...(readFailure ? { readError: readFailure.error } : {}) };
        },
        async replayBase(version) {
          const replay = await up(version);
          return replay.error ? `the migrations up to the base do not apply: ${replay.error.message}` : undefined;
        },
      });
    }),
  );
}

/** Rehearses migrations on `copy`, then drops it. */
export async function rehearseOnCopy<T>(
  copy: ShadowDatabase,
  set: MigrationSet,
  fn: (rehearsal: MigrationRehearsal) => Promise<T>,
): Promise<T> {
  try {
    return await rehearseMigrations(copy.url, set, fn);
  } finally {
    await copy.drop().catch(() => undefined);
  }
}

/** A new database with the migrations up to `version` applied, and why they do not apply when they do not. */
export interface CopyAtVersion {
  readonly db: ShadowDatabase;
  readonly error?: string;
}

/**
 * Creates a database (`create`, empty) and migrates it up to `version` with the real applier: the one way
 * to build a copy at a version (verify's base, the fleet's expected schemas and pre-flight copies).
 * On failure the database is kept, with the applier's message: the caller drops it or reports it.
 */
export async function copyAtVersion(
  create: () => Promise<ShadowDatabase>,
  set: MigrationSet,
  version: number,
): Promise<CopyAtVersion> {
  const db = await create();
  // Version 0 is the empty database itself: nothing to run.
  if (version === 0) return { db };
  const run = await up(db.url, set, { to: version, logger: silentLogger });
  return run.error ? { db, error: run.error.message } : { db };
}

/** The version below `version` in the set (0 below the first): where reverting one migration lands. */
export function versionBelow(set: MigrationSet, version: number): number {
  return Math.max(0, ...set.migrations.filter((m) => m.version < version).map((m) => m.version));
}
