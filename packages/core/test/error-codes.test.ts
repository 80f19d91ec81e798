import { Client } from 'pg';
import { ERROR_CODE_CLASSES, ERROR_CODES, errorCode, errorCodeMeaning } from '../src/error-codes';
import { asConfigurationError, environmentProblem } from '../src/errors';
import { isTransientFailure } from '../src/fleet/retry';
import { createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';
import { createRole, dropRoles } from '../../../test/support/roles';
import { whileTransactionOpen } from '../../../test/support/open-transaction';

/** The one error-code table, read by errors.ts (environment problems) and fleet/retry.ts (retries), on real failures. */
let url: string;
beforeAll(async () => {
  url = await createTestDatabase('errcodes');
  await query(url, 'CREATE TABLE t (id int)');
});
afterAll(async () => {
  await dropTestDatabase(url);
  await dropRoles();
});

const failure = async (target: string, sql: string): Promise<unknown> => {
  const client = new Client({ connectionString: target });
  await client.connect();
  try {
    await client.query(sql);
  } catch (error) {
    return error;
  } finally {
    await client.end().catch(() => undefined);
  }
  throw new Error(`expected ${sql} to fail`);
};

test('a missing right (42501): an environment problem with its hint, not worth a retry', async () => {
  const role = await createRole('nocreate');
  const error = await failure(role.urlFor(url), 'CREATE TABLE public.x (id int)');
  expect(errorCode(error)).toBe('42501');
  expect(environmentProblem(error)).toMatch(
    /permission denied for schema public \(the role lacks a right: see docs\/roles\.md/,
  );
  expect(asConfigurationError(error)?.name).toBe('ConfigurationError');
  expect(isTransientFailure(error)).toBe(false);
});

test('a lock timeout (55P03): worth a retry, and no fault of the environment', async () => {
  const error = await whileTransactionOpen(url, 'LOCK TABLE t IN ACCESS EXCLUSIVE MODE', () =>
    failure(url, "SET lock_timeout = '50ms'; SELECT * FROM t"),
  );
  expect(errorCode(error)).toBe('55P03');
  expect(isTransientFailure(error)).toBe(true);
  expect(environmentProblem(error)).toBeUndefined();
});

test('a session ended by an administrator (57P01): a connection problem, never retried', async () => {
  const client = new Client({ connectionString: url, application_name: 'errcodes-victim' });
  await client.connect();
  client.on('error', () => undefined);
  const running = client.query('SELECT pg_sleep(60)').then(
    () => undefined,
    (error: unknown) => error,
  );
  // Wait on server state: the sleep is running, then end that session.
  for (;;) {
    const rows = await query<{ pid: number }>(
      url,
      "SELECT pid FROM pg_stat_activity WHERE application_name = 'errcodes-victim' AND query LIKE 'SELECT pg_sleep%' AND state = 'active'",
    );
    if (rows.length) {
      await query(url, 'SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const error = await running;
  await client.end().catch(() => undefined);
  expect(errorCode(error)).toBe('57P01');
  expect(isTransientFailure(error)).toBe(false);
  expect(environmentProblem(error)).toMatch(/\(the connection to the database failed or was closed by the server\)$/);
});

test('codes missing one by one are read by their SQLSTATE class; unknown codes mean nothing', () => {
  expect(errorCodeMeaning('08P01')).toBe(ERROR_CODE_CLASSES['08']);
  expect(errorCodeMeaning('28001')).toBe(ERROR_CODE_CLASSES['28']);
  expect(errorCodeMeaning('53100')).toBe(ERROR_CODE_CLASSES['53']);
  expect(errorCodeMeaning('57P02')).toBe(ERROR_CODE_CLASSES['57P']);
  expect(errorCodeMeaning('53300')).toBe(ERROR_CODES['53300']);
  expect(errorCodeMeaning('23505')).toBeUndefined();
  expect(errorCode({ message: 'x', cause: { cause: { code: 'ECONNRESET' } } })).toBe('ECONNRESET');
});
