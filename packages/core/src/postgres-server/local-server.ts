import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, chownSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { ConfigurationError } from '../errors';
import { registerUrlSecrets } from '../database-url';
import type { Logger } from '../logger';
import { onExitCleanup } from '../process/cleanup';
import { ownerStamp } from '../process/owner-stamp';
import { OWNER_FILE, sweepLeftoverServers } from './leftover-servers';
import { findPostgresBinaries } from './binaries';

const execFileAsync = promisify(execFile);

/** Every embedded server lives in a directory of the temp directory with this prefix (swept when its owner is gone). */
export const LOCAL_SERVER_DIR_PREFIX = 'db-migrate-pg-';

/** The Postgres major used when no option names one. Must match production's (diff output depends on it). */
export const DEFAULT_POSTGRES_VERSION = 15;

export interface LocalServer {
  /** Superuser URL of the server's `postgres` database, with password. */
  readonly adminUrl: string;
  readonly port: number;
  readonly major: number;
  readonly binDir: string;
  /** The data directory (inside a temporary directory that stop() removes). */
  readonly dataDir: string;
  stop(): Promise<void>;
}

export interface LocalServerOptions {
  postgresVersion?: number;
  /** Directory holding initdb, pg_ctl and postgres; found (or downloaded) from the major when absent. */
  binDir?: string;
  /** Says when binaries are downloaded. */
  logger?: Logger;
  /** Leave it running when this process exits (a kept server, stopped by its idle watchdog: kept-server.ts). */
  outliveProcess?: boolean;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A detached process that stops the server and removes its directory (password file included) when its
 * owner dies, even by SIGKILL: it holds the read end of a pipe whose write end only the owner has, and
 * the kernel closes that end when the owner is gone. Inline code, so that the bundles need no second file.
 */
function startOwnerWatchdog(root: string, dataDir: string, pgCtl: string, isRoot: boolean): ChildProcess | undefined {
  const code = `
const fs = require('fs'), { execFileSync } = require('child_process');
const [root, dataDir, pgCtl, asRoot] = process.argv.slice(1);
let done = false;
const stop = () => {
  if (done) return;
  done = true;
  const args = ['-D', dataDir, '-m', 'immediate', '-w', 'stop'];
  try {
    if (asRoot === '1') execFileSync('runuser', ['-u', 'postgres', '--', pgCtl, ...args], { stdio: 'ignore' });
    else execFileSync(pgCtl, args, { stdio: 'ignore' });
  } catch {}
  fs.rmSync(root, { recursive: true, force: true });
  process.exit(0);
};
process.stdin.on('data', () => {});
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.on('error', stop);`;
  try {
    const child = spawn(process.execPath, ['-e', code, root, dataDir, pgCtl, isRoot ? '1' : '0'], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    child.on('error', () => undefined);
    child.stdin?.on('error', () => undefined);
    // Neither the watchdog nor its pipe keeps this process alive.
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return child;
  } catch {
    return undefined; // the sweep of the next command remains
  }
}

function runAsServerUser(
  isRoot: boolean,
  command: string,
  args: string[],
): Promise<{ stdout: string; stderr: string }> {
  // initdb and postgres refuse to run as root: run them as the `postgres` OS user there.
  return isRoot ? execFileAsync('runuser', ['-u', 'postgres', '--', command, ...args]) : execFileAsync(command, args);
}

/**
 * Starts a throwaway PostgreSQL server on 127.0.0.1 and a free port, tuned for speed over durability
 * (fsync off): for schema builds, never for data. Stopped and removed by stop(), on process exit or signal,
 * and by a watchdog when this process dies without either (SIGKILL).
 */
export async function startLocalServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  const postgresVersion = options.postgresVersion ?? DEFAULT_POSTGRES_VERSION;
  const binDir = await findPostgresBinaries(postgresVersion, { binDir: options.binDir, logger: options.logger });
  const isRoot = process.getuid?.() === 0;
  // Servers that runs killed with SIGKILL left running (with their password files) go first.
  await sweepLeftoverServers(tmpdir(), LOCAL_SERVER_DIR_PREFIX);
  const root = mkdtempSync(join(tmpdir(), LOCAL_SERVER_DIR_PREFIX));
  // Written first, so that a run killed at any later point leaves a directory the next sweep can judge.
  writeFileSync(join(root, OWNER_FILE), JSON.stringify(ownerStamp()) + '\n');
  const dataDir = join(root, 'data');
  const password = randomBytes(12).toString('hex');
  const pwFile = join(root, 'pw');
  writeFileSync(pwFile, password + '\n', { mode: 0o600 });
  if (isRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(root, uid, gid);
    chownSync(pwFile, uid, gid);
  }
  let stopped = false;
  // A kept server has its own (idle) watchdog; any other stops with its owner, however the owner ends.
  const watchdog = options.outliveProcess
    ? undefined
    : startOwnerWatchdog(root, dataDir, join(binDir, 'pg_ctl'), isRoot);
  const removeFiles = () => rmSync(root, { recursive: true, force: true });
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    watchdog?.kill();
    try {
      const args = ['-D', dataDir, '-m', 'immediate', '-w', 'stop'];
      if (isRoot)
        execFileSync('runuser', ['-u', 'postgres', '--', join(binDir, 'pg_ctl'), ...args], { stdio: 'ignore' });
      else execFileSync(join(binDir, 'pg_ctl'), args, { stdio: 'ignore' });
    } catch {
      /* already down */
    }
    removeFiles();
  };
  const unregister = options.outliveProcess ? () => false : onExitCleanup(stopSync);
  try {
    try {
      await runAsServerUser(isRoot, join(binDir, 'initdb'), [
        '-D',
        dataDir,
        '-U',
        'postgres',
        '-E',
        'UTF8',
        '--locale=C.UTF-8',
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        `--pwfile=${pwFile}`,
        '--no-sync',
      ]);
    } catch (error) {
      // The environment, not db-migrate: a missing shared library, a temp directory the server user cannot write.
      const output = String((error as { stderr?: string }).stderr ?? (error as Error).message)
        .trim()
        .split('\n')
        .slice(-5)
        .join('\n');
      throw new ConfigurationError(
        `initdb of PostgreSQL ${postgresVersion} (${binDir}) failed: ${output}\n` +
          `hint: check that the server package is complete (its shared libraries load: ${join(binDir, 'postgres')} --version) and that ` +
          `${root} is writable by ${isRoot ? 'the postgres user (the temp directory and its parents must be searchable by it)' : 'this user'}; or pass a shadow database URL`,
        { cause: error },
      );
    }
    const port = await freePort();
    const serverOptions = [
      '-c listen_addresses=127.0.0.1',
      `-p ${port}`,
      `-k ${root}`,
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=300',
      '-c shared_buffers=64MB',
    ].join(' ');
    try {
      await runAsServerUser(isRoot, join(binDir, 'pg_ctl'), [
        '-D',
        dataDir,
        '-l',
        join(root, 'server.log'),
        '-w',
        '-t',
        '60',
        '-o',
        serverOptions,
        'start',
      ]);
    } catch (error) {
      const log = existsSync(join(root, 'server.log'))
        ? readFileSync(join(root, 'server.log'), 'utf8').slice(-2000)
        : '';
      throw new ConfigurationError(
        `could not start a local PostgreSQL ${postgresVersion} server (it did not become ready within 60 s, or exited): ${(error as Error).message}\n${log}\n` +
          `hint: the server log above says why (port, shared memory, permissions); or pass a shadow database URL`,
        { cause: error },
      );
    }
    const adminUrl = registerUrlSecrets(`postgresql://postgres:${password}@127.0.0.1:${port}/postgres`);
    return {
      adminUrl,
      port,
      major: postgresVersion,
      binDir,
      dataDir,
      async stop() {
        unregister();
        stopSync();
      },
    };
  } catch (error) {
    unregister();
    stopSync();
    throw error;
  }
}
