/**
 * Which failures are worth another attempt, and how long to wait before it. Applying is idempotent
 * (each migration commits together with its record, and a new attempt re-reads the version under the
 * lock), so retrying a transient failure can never apply a migration twice.
 */
import { errorCode, errorCodeMeaning, ownErrorCodeMeaning } from '../error-codes';
import { connectionClosed } from '../pg/closed-connection';

export interface RetryOptions {
  /** Attempts in all, the first included (default DEFAULT_RETRY_ATTEMPTS; 1 disables retries). */
  readonly attempts?: number;
  /** Wait before the second attempt; each later wait doubles, with ±25 % jitter (default DEFAULT_RETRY_BASE_DELAY_MS). */
  readonly baseDelayMs?: number;
}

export const DEFAULT_RETRY_ATTEMPTS = 4;
export const DEFAULT_RETRY_BASE_DELAY_MS = 500;

/** Whether a code says the same thing may well succeed in a moment (error-codes.ts). */
export function isTransientCode(code: string | undefined): boolean {
  return errorCodeMeaning(code)?.retryable === true;
}

/**
 * True when a failure is worth retrying: by its code (or the code of the error it wraps) when the table
 * lists it (one by one, not by class); a failure without a code only when node-postgres says the
 * connection broke (connectionClosed).
 */
export function isTransientFailure(error: unknown, sqlState?: string): boolean {
  if (sqlState !== undefined) return isTransientCode(sqlState);
  const code = errorCode(error);
  if (code !== undefined) return ownErrorCodeMeaning(code) !== undefined && isTransientCode(code);
  return connectionClosed(error);
}

/** The wait before attempt `attempt + 1` (attempt counts from 1). */
export function retryDelayMs(attempt: number, options: RetryOptions = {}): number {
  const base = options.baseDelayMs ?? DEFAULT_RETRY_BASE_DELAY_MS;
  const jitter = 0.75 + Math.random() * 0.5;
  return Math.round(base * 2 ** (attempt - 1) * jitter);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
