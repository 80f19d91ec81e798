/**
 * Commands exit, with a clear message, when the role's CONNECTION LIMIT is reached; a role whose
 * idle_session_timeout is shorter than a shadow build keeps its migration lock (the lock's session
 * turns the timeout off). The CLI runs as a child process: an unclosed connection would keep it alive.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { adminUrl, query } from '../../../test/support/pg';
import { createRole, dropRoles } from '../../../test/support/roles';
import { up } from '../src/applier/migrator';
import { recordedIds, workspace } from './fleet-fixture';

const ws = workspace('hangs');
afterAll(async () => {
  await ws.cleanup();
  await dropRoles();
});

const dbName = (url: string) => decodeURIComponent(new URL(url).pathname.slice(1));

/** Runs the CLI in a child process; resolves when the process has exited. */
function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['-r', join(__dirname, '../../../scripts/register-ts.js'), join(__dirname, '../../cli/src/index.ts'), ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const MIGRATIONS = {
  '0001_slow.sql': { up: ['CREATE TABLE a (id int)', 'SELECT pg_sleep(1)'], down: ['DROP TABLE a'] },
  '0002_b.sql': { up: ['CREATE TABLE b (id int)'], down: ['DROP TABLE b'] },
};

describe('network waits', () => {
  it('CONNECTION LIMIT 2 reached by other sessions: status, up and drift exit with "too many connections" and the hint', async () => {
    const set = await ws.migrations(MIGRATIONS);
    const db = await ws.database(set, 0);
    const role = await createRole('limited', 'LOGIN CONNECTION LIMIT 2');
    await query(
      db.url,
      `ALTER DATABASE "${dbName(db.url)}" OWNER TO "${role.name}"; ALTER SCHEMA public OWNER TO "${role.name}"`,
    );
    const url = role.urlFor(db.url);
    const held = [new Client({ connectionString: url }), new Client({ connectionString: url })];
    await Promise.all(held.map((c) => c.connect()));
    try {
      for (const args of [
        ['status', '--dir', set.dir, '--database', url],
        ['up', '--dir', set.dir, '--database', url],
        ['drift', '--dir', set.dir, '--shadow', adminUrl(), '--database', `t=${url}`],
      ]) {
        const run = await runCli(args);
        expect(run.code).toBe(1);
        expect(run.stdout + run.stderr).toMatch(
          /too many connections.*max_connections or the role's CONNECTION LIMIT is reached/,
        );
        expect(run.stdout + run.stderr).not.toContain('a bug in db-migrate');
      }
    } finally {
      await Promise.all(held.map((c) => c.end()));
    }
    expect(await recordedIds(db.url)).toEqual([]);
  });

  it('idle_session_timeout shorter than the shadow build: the lock session survives and apply migrates', async () => {
    const set = await ws.migrations(MIGRATIONS);
    const db = await ws.database(set, 0);
    const role = await createRole('idle', 'LOGIN');
    await query(
      db.url,
      `ALTER DATABASE "${dbName(db.url)}" OWNER TO "${role.name}"; ALTER SCHEMA public OWNER TO "${role.name}"; ALTER ROLE "${role.name}" SET idle_session_timeout = '200ms'`,
    );
    const first = await up(role.urlFor(db.url), set, { to: 1 });
    expect(first.error).toBeUndefined();
    // Building version 1's schema on the shadow server takes a second (pg_sleep), while the target's lock session idles.
    const run = await runCli([
      'apply',
      '--dir',
      set.dir,
      '--shadow',
      adminUrl(),
      '--database',
      `t=${role.urlFor(db.url)}`,
    ]);
    expect(run.stdout).toMatch(/^t +\S+ +applied +1 → 2 /m);
    expect(run.code).toBe(0);
    expect(await recordedIds(db.url)).toEqual(['0001_slow.sql', '0002_b.sql']);
  });
});
