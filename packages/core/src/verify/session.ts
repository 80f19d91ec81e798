/**
 * One connection per shadow database for a whole pass of the data check or the gate: the migration
 * lock is taken once, and each Up or Down of one version runs on that connection (no connect per step).
 */
import type { Client } from 'pg';
import { downLocked, upLocked } from '../applier/migrator';
import { holdDatabaseLock } from '../applier/lock';
import type { MigrationRun } from '../applier/result';
import { describeDatabase } from '../database-url';
import { silentLogger } from '../logger';
import type { MigrationSet } from '../migrations/store';
import { connectDatabase } from '../pg/connect';

export interface MigrationSession {
  readonly url: string;
  readonly client: Client;
  /** Applies the pending migrations up to and including `to`. */
  up(to: number): Promise<MigrationRun>;
  /** Reverts the applied migrations above `to`, newest first. */
  down(to: number): Promise<MigrationRun>;
}

/** Connects to `url`, takes the migration lock, runs `fn`, then unlocks and closes. */
export async function withMigrationSession<T>(
  url: string,
  set: MigrationSet,
  fn: (session: MigrationSession) => Promise<T>,
): Promise<T> {
  const client = await connectDatabase(url);
  const database = describeDatabase(url);
  try {
    return await holdDatabaseLock(client, url, (locked) =>
      fn({
        url,
        client: locked,
        up: (to) => upLocked(locked, set, { to, database, logger: silentLogger }),
        down: (to) => downLocked(locked, set, { to, database, logger: silentLogger }),
      }),
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The version below `version` in the set (0 below the first): where reverting one migration lands. */
export function versionBelow(set: MigrationSet, version: number): number {
  return Math.max(0, ...set.migrations.filter((m) => m.version < version).map((m) => m.version));
}
