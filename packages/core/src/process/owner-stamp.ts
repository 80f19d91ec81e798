/**
 * Who owns what db-migrate creates (a throwaway database, an embedded server): an owner stamp names the pid,
 * the host and the process's start time (so a reused pid is not taken for the owner). A run killed with
 * SIGKILL (or a crashed runner) leaves things behind; the sweeps at the next start (shadow/shadow-databases.ts,
 * postgres-server/leftover-servers.ts) remove only what is stamped, and only when its owner is gone from
 * this host, or when it is older than LEFTOVER_MAX_AGE_MS (an owner on another host, e.g. a CI runner that
 * vanished). Unstamped things are never touched.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

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
export function parseStamp(text: string): OwnerStamp | undefined {
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
