/**
 * Which failures are worth another attempt, and how long to wait before it. Applying is idempotent
 * (each migration commits together with its record, and a new attempt re-reads the version under the
 * lock), so retrying a transient failure can never apply a migration twice.
 */
import { errorMessage } from '../errors';

export interface RetryOptions {
  /** Attempts in all, the first included (default DEFAULT_RETRY_ATTEMPTS; 1 disables retries). */
  readonly attempts?: number;
  /** Wait before the second attempt; each later wait doubles, with ±25 % jitter (default DEFAULT_RETRY_BASE_DELAY_MS). */
  readonly baseDelayMs?: number;
}

export const DEFAULT_RETRY_ATTEMPTS = 4;
export const DEFAULT_RETRY_BASE_DELAY_MS = 500;

/**
 * SQLSTATEs that say "the same thing may well succeed in a moment": serialization failure, deadlock,
 * lock timeout, too many connections, server starting up, and the connection-exception class.
 * Not 57P01 (an administrator terminated the session): that is someone's decision, not bad luck.
 */
const TRANSIENT_SQLSTATES = new Set([
  '40001',
  '40P01',
  '55P03',
  '53300',
  '57P03',
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
]);
const TRANSIENT_NODE_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
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

/** The SQLSTATE or Node error code of an error, looking through `cause`. */
export function errorCode(error: unknown): string | undefined {
  for (
    let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    if (typeof e.code === 'string') return e.code;
  }
  return undefined;
}

export function isTransientCode(code: string | undefined): boolean {
  return code !== undefined && (TRANSIENT_SQLSTATES.has(code) || TRANSIENT_NODE_CODES.has(code));
}

/** True when a failure is worth retrying: a transient SQLSTATE or network error, by code or by its words. */
export function isTransientFailure(error: unknown, sqlState?: string): boolean {
  if (sqlState !== undefined) return isTransientCode(sqlState);
  const code = errorCode(error);
  if (code !== undefined && isTransientCode(code)) return true;
  if (code === '57P01') return false;
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
