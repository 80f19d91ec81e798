import { resolve } from 'node:path';
import {
  getBooleanInput,
  getConnectionInput,
  getDurationInput,
  getIntegerInput,
  getMigrationsDirInput,
  getOptionalInput,
  getRequiredInput,
  getSchemaSourceInputs,
  getSecretInput,
  getTableFilterInputs,
  type GitHubContext,
  type RepositoryRef,
} from '@db-migrate/action-kit';
import {
  ConfigurationError,
  DEFAULT_POSTGRES_VERSION,
  type GitIdentity,
  parseShadowSpec,
  type SchemaSource,
  type ShadowSpec,
} from '@db-migrate/core';

export interface CreateActionInputs {
  readonly source: SchemaSource;
  /** owner/name of the schema's repository, for links to the base and goal commits. */
  readonly schemaRepository: RepositoryRef;
  /** The checkout of the migrations repository: branches are committed and pushed there. */
  readonly migrationsRepoDir: string;
  readonly migrationsDir: string;
  /** owner/name of the migrations repository: the pull request is opened there. */
  readonly migrationsRepository: RepositoryRef;
  readonly goalRef: string;
  readonly shadow: ShadowSpec;
  readonly postgresVersion: number;
  /** build-timeout: stops a schema-command build running longer (ms); absent: the default. */
  readonly buildTimeoutMs?: number;
  readonly token: string;
  readonly branch: string;
  readonly label: string;
  /** Absent: the migrations repository's default branch. */
  readonly baseBranch?: string;
  readonly author: GitIdentity;
  /** The plain DDL forms that block a table, instead of the non-blocking ones. */
  readonly blockingDdl: boolean;
  /** Renames besides the DB-Migrate-Rename trailers, one `public.products.title -> name` per line. */
  readonly renames: readonly string[];
  readonly allowEmptyGoal: boolean;
  /** exclude-tables and include-framework-tables. */
  readonly tableFilter: ReturnType<typeof getTableFilterInputs>;
}

function repositoryInput(name: string, fallback: string): RepositoryRef {
  const value = getOptionalInput(name) ?? fallback;
  const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(value);
  if (!match) throw new ConfigurationError(`input "${name}" must look like owner/name, got "${value}"`);
  return { owner: match[1]!, repo: match[2]! };
}

/** A branch name git accepts and no one reads as an option or a path trick. */
function branchInput(name: string): string {
  const value = getRequiredInput(name);
  const bad = !/^[A-Za-z0-9._/-]+$/.test(value) || /^[-/.]|\/$|\.\.|\/\/|\.lock$|@\{/.test(value);
  if (bad) throw new ConfigurationError(`input "${name}" is not a usable branch name: "${value}"`);
  return value;
}

/** `Name <email>`, as git prints an identity. */
export function parseIdentity(input: string, value: string): GitIdentity {
  const match = /^\s*([^<>]+?)\s*<([^<>\s]+)>\s*$/.exec(value);
  if (!match) throw new ConfigurationError(`input "${input}" must look like "Name <email>", got "${value}"`);
  return { name: match[1]!, email: match[2]! };
}

/** Reads and checks every input; a ConfigurationError names the one at fault. */
export function readCreateInputs(context: GitHubContext): CreateActionInputs {
  const workspace = context.workspace ?? process.cwd();
  const schemaRepoPath = resolve(workspace, getOptionalInput('schema-repository-path') ?? '.');
  const migrationsRepoDir = resolve(workspace, getOptionalInput('migrations-repository-path') ?? schemaRepoPath);
  const source = getSchemaSourceInputs(schemaRepoPath);
  const migrationsDir = getMigrationsDirInput(migrationsRepoDir);
  const sameRepository = `${context.owner}/${context.repo}`;
  const token = getSecretInput('token');
  if (!token) throw new ConfigurationError('input "token" is required (default: github.token)');
  return {
    source,
    schemaRepository: repositoryInput('schema-repository', sameRepository),
    migrationsRepoDir,
    migrationsDir,
    migrationsRepository: repositoryInput('migrations-repository', sameRepository),
    goalRef: getOptionalInput('goal-ref') ?? 'HEAD',
    shadow: parseShadowSpec(getConnectionInput('shadow-database'), 'input "shadow-database"'),
    postgresVersion: getIntegerInput('postgres-version') ?? DEFAULT_POSTGRES_VERSION,
    buildTimeoutMs: getDurationInput('build-timeout'),
    token,
    branch: branchInput('branch'),
    label: getRequiredInput('label'),
    baseBranch: getOptionalInput('base-branch'),
    author: parseIdentity('commit-author', getRequiredInput('commit-author')),
    blockingDdl: getBooleanInput('blocking-ddl', false),
    renames: (getOptionalInput('renames') ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== ''),
    allowEmptyGoal: getBooleanInput('allow-empty-goal', false),
    tableFilter: getTableFilterInputs(),
  };
}
