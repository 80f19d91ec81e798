/**
 * One CLI-like command on the embedded provider: opens it, builds a table in a shadow database, closes
 * it, and prints one JSON line (the server's port and postmaster pid, the description). Then exits.
 * Usage: node -r scripts/register-ts.js packages/core/test/kept-server-child.ts
 */
import { query } from '../../../test/support/pg';
import { openShadowServer } from '../src/shadow';

async function main(): Promise<void> {
  const server = await openShadowServer('embedded', { postgresVersion: 15 });
  const db = await server.createDatabase();
  await query(db.url, 'create table t (id int)');
  const [row] = await query<{ port: string; pid: number; dir: string }>(
    db.url,
    `select current_setting('port') as port, pg_postmaster_start_time()::text as started, current_setting('data_directory') as dir`,
  );
  await server.close();
  process.stdout.write(
    JSON.stringify({ port: Number(row!.port), dataDir: row!.dir, description: server.description, database: db.name }) +
      '\n',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`kept-server-child: ${String(error)}\n`);
  process.exit(1);
});
