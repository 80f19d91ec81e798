/**
 * Several statements in one round trip: PostgreSQL's simple query protocol runs a query string of many
 * statements in order and stops at the first error. No parameters: values are inlined as literals. A
 * failure names the statement that failed (by PostgreSQL's error position, else by the statements
 * completed), so a migration's statements may share the batch when each is one command.
 */
import { type Client, Query, type QueryResult } from 'pg';

export interface BatchFailure {
  /** The error of the statement that failed; the statements after it did not run. */
  readonly error: Error & { code?: string };
  /**
   * Index of the failed statement in the batch: from PostgreSQL's error position when it gives one (a
   * syntax error stops the whole string before any statement runs), else the statements completed.
   */
  readonly failedIndex: number;
  /** PostgreSQL's error position made relative to the failed statement (1-based), when it gave one. */
  readonly position?: number;
}

/** The text sent for `statements`, and where each starts in it. */
function batchText(statements: readonly string[]): { text: string; starts: number[] } {
  const starts: number[] = [];
  let text = '';
  for (const statement of statements) {
    if (text) text += '\n';
    starts.push(text.length);
    text += `${statement}\n;`;
  }
  return { text, starts };
}

/** The statement a 1-based position in the batch's text falls in, and the position within it. */
function locate(starts: readonly number[], position: unknown): { index: number; position: number } | undefined {
  const offset = Number(position) - 1;
  if (!Number.isInteger(offset) || offset < 0) return undefined;
  let index = 0;
  while (index + 1 < starts.length && starts[index + 1]! <= offset) index++;
  return { index, position: offset - starts[index]! + 1 };
}

/** The results of the statements that completed before the failure, with the failure when one happened. */
export type BatchOutcome = { readonly results: readonly QueryResult[] } & (
  | { readonly failure: BatchFailure }
  | { readonly failure?: undefined }
);

/** Called with each statement's result as soon as it arrives, while later statements still run. */
export type OnStatementResult = (index: number, result: QueryResult) => void;

/**
 * Counts the statements that completed, so a failure is attributed to the statement that caused it, and
 * hands each result on as it completes.
 */
class CountingQuery extends Query {
  readonly tags: string[] = [];
  onResult?: OnStatementResult;
  handleCommandComplete(msg: { text: string }, connection: unknown): void {
    this.tags.push(msg.text);
    (Query.prototype as unknown as { handleCommandComplete(m: unknown, c: unknown): void }).handleCommandComplete.call(
      this,
      msg,
      connection,
    );
    this.onResult?.(this.tags.length - 1, (this as unknown as { _result: QueryResult })._result);
  }
}

/**
 * Sends `statements` as one query string. An SQL error becomes `failure` (never thrown); a broken
 * connection is thrown. A statement may end with a line comment: each is followed by a newline.
 * `onResult` sees each statement's result as it arrives; it must not throw. (The server sends its output
 * when its 8 kB buffer fills and when the batch ends: a small result arrives with the next large one.)
 */
export function runBatch(
  client: Client,
  statements: readonly string[],
  onResult?: OnStatementResult,
): Promise<BatchOutcome> {
  if (statements.length === 0) return Promise.resolve({ results: [] });
  const { text, starts } = batchText(statements);
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
      const located = locate(starts, (error as { position?: unknown }).position);
      resolve({
        results,
        failure: located
          ? { error, failedIndex: located.index, position: located.position }
          : { error, failedIndex: completed },
      });
    }) as never);
    if (onResult) query.onResult = onResult;
    // client.query with a Submittable returns it; errors arrive through the callback.
    client.query(query as never);
  });
}
