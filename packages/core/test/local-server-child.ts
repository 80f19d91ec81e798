/**
 * Starts an embedded server, prints one JSON line (its data directory and postmaster pid), then waits to
 * be killed, for local-server.test.ts (kill -9 of the owner). Usage (through scripts/register-ts.js):
 *   local-server-child.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalServer } from '../src/postgres-server/local-server';

async function main(): Promise<void> {
  const server = await startLocalServer();
  const postmasterPid = Number(readFileSync(join(server.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  process.stdout.write(JSON.stringify({ dataDir: server.dataDir, port: server.port, postmasterPid }) + '\n');
  setInterval(() => undefined, 60_000);
}

main().catch((error: unknown) => {
  process.stderr.write(`local-server-child: ${String(error)}\n`);
  process.exit(1);
});
