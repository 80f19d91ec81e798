import { resolve } from 'node:path';
import {
  getBooleanInput,
  getConnectionInput,
  getDurationInput,
  getIntegerInput,
  getMigrationsDirInput,
  getOptionalInput,
  getSchemaSourceInputs,
  getSecretInput,
  getSeedInputs,
  getTableFilterInputs,
} from '@db-migrate/action-kit';
import {
  ConfigurationError,
  DEFAULT_POSTGRES_VERSION,
  Git,
  parseShadowSpec,
  type SchemaSource,
  type ShadowSpec,
  type UserSeed,
} from '@db-migrate/core';

export interface VerifyActionInputs {
  readonly source: SchemaSource;
  /** The checkout of the migrations' repository: annotations are made relative to it. */
  readonly migrationsRepoDir: string;
  readonly migrationsDir: string;
  /** Absent: every migration counts as new (e.g. outside a pull request). */
  readonly baseRef?: string;
  /** Absent: the goal_sha recorded in the newest migration's metadata. */
  readonly goalRef?: string;
  readonly shadow: ShadowSpec;
  readonly postgresVersion: number;
  readonly failOnHazards: boolean;
  /** Rows for the data check (seed-sql / seed-command, relative to the workspace); absent: synthetic rows. */
  readonly seed?: UserSeed;
  readonly allowEmptyGoal: boolean;
  /** build-timeout: stops a schema-command build running longer (ms); absent: the default. */
  readonly buildTimeoutMs?: number;
  readonly comment: boolean;
  readonly token?: string;
  /** exclude-tables and include-framework-tables. */
  readonly tableFilter: ReturnType<typeof getTableFilterInputs>;
}

/** Reads and checks every input; a ConfigurationError names the one at fault. */
export function readVerifyInputs(workspace: string): VerifyActionInputs {
  const schemaRepoPath = resolve(workspace, getOptionalInput('schema-repository-path') ?? '.');
  const migrationsRepoDir = resolve(workspace, getOptionalInput('migrations-repository-path') ?? schemaRepoPath);
  const source = getSchemaSourceInputs(schemaRepoPath);
  return {
    source,
    migrationsRepoDir,
    migrationsDir: getMigrationsDirInput(migrationsRepoDir),
    baseRef: getOptionalInput('base-ref'),
    goalRef: getOptionalInput('goal-ref'),
    shadow: parseShadowSpec(getConnectionInput('shadow-database'), 'input "shadow-database"'),
    postgresVersion: getIntegerInput('postgres-version') ?? DEFAULT_POSTGRES_VERSION,
    failOnHazards: getBooleanInput('fail-on-hazards', false),
    seed: getSeedInputs(workspace),
    allowEmptyGoal: getBooleanInput('allow-empty-goal', false),
    buildTimeoutMs: getDurationInput('build-timeout'),
    comment: getBooleanInput('comment', true),
    token: getSecretInput('token'),
    tableFilter: getTableFilterInputs(),
  };
}

/**
 * Resolves the commits the inputs name before any work, so that an unknown one (most often a shallow
 * checkout: actions/checkout fetches one commit unless told `fetch-depth: 0`) fails naming its input.
 */
export async function checkRefInputs(inputs: VerifyActionInputs): Promise<void> {
  const refs: [string, string | undefined, string][] = [
    ['base-ref', inputs.baseRef, inputs.migrationsRepoDir],
    ['goal-ref', inputs.goalRef, inputs.source.repoDir],
  ];
  for (const [name, ref, repoDir] of refs) {
    if (!ref) continue;
    const git = await Git.open(repoDir);
    try {
      await git.resolveCommit(ref);
    } catch (error) {
      if (error instanceof ConfigurationError) throw new ConfigurationError(`input "${name}": ${error.message}`);
      throw error;
    }
  }
}
