/**
 * node-postgres says a connection broke only in English (no SQLSTATE, no Node code): connectionClosed is
 * the one function that reads those words. These tests meet the real driver's real errors, so a driver
 * that rewords them fails here, not silently in a retry or a message. A connection that times out while
 * opening is told by its duration, not its words.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Client } from 'pg';
import { adminUrl, query } from '../../../test/support/pg';
import { waitFor } from '../../../test/support/time';
import { errorCode } from '../src/error-codes';
import { ConfigurationError, environmentProblem } from '../src/errors';
import { isTransientFailure } from '../src/fleet/retry';
import { connectionClosed } from '../src/pg/closed-connection';
import { connectDatabase } from '../src/pg/connect';

/** A TCP server on a free port that does `onSocket` with each connection. */
async function tcpServer(onSocket: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  server.on('close', () => {
    for (const s of sockets) s.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

const closeServer = (server: Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.emit('close');
  });

test('a socket closed during start-up: "Connection terminated unexpectedly", no code, transient, said plainly', async () => {
  const { server, port } = await tcpServer((socket) => socket.once('data', () => socket.end()));
  try {
    const client = new Client({ connectionString: `postgres://u:secret@127.0.0.1:${port}/db` });
    client.on('error', () => undefined);
    const error = await client.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(errorCode(error)).toBeUndefined();
    expect(connectionClosed(error)).toBe(true);
    expect(isTransientFailure(error)).toBe(true);
    expect(environmentProblem(error)).toMatch(/^the database connection was closed: /);

    // Through connectDatabase: a ConfigurationError naming the database, the driver's error as its cause.
    const wrapped = await connectDatabase(`postgres://u:secret@127.0.0.1:${port}/db`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(wrapped).toBeInstanceOf(ConfigurationError);
    expect((wrapped as ConfigurationError).database).toBe(`127.0.0.1:${port}/db`);
    expect(connectionClosed(wrapped)).toBe(true);
    expect(isTransientFailure(wrapped)).toBe(true);
  } finally {
    await closeServer(server);
  }
});

test('a query after the server ended the session: "not queryable", no code, a closed connection', async () => {
  const client = new Client({ connectionString: adminUrl(), application_name: 'closed-connection-victim' });
  await client.connect();
  client.on('error', () => undefined);
  try {
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    await query(adminUrl(), 'SELECT pg_terminate_backend($1)', [pid]);
    // The server's FATAL (57P01) has a code; wait until the driver has seen the socket close.
    await waitFor('the driver to see the session end', async () => {
      const gone = await query(adminUrl(), 'SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
      return gone.length === 0;
    });
    let error: unknown;
    await waitFor('a query to fail as not queryable', async () => {
      error = await client.query('SELECT 1').then(
        () => undefined,
        (e: unknown) => e,
      );
      return error !== undefined && errorCode(error) === undefined;
    });
    expect(connectionClosed(error)).toBe(true);
    expect(environmentProblem(error)).toMatch(/^the database connection was closed: /);
  } finally {
    await client.end().catch(() => undefined);
  }
});

test('a coded failure and a start-up that never answers are not closed connections; the timeout is said by its duration', async () => {
  const coded = await query(adminUrl(), 'SELECT 1/0').then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(errorCode(coded)).toBe('22012');
  expect(connectionClosed(coded)).toBe(false);

  // A server that accepts and never answers: node-postgres gives up after connectionTimeoutMillis, with no code.
  const { server, port } = await tcpServer(() => undefined);
  try {
    const error = await connectDatabase(`postgres://u:secret@127.0.0.1:${port}/db`, { connectTimeoutMs: 200 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe(`cannot connect to 127.0.0.1:${port}/db: no answer within 200 ms`);
    expect(errorCode(error)).toBeUndefined();
    expect(connectionClosed(error)).toBe(false);
    expect(isTransientFailure(error)).toBe(false);
  } finally {
    await closeServer(server);
  }
});
