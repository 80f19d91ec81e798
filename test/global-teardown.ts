import type { LocalServer } from '../packages/core/src/shadow/local-server';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __dbMigrateTestServer?: LocalServer }).__dbMigrateTestServer;
  await server?.stop();
}
