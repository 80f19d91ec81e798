/**
 * Which failures are worth another attempt, and how long to wait before it. Applying is idempotent
 * (each migration commits together with its record, and a new attempt re-reads the version under the
 * lock), so retrying a transient failure can never apply a migration twice.
 */
import { errorCode, errorCodeMeaning, ownErrorCodeMeaning } from '../error-codes';
import { errorMessage } from '../errors';

export interface RetryOptions {
  /** Attempts in all, the first included (default DEFAULT_RETRY_ATTEMPTS; 1 disables retries). */
  readonly attempts?: number;
  /** Wait before the second attempt; each later wait doubles, with ±25 % jitter (default DEFAULT_RETRY_BASE_DELAY_MS). */
  readonly baseDelayMs?: number;
}

export const DEFAULT_RETRY_ATTEMPTS = 4;
export const DEFAULT_RETRY_BASE_DELAY_MS = 500;

/** For failures that carry no code (connectDatabase keeps one in `cause`; others may not): recognise their words. */
const TRANSIENT_MESSAGES = [
  /too many clients/i,
  /too many connections/i,
  /remaining connection slots are reserved/i,
  /starting up or shutting down/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /connection terminated unexpectedly/i,
  /\bECONNRESET\b/,
  /\bEPIPE\b/,
  /could not serialize access/i,
  /deadlock detected/i,
  /canceling statement due to lock timeout/i,
];

/** Whether a code says the same thing may well succeed in a moment (error-codes.ts). */
export function isTransientCode(code: string | undefined): boolean {
  return errorCodeMeaning(code)?.retryable === true;
}

/**
 * True when a failure is worth retrying: by its code when the table lists it (one by one, not by class),
 * else by its words (a failure may carry no code).
 */
export function isTransientFailure(error: unknown, sqlState?: string): boolean {
  if (sqlState !== undefined) return isTransientCode(sqlState);
  const code = errorCode(error);
  if (ownErrorCodeMeaning(code)) return isTransientCode(code);
  const message = errorMessage(error);
  return TRANSIENT_MESSAGES.some((pattern) => pattern.test(message));
}

/** The wait before attempt `attempt + 1` (attempt counts from 1). */
export function retryDelayMs(attempt: number, options: RetryOptions = {}): number {
  const base = options.baseDelayMs ?? DEFAULT_RETRY_BASE_DELAY_MS;
  const jitter = 0.75 + Math.random() * 0.5;
  return Math.round(base * 2 ** (attempt - 1) * jitter);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
