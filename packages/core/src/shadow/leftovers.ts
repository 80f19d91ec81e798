/**
 * What a run killed with SIGKILL (or a crashed runner) leaves behind, and the sweep at the next start
 * that removes it: shadow databases on a shadow server, and embedded servers still running with
 * their password file under the temp directory.
 *
 * Each thing db-migrate creates carries an owner stamp: the pid, the host and the process's start
 * time (so a reused pid is not taken for the owner). The sweep removes only what is stamped, and only
 * when its owner is gone from this host, or when it is older than LEFTOVER_MAX_AGE_MS (an owner on
 * another host, e.g. a CI runner that vanished). Unstamped things are never touched.
 */
import { readdirSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** Older than this, a stamped leftover is removed even when its owner ran on another host. */
export const LEFTOVER_MAX_AGE_MS = 24 * 60 * 60_000;

export interface OwnerStamp {
  readonly pid: number;
  readonly host: string;
  /** The process's start time as the kernel counts it (Linux /proc), or empty where unknown. */
  readonly start: string;
  /** When the thing was created, ISO 8601. */
  readonly created: string;
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); undefined when the process is gone. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ")".
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return undefined;
  }
}

/** True when a process with this pid runs on this host (EPERM: it runs, as another user). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The stamp of a process of this host (by default this one), for something it owns from now on. */
export function ownerStamp(pid = process.pid): OwnerStamp {
  return { pid, host: hostname(), start: processStart(pid) ?? '', created: new Date().toISOString() };
}

/** True when the owner of `stamp` is certainly gone (on this host), or the stamp is older than the bound. */
export function ownerIsGone(stamp: OwnerStamp, now = Date.now()): boolean {
  const created = Date.parse(stamp.created);
  if (Number.isFinite(created) && now - created > LEFTOVER_MAX_AGE_MS) return true;
  if (stamp.host !== hostname() || stamp.pid === process.pid) return false;
  if (!processExists(stamp.pid)) return true;
  const start = processStart(stamp.pid);
  // Alive under that pid: the owner unless the kernel says it started at another time (a reused pid).
  return stamp.start !== '' && start !== undefined && start !== stamp.start;
}

const STAMP_PREFIX = 'db-migrate throwaway database; owner ';

/** The COMMENT ON DATABASE text that stamps a shadow database. */
export function stampComment(stamp: OwnerStamp): string {
  return STAMP_PREFIX + JSON.stringify(stamp);
}

/** The stamp in a database comment, or undefined when it holds none. */
export function parseStampComment(comment: string | null | undefined): OwnerStamp | undefined {
  if (!comment?.startsWith(STAMP_PREFIX)) return undefined;
  return parseStamp(comment.slice(STAMP_PREFIX.length));
}

/** A stamp from its JSON text (a comment, an owner file), or undefined when it is not one. */
function parseStamp(text: string): OwnerStamp | undefined {
  try {
    const value = JSON.parse(text) as Partial<OwnerStamp>;
    if (typeof value.pid !== 'number' || typeof value.host !== 'string' || typeof value.created !== 'string')
      return undefined;
    return {
      pid: value.pid,
      host: value.host,
      start: typeof value.start === 'string' ? value.start : '',
      created: value.created,
    };
  } catch {
    return undefined;
  }
}

/** The file in an embedded server's directory naming its owner. */
export const OWNER_FILE = 'owner.json';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The postmaster of `dataDir` when it is still running (checked by its working directory where readable). */
function runningPostmaster(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
  if (!Number.isSafeInteger(pid) || pid <= 0 || !processExists(pid)) return undefined;
  try {
    return realpathSync(readlinkSync(`/proc/${pid}/cwd`)) === realpathSync(dataDir) ? pid : undefined;
  } catch {
    // No /proc, or not ours to read: trust the pid file only if the process is a postgres.
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres') ? pid : undefined;
    } catch {
      return undefined;
    }
  }
}

/**
 * Stops and removes the embedded servers that dead runs left under `parent` (directories starting with
 * `prefix` that hold an owner file whose owner is gone): the postmaster gets SIGQUIT (immediate
 * shutdown), then the directory, with its password file, is removed. Returns the directories removed.
 */
export async function sweepLeftoverServers(
  parent: string,
  prefix: string,
  onRemoved: (dir: string, stamp: OwnerStamp) => void = () => undefined,
): Promise<string[]> {
  let entries: string[];
  try {
    entries = readdirSync(parent).filter((name) => name.startsWith(prefix));
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of entries) {
    const dir = join(parent, name);
    let stamp: OwnerStamp | undefined;
    try {
      stamp = parseStamp(readFileSync(join(dir, OWNER_FILE), 'utf8'));
    } catch {
      continue; // no owner file: not ours to judge
    }
    if (!stamp || !ownerIsGone(stamp)) continue;
    const pid = runningPostmaster(join(dir, 'data'));
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGQUIT');
      } catch {
        continue; // not ours to stop
      }
      // Bounded: a postmaster in immediate shutdown exits within moments.
      for (let waited = 0; processExists(pid) && waited < 10_000; waited += 50) await sleep(50);
      if (processExists(pid)) continue;
    }
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
    onRemoved(dir, stamp);
  }
  return removed;
}
