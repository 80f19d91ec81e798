/**
 * One migration run per database at a time: a session advisory lock held for the whole run. A second
 * run waits (up to the lock-wait timeout) and then finds nothing left to do. Session locks die with the
 * connection, so a crashed run never leaves a database locked.
 */
import { createHash } from 'node:crypto';
import type { Client } from 'pg';
import { ConfigurationError, describeDatabase } from '../errors';
import { type Logger, silentLogger } from '../logger';
import { type ConnectOptions, connectDatabase } from '../pg/connect';

/** pg_advisory_lock's bigint key: the first 8 bytes of sha256("db-migrate"), as a decimal string. */
export const ADVISORY_LOCK_KEY: string = createHash('sha256').update('db-migrate').digest().readBigInt64BE(0).toString();
export const DEFAULT_LOCK_WAIT_TIMEOUT_MS = 5 * 60_000;

export interface DatabaseLockOptions extends ConnectOptions {
  /** How long to wait for another run to finish; 0 waits forever. Default DEFAULT_LOCK_WAIT_TIMEOUT_MS. */
  readonly lockWaitTimeoutMs?: number;
  readonly logger?: Logger;
}

/** Thrown (as a ConfigurationError) when the lock was not free within the lock-wait timeout. */
export class LockWaitTimeoutError extends ConfigurationError {}

const LOCK_NOT_AVAILABLE = '55P03';

async function acquire(client: Client, database: string, waitMs: number, logger: Logger): Promise<void> {
  const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [ADVISORY_LOCK_KEY]);
  if (rows[0].locked) return;
  logger.info(`${database}: another db-migrate run holds the migration lock; waiting${waitMs ? ` up to ${waitMs} ms` : ''}`);
  // lock_timeout bounds the wait for an advisory lock too; statement_timeout must not cut it shorter.
  await client.query(`SET lock_timeout = ${Math.floor(waitMs)}`);
  await client.query('SET statement_timeout = 0');
  try {
    await client.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_KEY]);
  } catch (error) {
    if ((error as { code?: string }).code === LOCK_NOT_AVAILABLE) {
      throw new LockWaitTimeoutError(`${database}: another db-migrate run held the migration lock for more than ${waitMs} ms; gave up waiting`);
    }
    throw error;
  } finally {
    await client.query('RESET lock_timeout; RESET statement_timeout').catch(() => undefined);
  }
}

/**
 * Connects to `url`, takes the migration lock, runs `fn` with the connection, then unlocks and closes.
 * Throws a ConfigurationError when the database is unreachable or the lock stays taken too long.
 */
export async function withDatabaseLock<T>(url: string, fn: (client: Client) => Promise<T>, options: DatabaseLockOptions = {}): Promise<T> {
  const client = await connectDatabase(url, options);
  try {
    return await holdDatabaseLock(client, describeDatabase(url), fn, options);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Takes the migration lock on a connection the caller opened (and closes), runs `fn`, then unlocks. */
export async function holdDatabaseLock<T>(client: Client, database: string, fn: (client: Client) => Promise<T>, options: Omit<DatabaseLockOptions, 'connectTimeoutMs'> = {}): Promise<T> {
  await acquire(client, database, options.lockWaitTimeoutMs ?? DEFAULT_LOCK_WAIT_TIMEOUT_MS, options.logger ?? silentLogger);
  try {
    return await fn(client);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCK_KEY]).catch(() => undefined);
  }
}
