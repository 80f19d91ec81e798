import { resolve } from 'node:path';
import {
  getBooleanInput,
  getConnectionInput,
  getIntegerInput,
  getOptionalInput,
  getSchemaSourceInputs,
  getSeedInputs,
  getTableFilterInputs,
  maskSecret,
} from '@db-migrate/action-kit';
import {
  ConfigurationError,
  DEFAULT_POSTGRES_VERSION,
  type PrecheckOptions,
  type SchemaSource,
  type ShadowSpec,
  type Target,
  type UserSeed,
  loadTargets,
  parseShadowSpec,
  parseShard,
} from '@db-migrate/core';

export type ApplyMode = 'apply' | 'sync' | 'drift' | 'baseline';

export interface ApplyActionInputs {
  readonly mode: ApplyMode;
  readonly targets: readonly Target[];
  /** apply, drift and baseline. */
  readonly migrationsDir?: string;
  /** sync. */
  readonly source?: SchemaSource;
  readonly ref: string;
  /** sync: acknowledged drops of tables holding rows, `drops-data <schema>.<table>` each. */
  readonly allow: readonly string[];
  readonly allowEmptyGoal: boolean;
  readonly dryRun: boolean;
  /** apply: the version to bring every database to; baseline (required): the version whose schema they have. */
  readonly toVersion?: number;
  readonly concurrency?: number;
  readonly concurrencyPerHost?: number;
  readonly shadow: ShadowSpec;
  readonly postgresVersion: number;
  readonly postponedIsWarning: boolean;
  /** apply: stop starting databases once this many have had a migration fail. */
  readonly maxFailures?: number;
  /** apply: rows for the pre-flight's seeded copies. */
  readonly seed?: UserSeed;
  /** apply and sync: lock_timeout, the lock retry budget and statement_timeout (ms). */
  readonly statementLimits: {
    readonly lockTimeoutMs?: number;
    readonly lockRetryBudgetMs?: number;
    readonly statementTimeoutMs?: number;
  };
  /** apply and sync: the pre-checks' bounds and the large-table limit. */
  readonly prechecks: PrecheckOptions;
  /** exclude-tables and include-framework-tables. */
  readonly tableFilter: ReturnType<typeof getTableFilterInputs>;
}

const MODES: readonly ApplyMode[] = ['apply', 'sync', 'drift', 'baseline'];

/** Masks each `name=url` entry's URL with the runner before anything can print it. */
function maskDatabaseEntries(text: string | undefined): string[] {
  const lines = (text ?? '').split(/\r?\n/);
  for (const line of lines.map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))) {
    maskSecret(
      /^postgres(ql)?:\/\//i.test(line) || !line.includes('=') ? line : line.slice(line.indexOf('=') + 1).trim(),
    );
  }
  return lines;
}

/** Reads and checks every input (a ConfigurationError names the one at fault); every URL is masked. */
export async function readApplyInputs(workspace: string): Promise<ApplyActionInputs> {
  const databases = maskDatabaseEntries(getOptionalInput('databases'));
  const shadow = parseShadowSpec(getConnectionInput('shadow-database'), 'input "shadow-database"');
  const mode = (getOptionalInput('mode') ?? 'apply') as ApplyMode;
  if (!MODES.includes(mode))
    throw new ConfigurationError(`input "mode" must be one of ${MODES.join(', ')}, got "${mode}"`);
  const shard = getOptionalInput('shard');
  const targetsFile = getOptionalInput('targets-file');
  const targets = await loadTargets({
    ...(targetsFile ? { targetsFile: resolve(workspace, targetsFile) } : {}),
    databases,
    databaseOrigin: (i) => `input "databases" line ${i + 1}`,
    group: getOptionalInput('group'),
    only: (getOptionalInput('target-names') ?? '')
      .split(/[\n,]/)
      .map((n) => n.trim())
      .filter(Boolean),
    ...(shard ? { shard: parseShard(shard, 'input "shard"') } : {}),
    names: { targetsFile: 'input "targets-file"', databases: 'input "databases"' },
  });
  for (const target of targets) if (target.url) maskSecret(target.url);

  const migrationsRepo = resolve(workspace, getOptionalInput('migrations-repository-path') ?? '.');
  const migrationsDirInput = getOptionalInput('migrations-dir');
  if (mode !== 'sync' && !migrationsDirInput)
    throw new ConfigurationError(`input "migrations-dir" is required for mode ${mode}`);
  const concurrency = getIntegerInput('concurrency');
  if (concurrency === 0) throw new ConfigurationError('input "concurrency" must be at least 1');
  const concurrencyPerHost = getIntegerInput('concurrency-per-host');
  if (concurrencyPerHost === 0) throw new ConfigurationError('input "concurrency-per-host" must be at least 1');
  const toVersion = getIntegerInput('to-version');
  if (toVersion !== undefined && mode !== 'apply' && mode !== 'baseline') {
    throw new ConfigurationError(`input "to-version" only applies to modes apply and baseline, not ${mode}`);
  }
  const maxFailures = getIntegerInput('max-failures');
  if (maxFailures !== undefined && mode !== 'apply')
    throw new ConfigurationError(`input "max-failures" only applies to mode apply, not ${mode}`);
  if (maxFailures === 0) throw new ConfigurationError('input "max-failures" must be at least 1');
  const seed = getSeedInputs(workspace);
  if (seed && mode !== 'apply')
    throw new ConfigurationError(`inputs "seed-sql" and "seed-command" only apply to mode apply, not ${mode}`);
  const statementLimits = readStatementLimits(mode);
  if (toVersion === undefined && mode === 'baseline') {
    throw new ConfigurationError(
      'input "to-version" is required for mode baseline: the version whose schema the databases already have',
    );
  }
  return {
    mode,
    targets,
    ...(migrationsDirInput ? { migrationsDir: resolve(migrationsRepo, migrationsDirInput) } : {}),
    ...(mode === 'sync' ? { source: schemaSource(workspace, migrationsRepo) } : {}),
    ref: getOptionalInput('ref') ?? 'HEAD',
    allow: (getOptionalInput('allow') ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== ''),
    allowEmptyGoal: getBooleanInput('allow-empty-goal', false),
    dryRun: getBooleanInput('dry-run', false),
    ...(toVersion !== undefined ? { toVersion } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(concurrencyPerHost !== undefined ? { concurrencyPerHost } : {}),
    shadow,
    postgresVersion: getIntegerInput('postgres-version') ?? DEFAULT_POSTGRES_VERSION,
    postponedIsWarning: getBooleanInput('postponed-is-warning', false),
    ...(maxFailures !== undefined ? { maxFailures } : {}),
    ...(seed ? { seed } : {}),
    statementLimits,
    prechecks: precheckInputs(),
    tableFilter: getTableFilterInputs(),
  };
}

/** lock-timeout, lock-retry-budget and statement-timeout: they bound what runs, so only modes apply and sync take them. */
function readStatementLimits(mode: ApplyMode): ApplyActionInputs['statementLimits'] {
  const lockTimeoutMs = getIntegerInput('lock-timeout');
  const lockRetryBudgetMs = getIntegerInput('lock-retry-budget');
  const statementTimeoutMs = getIntegerInput('statement-timeout');
  const given = [
    lockTimeoutMs !== undefined && 'lock-timeout',
    lockRetryBudgetMs !== undefined && 'lock-retry-budget',
    statementTimeoutMs !== undefined && 'statement-timeout',
  ].filter((x) => x);
  if (given.length > 0 && mode !== 'apply' && mode !== 'sync')
    throw new ConfigurationError(`input "${given[0]}" only applies to modes apply and sync, not ${mode}`);
  return {
    ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}),
    ...(lockRetryBudgetMs !== undefined ? { lockRetryBudgetMs } : {}),
    ...(statementTimeoutMs !== undefined ? { statementTimeoutMs } : {}),
  };
}

/** precheck-max-rows, precheck-timeout, large-table-rows, large-table-bytes: those given. */
function precheckInputs(): PrecheckOptions {
  const maxRows = getIntegerInput('precheck-max-rows');
  const timeoutMs = getIntegerInput('precheck-timeout');
  const largeTableRows = getIntegerInput('large-table-rows');
  const largeTableBytes = getIntegerInput('large-table-bytes');
  return {
    ...(maxRows !== undefined ? { maxRows } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(largeTableRows !== undefined ? { largeTableRows } : {}),
    ...(largeTableBytes !== undefined ? { largeTableBytes } : {}),
  };
}

function schemaSource(workspace: string, migrationsRepo: string): SchemaSource {
  return getSchemaSourceInputs(
    resolve(workspace, getOptionalInput('schema-repository-path') ?? migrationsRepo),
    'mode sync',
  );
}
