/**
 * Transaction control in migration files, refused when the file is read (so create, verify and apply
 * all name the file and line before anything runs).
 *
 * A transactional section runs in one transaction together with its tracking record: a COMMIT, ROLLBACK,
 * BEGIN, END, ABORT, START TRANSACTION, SAVEPOINT, RELEASE or PREPARE TRANSACTION in it would end or
 * split that transaction, leaving a half-applied, unrecorded migration. All are refused there.
 *
 * A notransaction section runs statement by statement, so an explicit transaction is how a part of it
 * is made atomic. Allowed there: balanced groups, BEGIN (or START TRANSACTION) ... COMMIT (or END, or
 * ROLLBACK), not nested, closed before the section ends, with SAVEPOINT / RELEASE / ROLLBACK TO only
 * inside a group. Two-phase commit (PREPARE TRANSACTION, COMMIT/ROLLBACK PREPARED) is refused
 * everywhere: a prepared transaction outlives the migration and holds its locks.
 */
import { ConfigurationError } from '../errors';
import type { MigrationFile, MigrationSection } from './format';
import { type ParsedSql, SqlSyntaxError, fileLineAt, loadPgParser, parseSql } from './pg-parser';
import { DOWN_MARKER, NO_TRANSACTION_OPTION, UP_MARKER } from './sql-migrate-syntax';

const WORDS: Record<string, string> = {
  TRANS_STMT_BEGIN: 'BEGIN',
  TRANS_STMT_START: 'START TRANSACTION',
  TRANS_STMT_COMMIT: 'COMMIT',
  TRANS_STMT_ROLLBACK: 'ROLLBACK',
  TRANS_STMT_SAVEPOINT: 'SAVEPOINT',
  TRANS_STMT_RELEASE: 'RELEASE SAVEPOINT',
  TRANS_STMT_ROLLBACK_TO: 'ROLLBACK TO SAVEPOINT',
  TRANS_STMT_PREPARE: 'PREPARE TRANSACTION',
  TRANS_STMT_COMMIT_PREPARED: 'COMMIT PREPARED',
  TRANS_STMT_ROLLBACK_PREPARED: 'ROLLBACK PREPARED',
};

/** Reads the file's sections with PostgreSQL's parser and throws a ConfigurationError at the first misplaced transaction control. */
export async function checkTransactionControl(file: MigrationFile): Promise<void> {
  await loadPgParser();
  checkSection(file, 'Up', file.up);
  if (file.down) checkSection(file, 'Down', file.down);
}

function checkSection(file: MigrationFile, direction: 'Up' | 'Down', section: MigrationSection): void {
  const marker = direction === 'Up' ? UP_MARKER : DOWN_MARKER;
  let openedAt: number | undefined;
  for (const statement of section.statements) {
    let parsed: ParsedSql[];
    try {
      parsed = parseSql(statement.sql);
    } catch (error) {
      if (error instanceof SqlSyntaxError) continue; // the lint reports it; the server would refuse it
      throw error;
    }
    for (const s of parsed) {
      if (s.kind !== 'TransactionStmt') continue;
      const word = WORDS[s.node.kind as string] ?? 'transaction control';
      const line = fileLineAt(statement, s.offset);
      const fail = (why: string): never => {
        throw new ConfigurationError(`${file.source} line ${line}: ${word} in the ${direction} section: ${why}`, {
          file: file.source,
          line,
        });
      };
      if (!section.noTransaction) {
        fail(
          `db-migrate runs the section and its tracking record in one transaction, which ${word} would end or split, ` +
            `leaving a half-applied, unrecorded migration; remove it (the section is atomic already), or mark the section ` +
            `"${marker} ${NO_TRANSACTION_OPTION}" and keep BEGIN ... COMMIT around the statements that must be atomic`,
        );
      }
      switch (s.node.kind) {
        case 'TRANS_STMT_BEGIN':
        case 'TRANS_STMT_START':
          if (openedAt !== undefined)
            fail(`a transaction is already open (from line ${openedAt}); close it first with COMMIT`);
          openedAt = line;
          break;
        case 'TRANS_STMT_COMMIT':
        case 'TRANS_STMT_ROLLBACK':
          if (openedAt === undefined)
            fail('no transaction is open here (a notransaction section runs each statement on its own)');
          openedAt = undefined;
          break;
        case 'TRANS_STMT_SAVEPOINT':
        case 'TRANS_STMT_RELEASE':
        case 'TRANS_STMT_ROLLBACK_TO':
          if (openedAt === undefined) fail('savepoints exist only inside a transaction: open one with BEGIN before it');
          break;
        default:
          fail(
            'a prepared (two-phase) transaction outlives the migration and keeps its locks; db-migrate does not run them',
          );
      }
    }
  }
  if (openedAt !== undefined) {
    throw new ConfigurationError(
      `${file.source} line ${openedAt}: the transaction opened here in the ${direction} section is never closed: end it with COMMIT before the section ends`,
      { file: file.source, line: openedAt },
    );
  }
}
