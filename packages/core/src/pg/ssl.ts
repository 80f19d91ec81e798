/**
 * libpq's sslmode, as libpq means it (node-postgres alone treats prefer, require and verify-ca as
 * verify-full, and prints a long warning): the URL's sslmode, sslrootcert, sslcert and sslkey (or
 * PGSSLMODE and PGSSLROOTCERT) become the TLS settings of one or two connection attempts, and are taken
 * out of the URL handed to the driver.
 *   disable      no TLS
 *   allow        without TLS, then with TLS (no certificate check) if the server refuses
 *   prefer       with TLS (no certificate check), then without if the server has no TLS
 *   require      TLS, the certificate unchecked; with sslrootcert, checked as verify-ca
 *   verify-ca    TLS, the certificate signed by sslrootcert (or a system CA), any host name
 *   verify-full  TLS, the certificate signed by sslrootcert (or a system CA) and naming the host
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { ConfigurationError } from '../errors';

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** The URL parameters this module reads (and removes: the driver would read them its own way). */
const SSL_PARAMETERS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'ssl', 'uselibpqcompat'];

export interface SslSettings {
  /** The URL without its TLS parameters. */
  readonly connectionString: string;
  /** Absent: no sslmode given anywhere (the driver's default: no TLS). */
  readonly mode?: SslMode;
  /** The TLS settings of each attempt, in order (false: without TLS); a second one only for allow and prefer. */
  readonly attempts: readonly (false | ConnectionOptions)[];
}

function readPem(path: string, parameter: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigurationError(
      `${parameter}=${path}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}

/** The TLS settings libpq's `mode` means, for a URL whose parameters are `params`. */
export function sslSettings(url: string, env: NodeJS.ProcessEnv = process.env): SslSettings {
  const parsed = new URL(url);
  const params = parsed.searchParams;
  const given = params.get('sslmode') ?? env.PGSSLMODE ?? undefined;
  // node-postgres's own spelling of require.
  const spelled = given === 'no-verify' ? 'require' : given;
  if (spelled !== undefined && !(SSL_MODES as readonly string[]).includes(spelled)) {
    throw new ConfigurationError(`sslmode=${given} is not one of ${SSL_MODES.join(', ')}`);
  }
  const rootCert = params.get('sslrootcert') ?? env.PGSSLROOTCERT ?? undefined;
  const certFile = params.get('sslcert') ?? undefined;
  const keyFile = params.get('sslkey') ?? undefined;
  for (const name of SSL_PARAMETERS) params.delete(name);
  const connectionString = parsed.toString();
  const mode = spelled as SslMode | undefined;
  if (mode === undefined) return { connectionString, attempts: [false] };

  const client: ConnectionOptions = {
    ...(certFile ? { cert: readPem(certFile, 'sslcert') } : {}),
    ...(keyFile ? { key: readPem(keyFile, 'sslkey') } : {}),
  };
  // `system` (libpq 16) means the system's CAs: Node's default store.
  const ca = rootCert && rootCert !== 'system' ? { ca: readPem(rootCert, 'sslrootcert') } : {};
  const unchecked: ConnectionOptions = { ...client, rejectUnauthorized: false };
  const anyHost: ConnectionOptions = { ...client, ...ca, checkServerIdentity: () => undefined };
  const full: ConnectionOptions = { ...client, ...ca };
  switch (mode) {
    case 'disable':
      return { connectionString, mode, attempts: [false] };
    case 'allow':
      return { connectionString, mode, attempts: [false, unchecked] };
    case 'prefer':
      return { connectionString, mode, attempts: [unchecked, false] };
    case 'require':
      return { connectionString, mode, attempts: [rootCert ? anyHost : unchecked] };
    case 'verify-ca':
      return { connectionString, mode, attempts: [anyHost] };
    case 'verify-full':
      return { connectionString, mode, attempts: [full] };
  }
}

/**
 * Whether the server answered a TLS request that it has no TLS. node-postgres says so only in English
 * ("The server does not support SSL connections", no code): this is the one place that reads it
 * (test/ssl-modes.test.ts meets it from a real server without TLS).
 */
export function serverHasNoTls(error: unknown): boolean {
  const message = (error as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' && /does not support SSL/i.test(message);
}

/** Whether a failed attempt lets the next one of allow or prefer be tried. */
export function tryNextSslAttempt(mode: SslMode | undefined, error: unknown): boolean {
  // prefer: the server answered that it has no TLS.
  if (mode === 'prefer') return serverHasNoTls(error);
  // allow: as libpq, the server refused the connection without TLS (pg_hba.conf: hostssl only), SQLSTATE class 28.
  if (mode === 'allow') return /^28/.test(String((error as { code?: unknown } | undefined)?.code ?? ''));
  return false;
}

/** What a TLS failure means for this sslmode, in plain words with what to do; undefined for other failures. */
export function describeSslFailure(mode: SslMode | undefined, error: unknown): string | undefined {
  // Node 24 adds advice about its own flags (--use-system-ca) that does not apply to a database URL.
  const message = String((error as Error)?.message ?? '').replace(/; if the root CA is installed locally.*$/s, '');
  const code = String((error as { code?: string })?.code ?? '');
  const using = `sslmode=${mode ?? 'verify-full'}`;
  if (serverHasNoTls(error)) {
    return `the server does not accept TLS connections, which ${using} requires (use sslmode=prefer or disable if the connection need not be encrypted)`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `${using}: the server's certificate does not name the host connected to (${message}): connect by a name the certificate holds, or use sslmode=verify-ca to check only who signed it`;
  }
  if (
    /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_UNTRUSTED|CERT_SIGNATURE_FAILURE)$/.test(
      code,
    )
  ) {
    return `${using}: the server's certificate is not signed by a trusted CA (${message}): give the CA certificate that signed it with sslrootcert=/path/to/ca.pem in the URL (or PGSSLROOTCERT), or use sslmode=require to encrypt without checking the certificate`;
  }
  if (/^CERT_HAS_EXPIRED|CERT_NOT_YET_VALID$/.test(code))
    return `${using}: the server's certificate is not valid now (${message})`;
  return undefined;
}
