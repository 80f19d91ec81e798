/**
 * Two kinds of error, as codeql-action has them: a ConfigurationError is the user's mistake
 * (bad input, a broken migration file, an unreachable database) and is reported as one clear line;
 * anything else is a bug in db-migrate.
 */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

const registeredSecrets = new Set<string>();

/** Remembers a secret (a password, a whole URL) so that redact() removes it from any later text. */
export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 3) registeredSecrets.add(secret);
}

/**
 * The one secret redactor. Removes passwords from postgres URLs and key=value connection strings,
 * and every secret registered with registerSecret, from any text before it is printed.
 */
export function redact(text: string): string {
  // A URL's password runs to the LAST "@" before the host: an unencoded "@" belongs to the password, and
  // stopping at the first one would leave its tail printed (and stop the whole URL matching below).
  let out = text.replace(/(postgres(?:ql)?:\/\/[^:@/\s]*:)([^/\s]*)(@)/gi, '$1***$3');
  out = out.replace(/(password\s*=\s*)('[^']*'|[^\s]+)/gi, '$1***');
  for (const secret of [...registeredSecrets].sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join('***');
  }
  return out;
}

/** Registers the password of a postgres URL (and the URL itself) as secrets; returns the URL unchanged. */
export function registerUrlSecrets(url: string): string {
  registerSecret(url);
  try {
    const parsed = new URL(url);
    if (parsed.password) {
      registerSecret(parsed.password); // as written in the URL (percent-encoded)
      registerSecret(decodeURIComponent(parsed.password));
    }
  } catch {
    /* not a URL: the whole string is registered already */
  }
  return url;
}

/** A label for a database that is safe to print: host:port/dbname, never the password. */
export function describeDatabase(url: string): string {
  try {
    const parsed = new URL(url);
    const db = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || '(default)';
    return `${parsed.hostname}${parsed.port ? ':' + parsed.port : ''}/${db}`;
  } catch {
    return redact(url);
  }
}

/** The message of any thrown value, redacted. */
export function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return redact(message);
}
