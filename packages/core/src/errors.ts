import { redact } from './redact';

/**
 * Two kinds of error, as codeql-action has them: a ConfigurationError is the user's mistake
 * (bad input, a broken migration file, an unreachable database) and is reported as one clear line;
 * anything else is a bug in db-migrate.
 */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/** The message of any thrown value, redacted. */
export function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return redact(message);
}

/** The SQLSTATE or Node error code of an error, or of the error it wraps. */
function errorCode(error: unknown): string | undefined {
  for (
    let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    if (typeof e.code === 'string') return e.code;
  }
  return undefined;
}

/**
 * What the environment did wrong, with a hint, when `error` is a failure of the environment rather than
 * of db-migrate: a missing right (SQLSTATE 42501), a broken or refused connection (08*), failed
 * authentication (28*), too many connections (53300) or another exhausted resource (53*), a server
 * shutting down (57P*), a file-system permission or space problem. undefined for anything else, and for
 * a ConfigurationError (already worded).
 */
export function environmentProblem(error: unknown): string | undefined {
  if (error instanceof ConfigurationError) return undefined; // already said in plain words
  const code = errorCode(error);
  const message = errorMessage(error);
  if (!code)
    return /^Connection terminated|not queryable|Connection ended/i.test(message)
      ? `the database connection was closed: ${message} (the server, a proxy or a timeout such as idle_session_timeout ended it)`
      : undefined;
  if (code === '42501') return `${message} (the role lacks a right: see docs/roles.md for what each command needs)`;
  if (code === '53300')
    return `${message} (the server's max_connections or the role's CONNECTION LIMIT is reached: lower --concurrency, or raise the limit)`;
  if (code.startsWith('53')) return `${message} (the database server ran out of a resource)`;
  if (code.startsWith('28')) return `${message} (check the user name and password in the database URL)`;
  if (code.startsWith('08') || code.startsWith('57P'))
    return `${message} (the connection to the database failed or was closed by the server)`;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    return `${message} (a file or directory is not accessible to this user)`;
  if (code === 'ENOSPC' || code === 'EMFILE' || code === 'ENFILE')
    return `${message} (this machine ran out of disk space or file handles)`;
  if (
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'ENOTFOUND',
      'EAI_AGAIN',
      'EHOSTUNREACH',
      'ENETUNREACH',
      'EPIPE',
    ].includes(code)
  ) {
    return `${message} (a network connection failed)`;
  }
  return undefined;
}

/** A ConfigurationError for `error` when it is one, or a failure of the environment (environmentProblem); else undefined. */
export function asConfigurationError(error: unknown): ConfigurationError | undefined {
  if (error instanceof ConfigurationError) return error;
  const problem = environmentProblem(error);
  return problem === undefined ? undefined : new ConfigurationError(problem, { cause: error });
}
