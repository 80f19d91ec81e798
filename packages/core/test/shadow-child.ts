/**
 * A process that opens a shadow server, creates databases, reports them on stdout as one JSON line, then
 * waits to be killed (or exits at once with `exit`). shadow.test.ts checks that nothing is left behind.
 * Usage: node -r scripts/register-ts.js packages/core/test/shadow-child.ts <shadow spec> [wait|exit]
 */
import { Client } from 'pg';
import { openShadowServer } from '../src/shadow';

async function main(): Promise<void> {
  const [spec, mode = 'wait'] = process.argv.slice(2);
  const server = await openShadowServer(spec, { postgresVersion: 15 });
  const first = await server.createDatabase();
  const second = await server.createDatabase({ template: first });
  // An open session on a database: the drop must close it (WITH (FORCE)), not wait for it.
  const session = new Client({ connectionString: second.url });
  session.on('error', () => undefined);
  await session.connect();
  const { rows } = await session.query<{ dir: string; port: string }>(
    `select current_setting('data_directory') as dir, current_setting('port') as port`,
  );
  process.stdout.write(
    JSON.stringify({ names: [first.name, second.name], dataDir: rows[0].dir, port: Number(rows[0].port) }) + '\n',
  );
  if (mode === 'exit') process.exit(0);
  setInterval(() => undefined, 60_000);
}

main().catch((error: unknown) => {
  process.stderr.write(`shadow-child: ${String(error)}\n`);
  process.exit(1);
});
