/**
 * sslmode as libpq means it, on a real server with TLS on and a self-signed certificate made here with
 * openssl: require encrypts without checking, verify-ca checks the signer (sslrootcert), verify-full also
 * the host name; a failure is one clear line, and the driver's long warning is never printed.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminUrl } from '../../../test/support/pg';
import { describeDatabase } from '../src/database-url';
import { connectDatabase } from '../src/pg/connect';
import { type LocalServer, startLocalServer } from '../src/postgres-server/local-server';
import { waitFor } from '../../../test/support/time';

let server: LocalServer;
let scratch: string;
let certFile: string;
const warnings: string[] = [];
const onWarning = (warning: Error) => warnings.push(warning.message);

beforeAll(async () => {
  server = await startLocalServer();
  scratch = mkdtempSync(join(tmpdir(), 'db-migrate-ssl-'));
  certFile = join(scratch, 'server.crt');
  const keyFile = join(server.dataDir, 'server.key');
  // A self-signed certificate for "db.internal": not the 127.0.0.1 the test connects to.
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=db.internal',
      '-keyout',
      keyFile,
      '-out',
      join(server.dataDir, 'server.crt'),
    ],
    { stdio: 'ignore' },
  );
  writeFileSync(certFile, execFileSync('cat', [join(server.dataDir, 'server.crt')]));
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    for (const file of [keyFile, join(server.dataDir, 'server.crt')]) chownSync(file, uid, gid);
  }
  execFileSync('chmod', ['600', keyFile]);
  const admin = await connectDatabase(server.adminUrl);
  try {
    await admin.query('ALTER SYSTEM SET ssl = on');
    await admin.query('SELECT pg_reload_conf()');
  } finally {
    await admin.end();
  }
  process.on('warning', onWarning);
});

afterAll(async () => {
  process.off('warning', onWarning);
  await server?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const withParams = (url: string, params: Record<string, string>) => {
  const u = new URL(url);
  for (const [key, value] of Object.entries(params)) u.searchParams.set(key, value);
  return u.toString();
};

/** Whether the connection of `url` is encrypted (pg_stat_ssl), or the error message when it fails. */
async function encrypted(url: string): Promise<boolean | string> {
  let client: Awaited<ReturnType<typeof connectDatabase>>;
  try {
    client = await connectDatabase(url);
  } catch (error) {
    return (error as Error).message;
  }
  try {
    const { rows } = await client.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    return rows[0].ssl;
  } finally {
    await client.end();
  }
}

describe('sslmode', () => {
  it('follows libpq: require encrypts without a check, verify-ca checks the signer, verify-full the host too', async () => {
    // The server's certificate names db.internal, and we connect to 127.0.0.1: the test server waits for TLS to be on.
    await waitFor(
      'TLS on',
      async () => (await encrypted(withParams(server.adminUrl, { sslmode: 'require' }))) === true,
    );
    const where = describeDatabase(server.adminUrl);
    expect(await encrypted(withParams(server.adminUrl, { sslmode: 'require' }))).toBe(true);
    expect(await encrypted(withParams(server.adminUrl, { sslmode: 'prefer' }))).toBe(true);
    expect(await encrypted(withParams(server.adminUrl, { sslmode: 'disable' }))).toBe(false);
    expect(await encrypted(withParams(server.adminUrl, { sslmode: 'allow' }))).toBe(false);
    expect(await encrypted(withParams(server.adminUrl, { sslmode: 'verify-ca', sslrootcert: certFile }))).toBe(true);
    // require with a root certificate checks the signer, as libpq does.
    expect(await encrypted(withParams(server.adminUrl, { sslmode: 'require', sslrootcert: certFile }))).toBe(true);

    expect(await encrypted(withParams(server.adminUrl, { sslmode: 'verify-full' }))).toBe(
      `cannot connect to ${where}: sslmode=verify-full: the server's certificate is not signed by a trusted CA (self-signed certificate): give the CA certificate that signed it with sslrootcert=/path/to/ca.pem in the URL (or PGSSLROOTCERT), or use sslmode=require to encrypt without checking the certificate`,
    );
    expect(await encrypted(withParams(server.adminUrl, { sslmode: 'verify-ca' }))).toMatch(
      /^cannot connect to .*: sslmode=verify-ca: the server's certificate is not signed by a trusted CA .*sslrootcert=/,
    );
    expect(await encrypted(withParams(server.adminUrl, { sslmode: 'verify-full', sslrootcert: certFile }))).toMatch(
      new RegExp(
        `^cannot connect to ${where.replace(/[.]/g, '\\.')}: sslmode=verify-full: the server's certificate does not name the host connected to \\(.*db\\.internal.*\\): connect by a name the certificate holds, or use sslmode=verify-ca`,
      ),
    );
    expect(await encrypted(withParams(server.adminUrl, { sslmode: 'sometimes' }))).toBe(
      `cannot connect to ${where}: sslmode=sometimes is not one of disable, allow, prefer, require, verify-ca, verify-full`,
    );
    expect(
      await encrypted(withParams(server.adminUrl, { sslmode: 'verify-ca', sslrootcert: join(scratch, 'missing.pem') })),
    ).toMatch(/sslrootcert=.*missing\.pem: cannot read the file \(ENOENT\)/);
    // node-postgres's "SECURITY WARNING" about sslmode aliases is never emitted.
    expect(warnings.filter((w) => /ssl/i.test(w))).toEqual([]);
  });

  it('against a server without TLS: prefer falls back to plain, require fails saying why', async () => {
    expect(await encrypted(withParams(adminUrl(), { sslmode: 'prefer' }))).toBe(false);
    expect(await encrypted(withParams(adminUrl(), { sslmode: 'require' }))).toBe(
      `cannot connect to ${describeDatabase(adminUrl())}: the server does not accept TLS connections, which sslmode=require requires (use sslmode=prefer or disable if the connection need not be encrypted)`,
    );
  });

  it('allow: a server that refuses connections without TLS (hostssl only) is tried again with TLS, as libpq does', async () => {
    const hba = join(server.dataDir, 'pg_hba.conf');
    const before = readFileSync(hba, 'utf8');
    writeFileSync(
      hba,
      'local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 reject\n',
    );
    const admin = await connectDatabase(withParams(server.adminUrl, { sslmode: 'require' }));
    try {
      await admin.query('SELECT pg_reload_conf()');
      // The reload is asynchronous: wait until a connection without TLS is refused (SQLSTATE 28000).
      await waitFor('pg_hba.conf to refuse connections without TLS', async () =>
        connectDatabase(withParams(server.adminUrl, { sslmode: 'disable' })).then(
          async (c) => (await c.end(), false),
          () => true,
        ),
      );
      expect(await encrypted(withParams(server.adminUrl, { sslmode: 'allow' }))).toBe(true);
    } finally {
      writeFileSync(hba, before);
      await admin.query('SELECT pg_reload_conf()');
      await admin.end();
    }
  });
});
