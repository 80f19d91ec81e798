/**
 * Reading a postgres URL as the user meant it: why it cannot be used as written, its password (registered
 * with the redactor), and a label for it that is safe to print.
 */
import { redact, registerSecret } from './redact';

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
