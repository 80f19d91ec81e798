/**
 * Several statements in one round trip: PostgreSQL's simple query protocol runs a query string of many
 * statements in order and stops at the first error. Only for statements db-migrate writes itself
 * (no parameters: values are inlined as literals); a migration's own statements run one by one, so a
 * failure names its statement and line.
 */
import { type Client, Query, type QueryResult } from 'pg';

export interface BatchFailure {
  /** The error of the statement that failed; the statements after it did not run. */
  readonly error: Error & { code?: string };
  /** Index of the failed statement in the batch. */
  readonly failedIndex: number;
}

/** The results of the statements that completed before the failure, with the failure when one happened. */
export type BatchOutcome = { readonly results: readonly QueryResult[] } & (
  | { readonly failure: BatchFailure }
  | { readonly failure?: undefined }
);

/** Counts the statements that completed, so a failure is attributed to the statement that caused it. */
class CountingQuery extends Query {
  readonly tags: string[] = [];
  handleCommandComplete(msg: { text: string }, connection: unknown): void {
    this.tags.push(msg.text);
    (Query.prototype as unknown as { handleCommandComplete(m: unknown, c: unknown): void }).handleCommandComplete.call(
      this,
      msg,
      connection,
    );
  }
}

/**
 * Sends `statements` as one query string. An SQL error becomes `failure` (never thrown); a broken
 * connection is thrown. A statement may end with a line comment: each is followed by a newline.
 */
export function runBatch(client: Client, statements: readonly string[]): Promise<BatchOutcome> {
  if (statements.length === 0) return Promise.resolve({ results: [] });
  const text = statements.map((s) => `${s}\n;`).join('\n');
  return new Promise((resolve, reject) => {
    const query = new CountingQuery({ text }, ((
      error: (Error & { code?: string; severity?: string }) | undefined,
      result: QueryResult | QueryResult[],
    ) => {
      if (!error) return resolve({ results: Array.isArray(result) ? result : [result] });
      // Errors from the server carry a severity; anything else (a reset socket, a closed client) is not SQL's.
      if (!error.severity) return reject(error);
      const completed = query.tags.length;
      const partial = ((query as unknown as { _results: QueryResult | QueryResult[] })._results ?? []) as
        | QueryResult
        | QueryResult[];
      const results = (Array.isArray(partial) ? partial : [partial]).slice(0, completed);
      resolve({ results, failure: { error, failedIndex: completed } });
    }) as never);
    // client.query with a Submittable returns it; errors arrive through the callback.
    client.query(query as never);
  });
}
