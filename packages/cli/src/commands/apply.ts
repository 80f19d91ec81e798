import { wordRemedy } from '../remedy-wording';
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { FleetReport, Logger, Target } from '@db-migrate/core';
import {
  ConfigurationError,
  DEFAULT_CONCURRENCY,
  applyFleet,
  formatReportText,
  finishBeforeSignalExit,
  loadTargets,
  parseShard,
  readMigrationDir,
  reportFails,
} from '../core';
import {
  type Command,
  type OptionTable,
  type OptionValues,
  everyString,
  givenIntegers,
  optionalInteger,
  optionalString,
  printResult,
  requiredString,
  stringList,
} from '../command';
import { STATEMENT_LIMIT_USAGE, lockOptions, migrationsDirOption, statementLimits } from './migrate-options';
import { SHADOW_USAGE, shadowOption, shadowOptions, tableFilter, tableFilterOptions } from './schema-options';
import { readSeed, SEED_USAGE, seedOptions } from './seed-options';
import { PRECHECK_USAGE, precheckOptions, precheckSettings } from './precheck-options';

/** The options apply, drift and sync share: which databases, how many at once, where to build schemas. */
export const fleetOptions: OptionTable = {
  targets: {
    type: 'string',
    value: '<file>',
    description: 'YAML list of databases: name, url-env (the variable holding its URL), optional groups.',
  },
  database: {
    type: 'string',
    multiple: true,
    value: '<name>=<url>',
    description:
      'One database, instead of --targets; <name>=env:VAR reads the URL from the variable VAR (no password in shell history).',
  },
  target: {
    type: 'string',
    multiple: true,
    value: '<name>',
    description: 'Only the database of this name in --targets (or --database); repeatable.',
  },
  group: { type: 'string', value: '<G>', description: 'Only the databases of this group.' },
  shard: {
    type: 'string',
    value: '<i/n>',
    description: 'Only the i-th of n equal slices of the databases (split a fleet over CI jobs).',
  },
  concurrency: {
    type: 'string',
    value: '<N>',
    description: 'Databases worked on at once.',
    default: () => `max(8, 2 x CPUs), ${DEFAULT_CONCURRENCY} here`,
  },
  'concurrency-per-host': {
    type: 'string',
    value: '<N>',
    description: 'At most N databases at once on one server (host:port), when many targets share one.',
    default: 'only --concurrency limits',
  },
  ...shadowOptions,
  ...tableFilterOptions,
  json: {
    type: 'string',
    value: '<file>',
    description: 'Also write the report as JSON to this file; `-` prints JSON on stdout instead of the table.',
  },
  'lock-wait-timeout': {
    type: 'string',
    value: '<ms>',
    description: "How long to wait for another run holding a database's lock; 0 waits for ever.",
    default: '300000 (5 min)',
  },
};

export const FLEET_USAGE =
  '(--targets <file> | --database <name>=<url>|<name>=env:VAR ...) [--target NAME ...] [--group G] [--shard i/n] [--concurrency N]\n' +
  `       [--concurrency-per-host N] ${SHADOW_USAGE} [--exclude-table T ...] [--json <file>] [--lock-wait-timeout ms]`;

/** The targets named by --targets or --database, narrowed by --group and --shard; URLs registered as secrets. */
async function fleetTargets(values: OptionValues): Promise<Target[]> {
  const shard = optionalString(values, 'shard');
  return loadTargets({
    names: { targetsFile: '--targets', databases: '--database' },
    targetsFile: optionalString(values, 'targets'),
    databases: everyString(values, 'database'),
    group: optionalString(values, 'group'),
    only: stringList(values, 'target'),
    ...(shard ? { shard: parseShard(shard, '--shard') } : {}),
  });
}

/** Refuses, before any work, a --json path the report could not be written to at the end. */
function checkJsonPath(path: string | undefined): void {
  if (!path) return;
  const fail = (why: string): never => {
    throw new ConfigurationError(`--json ${path}: ${why} (checked before any database is touched)`);
  };
  const existing = (() => {
    try {
      return statSync(path);
    } catch {
      return undefined;
    }
  })();
  if (existing?.isDirectory()) fail('is a directory');
  const target = existing ? path : dirname(resolve(path));
  try {
    if (!existing && !statSync(target).isDirectory()) fail(`${target} is not a directory`);
    accessSync(target, constants.W_OK);
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    fail(
      code === 'ENOENT'
        ? `directory ${target} does not exist`
        : `${existing ? 'the file' : `directory ${target}`} is not writable`,
    );
  }
}

/** The settings every fleet run takes from the command line. */
function fleetRunOptions(values: OptionValues, logger: Logger) {
  checkJsonPath(optionalString(values, 'json'));
  const concurrency = optionalInteger(values, 'concurrency');
  if (concurrency === 0) throw new ConfigurationError('--concurrency must be at least 1');
  const concurrencyPerHost = optionalInteger(values, 'concurrency-per-host');
  if (concurrencyPerHost === 0) throw new ConfigurationError('--concurrency-per-host must be at least 1');
  return {
    logger,
    wordRemedy,
    shadow: shadowOption(values),
    postgresVersion: optionalInteger(values, 'postgres-version'),
    diffOptions: tableFilter(values),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(concurrencyPerHost !== undefined ? { concurrencyPerHost } : {}),
    ...givenIntegers(values, { lockWaitTimeoutMs: 'lock-wait-timeout' }),
  };
}

/** The settings and the databases of a fleet run. */
export async function fleetRun(values: OptionValues, logger: Logger) {
  const run = fleetRunOptions(values, logger);
  return { ...run, targets: await fleetTargets(values) };
}

/** A fleet run over the migrations directory --dir (its warnings at debug level: every database reports its own). */
export async function fleetMigrationRun(values: OptionValues, logger: Logger) {
  const run = await fleetRun(values, logger);
  const set = await readMigrationDir(requiredString(values, 'dir'));
  for (const warning of set.warnings) logger.debug(warning);
  return { ...run, set };
}

/**
 * How a fleet command (apply, drift, baseline, sync) runs: `work` makes the report, printed as a table
 * (stdout) or JSON; exit code 1 when the run should fail. On SIGINT or SIGTERM the exit waits until the
 * report is printed and written.
 */
export function fleetCommandRun(work: (values: OptionValues, logger: Logger) => Promise<FleetReport>): Command['run'] {
  return (values, _positionals, { logger, stdout }) =>
    finishBeforeSignalExit(async () => {
      const report = await work(values, logger);
      await printResult(values, stdout, formatReportText(report, wordRemedy), report);
      // Only apply has --postponed-is-warning.
      return reportFails(report, { postponedIsWarning: values['postponed-is-warning'] === true }) ? 1 : 0;
    });
}

/** The statement limits of apply and sync (the lock wait is in fleetOptions). */
export const statementLimitOptions: OptionTable = {
  'lock-timeout': lockOptions['lock-timeout'],
  'lock-retry-budget': lockOptions['lock-retry-budget'],
  'statement-timeout': lockOptions['statement-timeout'],
};

export const applyCommand: Command = {
  name: 'apply',
  summary:
    "Migrate a fleet: check each database against its version's schema, postpone drifted ones, apply the rest in parallel.",
  usage:
    `apply --dir <migrations-dir> ${FLEET_USAGE}\n` +
    `       [--dry-run] [--to N] [--postponed-is-warning] ${STATEMENT_LIMIT_USAGE}\n` +
    `       [--max-failures N] ${SEED_USAGE}\n` +
    `       ${PRECHECK_USAGE}`,
  details: [
    'Exit status: 0 when every database is at the target version (or postponed with --postponed-is-warning), 1 otherwise.',
    'SIGINT or SIGTERM stops the run: the statement running on a database is cancelled (its migration rolls back), no database starts after it, the report (and --json) says which were applied, interrupted and not started; exit status 130 or 143.',
  ],
  options: {
    ...migrationsDirOption,
    ...fleetOptions,
    'dry-run': {
      type: 'boolean',
      description:
        'Check every database and say what would run, changing nothing (the pre-flight runs on shadow copies, so it says what a real run would refuse).',
    },
    to: {
      type: 'string',
      value: '<N>',
      description:
        'Migrate up or down to this version: below the current version it reverts, running the Down sections of the versions above it.',
      default: 'the newest migration',
    },
    'postponed-is-warning': { type: 'boolean', description: 'A drifted (postponed) database does not fail the run.' },
    ...statementLimitOptions,
    'max-failures': {
      type: 'string',
      value: '<N>',
      description:
        'The canary: once N databases have had a migration fail, start no other one (they are reported not-started).',
      default: 'no limit',
    },
    allow: {
      type: 'string',
      multiple: true,
      value: '"<code> <object>"',
      description:
        'A data loss the run may cause, e.g. "drops-data public.orders.note", or a large table a statement may lock while rewriting or scanning it, e.g. "rewrites-table public.orders" (repeatable). Refused on a database where it applies unless this names it (or, going up, the migration\'s "-- db-migrate: allow" line does).',
    },
    ...seedOptions,
    ...precheckOptions,
  },
  examples: [
    {
      comment: 'Migrate every database listed in targets.yml, 4 at a time',
      command: 'apply --dir migrations --targets targets.yml --concurrency 4',
    },
    {
      comment: 'What would run on the eu group, changing nothing',
      command: 'apply --dir migrations --targets targets.yml --group eu --dry-run',
    },
  ],
  run: fleetCommandRun(async (values, logger) => {
    const run = await fleetMigrationRun(values, logger);
    const maxFailures = givenIntegers(values, { maxFailures: 'max-failures' });
    const seed = readSeed(values);
    return applyFleet({
      ...run,
      dryRun: values['dry-run'] === true,
      to: optionalInteger(values, 'to'),
      toInput: '--to',
      ...statementLimits(values),
      ...maxFailures,
      ...(seed ? { seed } : {}),
      allow: stringList(values, 'allow'),
      prechecks: precheckSettings(values),
    });
  }),
};
