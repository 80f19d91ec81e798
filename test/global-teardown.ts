import { rmSync } from 'node:fs';
import type { LocalServer } from '../packages/core/src/postgres-server/local-server';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __dbMigrateTestServer?: LocalServer }).__dbMigrateTestServer;
  await server?.stop();
  if (process.env.DB_MIGRATE_CACHE?.includes('db-migrate-test-cache-'))
    rmSync(process.env.DB_MIGRATE_CACHE, { recursive: true, force: true });
}
