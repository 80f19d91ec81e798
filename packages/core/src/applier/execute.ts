/**
 * Runs one section of one migration. A transactional section runs its statements and its tracking
 * record in one transaction, so it lands whole or not at all; a `notransaction` section runs statement
 * by statement (as sql-migrate does) and is recorded only after its last statement succeeds.
 */
import type { Client } from 'pg';
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

export async function executeMigration(
  client: Client,
  migration: Migration,
  direction: MigrationDirection,
  database: string,
): Promise<MigrationError | undefined> {
  const section = direction === 'up' ? migration.parsed.up : migration.parsed.down;
  if (!section) throw new Error(`${migration.fileName} has no ${direction} section`); // checked by the caller
  const noTransaction = section.noTransaction;
  const fail = (error: unknown, statement: MigrationStatement | undefined, done: number, step = 'recording the migration'): MigrationError => {
    const pgError = error as { code?: string; position?: string; message?: string };
    const line = statement ? failingLine(statement, pgError.position) : undefined;
    const where = line ? `${migration.path} line ${line}` : migration.path;
    const what = statement ? `statement "${excerpt(statement)}" failed` : `${step} failed`;
    const outcome = noTransaction
      ? done > 0
        ? `; notransaction: the ${done} statement(s) before it stay applied and the migration is not recorded`
        : '; notransaction: it was the first statement, and the migration is not recorded'
      : '; the migration was rolled back';
    const message = `${where} (${direction}) on ${database}: ${what}: ${oneLine(String(pgError.message ?? error))}${outcome}`;
    return new MigrationError(redact(message), {
      kind: 'sql',
      database,
      fileName: migration.fileName,
      version: migration.version,
      ...(line ? { line } : {}),
      ...(statement ? { statement: redact(excerpt(statement)) } : {}),
      ...(pgError.code ? { sqlState: pgError.code } : {}),
    });
  };
  const record = () => (direction === 'up' ? recordApplied(client, migration.fileName, migration.checksum) : removeApplied(client, migration.fileName));

  if (noTransaction) {
    let done = 0;
    for (const statement of section.statements) {
      try {
        await client.query(statement.sql);
      } catch (error) {
        return fail(error, statement, done);
      }
      done++;
    }
    try {
      await client.query('BEGIN');
      await record();
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      return fail(error, undefined, done);
    }
    return undefined;
  }

  let current: MigrationStatement | undefined;
  let step = 'starting the transaction';
  try {
    await client.query('BEGIN');
    for (const statement of section.statements) {
      current = statement;
      await client.query(statement.sql);
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
