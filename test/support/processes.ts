import { existsSync, readFileSync } from 'node:fs';
import { waitFor } from './time';

/** Resolves once process `pid` has stopped: 'gone', or 'Z' while its parent has not reaped it (the test's timeout bounds the wait). */
export function processStopped(pid: number): Promise<'gone' | 'Z'> {
  return waitFor(`process ${pid} to stop`, async () => {
    if (!existsSync(`/proc/${pid}/status`)) return 'gone';
    const state = /State:\s+(\w)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return state === 'Z' ? 'Z' : undefined;
  });
}
