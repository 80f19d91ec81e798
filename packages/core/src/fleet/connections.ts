/**
 * Every connection a fleet run opens to its targets goes through one ledger: it counts them (the report
 * says how many a run used, and how many were open at once, in all and on one server) and closes each
 * on every path. A target normally uses one: lock, version read, catalog reads and migrations share it.
 */
import type { Client } from 'pg';
import { type ConnectOptions, connectDatabase } from '../pg/connect';

export interface ConnectionStats {
  /** Connections opened to targets during the run (retries and reconnections included). */
  readonly opened: number;
  /** The most open at the same time. */
  readonly peakOpen: number;
  /** The most open at the same time on one server (host:port). */
  readonly peakPerServer: number;
}

/** host:port of a URL: targets that share it share one server's connection limit. */
export function serverOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}`;
  } catch {
    return url;
  }
}

export class ConnectionLedger {
  private opened = 0;
  private open = 0;
  private peakOpen = 0;
  private peakPerServer = 0;
  private readonly openPerServer = new Map<string, number>();

  /** Connects to `url`, runs `fn` with the connection, and closes it whatever happens. */
  async use<T>(url: string, options: ConnectOptions, fn: (client: Client) => Promise<T>): Promise<T> {
    const server = serverOf(url);
    const client = await connectDatabase(url, options);
    this.opened++;
    this.open++;
    const onServer = (this.openPerServer.get(server) ?? 0) + 1;
    this.openPerServer.set(server, onServer);
    this.peakOpen = Math.max(this.peakOpen, this.open);
    this.peakPerServer = Math.max(this.peakPerServer, onServer);
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => undefined);
      this.open--;
      this.openPerServer.set(server, this.openPerServer.get(server)! - 1);
    }
  }

  stats(): ConnectionStats {
    return { opened: this.opened, peakOpen: this.peakOpen, peakPerServer: this.peakPerServer };
  }
}
