/** The connect timeout: 10 s unless PGCONNECT_TIMEOUT (seconds, as libpq reads it) or the caller says otherwise. */
import { createServer, type Socket } from 'node:net';
import { caught } from '../../../test/support/rejection';
import { connectDatabase } from '../src/pg/connect';

test('PGCONNECT_TIMEOUT sets the default connect timeout; a server that never answers fails within it', async () => {
  const sockets: Socket[] = [];
  // Accepts connections and never answers.
  const silent = createServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const url = `postgres://u:p@127.0.0.1:${(silent.address() as { port: number }).port}/db`;
  const saved = process.env.PGCONNECT_TIMEOUT;
  try {
    process.env.PGCONNECT_TIMEOUT = '2';
    expect((await caught(connectDatabase(url))).message).toMatch(/: no answer within 2000 ms$/);
    process.env.PGCONNECT_TIMEOUT = '1'; // libpq's minimum is 2 s
    expect((await caught(connectDatabase(url))).message).toMatch(/: no answer within 2000 ms$/);
    expect((await caught(connectDatabase(url, { connectTimeoutMs: 300 }))).message).toMatch(
      /: no answer within 300 ms$/,
    );
  } finally {
    if (saved === undefined) delete process.env.PGCONNECT_TIMEOUT;
    else process.env.PGCONNECT_TIMEOUT = saved;
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});
