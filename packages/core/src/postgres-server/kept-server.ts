import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigurationError } from '../errors';
import { registerUrlSecrets } from '../database-url';
import type { Logger } from '../logger';
import { connectDatabase } from '../pg/connect';
import { ownerStamp } from '../process/owner-stamp';
import { OWNER_FILE } from './leftover-servers';
import { startLocalServer } from './local-server';
import { cacheDirectory } from './binaries';

/**
 * Minutes a kept embedded server may stay idle before it stops itself. Unset (the actions): every run
 * starts its own server and stops it. Set (a developer's shell): CLI commands reuse one server per major.
 */
export const KEEP_EMBEDDED_ENV = 'DB_MIGRATE_KEEP_EMBEDDED';

/** What a later command needs to find a kept server again; the file is mode 0600 (it holds the password). */
interface KeptServerState {
  readonly adminUrl: string;
  readonly port: number;
  readonly major: number;
  readonly binDir: string;
  readonly dataDir: string;
  /** The temporary directory holding dataDir, removed when the server stops. */
  readonly root: string;
  readonly postmasterPid: number;
}

/** The idle minutes asked for by DB_MIGRATE_KEEP_EMBEDDED, or undefined when servers are not kept. */
export function keepEmbeddedMinutes(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env[KEEP_EMBEDDED_ENV]?.trim();
  if (!raw || raw === '0') return undefined;
  const minutes = Number(raw);
  if (!(minutes > 0)) throw new ConfigurationError(`${KEEP_EMBEDDED_ENV} must be a number of minutes, got "${raw}"`);
  return minutes;
}

export function keptServerStateFile(postgresVersion: number, env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDirectory(env), 'servers', `embedded-${postgresVersion}.json`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One process at a time starts or finds the kept server of a major (a lock file; a stale one is taken over). */
async function withLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  for (let _attempt = 0; ; _attempt++) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 60_000) rmSync(lock, { force: true });
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const client = await connectDatabase(url);
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/**
 * A detached process that stops the kept server once its state file has not been touched for idleMs
 * (every command touches it when it opens and closes the server), then removes its files. It is inline
 * code so that the bundles need no second file.
 */
function startWatchdog(stateFile: string, idleMs: number): number | undefined {
  const code = `
const fs = require('fs'), { execFileSync } = require('child_process'), path = require('path');
const [stateFile, idleMs] = [process.argv[1], Number(process.argv[2])];
const tick = Math.max(250, Math.min(2000, idleMs / 4));
setInterval(() => {
  let state, mtime;
  try { mtime = fs.statSync(stateFile).mtimeMs; state = JSON.parse(fs.readFileSync(stateFile, 'utf8')); } catch { process.exit(0); }
  let running = true;
  try { process.kill(state.postmasterPid, 0); } catch (e) { running = e.code === 'EPERM'; }
  if (running && Date.now() - mtime < idleMs) return;
  try { fs.rmSync(stateFile, { force: true }); } catch {}
  const args = ['-D', state.dataDir, '-m', 'fast', '-w', 'stop'];
  const pgCtl = path.join(state.binDir, 'pg_ctl');
  try {
    if (process.getuid && process.getuid() === 0) execFileSync('runuser', ['-u', 'postgres', '--', pgCtl, ...args], { stdio: 'ignore' });
    else execFileSync(pgCtl, args, { stdio: 'ignore' });
  } catch {}
  fs.rmSync(state.root, { recursive: true, force: true });
  process.exit(0);
}, tick);`;
  const child = spawn(process.execPath, ['-e', code, stateFile, String(idleMs)], { detached: true, stdio: 'ignore' });
  child.unref();
  return child.pid;
}

/**
 * The kept embedded server of a major: found again through its state file when it still answers, else
 * started (left running when this process exits) with a watchdog that stops it after `idleMinutes`.
 * Returns its superuser URL; shadow databases are made on it like on any existing server.
 */
export async function openKeptServer(
  postgresVersion: number,
  idleMinutes: number,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ adminUrl: string; reused: boolean; touch: () => void }> {
  const stateFile = keptServerStateFile(postgresVersion, env);
  mkdirSync(dirname(stateFile), { recursive: true, mode: 0o700 });
  const touch = () => {
    const now = new Date();
    try {
      utimesSync(stateFile, now, now);
    } catch {
      /* stopped meanwhile: the next command starts another */
    }
  };
  return withLock(stateFile, async () => {
    if (existsSync(stateFile)) {
      try {
        const state = JSON.parse(readFileSync(stateFile, 'utf8')) as KeptServerState;
        if (
          state.major === postgresVersion &&
          alive(state.postmasterPid) &&
          (await answers(registerUrlSecrets(state.adminUrl)))
        ) {
          touch();
          return { adminUrl: state.adminUrl, reused: true, touch };
        }
      } catch {
        /* unreadable: start another */
      }
      rmSync(stateFile, { force: true });
    }
    const server = await startLocalServer({ postgresVersion, logger, outliveProcess: true });
    const postmasterPid = Number(readFileSync(join(server.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const state: KeptServerState = {
      adminUrl: server.adminUrl,
      port: server.port,
      major: postgresVersion,
      binDir: server.binDir,
      dataDir: server.dataDir,
      root: dirname(server.dataDir),
      postmasterPid,
    };
    const partial = `${stateFile}.${process.pid}`;
    writeFileSync(partial, JSON.stringify(state) + '\n', { mode: 0o600 });
    renameSync(partial, stateFile);
    // The server outlives this command: its owner is the watchdog, so that the leftovers sweep of the next
    // command starting a server of its own does not take it for a dead run's (it is one once the watchdog is gone).
    const watchdog = startWatchdog(stateFile, idleMinutes * 60_000);
    if (watchdog !== undefined)
      writeFileSync(join(state.root, OWNER_FILE), JSON.stringify(ownerStamp(watchdog)) + '\n');
    logger.info(
      `started embedded PostgreSQL ${postgresVersion} on 127.0.0.1:${server.port}, kept for the next commands until ${idleMinutes} min idle (${KEEP_EMBEDDED_ENV})`,
    );
    return { adminUrl: server.adminUrl, reused: false, touch };
  });
}
