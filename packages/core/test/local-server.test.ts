import { query, createTestDatabase, dropTestDatabase, adminUrl } from '../../../test/support/pg';
import { startLocalServer } from '../src/postgres-server/local-server';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

describe('the local PostgreSQL server', () => {
  it('serves the test run on 127.0.0.1 with password authentication', async () => {
    const url = await createTestDatabase();
    const [row] = await query<{ v: string }>(url, `select current_setting('server_version_num') as v`);
    expect(Number(row.v)).toBeGreaterThanOrEqual(150000);
    const wrong = new URL(adminUrl());
    wrong.password = 'wrong';
    await expect(query(wrong.toString(), 'select 1')).rejects.toThrow(/password authentication failed/);
    await dropTestDatabase(url);
  });

  it('stops and removes its files', async () => {
    const server = await startLocalServer();
    const [row] = await query<{ d: string }>(server.adminUrl, `select current_setting('data_directory') as d`);
    expect(existsSync(row.d)).toBe(true);
    await server.stop();
    expect(existsSync(row.d)).toBe(false);
    await expect(query(server.adminUrl, 'select 1')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('kill -9 of its owner: a watchdog stops the server and removes its directory and password file', async () => {
    const child = spawn(
      process.execPath,
      ['-r', join(__dirname, '../../../scripts/register-ts.js'), join(__dirname, 'local-server-child.ts')],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
        if (out.includes('\n')) resolve(out.split('\n')[0]);
      });
      child.on('exit', () => reject(new Error(`the child exited first: ${stderr}`)));
    });
    const { dataDir, port, postmasterPid } = JSON.parse(line) as {
      dataDir: string;
      port: number;
      postmasterPid: number;
    };
    const root = dirname(dataDir);
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(alive(postmasterPid)).toBe(true);
    expect(existsSync(join(root, 'pw'))).toBe(true);

    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    // No later command sweeps here: only the watchdog can stop it. Polled, with a bound.
    for (let i = 0; i < 400 && (alive(postmasterPid) || existsSync(root)); i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(alive(postmasterPid)).toBe(false);
    expect(existsSync(join(root, 'pw'))).toBe(false);
    expect(existsSync(root)).toBe(false);
    await expect(query(`postgresql://postgres:x@127.0.0.1:${port}/postgres`, 'select 1')).rejects.toThrow(
      /ECONNREFUSED/,
    );
  }, 60_000);
});
