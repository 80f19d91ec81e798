import { ConfigurationError } from '../../packages/core/src/errors';
import { status } from '../../packages/core/src/applier/migrator';
import { inconsistencyReason } from '../../packages/core/src/applier/state';
import type { MigrationSet } from '../../packages/core/src/migrations/store';

/**
 * The version the database is at. Throws a ConfigurationError when it is at no version of `set`
 * (a hole, or an applied migration missing from the files).
 */
export async function appliedVersion(url: string, set: MigrationSet): Promise<number> {
  const current = await status(url, set);
  const reason = inconsistencyReason(current, set);
  if (reason) throw new ConfigurationError(reason);
  return current.currentVersion;
}
