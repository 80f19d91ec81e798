import { describeDatabase, registerUrlSecrets } from '../database-url';
import type { Logger } from '../logger';
import { openShadowDatabases, refuseOtherMajor } from './shadow-databases';
import type { ShadowServer } from './types';

/**
 * An existing server given by URL (e.g. a workflow `services:` container): shadow databases are created
 * and dropped on it; nothing else on it is touched. Its major must be the requested one, because the
 * schema built and diffed there must be what production's Postgres would produce.
 */
export async function openExistingServer(
  url: string,
  options: { postgresVersion: number; logger: Logger },
): Promise<ShadowServer> {
  registerUrlSecrets(url);
  const label = describeDatabase(url);
  const databases = await openShadowDatabases(url, { label, logger: options.logger });
  try {
    refuseOtherMajor(databases, options.postgresVersion, label);
  } catch (error) {
    await databases.close();
    throw error;
  }
  return {
    description: `PostgreSQL ${databases.major} at ${label}`,
    major: databases.major,
    createDatabase: (createOptions) => databases.create(createOptions),
    close: () => databases.close(),
  };
}
