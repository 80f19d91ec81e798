/**
 * A loopback TCP proxy in front of a PostgreSQL server that delays every chunk by `delayMs` each way
 * (a round trip costs 2 x delayMs, as between regions) and counts, per connection, the database it
 * opened (from the startup message), its round trips (each time the client speaks after the server
 * did) and how many connections were open at once. The bench and the connection tests use it.
 */
import { type AddressInfo, createServer, type Server, type Socket, connect } from 'node:net';

export interface ProxiedConnection {
  /** The database named in the startup message ('' until it arrives). */
  database: string;
  roundTrips: number;
  closed: boolean;
}

export interface DelayProxy {
  readonly port: number;
  readonly connections: readonly ProxiedConnection[];
  /** The most connections open at the same time since the start (or the last reset). */
  readonly peakOpen: number;
  /** The URL of `url`'s database through the proxy. */
  urlFor(url: string): string;
  /** Forgets what was counted so far (connections still open keep counting). */
  reset(): void;
  /** Resolves once every proxied connection has closed. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const PROTOCOL_3 = 196608;

/** The `database` parameter of a startup message, or undefined when `chunk` is not one. */
function startupDatabase(chunk: Buffer): string | undefined {
  if (chunk.length < 8 || chunk.readInt32BE(4) !== PROTOCOL_3) return undefined;
  const fields = chunk.subarray(8, chunk.readInt32BE(0)).toString('utf8').split('\0');
  const params = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) params.set(fields[i]!, fields[i + 1]!);
  return params.get('database') ?? params.get('user') ?? '';
}

export async function startDelayProxy(
  upstreamPort: number,
  delayMs: number,
  upstreamHost = '127.0.0.1',
): Promise<DelayProxy> {
  let connections: ProxiedConnection[] = [];
  let open = 0;
  let peakOpen = 0;
  let idleWaiters: (() => void)[] = [];
  const sockets = new Set<Socket>();
  const later = (fn: () => void) => (delayMs > 0 ? setTimeout(fn, delayMs) : setImmediate(fn));

  const server: Server = createServer((client) => {
    const record: ProxiedConnection = { database: '', roundTrips: 0, closed: false };
    connections.push(record);
    open++;
    peakOpen = Math.max(peakOpen, open);
    const upstream = connect(upstreamPort, upstreamHost);
    sockets.add(client).add(upstream);
    let lastFromClient = false;
    client.on('data', (chunk) => {
      if (!record.database) record.database = startupDatabase(chunk) ?? '';
      if (!lastFromClient) record.roundTrips++;
      lastFromClient = true;
      later(() => upstream.write(chunk));
    });
    upstream.on('data', (chunk) => {
      lastFromClient = false;
      later(() => client.write(chunk));
    });
    // An end travels with the same delay as the data before it, so nothing in flight is lost.
    client.on('end', () => later(() => upstream.end()));
    upstream.on('end', () => later(() => client.end()));
    const finish = () => {
      if (record.closed) return;
      record.closed = true;
      open--;
      if (open === 0) for (const resolve of idleWaiters.splice(0)) resolve();
    };
    for (const [socket, other] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      socket.on('error', () => other.destroy());
      socket.on('close', () => {
        sockets.delete(socket);
        if (!other.destroyed) later(() => other.destroy());
        else finish();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    get connections() {
      return connections;
    },
    get peakOpen() {
      return peakOpen;
    },
    urlFor(url: string) {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    reset() {
      connections = connections.filter((c) => !c.closed);
      peakOpen = open;
    },
    idle() {
      return open === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));
    },
    close() {
      for (const socket of sockets) socket.destroy();
      idleWaiters = [];
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
