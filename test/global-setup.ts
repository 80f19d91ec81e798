import { startLocalServer } from '../packages/core/src/shadow/local-server';

/**
 * One real PostgreSQL 15 server for the whole test run, started with the same code the `embedded`
 * shadow provider uses. Tests create their own databases on it (test/support/pg.ts).
 */
export default async function globalSetup(): Promise<void> {
  const server = await startLocalServer({ major: 15 });
  process.env.DB_MIGRATE_TEST_ADMIN_URL = server.adminUrl;
  process.env.DB_MIGRATE_TEST_PG_BIN = server.binDir;
  (globalThis as { __dbMigrateTestServer?: unknown }).__dbMigrateTestServer = server;
}
