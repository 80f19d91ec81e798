/**
 * runBatch hands each statement's result on as it arrives, while later statements still run:
 * introspection builds the catalog from the queries that have ended while the server reads the rest. A
 * gate (a statement that waits until the test opens it) holds the batch in the middle, so what was handed
 * on by then is read from the server's state, not from a clock.
 */
import type { QueryResult } from 'pg';
import { connectDatabase } from '../src/pg/connect';
import { runBatch } from '../src/pg/batch';
import { gateStatement, openGate, waitAtGate } from '../../../test/support/gate';
import { createTestDatabase, dropTestDatabase } from '../../../test/support/pg';

let database: string;
beforeAll(async () => {
  database = await createTestDatabase('batch_results');
});
afterAll(async () => {
  await dropTestDatabase(database);
});

const databaseName = () => new URL(database).pathname.slice(1);

test('each result is handed on when its statement completes, before the batch ends', async () => {
  const client = await connectDatabase(database);
  try {
    const seen: { index: number; rows: unknown[] }[] = [];
    // The server sends what it has when its output buffer (8 kB) fills, and the rest when the batch ends:
    // the second statement's 64 kB push the first result out, as a catalog query's rows push the one before.
    const batch = runBatch(
      client,
      [
        'SELECT 1 AS first',
        `SELECT repeat('x', 65536) AS second`,
        gateStatement(databaseName(), 'batch_results_gate'),
        'SELECT 4 AS fourth',
      ],
      (index: number, result: QueryResult) => seen.push({ index, rows: result.rows }),
    );
    await waitAtGate(database, 'batch_results_gate');
    // The gate still holds the third statement: the first result is out, the last not yet.
    expect(seen[0]).toEqual({ index: 0, rows: [{ first: 1 }] });
    expect(seen.map((s) => s.index)).not.toContain(3);
    const gate = await openGate(database, 'batch_results_gate');
    const outcome = await batch;
    await gate.end();
    expect(outcome.failure).toBeUndefined();
    expect(seen.map((s) => s.index)).toEqual([0, 1, 2, 3]);
    expect(seen[3]!.rows).toEqual([{ fourth: 4 }]);
  } finally {
    await client.end();
  }
});

test('a failed statement ends the results handed on: the ones before it, none after', async () => {
  const client = await connectDatabase(database);
  try {
    const seen: number[] = [];
    const outcome = await runBatch(client, ['SELECT 1', 'SELECT 1 / 0', 'SELECT 3'], (index) => seen.push(index));
    expect(seen).toEqual([0]);
    expect(outcome.failure).toMatchObject({ failedIndex: 1, error: { code: '22012' } });
    // The connection is usable after it.
    expect((await client.query('SELECT 4 AS four')).rows).toEqual([{ four: 4 }]);
  } finally {
    await client.end();
  }
});
