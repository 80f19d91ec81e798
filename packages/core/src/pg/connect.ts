/**
 * Opens a pg Client from a URL. Connection failures become one ConfigurationError line naming the
 * database as host:port/db (never the URL or password) and saying what went wrong in plain words.
 */
import { connect as connectSocket } from 'node:net';
import { Client } from 'pg';
import { errorCode, ownErrorCodeMeaning } from '../error-codes';
import { ConfigurationError, errorMessage } from '../errors';
import { databaseUrlProblem, describeDatabase, registerUrlSecrets } from '../database-url';
import { describeSslFailure, type SslMode, sslSettings, tryNextSslAttempt } from './ssl';

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** libpq's PGCONNECT_TIMEOUT (seconds, at least 2) when set, else 10 s. */
function defaultConnectTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.PGCONNECT_TIMEOUT);
  return seconds > 0 ? Math.max(2, seconds) * 1000 : DEFAULT_CONNECT_TIMEOUT_MS;
}
const APPLICATION_NAME = 'db-migrate';

export interface ConnectOptions {
  /** Give up connecting after this long (default: PGCONNECT_TIMEOUT seconds, else 10 s). */
  readonly connectTimeoutMs?: number;
}

/** Why a connection attempt failed, in one line that is safe to print. */
function describeConnectionError(url: string, error: unknown, timedOut: number | undefined, sslMode?: SslMode): string {
  const where = describeDatabase(url);
  const tls = describeSslFailure(sslMode, error);
  if (tls) return `cannot connect to ${where}: ${tls}`;
  const code = errorCode(error);
  const message = errorMessage(error);
  const meaning = ownErrorCodeMeaning(code);
  if (meaning) {
    // The table's words, with the user for an authentication failure (never the password), unless the
    // server's own message says more (which role's limit, which pg_hba rule).
    const who = code?.startsWith('28') ? ` for user "${safeUser(url)}"` : '';
    const what = meaning.serverSaysWhy ? message : `${meaning.means}${who}`;
    const check = meaning.checkWhenConnecting;
    return `cannot connect to ${where}: ${what}${check ? ` (${check})` : ''}`;
  }
  if (timedOut !== undefined) return `cannot connect to ${where}: no answer within ${timedOut} ms`;
  return `cannot connect to ${where}: ${message}`;
}

function safeUser(url: string): string {
  try {
    return decodeURIComponent(new URL(url).username) || '(default)';
  } catch {
    return '(unknown)';
  }
}

/**
 * Connects, or throws a ConfigurationError. The URL and its password are registered as secrets first,
 * so nothing printed afterwards can contain them.
 */
export async function connectDatabase(url: string, options: ConnectOptions = {}): Promise<Client> {
  registerUrlSecrets(url);
  const urlProblem = databaseUrlProblem(url);
  const database = describeDatabase(url);
  if (urlProblem) throw new ConfigurationError(`the URL of ${database} cannot be used: ${urlProblem}`, { database });
  try {
    const parsed = new URL(url);
    if (!/^postgres(ql)?:$/.test(parsed.protocol)) throw new Error('not postgres');
  } catch {
    throw new ConfigurationError('the database URL is not a postgres:// or postgresql:// URL');
  }
  const timeoutMs = options.connectTimeoutMs ?? defaultConnectTimeoutMs();
  let ssl: ReturnType<typeof sslSettings>;
  try {
    ssl = sslSettings(url);
  } catch (error) {
    throw new ConfigurationError(`cannot connect to ${database}: ${errorMessage(error)}`, { database });
  }
  for (const [index, tls] of ssl.attempts.entries()) {
    // TCP keepalives: a peer that vanishes (a dropped VPN, a killed proxy) fails the next wait instead of hanging it.
    const client = new Client({
      connectionString: ssl.connectionString,
      ...(ssl.mode ? { ssl: tls } : {}),
      connectionTimeoutMillis: timeoutMs,
      application_name: APPLICATION_NAME,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    // A connection that breaks while idle emits 'error'; without a listener that would crash the process.
    // The next query on the client fails with the same error, which is where callers handle it.
    client.on('error', () => undefined);
    const started = performance.now();
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (index + 1 < ssl.attempts.length && tryNextSslAttempt(ssl.mode, error)) continue;
      // node-postgres's timeout has no code: a failure without one that took the whole timeout is it.
      const timedOut =
        errorCode(error) === undefined && performance.now() - started >= timeoutMs - 1 ? timeoutMs : undefined;
      // The cause keeps the SQLSTATE / network code, so callers can tell a transient failure by code, not words.
      throw new ConfigurationError(describeConnectionError(url, error, timedOut, ssl.mode), {
        cause: error,
        database,
      });
    }
  }
  throw new Error('unreachable: the last attempt returns or throws');
}

/** PostgreSQL's CancelRequest code (protocol 1234.5678). */
const CANCEL_REQUEST_CODE = 80877102;

/**
 * Asks the server to cancel the statement running on `client` (a CancelRequest on a new socket, as libpq's
 * PQcancel does): the statement fails with SQLSTATE 57014 and its transaction rolls back. A no-op when the
 * client runs nothing; never throws.
 */
export function cancelRunningStatement(client: Client): Promise<void> {
  const { processID, secretKey } = client as unknown as { processID?: number; secretKey?: number };
  if (processID === undefined || secretKey === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const host = client.host ?? 'localhost';
    const socket = host.startsWith('/')
      ? connectSocket(`${host}/.s.PGSQL.${client.port}`)
      : connectSocket(client.port, host);
    const request = Buffer.alloc(16);
    request.writeInt32BE(16, 0);
    request.writeInt32BE(CANCEL_REQUEST_CODE, 4);
    request.writeInt32BE(processID, 8);
    request.writeInt32BE(secretKey, 12);
    socket.setTimeout(5_000, () => socket.destroy());
    socket.on('connect', () => socket.end(request));
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
  });
}
