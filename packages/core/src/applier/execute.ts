/**
 * Runs one section of one migration. A transactional section runs its statements and its tracking
 * record in one transaction, so it lands whole or not at all; a `notransaction` section runs statement
 * by statement (as sql-migrate does) and is recorded only after its last statement succeeds.
 */
import type { Client, QueryResult } from 'pg';
import { redact } from '../errors';
import type { MigrationStatement } from '../migrations/format';
import type { Migration } from '../migrations/store';
import { recordApplied, removeApplied } from './records';
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

/** The id of the open transaction; a different one later means the migration ended ours. */
async function transactionId(client: Client): Promise<string> {
  const { rows } = await client.query<{ xid: string }>('SELECT txid_current()::text AS xid');
  return rows[0].xid;
}

export async function executeMigration(
  client: Client,
  migration: Migration,
  direction: MigrationDirection,
  database: string,
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
    const pgError = error as { code?: string; position?: string; message?: string; schema?: string; table?: string };
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
    const message = `${where} (${direction}) on ${database}: ${what}: ${oneLine(String(pgError.message ?? error))}${outcome}`;
    return new MigrationError(redact(message), {
      kind: 'sql',
      database,
      fileName: migration.fileName,
      version: migration.version,
      ...(line ? { line } : {}),
      ...(statement ? { statement: redact(excerpt(statement)) } : {}),
      ...(pgError.code ? { sqlState: pgError.code } : {}),
      ...(pgError.table ? { table: pgError.schema ? `${pgError.schema}.${pgError.table}` : pgError.table } : {}),
      ...(partial ? { partial } : {}),
    });
  };
  const record = () => (direction === 'up' ? recordApplied(client, migration.fileName, migration.checksum) : removeApplied(client, migration.fileName));

  if (noTransaction) {
    let done = 0;
    for (const statement of section.statements) {
      try {
        await client.query(statement.sql);
      } catch (error) {
        // Earlier statements stay; and even a first statement can leave something behind on failure
        // (CREATE INDEX CONCURRENTLY leaves an invalid index; a broken connection hides whether it ran).
        // A retry would repeat what ran or find drift and hide this failure behind a postponement.
        // A failure inside a BEGIN ... COMMIT group of the section leaves that transaction aborted: end it.
        await client.query('ROLLBACK').catch(() => undefined);
        return fail(error, statement, done, undefined, true);
      }
      done++;
    }
    try {
      await client.query('BEGIN');
      await record();
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      return fail(error, undefined, done, undefined, done > 0);
    }
    return undefined;
  }

  let current: MigrationStatement | undefined;
  let step = 'starting the transaction';
  try {
    await client.query('BEGIN');
    const xid = await transactionId(client);
    for (const [index, statement] of section.statements.entries()) {
      current = statement;
      const tags = commandTags(await client.query(statement.sql));
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
    step = 'recording the migration';
    await record();
    step = 'committing the migration';
    await client.query('COMMIT');
    return undefined;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    return fail(error, current, 0, step);
  }
}
