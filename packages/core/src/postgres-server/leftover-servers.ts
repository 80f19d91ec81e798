/**
 * The sweep at start that stops and removes the embedded servers a killed run left running, with their
 * password file, under the temp directory (see process/owner-stamp.ts for who owns what).
 */
import { readdirSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type OwnerStamp, ownerIsGone, parseStamp, processExists } from '../process/owner-stamp';

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
