import type { OptionName, Remedy } from './remedy';

/**
 * Two kinds of error, as codeql-action has them: a ConfigurationError is the user's mistake
 * (bad input, a broken migration file, an unreachable database) and is reported as one clear line;
 * anything else is a bug in db-migrate.
 */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  /** The file at fault and its 1-based line, when the mistake is in a file: read these, never the message. */
  readonly file?: string;
  readonly line?: number;
  /** The option or input at fault, named by each front end in its own terms (remedy.ts). */
  readonly option?: OptionName;
  /** What would fix it, worded by each front end (remedy.ts). */
  readonly remedies: readonly Remedy[];

  constructor(message: string, options: ErrorOptions & ErrorDetails = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.file !== undefined) this.file = options.file;
    if (options.line !== undefined) this.line = options.line;
    if (options.option !== undefined) this.option = options.option;
    this.remedies = options.remedies ?? [];
  }
}

/** The fields a ConfigurationError carries besides its message. */
export interface ErrorDetails {
  readonly file?: string;
  readonly line?: number;
  readonly option?: OptionName;
  readonly remedies?: readonly Remedy[];
}

const registeredSecrets = new Set<string>();

/** Remembers a secret (a password, a whole URL) so that redact() removes it from any later text. */
function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 3) registeredSecrets.add(secret);
}

/**
 * The one secret redactor. Removes every secret registered with registerSecret first (a password that
 * holds "@" or "/" is only recognisable whole), then everything between "://" and the last "@" of a
 * postgres URL (an unencoded "@" belongs to the password; stopping at the first one would print its
 * tail), the userinfo of any other URL, and key=value passwords.
 */
export function redact(text: string): string {
  let out = text;
  for (const secret of [...registeredSecrets].sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join('***');
  }
  out = out.replace(/(postgres(?:ql)?:\/\/)[^\s]*@/gi, '$1***@');
  out = out.replace(/\b([a-z][a-z0-9+.-]*:\/\/)(?!\*\*\*@)[^\s/?#@]*@/gi, '$1***@');
  out = out.replace(/(password\s*=\s*)('[^']*'|[^\s]+)/gi, '$1***');
  return out;
}

/**
 * The credentials of a postgres URL as the user meant them: everything between "://" and the LAST "@".
 * libpq and Node's URL parser both end the credentials at the first "/" (and libpq at the first "@"),
 * so a password holding an unencoded "@", "/", "?" or "#" makes them read another host and database.
 */
function rawCredentials(url: string): string | undefined {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url);
  if (!scheme) return undefined;
  const rest = url.slice(scheme[0].length);
  const at = rest.lastIndexOf('@');
  return at < 0 ? undefined : rest.slice(0, at);
}

/**
 * Why a postgres URL cannot be used as written, in words that never quote it; undefined when it is fine.
 * A password with "@", "/", "?", "#" (or a bad "%" escape) must be percent-encoded, as libpq requires:
 * otherwise the server, the database and the password that get used are not the ones written.
 */
export function databaseUrlProblem(url: string): string | undefined {
  const credentials = rawCredentials(url);
  if (credentials !== undefined) {
    if (/[@/?#]/.test(credentials)) {
      return 'its password (or user name) holds an unencoded "@", "/", "?" or "#", so the host and database it names are ambiguous: percent-encode the password (e.g. "@" as %40, "/" as %2F)';
    }
    try {
      decodeURIComponent(credentials);
    } catch {
      return 'its password (or user name) holds a "%" that is not a percent-encoding: percent-encode the password ("%" as %25)';
    }
  }
  try {
    new URL(url);
  } catch {
    return 'it is not a valid URL (percent-encode reserved characters in the password)';
  }
  return undefined;
}

/** The password of a URL as written (maybe percent-encoded): after the first ":" of what lies between "://" and the last "@". */
export function urlPassword(url: string): string | undefined {
  const credentials = rawCredentials(url);
  const colon = credentials?.indexOf(':') ?? -1;
  return credentials === undefined || colon < 0 ? undefined : credentials.slice(colon + 1);
}

/** Registers the password of a URL (or the whole string, when it holds none to find) as secrets; returns it unchanged. */
export function registerUrlSecrets(url: string): string {
  const credentials = rawCredentials(url);
  // Without credentials to find, the whole string is the secret; with them, the host stays readable.
  if (credentials === undefined) registerSecret(url);
  else {
    const password = urlPassword(url) ?? '';
    registerSecret(password); // as written in the URL (maybe percent-encoded)
    try {
      registerSecret(decodeURIComponent(password));
    } catch {
      /* not valid percent-encoding: registered as written */
    }
  }
  return url;
}

/**
 * A label for a database that is safe to print: host:port/dbname. Never anything of the credentials:
 * the host is read after the last "@", so a password with an unencoded "@" or "/" cannot leak into it.
 */
export function describeDatabase(url: string): string {
  const credentials = rawCredentials(url);
  const start = url.indexOf('://') + 3;
  const safe = credentials === undefined ? url : url.slice(0, start) + url.slice(start + credentials.length + 1);
  try {
    const parsed = new URL(safe);
    const db = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || '(default)';
    return `${parsed.hostname}${parsed.port ? ':' + parsed.port : ''}/${db}`;
  } catch {
    return redact(safe);
  }
}

/**
 * True when `text` is a registered secret, or holds a URL with a password or a key=value password.
 * (Not "contains a registered secret": a short password such as "postgres" is part of many paths.)
 */
export function holdsSecret(text: string): boolean {
  return (
    registeredSecrets.has(text.trim()) ||
    /[a-z][a-z0-9+.-]*:\/\/[^\s/@:]*:[^\s]*@/i.test(text) ||
    /\bpassword\s*=/i.test(text)
  );
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
    return `${message} (the server's max_connections or the role's CONNECTION LIMIT is reached: open fewer connections at once (lower the concurrency), or raise the limit)`;
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
