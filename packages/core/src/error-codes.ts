/**
 * The one table of error codes: PostgreSQL's SQLSTATEs and Node's system error codes, with what each
 * means to us. `retryable`: the same thing may well succeed in a moment (the fleet tries again).
 * `environment`: the user's environment is at fault (a right, the connection, a resource), reported as a
 * ConfigurationError with this hint, not as a bug. errors.ts and fleet/retry.ts both read it.
 */
export interface ErrorCodeMeaning {
  /** What the code says, in a few words. */
  readonly means: string;
  readonly retryable: boolean;
  /** The hint shown after the message when the environment is at fault; absent for anything else. */
  readonly environment?: string;
  /** When a connection attempt fails with this code (pg/connect.ts): what to check, said after `means`. */
  readonly checkWhenConnecting?: string;
  /** When a connection attempt fails with this code: the server's own message says more than `means`, so it is said instead. */
  readonly serverSaysWhy?: true;
}

const CONNECTION = 'the connection to the database failed or was closed by the server';
const NETWORK = 'a network connection failed';
const FILES = 'a file or directory is not accessible to this user';
const DISK = 'this machine ran out of disk space or file handles';
const AUTHORIZATION = 'check the user name and password in the database URL';
const TOO_MANY_CONNECTIONS =
  "the server's max_connections or the role's CONNECTION LIMIT is reached: open fewer connections at once (lower the concurrency), or raise the limit";

const connectionLost = (means: string): ErrorCodeMeaning => ({ means, retryable: true, environment: CONNECTION });
const network = (means: string, retryable: boolean): ErrorCodeMeaning => ({ means, retryable, environment: NETWORK });

/** Codes by their exact value. */
export const ERROR_CODES: Readonly<Record<string, ErrorCodeMeaning>> = {
  // SQLSTATE
  '40001': { means: 'serialization failure', retryable: true },
  '40P01': { means: 'deadlock detected', retryable: true },
  '55P03': { means: 'lock not available (lock_timeout)', retryable: true },
  '53300': {
    means: 'too many connections',
    retryable: true,
    environment: TOO_MANY_CONNECTIONS,
    checkWhenConnecting: TOO_MANY_CONNECTIONS,
    serverSaysWhy: true,
  },
  '57P03': { means: 'the server is starting up or shutting down', retryable: true, environment: CONNECTION },
  // An administrator ended the session: someone's decision, not bad luck.
  '57P01': { means: 'terminated by an administrator', retryable: false, environment: CONNECTION },
  '08000': connectionLost('connection exception'),
  '08001': connectionLost('the client could not establish the connection'),
  '08003': connectionLost('the connection does not exist'),
  '08004': connectionLost('the server rejected the connection'),
  '08006': connectionLost('connection failure'),
  '28P01': { means: 'password authentication failed', retryable: false, environment: AUTHORIZATION },
  '28000': { means: 'access denied', retryable: false, environment: AUTHORIZATION, serverSaysWhy: true },
  '3D000': { means: 'the database does not exist', retryable: false },
  '42501': {
    means: 'insufficient privilege',
    retryable: false,
    environment: 'the role lacks a right: see docs/roles.md for what each command needs',
  },
  // Node system errors
  ECONNRESET: network('connection reset by the peer', true),
  EPIPE: network('broken pipe', true),
  ETIMEDOUT: network('timed out', true),
  EHOSTUNREACH: network('host unreachable', true),
  ENETUNREACH: network('network unreachable', true),
  ECONNREFUSED: {
    means: 'connection refused',
    retryable: false,
    environment: NETWORK,
    checkWhenConnecting: 'is PostgreSQL running and listening there?',
  },
  ENOTFOUND: network('host not found', false),
  EAI_AGAIN: network('host not found', false),
  EACCES: { means: 'permission denied', retryable: false, environment: FILES },
  EPERM: { means: 'operation not permitted', retryable: false, environment: FILES },
  EROFS: { means: 'read-only file system', retryable: false, environment: FILES },
  ENOSPC: { means: 'no space left on the device', retryable: false, environment: DISK },
  EMFILE: { means: 'too many open files in the process', retryable: false, environment: DISK },
  ENFILE: { means: 'too many open files in the system', retryable: false, environment: DISK },
};

/** SQLSTATE classes (the code's first characters), for codes not listed one by one. */
export const ERROR_CODE_CLASSES: Readonly<Record<string, ErrorCodeMeaning>> = {
  '08': { means: 'connection exception', retryable: false, environment: CONNECTION },
  '28': {
    means: 'invalid authorization',
    retryable: false,
    environment: AUTHORIZATION,
  },
  '53': { means: 'insufficient resources', retryable: false, environment: 'the database server ran out of a resource' },
  '57P': { means: 'operator intervention', retryable: false, environment: CONNECTION },
};

/** What a code means: its own entry, else its SQLSTATE class's; undefined for a code not in the table. */
export function errorCodeMeaning(code: string | undefined): ErrorCodeMeaning | undefined {
  if (code === undefined) return undefined;
  const own = ownErrorCodeMeaning(code);
  if (own) return own;
  const prefix = Object.keys(ERROR_CODE_CLASSES)
    .filter((p) => code.startsWith(p))
    .sort((a, b) => b.length - a.length)[0];
  return prefix === undefined ? undefined : ERROR_CODE_CLASSES[prefix];
}

/** What a code means by its own entry, not its class's; undefined for a code not listed one by one. */
export function ownErrorCodeMeaning(code: string | undefined): ErrorCodeMeaning | undefined {
  return code !== undefined && Object.hasOwn(ERROR_CODES, code) ? ERROR_CODES[code] : undefined;
}

/** The SQLSTATE or Node error code of an error, or of an error it wraps (`cause`). */
export function errorCode(error: unknown): string | undefined {
  for (
    let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    if (typeof e.code === 'string') return e.code;
  }
  return undefined;
}
