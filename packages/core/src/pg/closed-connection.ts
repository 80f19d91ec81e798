/**
 * node-postgres says that a connection is closed only in English: its errors for a connection the server,
 * a proxy or the network ended carry no code (no SQLSTATE, no Node code), unlike the server's own errors.
 * This is the one place that reads those words (test/closed-connection.test.ts checks them against the
 * real driver).
 */

/**
 * Whether `error` (or an error it wraps, `cause`) is node-postgres's own for a closed connection:
 * "Connection terminated unexpectedly" (the socket closed under a query), "Client has encountered a
 * connection error and is not queryable" or "Client was closed and is not queryable" (a query after that).
 * A connection that timed out while opening is not one of them.
 */
export function connectionClosed(error: unknown): boolean {
  let e = error as { message?: unknown; code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 5; depth++, e = e.cause as typeof e) {
    if (typeof e.code === 'string') return false; // a coded failure says what it is by its code
    if (typeof e.message === 'string' && /^Connection terminated unexpectedly$|is not queryable$/.test(e.message))
      return true;
  }
  return false;
}
