/**
 * Runs one section of one migration. A transactional section runs its statements and its tracking
 * record in one transaction, so it lands whole or not at all; a `notransaction` section runs statement
 * by statement (as sql-migrate does) and is recorded only after its last statement succeeds.
 */
import type { Client, QueryResult } from 'pg';
import { redact } from '../redact';
import type { MigrationStatement } from '../migrations/format';
import { quotedSpans } from '../migrations/sql-scan';
import type { Migration } from '../migrations/store';
import { runBatch } from '../pg/batch';
import { serverErrorFields, serverErrorLines } from '../pg/error-fields';
import { concurrentBuild, dropLeftInvalidIndexes, snapshotBeforeBuild } from './invalid-index';
import { DEFAULT_LOCK_TIMEOUT_MS, isLockTimeout, type LockRetry } from './lock-retry';
import { recordingStatements } from './records';
import { type MigrationDirection, MigrationError } from './result';

const STATEMENT_EXCERPT_LENGTH = 80;

function excerpt(statement: MigrationStatement): string {
  const first = statement.sql.split('\n').find((l) => l.trim() !== '') ?? '';
  const text = first.trim().replace(/\s+/g, ' ');
  const more = statement.sql.trim().includes('\n') || text.length > STATEMENT_EXCERPT_LENGTH;
  return text.slice(0, STATEMENT_EXCERPT_LENGTH) + (more ? ' …' : '');
}

/** The file line PostgreSQL points at (its 1-based character position), or the statement's first line. */
function failingLine(statement: MigrationStatement, position: unknown): number {
  const offset = Number(position);
  if (!Number.isInteger(offset) || offset < 1) return statement.line;
  const lineIndex = statement.sql.slice(0, offset - 1).split('\n').length - 1;
  return statement.lines[lineIndex] ?? statement.line;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** Command tags of statements that end a transaction block (ROLLBACK is also ROLLBACK TO SAVEPOINT's tag). */
const ENDING_TAGS = new Set(['COMMIT', 'ROLLBACK', 'PREPARE TRANSACTION']);

function commandTags(result: QueryResult | QueryResult[]): string[] {
  return (Array.isArray(result) ? result : [result]).map((r) => r.command);
}

/** Blanks comments, strings, quoted identifiers and dollar-quoted bodies, keeping offsets. */
function codeOnly(sql: string): string {
  let out = '';
  let kept = 0;
  for (const span of quotedSpans(sql)) {
    out += sql.slice(kept, span.start) + ' '.repeat(span.end - span.start);
    kept = span.end;
  }
  return out + sql.slice(kept);
}

/** Words that start a statement ending or splitting a transaction (refused in transactional sections when read). */
const TRANSACTION_CONTROL = /^(BEGIN|START|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE|PREPARE)\b/i;

/**
 * True when a transactional section may run in one round trip with its BEGIN, record and COMMIT: each
 * statement is one command (a block of several would blur which failed), none is empty, and none
 * controls the transaction. Otherwise its statements run one by one, the transaction ids compared.
 */
function sharesOneRoundTrip(statements: readonly MigrationStatement[]): boolean {
  return statements.every((statement) => {
    const code = codeOnly(statement.sql)
      .trim()
      .replace(/[;\s]+$/, '');
    return code !== '' && !code.includes(';') && !TRANSACTION_CONTROL.test(code) && !LEXING.test(code);
  });
}

/**
 * Settings that change how PostgreSQL reads a string literal. A query string is read whole before its
 * first statement runs, so the batch's own RESET ALL would come too late for them: a section naming one
 * runs statement by statement, and the session is reset on its own before the next batch.
 */
const LEXING = /\b(standard_conforming_strings|backslash_quote|client_encoding|names)\b/i;

/** Connections on which a section may have changed a LEXING setting since the last reset. */
const lexingChanged = new WeakSet<Client>();

const TRANSACTION_ID = 'SELECT pg_catalog.txid_current()::text AS xid';

/** The id of the open transaction; a different one later means the migration ended ours. */
async function transactionId(client: Client): Promise<string> {
  const { rows } = await client.query<{ xid: string }>(TRANSACTION_ID);
  return rows[0].xid;
}

export async function executeMigration(
  client: Client,
  migration: Migration,
  direction: MigrationDirection,
  database: string,
  /** Statements that set the session up (RESET ALL, timeouts); they share the first round trip. */
  session: readonly string[] = [],
  /** Retries a statement (notransaction) or the whole migration after a lock timeout, and says who blocked it. */
  lockRetry?: LockRetry,
): Promise<MigrationError | undefined> {
  const section = direction === 'up' ? migration.parsed.up : migration.parsed.down;
  if (!section) throw new Error(`${migration.fileName} has no ${direction} section`); // checked by the caller
  const noTransaction = section.noTransaction;
  const fail = (
    error: unknown,
    statement: MigrationStatement | undefined,
    done: number,
    step = 'recording the migration',
    partial = false,
    outcomeOverride?: string,
  ): MigrationError => {
    const pgError = error as { position?: string; message?: string };
    const fields = serverErrorFields(error);
    const line = statement ? failingLine(statement, pgError.position) : undefined;
    const where = line ? `${migration.path} line ${line}` : migration.path;
    const what = statement ? `statement "${excerpt(statement)}" failed` : `${step} failed`;
    const outcome =
      outcomeOverride ??
      (noTransaction
        ? done > 0
          ? `; notransaction: the ${done} statement(s) before it stay applied and the migration is not recorded`
          : '; notransaction: it was the first statement, and the migration is not recorded'
        : '; the migration was rolled back');
    const message = [
      `${where} (${direction}) on ${database}: ${what}: ${oneLine(String(pgError.message ?? error))}${outcome}`,
      ...serverErrorLines(fields),
    ].join('\n');
    return new MigrationError(redact(message), {
      kind: 'sql',
      database,
      fileName: migration.fileName,
      version: migration.version,
      line,
      statement: statement ? redact(statement.sql.trim()) : undefined,
      ...fields,
      partial: partial || undefined,
    });
  };
  const record = await recordingStatements(client, direction, migration.fileName, migration.checksum);
  const label = (statement: MigrationStatement) =>
    `${migration.path} line ${statement.line} (${direction}) on ${database}`;
  /** The lock timeout that ends the retries, with the attempts and the blocker in its words. */
  const gaveUp = (error: unknown): unknown =>
    lockRetry && isLockTimeout(error)
      ? Object.assign(Object.create(error as object) as object, {
          message: `${(error as Error).message} (${lockRetry.exhausted()})`,
        })
      : error;

  const whole = !noTransaction && sharesOneRoundTrip(section.statements);
  if (!whole && section.statements.some((statement) => LEXING.test(codeOnly(statement.sql)))) lexingChanged.add(client);

  if (noTransaction) {
    try {
      const reset = await runBatch(client, session);
      if (reset.failure) return fail(reset.failure.error, undefined, 0, 'resetting the session');
    } catch (error) {
      return fail(error, undefined, 0, 'resetting the session');
    }
    let done = 0;
    // Inside a BEGIN ... COMMIT group of the section, a timed-out statement's group is rolled back: not retried alone.
    const grouped = section.statements.some((s) => /^\s*(BEGIN|START\s+TRANSACTION)\b/i.test(s.sql));
    for (const statement of section.statements) {
      lockRetry?.reset();
      const build = concurrentBuild(statement.sql);
      for (;;) {
        const snapshot = build ? await snapshotBeforeBuild(client, build) : undefined;
        try {
          await (lockRetry
            ? lockRetry.watch(() => client.query(statement.sql), label(statement))
            : client.query(statement.sql));
          break;
        } catch (error) {
          // Earlier statements stay; and even a first statement can leave something behind on failure
          // (CREATE INDEX CONCURRENTLY leaves an invalid index: dropped here; a broken connection hides
          // whether it ran). The fleet's retry would repeat what ran: only a lock timeout is retried, here.
          // A failure inside a BEGIN ... COMMIT group of the section leaves that transaction aborted: end it.
          await client.query('ROLLBACK').catch(() => undefined);
          const cleanup = build
            ? await dropLeftInvalidIndexes(client, snapshot, error, {
                waitMs: lockRetry?.cleanupWaitMs() ?? DEFAULT_LOCK_TIMEOUT_MS,
                lockTimeoutMs: lockRetry?.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
              })
            : undefined;
          const clean = !cleanup || cleanup.left.length === 0;
          if (
            lockRetry &&
            isLockTimeout(error) &&
            !grouped &&
            clean &&
            (await lockRetry.retryAfterTimeout(label(statement), 'the statement runs again'))
          )
            continue;
          const failed = fail(gaveUp(error), statement, done, undefined, true);
          return cleanup ? new MigrationError(redact(failed.message + cleanup.note), { ...failed }) : failed;
        }
      }
      done++;
    }
    // The record in one round trip: BEGIN, the rows, COMMIT.
    try {
      const recorded = await runBatch(client, ['BEGIN', ...record, 'COMMIT']);
      if (!recorded.failure) return undefined;
      await client.query('ROLLBACK').catch(() => undefined);
      return fail(recorded.failure.error, undefined, done, undefined, done > 0);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      return fail(error, undefined, done, undefined, done > 0);
    }
  }

  lockRetry?.reset();
  if (whole && lexingChanged.has(client)) {
    try {
      await client.query('RESET ALL');
      lexingChanged.delete(client);
    } catch (error) {
      return fail(error, undefined, 0, 'resetting the session');
    }
  }
  for (;;) {
    let current: MigrationStatement | undefined;
    let step = 'starting the transaction';
    try {
      if (whole) {
        // The session set-up, BEGIN, the statements, the record and COMMIT in one round trip. PostgreSQL
        // stops at the first error; the transaction then rolls back whole (below).
        const parts = [...session, 'BEGIN', ...section.statements.map((s) => s.sql), ...record, 'COMMIT'];
        const send = () => runBatch(client, parts);
        const sent = await (lockRetry
          ? lockRetry.watch(send, `${migration.path} (${direction}) on ${database}`)
          : send());
        if (!sent.failure) return undefined;
        const first = session.length + 1;
        const at = sent.failure.failedIndex - first;
        if (at < -1) step = 'resetting the session';
        else if (at >= 0 && at < section.statements.length) current = section.statements[at];
        else if (at >= section.statements.length + record.length) step = 'committing the migration';
        else if (at >= section.statements.length) step = 'recording the migration';
        const { error, position } = sent.failure;
        // The position PostgreSQL gave, made relative to the failing statement (failingLine reads it).
        throw position === undefined
          ? error
          : Object.assign(Object.create(error) as object, { position: String(position) });
      }
      // The session set-up, BEGIN and the transaction's id in one round trip.
      const opening = await runBatch(client, [...session, 'BEGIN', TRANSACTION_ID]);
      if (opening.failure) {
        step = opening.failure.failedIndex < session.length ? 'resetting the session' : step;
        throw opening.failure.error;
      }
      const xid = (opening.results[opening.results.length - 1]!.rows[0] as { xid: string }).xid;
      for (const [index, statement] of section.statements.entries()) {
        current = statement;
        const tags = commandTags(
          await (lockRetry
            ? lockRetry.watch(() => client.query(statement.sql), label(statement))
            : client.query(statement.sql)),
        );
        // A COMMIT (or ROLLBACK, or PREPARE TRANSACTION) in the file ends the transaction the migration and
        // its record share: what follows would run unprotected and the record would land on its own. Stop.
        const ending = tags.filter((t) => ENDING_TAGS.has(t));
        if (ending.length > 0 && (await transactionId(client)) !== xid) {
          const committed = ending.some((t) => t !== 'ROLLBACK');
          const stays = committed
            ? `; the ${index} statement(s) before it were committed by it and stay, the migration is not recorded`
            : `; the statement(s) before it were rolled back by it, the migration is not recorded`;
          const problem = new Error(
            `it ended the migration's transaction (db-migrate runs each migration in its own transaction: remove ${ending[0]}, or mark the section notransaction)`,
          );
          await client.query('ROLLBACK').catch(() => undefined);
          return fail(problem, statement, index, undefined, committed, stays);
        }
      }
      current = undefined;
      // The record and the COMMIT in one round trip; the failed statement says which step failed.
      step = 'recording the migration';
      const closing = await runBatch(client, [...record, 'COMMIT']);
      if (closing.failure) {
        if (closing.failure.failedIndex >= record.length) step = 'committing the migration';
        throw closing.failure.error;
      }
      return undefined;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      // A lock not granted in time: the whole migration again, after a pause that lets the queue drain.
      if (
        lockRetry &&
        current &&
        isLockTimeout(error) &&
        (await lockRetry.retryAfterTimeout(label(current), 'the migration was rolled back and runs again whole'))
      )
        continue;
      return fail(gaveUp(error), current, 0, step);
    }
  }
}
