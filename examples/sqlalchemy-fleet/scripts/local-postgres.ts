/**
 * Starts a throwaway PostgreSQL server for the example (the same code as db-migrate's `embedded` shadow),
 * writes its superuser URL to the file named by the first argument (mode 600: the URL holds a password),
 * and keeps it running until this process is signalled or the shell that started it goes away. The
 * server and its data directory are removed on the way out.
 *
 *   node -r ./scripts/register-ts.js examples/sqlalchemy-fleet/scripts/local-postgres.ts <url-file>
 */
import { writeFileSync } from 'node:fs';
import { startLocalServer } from '../../../packages/core/src/postgres-server/local-server';

async function main(): Promise<void> {
  const urlFile = process.argv[2];
  if (!urlFile) throw new Error('usage: local-postgres.ts <file to write the server URL to>');
  const parent = process.ppid;
  const server = await startLocalServer({ postgresVersion: Number(process.env.POSTGRES_MAJOR ?? 15) });
  writeFileSync(urlFile, server.adminUrl + '\n', { mode: 0o600 });
  // A shell killed with SIGKILL cannot stop us: notice that it is gone (we are re-parented) and stop.
  const watch = setInterval(() => {
    if (process.ppid !== parent) void server.stop().then(() => process.exit(0));
  }, 500);
  const stop = () => {
    clearInterval(watch);
    void server.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`local-postgres: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
