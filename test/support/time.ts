import { availableParallelism, loadavg } from 'node:os';

/**
 * Time in tests: bounds that only catch hangs, scaled by one multiplier, and waits on events or server
 * state instead of a clock. The multiplier is DB_MIGRATE_TEST_TIME_SCALE if set, else the machine's load
 * per core (at least 1) when the test file starts: each file measures it again, so a run that began on a
 * quiet machine still scales when a second run starts beside it.
 */
export const TIME_SCALE =
  Number(process.env.DB_MIGRATE_TEST_TIME_SCALE) || Math.max(1, Math.ceil(loadavg()[0] / availableParallelism()));

/** Jest's timeout for one test (or hook) on a quiet machine. */
export const TEST_TIMEOUT_MS = 120_000;

/** `ms` on a quiet machine, scaled for this run: for a test's timeout or a child process's bound. */
export function scaled(ms: number): number {
  return ms * TIME_SCALE;
}

/**
 * Polls `check` until it returns something other than undefined, null or false, and returns that. No bound
 * of its own: the test's (scaled) timeout ends a wait that never succeeds. `unless` fails the wait as soon
 * as it settles (e.g. a child process that exited before doing what was awaited), with its value in the message.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  unless?: Promise<unknown>,
): Promise<T> {
  let stopped: string | undefined;
  void unless?.then(
    (value) => (stopped = String(value)),
    (error: unknown) => (stopped = String(error)),
  );
  for (;;) {
    const found = await check();
    if (found !== undefined && found !== null && found !== false) return found;
    if (stopped !== undefined) throw new Error(`gave up waiting for ${what}: ${stopped}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
