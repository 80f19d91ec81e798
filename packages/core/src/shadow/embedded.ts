import type { Logger } from '../logger';
import { startLocalServer } from './local-server';
import { shadowOnOwnedServer } from './temporary-databases';
import type { ShadowServer } from './types';

/**
 * A PostgreSQL server started for this job from the machine's own binaries (the mechanism the tests use):
 * about a second to start, no Docker needed. Stopping it removes every database and file it had.
 */
export async function openEmbeddedServer(options: { major: number; logger: Logger }): Promise<ShadowServer> {
  const server = await startLocalServer({ major: options.major });
  const description = `embedded PostgreSQL ${server.major} (127.0.0.1:${server.port})`;
  try {
    return await shadowOnOwnedServer(server.adminUrl, { description, logger: options.logger, stopServer: () => server.stop() });
  } catch (error) {
    await server.stop();
    throw error;
  }
}
