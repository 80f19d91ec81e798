import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalServer } from '../packages/core/src/postgres-server/local-server';

/**
 * One real PostgreSQL 15 server for the whole test run, started with the same code the `embedded`
 * shadow provider uses. Tests create their own databases on it (test/support/pg.ts).
 */
export default async function globalSetup(): Promise<void> {
  // The embedded provider downloads majors this machine lacks into the cache directory: one the run owns
  // (removed by the teardown), so each major is downloaded once per run, never into the user's cache.
  process.env.DB_MIGRATE_CACHE = mkdtempSync(join(tmpdir(), 'db-migrate-test-cache-'));
  chmodSync(process.env.DB_MIGRATE_CACHE, 0o755); // as root, the postgres OS user runs the binaries from it
  const server = await startLocalServer({ postgresVersion: 15 });
  process.env.DB_MIGRATE_TEST_ADMIN_URL = server.adminUrl;
  process.env.DB_MIGRATE_TEST_PG_BIN = server.binDir;
  (globalThis as { __dbMigrateTestServer?: unknown }).__dbMigrateTestServer = server;
}
