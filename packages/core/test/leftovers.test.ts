/**
 * What a run killed with SIGKILL leaves (shadow databases on a shadow server, an embedded server
 * still running with its password file) is removed by the next start; what belongs to live runs, or
 * carries no owner stamp, is left alone.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect } from 'node:net';
import { adminUrl, query } from '../../../test/support/pg';
import { silentLogger } from '../src/logger';
import { sweepLeftoverServers } from '../src/postgres-server/leftover-servers';
import { LOCAL_SERVER_DIR_PREFIX } from '../src/postgres-server/local-server';
import { openShadowDatabases } from '../src/shadow/shadow-databases';

interface ChildReport {
  readonly names: string[];
  readonly dataDir: string;
  readonly port: number;
}

/** Runs shadow-child.ts on `spec` and waits for its report; `kill()` then kills it with SIGKILL and waits for it to be gone. */
async function startChild(spec: string): Promise<ChildReport & { kill(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    ['-r', join(__dirname, '../../../scripts/register-ts.js'), join(__dirname, 'shadow-child.ts'), spec, 'wait'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const report = await new Promise<ChildReport>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (stdout.includes('\n')) resolve(JSON.parse(stdout.split('\n')[0]) as ChildReport);
    });
    void exited.then(() => reject(new Error(`child exited before reporting: ${stderr}`)));
  });
  return {
    ...report,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

const databasesNamed = async (names: string[]) =>
  (
    await query<{ datname: string }>(adminUrl(), `SELECT datname FROM pg_database WHERE datname = ANY($1) ORDER BY 1`, [
      names,
    ])
  ).map((r) => r.datname);

/** Whether a server still listens on the port (a TCP connection is accepted). */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describe('leftovers of a run killed with SIGKILL', () => {
  it('shadow databases on a shadow URL: the next start drops those of the dead run only', async () => {
    const unstamped = 'db_migrate_tmp_unstamped' + process.pid;
    await query(adminUrl(), `CREATE DATABASE ${unstamped}`);
    try {
      // Checked while the child lives: other tests' starts sweep the databases as soon as it is gone.
      const dead = await startChild(adminUrl());
      expect(await databasesNamed(dead.names)).toEqual([...dead.names].sort());
      const comment = await query<{ c: string }>(
        adminUrl(),
        `SELECT shobj_description(oid, 'pg_database') AS c FROM pg_database WHERE datname = $1`,
        [dead.names[0]],
      );
      expect(comment[0].c).toMatch(/^db-migrate throwaway database; owner \{"pid":\d+,"host":/);
      await dead.kill();

      const live = await openShadowDatabases(adminUrl(), { label: 'test server', logger: silentLogger });
      const mine = await live.create();
      expect(await databasesNamed(dead.names)).toEqual([]);
      // A second start while this one is alive leaves its database (and the unstamped one) alone.
      const other = await openShadowDatabases(adminUrl(), { label: 'test server', logger: silentLogger });
      expect(await databasesNamed([mine.name, unstamped])).toEqual([mine.name, unstamped].sort());
      await other.close();
      await live.close();
    } finally {
      await query(adminUrl(), `DROP DATABASE IF EXISTS ${unstamped}`);
    }
  });

  it('an embedded server still running with its password file: the next start stops it and removes its directory', async () => {
    const dead = await startChild('embedded');
    const root = dirname(dead.dataDir);
    expect(existsSync(join(root, 'pw'))).toBe(true);
    expect(await accepts(dead.port)).toBe(true);
    // SIGKILL orphans the server, still running with its password file; this sweep (or another test's start) removes it.
    await dead.kill();
    await sweepLeftoverServers(tmpdir(), LOCAL_SERVER_DIR_PREFIX);
    expect(existsSync(root)).toBe(false);
    expect(await accepts(dead.port)).toBe(false);
    // The servers of live processes (this test run's own server among them) are still up.
    expect((await query<{ one: number }>(adminUrl(), 'SELECT 1 AS one'))[0].one).toBe(1);
  });
});
