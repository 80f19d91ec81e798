/**
 * One migration run per database at a time: a session advisory lock held for the whole run. A second
 * run waits (up to the lock-wait timeout) and then finds nothing left to do. Session locks die with the
 * connection, so a crashed run never leaves a database locked.
 */
import { createHash } from 'node:crypto';
import type { Client } from 'pg';
import { ConfigurationError, errorMessage } from '../errors';
import { describeDatabase } from '../database-url';
import { type Logger, silentLogger } from '../logger';
import { type ConnectOptions, connectDatabase } from '../pg/connect';

/** pg_advisory_lock's bigint key: the first 8 bytes of sha256("db-migrate"), as a decimal string. */
export const ADVISORY_LOCK_KEY: string = createHash('sha256')
  .update('db-migrate')
  .digest()
  .readBigInt64BE(0)
  .toString();
const DEFAULT_LOCK_WAIT_TIMEOUT_MS = 5 * 60_000;

export interface DatabaseLockOptions extends ConnectOptions {
  /** How long to wait for another run to finish; 0 waits forever. Default DEFAULT_LOCK_WAIT_TIMEOUT_MS. */
  readonly lockWaitTimeoutMs?: number;
  readonly logger?: Logger;
}

/** Thrown (as a ConfigurationError) when the lock was not free within the lock-wait timeout. */
export class LockWaitTimeoutError extends ConfigurationError {}

const LOCK_NOT_AVAILABLE = '55P03';

interface FirstProbe {
  readonly locked: boolean;
  readonly pid: number;
  /** The client port the server sees; null over a Unix socket. */
  readonly client_port: number | null;
}

const UNLOCK = 'SELECT pg_advisory_unlock($1)';

/**
 * Refuses a session that does not keep its server connection: a pooler in transaction or statement mode
 * (PgBouncer) hands each transaction any server connection, so a session advisory lock is held by
 * whichever client gets that connection next. Cheap when direct: the server then sees our own client
 * port. Through a proxy (the ports differ), a second connection holds a transaction open while this one
 * asks for its backend again: a pooler gives the second one our server connection, or gives us another.
 */
async function refusePooledSession(
  client: Client,
  url: string,
  database: string,
  first: FirstProbe,
  options: ConnectOptions,
  logger: Logger,
): Promise<void> {
  const localPort = (client as unknown as { connection?: { stream?: { localPort?: number } } }).connection?.stream
    ?.localPort;
  if (first.client_port === null || localPort === undefined || first.client_port === localPort) return;
  let probe: Client;
  try {
    probe = await connectDatabase(url, options);
  } catch (error) {
    // A role held to one connection (CONNECTION LIMIT 1 behind a proxy) cannot be checked this way: say so, go on.
    logger.warning(
      `${database}: could not open a second connection to check for a transaction-pooling proxy (${errorMessage(error)}); the migration lock assumes a direct session`,
    );
    return;
  }
  let direct = false;
  try {
    // BEGIN and the question in one round trip: the open transaction keeps the probe's server connection.
    const opened = (await probe.query('BEGIN; SELECT pg_backend_pid() AS pid')) as unknown as [
      unknown,
      { rows: { pid: number }[] },
    ];
    const other = opened[1].rows[0]!.pid;
    const again = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    direct = again === first.pid && other !== first.pid;
    if (direct) return;
    // The lock stays with the server connection it was taken on: release it there if we can reach it.
    let lingering = false;
    if (first.locked) {
      const holder = other === first.pid ? probe : again === first.pid ? client : undefined;
      if (holder) await holder.query(UNLOCK, [ADVISORY_LOCK_KEY]).catch(() => undefined);
      else lingering = true;
    }
    throw new ConfigurationError(
      `${database}: the connection goes through a pooler that gives each transaction its own server connection (PgBouncer in pool_mode transaction or statement): ` +
        `the session advisory lock that keeps two runs off one database would not hold, and session settings would reach other clients. ` +
        `Connect db-migrate to PostgreSQL directly, or through a PgBouncer database with pool_mode=session` +
        (lingering ? ` (the lock taken may stay held on a pooled server connection until PgBouncer closes it)` : ''),
    );
  } finally {
    // Direct, closing the probe ends its transaction; through a pooler, it is rolled back first.
    if (!direct) await probe.query('ROLLBACK').catch(() => undefined);
    await probe.end().catch(() => undefined);
  }
}

async function acquire(
  client: Client,
  url: string,
  database: string,
  waitMs: number,
  logger: Logger,
  options: ConnectOptions,
): Promise<void> {
  // The lock's connection idles while expected schemas are built elsewhere: a server or role
  // idle_session_timeout (PostgreSQL 14+) would close it, and the lock with it. Off for this session.
  const { rows } = await client.query<FirstProbe>(
    `SELECT pg_try_advisory_lock($1) AS locked, pg_backend_pid() AS pid, inet_client_port() AS client_port,
       CASE WHEN current_setting('server_version_num')::int >= 140000 THEN set_config('idle_session_timeout', '0', false) END AS idle`,
    [ADVISORY_LOCK_KEY],
  );
  await refusePooledSession(client, url, database, rows[0], options, logger);
  if (rows[0].locked) return;
  logger.info(
    `${database}: another db-migrate run holds the migration lock; waiting${waitMs ? ` up to ${waitMs} ms` : ''}`,
  );
  // lock_timeout bounds the wait for an advisory lock too; statement_timeout must not cut it shorter.
  await client.query(`SET lock_timeout = ${Math.floor(waitMs)}`);
  await client.query('SET statement_timeout = 0');
  try {
    await client.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_KEY]);
  } catch (error) {
    if ((error as { code?: string }).code === LOCK_NOT_AVAILABLE) {
      throw new LockWaitTimeoutError(
        `${database}: another db-migrate run held the migration lock for more than ${waitMs} ms; gave up waiting`,
      );
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
export async function withDatabaseLock<T>(
  url: string,
  fn: (client: Client) => Promise<T>,
  options: DatabaseLockOptions = {},
): Promise<T> {
  const client = await connectDatabase(url, options);
  try {
    return await holdDatabaseLock(client, url, fn, options);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Takes the migration lock on a connection the caller opened (and closes), runs `fn`, then unlocks. */
export async function holdDatabaseLock<T>(
  client: Client,
  url: string,
  fn: (client: Client) => Promise<T>,
  options: DatabaseLockOptions = {},
): Promise<T> {
  await acquire(
    client,
    url,
    describeDatabase(url),
    options.lockWaitTimeoutMs ?? DEFAULT_LOCK_WAIT_TIMEOUT_MS,
    options.logger ?? silentLogger,
    options,
  );
  try {
    return await fn(client);
  } finally {
    await client.query(UNLOCK, [ADVISORY_LOCK_KEY]).catch(() => undefined);
  }
}
