/**
 * A real PgBouncer (Debian's package, started by the test) in front of the test server: through a
 * transaction-pooling database db-migrate refuses, before anything runs and without leaving the
 * migration lock held; through a session-pooling database it migrates as usual.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { adminUrl, query } from '../../../test/support/pg';
import { createRole, dropRoles } from '../../../test/support/roles';
import { up } from '../src/applier/migrator';
import { freePort } from '../src/postgres-server/local-server';
import { SHOP, recordedIds, workspace } from './fleet-fixture';

const ws = workspace('pgbouncer');
let bouncer: ChildProcess | undefined;
let dir: string | undefined;
afterAll(async () => {
  if (bouncer && bouncer.exitCode === null) {
    const exited = new Promise((resolve) => bouncer!.once('exit', resolve));
    bouncer.kill('SIGTERM');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
  await ws.cleanup();
  await dropRoles();
});

/** Starts PgBouncer in the foreground; resolves once its log says it listens. */
async function startPgBouncer(config: string): Promise<void> {
  const child = spawn('pgbouncer', [config], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin` },
  });
  bouncer = child;
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      log += chunk;
      if (/listening on 127\.0\.0\.1/.test(log)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`pgbouncer exited (${code}): ${log}`)));
  });
}

test('transaction pooling is refused with a clear message and no lock left held; session pooling migrates', async () => {
  const set = await ws.migrations(SHOP);
  const db = await ws.database(set, 0);
  const name = decodeURIComponent(new URL(db.url).pathname.slice(1));
  const role = await createRole('bouncer');
  await query(db.url, `ALTER DATABASE "${name}" OWNER TO "${role.name}"; ALTER SCHEMA public OWNER TO "${role.name}"`);
  const server = new URL(adminUrl());
  const port = await freePort();
  dir = mkdtempSync(join(tmpdir(), 'db-migrate-test-pgbouncer-'));
  const config = join(dir, 'pgbouncer.ini');
  writeFileSync(join(dir, 'users.txt'), `"${role.name}" "${role.password}"\n`);
  writeFileSync(
    config,
    [
      '[databases]',
      `tx = host=127.0.0.1 port=${server.port} dbname=${name} pool_mode=transaction`,
      `sess = host=127.0.0.1 port=${server.port} dbname=${name} pool_mode=session`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = scram-sha-256',
      `auth_file = ${join(dir, 'users.txt')}`,
      `pidfile = ${join(dir, 'pgbouncer.pid')}`,
      ...(process.getuid?.() === 0 ? ['user = postgres'] : []),
      '',
    ].join('\n'),
  );
  if (process.getuid?.() === 0) {
    // PgBouncer refuses to run as root: it switches to the postgres user, which must read its files.
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    for (const file of [dir, config, join(dir, 'users.txt')]) chownSync(file, uid, 0);
    chmodSync(dir, 0o755);
  }
  await startPgBouncer(config);
  const via = (database: string) =>
    `postgresql://${encodeURIComponent(role.name)}:${encodeURIComponent(role.password)}@127.0.0.1:${port}/${database}`;

  const refused = await up(via('tx'), set);
  expect(refused.error?.message).toMatch(
    /goes through a pooler that gives each transaction its own server connection \(PgBouncer in pool_mode transaction or statement\).*Connect db-migrate to PostgreSQL directly, or through a PgBouncer database with pool_mode=session/,
  );
  expect(refused.results).toEqual([]);
  expect(await recordedIds(db.url)).toEqual([]);
  const held = await query(
    adminUrl(),
    `SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND d.datname = $1`,
    [name],
  );
  expect(held).toEqual([]);

  const migrated = await up(via('sess'), set);
  expect(migrated.error).toBeUndefined();
  expect(await recordedIds(db.url)).toHaveLength(5);
});
