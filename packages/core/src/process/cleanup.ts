/**
 * Cleanup that must run however the process ends: normal exit, an uncaught error, SIGINT or SIGTERM.
 *
 * Two kinds of handler:
 * - synchronous ones (onExitCleanup) run from the 'exit' event too, where nothing asynchronous can happen;
 * - asynchronous ones (onSignalCleanup) run on a signal only, awaited (up to SIGNAL_CLEANUP_TIMEOUT_MS) before
 *   the process exits. Dropping a database on a remote server or removing a Docker container needs a network
 *   round trip, which the 'exit' event cannot wait for, but a signal handler can.
 * On a signal the asynchronous handlers run first, then the synchronous ones, then the process exits with
 * 128 + the signal number. A second signal during the wait skips straight to the synchronous handlers.
 */
const handlers = new Set<() => void>();
const signalHandlers = new Set<() => Promise<void>>();
let installed = false;
let signalled = false;
/** Aborted, with the signal's name as its reason, when the first SIGINT, SIGTERM or SIGHUP arrives. */
const interruption = new AbortController();

/** How long a signal waits for asynchronous cleanups before exiting anyway. */
const SIGNAL_CLEANUP_TIMEOUT_MS = 15_000;

function runAll(): void {
  for (const handler of [...handlers]) {
    handlers.delete(handler);
    try {
      handler();
    } catch {
      /* keep cleaning */
    }
  }
}

async function runSignalHandlers(): Promise<void> {
  const pending = [...signalHandlers];
  signalHandlers.clear();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, SIGNAL_CLEANUP_TIMEOUT_MS);
  });
  await Promise.race([Promise.allSettled(pending.map((handler) => handler())), timeout]);
  clearTimeout(timer);
}

const exitCodes = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      const exit = () => {
        runAll();
        process.exit(exitCodes[signal]);
      };
      if (signalled) return exit();
      signalled = true;
      interruption.abort(signal);
      void runSignalHandlers().then(exit, exit);
    });
  }
}

/**
 * The process's interruption as an AbortSignal (reason: `SIGINT`...), for work that is not handed a signal
 * of its own: aborted once SIGINT, SIGTERM or SIGHUP arrived while cleanup handlers are installed. Work
 * that changes databases starts no new step (a target, a migration) once it is aborted, and cancels the
 * statement running: the exit would cut it in the middle anyway.
 */
export function interruptSignal(): AbortSignal {
  return interruption.signal;
}

/**
 * Runs `work` so that the exit a SIGINT or SIGTERM causes waits (up to SIGNAL_CLEANUP_TIMEOUT_MS) until it
 * is done: a fleet run, stopped by a signal (see interruptSignal), still prints and writes its report.
 */
export async function finishBeforeSignalExit<T>(work: () => Promise<T>): Promise<T> {
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const release = onSignalCleanup(() => done);
  try {
    return await work();
  } finally {
    finished();
    release();
  }
}

/** Registers a cleanup; returns the function that unregisters it (call it once cleaned up normally). */
export function onExitCleanup(handler: () => void): () => void {
  install();
  handlers.add(handler);
  return () => handlers.delete(handler);
}

/**
 * Registers an asynchronous cleanup awaited when the process gets SIGINT, SIGTERM or SIGHUP; returns the
 * function that unregisters it. Pair it with an onExitCleanup fallback for exits that are not signals.
 */
export function onSignalCleanup(handler: () => Promise<void>): () => void {
  install();
  signalHandlers.add(handler);
  return () => signalHandlers.delete(handler);
}
