/**
 * Never queue behind a long query. A statement waiting for a lock blocks every later request on that
 * table that conflicts with it (the lock queue), so each migration statement runs with a short
 * lock_timeout; when it times out, the application's queue drains during a pause, and the statement
 * (or its whole transaction) is tried again, many times over minutes, within a budget. While it waits,
 * a second connection looks at who blocks it, so each failed attempt and the final error can say so.
 */
import { Client } from 'pg';
import { errorMessage } from '../errors';
import { redact } from '../redact';
import { type Logger, silentLogger } from '../logger';
import { describeDuration } from '../duration';
import { interruptSignal } from '../process/cleanup';

/**
 * lock_timeout of every migration statement. Behind a long transaction, application queries on the
 * table wait at most this long (plus a round trip) before our request is withdrawn; short enough to
 * keep them near a 1 s latency bar, long enough for a busy table's short transactions to finish and
 * grant the lock on a first attempt.
 */
export const DEFAULT_LOCK_TIMEOUT_MS = 1000;
/** How long a migration keeps trying to get its locks, pauses included, before it gives up. */
export const DEFAULT_LOCK_RETRY_BUDGET_MS = 10 * 60_000;
/** The first pause after a lock timeout; each later one doubles, up to LOCK_RETRY_MAX_PAUSE_MS. */
export const LOCK_RETRY_FIRST_PAUSE_MS = 2000;
export const LOCK_RETRY_MAX_PAUSE_MS = 30_000;

/** lock_not_available: lock_timeout expired (or NOWAIT). */
export const LOCK_NOT_AVAILABLE = '55P03';

/**
 * A statement still running at half its lock timeout (at least WATCH_AFTER_MIN_MS; with no lock timeout,
 * after WATCH_AFTER_NO_TIMEOUT_MS) is watched from a second connection, opened then.
 */
const WATCH_AFTER_MIN_MS = 100;
const WATCH_AFTER_NO_TIMEOUT_MS = 1000;
const WATCH_EVERY_MS = 250;
/** With lock_timeout 0 (wait for ever): how often the wait is reported. */
const REPORT_WAIT_EVERY_MS = 10_000;
const QUERY_EXCERPT_LENGTH = 60;
const CLEANUP_WAIT_MS = 60_000;

export interface LockRetryOptions {
  /** lock_timeout of each statement, ms (default DEFAULT_LOCK_TIMEOUT_MS); 0 waits for ever, without retries. */
  readonly lockTimeoutMs?: number;
  /** Stops the retries (an interrupted run); default the process's SIGINT/SIGTERM. */
  readonly signal?: AbortSignal;
  /** Time to keep retrying after a lock timeout, ms (default DEFAULT_LOCK_RETRY_BUDGET_MS); 0: no retry. */
  readonly lockRetryBudgetMs?: number;
}

export interface Blocker {
  readonly pid: number;
  readonly application: string | null;
  readonly state: string | null;
  /** How long its transaction has been open, s; null when this role cannot see it. */
  readonly transactionSeconds: number | null;
  /** The start of its current (or last) query, literals blanked and secrets redacted. */
  readonly query: string | null;
}

/** What a waiting statement waited for, seen from a second connection. */
export interface LockWait {
  /** `public.orders`; undefined for a lock that is not on a table (CREATE INDEX CONCURRENTLY waits for other transactions to end). */
  readonly table?: string;
  readonly mode: string;
  readonly blockers: readonly Blocker[];
  /** Other sessions waiting for a lock on the same table. */
  readonly queued: number;
}

export function isLockTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === LOCK_NOT_AVAILABLE;
}

/** The pause before attempt `attempt + 1`: doubling from the first pause, capped, and jittered down by up to half. */
export function lockRetryPauseMs(attempt: number): number {
  const capped = Math.min(LOCK_RETRY_MAX_PAUSE_MS, LOCK_RETRY_FIRST_PAUSE_MS * 2 ** (attempt - 1));
  return Math.round(capped * (0.5 + Math.random() * 0.5));
}

/** The `SET lock_timeout` a session gets: the default when none is given. */
export function lockTimeoutOf(options: LockRetryOptions): number {
  return Math.max(0, Math.floor(options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS));
}

/** The start of a query, safe to print: string literals blanked (they may hold data or secrets), one line, redacted. */
function queryExcerpt(query: string | null): string | null {
  if (query === null || query === '' || query.startsWith('<insufficient privilege>')) return null;
  const text = query
    .replace(/'(?:[^']|'')*'/g, "'…'")
    .replace(/\$([A-Za-z_]*)\$[\s\S]*?\$\1\$/g, () => '$$…$$')
    .replace(/\s+/g, ' ')
    .trim();
  return redact(text.length > QUERY_EXCERPT_LENGTH ? `${text.slice(0, QUERY_EXCERPT_LENGTH)} …` : text);
}

function describeBlocker(b: Blocker): string {
  const parts = [`app '${b.application ?? ''}'`];
  if (b.state) parts.push(b.state);
  if (b.transactionSeconds !== null) parts.push(`transaction open ${b.transactionSeconds} s`);
  if (b.query) parts.push(`"${b.query}"`);
  return `pid ${b.pid} (${parts.join(', ')})`;
}

/** `blocked by pid 1234 (app 'reports', idle in transaction, transaction open 27 s); 12 sessions waiting` */
export function describeLockWait(wait: LockWait | undefined): string {
  if (!wait) return 'the blocking session was not seen (it ended, or this role cannot see it)';
  const shown = wait.blockers.slice(0, 3).map(describeBlocker);
  const more = wait.blockers.length > 3 ? ` and ${wait.blockers.length - 3} more` : '';
  const by = shown.length > 0 ? `blocked by ${shown.join(', ')}${more}` : 'blocked by a session this role cannot see';
  return wait.table
    ? `${by}; ${wait.queued} other session${wait.queued === 1 ? '' : 's'} waiting for ${wait.table}`
    : by;
}

/** `AccessExclusiveLock on public.orders`, or what a lock that is not on a table waits for. */
function describeLock(wait: LockWait | undefined): string {
  if (!wait) return 'a lock';
  return wait.table ? `${wait.mode} on ${wait.table}` : `${wait.mode} (waiting for another transaction to end)`;
}

const OBSERVE = `
  WITH waiting AS (
    SELECT l.mode, l.relation,
           CASE WHEN c.oid IS NOT NULL THEN format('%I.%I', n.nspname, c.relname) END AS rel
      FROM pg_catalog.pg_locks l
      LEFT JOIN pg_catalog.pg_class c ON c.oid = l.relation
      LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE l.pid = $1 AND NOT l.granted
     LIMIT 1)
  SELECT w.mode, w.rel,
         (SELECT count(DISTINCT q.pid) FROM pg_catalog.pg_locks q WHERE w.relation IS NOT NULL AND q.relation = w.relation AND NOT q.granted AND q.pid <> $1)::int AS queued,
         (SELECT coalesce(json_agg(json_build_object(
                   'pid', a.pid, 'application', a.application_name, 'state', a.state,
                   'transactionSeconds', floor(extract(epoch FROM now() - a.xact_start))::int,
                   'query', left(a.query, 400)) ORDER BY a.xact_start NULLS LAST), '[]'::json)
            FROM pg_catalog.pg_stat_activity a WHERE a.pid = ANY (pg_catalog.pg_blocking_pids($1))) AS blockers
    FROM waiting w`;

interface ObservedRow {
  readonly mode: string;
  readonly rel: string | null;
  readonly queued: number;
  readonly blockers: Blocker[];
}

/**
 * Watches one migration connection's lock waits from a second connection (opened with the same
 * parameters by the first statement still running at half its lock timeout, closed by close()) and keeps the
 * retry budget of the current migration.
 */
export class LockRetry {
  readonly lockTimeoutMs: number;
  readonly budgetMs: number;
  private observer: Promise<Client | undefined> | undefined;
  private started: number | undefined;
  private attempts = 0;
  private lastWait: LockWait | undefined;
  private readonly signal: AbortSignal;

  constructor(
    private readonly client: Client,
    options: LockRetryOptions,
    private readonly logger: Logger = silentLogger,
  ) {
    this.lockTimeoutMs = lockTimeoutOf(options);
    this.budgetMs = Math.max(0, options.lockRetryBudgetMs ?? DEFAULT_LOCK_RETRY_BUDGET_MS);
    this.signal = options.signal ?? interruptSignal();
  }

  /** A new migration (or notransaction statement) gets the whole budget again. */
  reset(): void {
    this.started = undefined;
    this.attempts = 0;
  }

  /** The attempt now running, counting from 1. */
  get attempt(): number {
    return this.attempts + 1;
  }

  /** What the last statement that waited for a lock waited for. */
  get lastSeen(): LockWait | undefined {
    return this.lastWait;
  }

  /** Runs one statement while watching what it waits for; `label` names it in the wait reports (lock timeout 0). */
  async watch<T>(run: () => Promise<T>, label: string): Promise<T> {
    this.lastWait = undefined;
    let done = false;
    // The watcher's pauses end early when the statement does: the statement never waits for them.
    let wake: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (wake = resolve));
    let timer: NodeJS.Timeout | undefined;
    const pause = (ms: number) =>
      Promise.race([finished, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]).finally(() =>
        clearTimeout(timer),
      );
    const began = Date.now();
    let nextReport = REPORT_WAIT_EVERY_MS;
    // Only a statement still running at half its lock timeout opens the second connection: most never do.
    const after =
      this.lockTimeoutMs > 0 ? Math.max(WATCH_AFTER_MIN_MS, this.lockTimeoutMs / 2) : WATCH_AFTER_NO_TIMEOUT_MS;
    const look = async () => {
      await pause(after);
      while (!done) {
        const wait = await this.observe().catch(() => undefined);
        if (done) break;
        if (wait) {
          this.lastWait = wait;
          const waited = Date.now() - began;
          if (this.lockTimeoutMs === 0 && waited >= nextReport) {
            nextReport += REPORT_WAIT_EVERY_MS;
            this.logger.warning(
              `${label}: waiting for ${describeLock(wait)} for ${describeDuration(waited)} (lock timeout 0: no limit); ${describeLockWait(wait)}`,
            );
          }
        }
        await pause(WATCH_EVERY_MS);
      }
    };
    const watching = look();
    try {
      return await run();
    } finally {
      done = true;
      wake();
      await watching.catch(() => undefined);
    }
  }

  /**
   * After a lock timeout: reports it, and when the budget allows another attempt, pauses and returns
   * true; false when the budget is spent (then `exhausted()` says why).
   */
  async retryAfterTimeout(label: string, rerun: string): Promise<boolean> {
    const now = Date.now();
    this.started ??= now - this.lockTimeoutMs;
    this.attempts++;
    const pause = lockRetryPauseMs(this.attempts);
    const spent = now - this.started;
    const wait = this.lastWait;
    const head = `${label}: ${describeLock(wait)} not granted in ${this.lockTimeoutMs} ms, attempt ${this.attempts}; ${describeLockWait(wait)}`;
    // An interrupted run makes no new attempt, and stops pausing.
    if (spent + pause + this.lockTimeoutMs > this.budgetMs || this.signal.aborted) return false;
    this.logger.warning(`${head}; ${rerun}, next attempt in ${describeDuration(pause)}`);
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, pause);
      this.signal.addEventListener('abort', done, { once: true });
    });
    return !this.signal.aborted;
  }

  /**
   * How long the DROP INDEX CONCURRENTLY after a failed concurrent build may wait: it waits for the same
   * transactions the build waited for, but queues no lock the application's queries wait behind, so it
   * may wait longer than a statement: up to a minute, within what is left of the budget.
   */
  cleanupWaitMs(): number {
    if (this.lockTimeoutMs === 0) return 0;
    const left = this.budgetMs - (this.started === undefined ? 0 : Date.now() - this.started);
    return Math.max(this.lockTimeoutMs, Math.min(CLEANUP_WAIT_MS, left));
  }

  /** The words that end a final lock-timeout error: attempts, budget and the blocker. */
  exhausted(): string {
    const budget =
      this.budgetMs === 0
        ? 'no retries (lock retry budget 0)'
        : `the lock retry budget of ${describeDuration(this.budgetMs)} is spent`;
    return `lock not granted in ${this.lockTimeoutMs} ms on ${this.attempts} attempt${this.attempts === 1 ? '' : 's'}, ${budget}; ${describeLockWait(this.lastWait)}`;
  }

  async close(): Promise<void> {
    const observer = await this.observer?.catch(() => undefined);
    this.observer = undefined;
    await observer?.end().catch(() => undefined);
  }

  private async observe(): Promise<LockWait | undefined> {
    const pid = (this.client as unknown as { processID?: number }).processID;
    if (pid === undefined) return undefined;
    this.observer ??= this.openObserver();
    const observer = await this.observer;
    if (!observer) return undefined;
    const { rows } = await observer.query<ObservedRow>(OBSERVE, [pid]);
    const row = rows[0];
    if (!row) return undefined;
    return {
      ...(row.rel ? { table: row.rel } : {}),
      mode: row.mode,
      queued: row.queued,
      blockers: row.blockers.map((b) => ({
        ...b,
        query: queryExcerpt(b.query),
        transactionSeconds: b.transactionSeconds ?? null,
      })),
    };
  }

  /** A second connection with the migration connection's own parameters; undefined when it cannot open (then nothing is named). */
  private async openObserver(): Promise<Client | undefined> {
    const parameters = (this.client as unknown as { connectionParameters: Record<string, unknown> })
      .connectionParameters;
    const observer = new Client({
      user: parameters.user as string,
      password: parameters.password as string | undefined,
      host: parameters.host as string,
      port: parameters.port as number,
      database: parameters.database as string,
      ssl: parameters.ssl as boolean,
      application_name: 'db-migrate (lock watch)',
      connectionTimeoutMillis: 5000,
    });
    observer.on('error', () => undefined);
    try {
      await observer.connect();
      return observer;
    } catch (error) {
      this.logger.debug(`could not open a second connection to see who blocks the migration: ${errorMessage(error)}`);
      await observer.end().catch(() => undefined);
      return undefined;
    }
  }
}
