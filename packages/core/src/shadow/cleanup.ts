/**
 * Cleanup that must run however the process ends: normal exit, an uncaught error, SIGINT or SIGTERM.
 * Handlers are synchronous so they can run from the 'exit' event.
 */
const handlers = new Set<() => void>();
let installed = false;

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

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      runAll();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/** Registers a cleanup; returns the function that unregisters it (call it once cleaned up normally). */
export function onExitCleanup(handler: () => void): () => void {
  install();
  handlers.add(handler);
  return () => handlers.delete(handler);
}
