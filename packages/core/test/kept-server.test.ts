import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { query } from '../../../test/support/pg';
import { startLocalServer } from '../src/postgres-server/local-server';
import { keptServerStateFile } from '../src/postgres-server/kept-server';

const ROOT = resolve(__dirname, '../../..');
const cache = mkdtempSync(join(tmpdir(), 'db-migrate-test-kept-'));
chmodSync(cache, 0o755);
const env = { ...process.env, DB_MIGRATE_CACHE: cache, DB_MIGRATE_KEEP_EMBEDDED: '5' };

interface Report {
  readonly port: number;
  readonly dataDir: string;
  readonly description: string;
  readonly database: string;
}

/** One command of the local loop, in its own process, as the CLI runs. */
async function command(): Promise<Report> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['-r', join(ROOT, 'scripts/register-ts.js'), join(__dirname, 'kept-server-child.ts')],
    { env },
  );
  return JSON.parse(stdout) as Report;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 100));
}

afterAll(() => rmSync(cache, { recursive: true, force: true }));

describe('the embedded server kept between commands (DB_MIGRATE_KEEP_EMBEDDED)', () => {
  it('is started by the first command, found again by the next, and stops itself once idle', async () => {
    const first = await command();
    expect(first.description).toMatch(/^embedded PostgreSQL 15 \(kept for the next commands, 127\.0\.0\.1:\d+\)$/);
    const stateFile = keptServerStateFile(15, env);
    // The state file holds the password: only its owner may read it.
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { adminUrl: string; port: number; dataDir: string };
    expect(state.port).toBe(first.port);

    const second = await command();
    expect(second.description).toBe(`embedded PostgreSQL 15 (kept from an earlier command, 127.0.0.1:${first.port})`);
    expect({ port: second.port, dataDir: second.dataDir }).toEqual({ port: first.port, dataDir: first.dataDir });
    // Each command's shadow databases are gone when it ends; the server stays.
    const databases = await query<{ datname: string }>(
      state.adminUrl,
      `select datname from pg_database where datname like 'db_migrate_tmp_%'`,
    );
    expect(databases).toEqual([]);

    // A command starting a server of its own first sweeps what dead runs left: the kept server, whose
    // starter has exited, is not one of those (the watchdog owns it).
    const other = await startLocalServer({ postgresVersion: 15 });
    await other.stop();
    expect(await query(state.adminUrl, 'select 1 as one')).toEqual([{ one: 1 }]);

    // Idle: as if the last command had ended an hour ago. The watchdog stops the server and removes its files.
    const anHourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(stateFile, anHourAgo, anHourAgo);
    await until(() => !existsSync(stateFile) && !existsSync(first.dataDir));
    await expect(query(state.adminUrl, 'select 1')).rejects.toThrow(/ECONNREFUSED/);
  });
});
