/**
 * CREATE DATABASE runs on the maintenance connection and up to two more opened on demand. An extra
 * connection that fails to open (a connect timeout on a loaded machine) must not leave its create waiting
 * for ever when the maintenance connection went idle meanwhile.
 */
import { createServer, connect, type Socket } from 'node:net';
import { adminUrl, query } from '../../../test/support/pg';
import { waitFor } from '../../../test/support/time';
import { silentLogger } from '../src/logger';
import { openShadowDatabases } from '../src/shadow/shadow-databases';

/** A TCP proxy to the test server: the first connection passes, later ones are held until `refuseHeld()`. */
async function proxyPassingFirstOnly() {
  const target = new URL(adminUrl());
  const held: Socket[] = [];
  let passed = 0;
  let refusing = false;
  const server = createServer((socket) => {
    if (passed === 0) {
      passed++;
      const upstream = connect(Number(target.port), target.hostname);
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    } else if (refusing) socket.destroy();
    else held.push(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(adminUrl());
  url.port = String((server.address() as { port: number }).port);
  return {
    url: url.toString(),
    held,
    refuseHeld() {
      refusing = true;
      for (const socket of held.splice(0)) socket.destroy();
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

test('a create whose extra connection fails after the maintenance connection went idle takes that one', async () => {
  const proxy = await proxyPassingFirstOnly();
  const shadow = await openShadowDatabases(proxy.url, { label: 'test server via proxy', logger: silentLogger });
  try {
    const first = shadow.create();
    const second = shadow.create();
    // The second create is opening its own connection (held by the proxy) while the first one finishes.
    await waitFor('the second create to open a connection', () => proxy.held.length > 0);
    const made = await first;
    proxy.refuseHeld();
    const other = await second;
    const names = await query<{ datname: string }>(
      adminUrl(),
      'SELECT datname FROM pg_database WHERE datname = ANY($1) ORDER BY 1',
      [[made.name, other.name]],
    );
    expect(names.map((r) => r.datname)).toEqual([made.name, other.name].sort());
  } finally {
    await shadow.close();
    proxy.refuseHeld();
    await proxy.close();
  }
});
