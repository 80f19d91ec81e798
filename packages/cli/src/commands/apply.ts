import { writeFile } from 'node:fs/promises';
import {
  ConfigurationError,
  type FleetReport,
  type Logger,
  type Target,
  applyFleet,
  formatReportText,
  loadTargets,
  parseShard,
  readMigrationDir,
  reportFails,
} from '@db-migrate/core';
import { type Command, type OptionValues, optionalInteger, optionalString, requiredString } from '../command';
import { shadowOption } from './schema-options';

/** The options apply, drift and sync share: which databases, how many at once, where to build schemas. */
export const fleetOptions = {
  targets: { type: 'string' },
  database: { type: 'string', multiple: true },
  group: { type: 'string' },
  shard: { type: 'string' },
  concurrency: { type: 'string' },
  'concurrency-per-host': { type: 'string' },
  shadow: { type: 'string' },
  'postgres-version': { type: 'string' },
  json: { type: 'string' },
  'lock-wait-timeout': { type: 'string' },
} as const;

export const FLEET_USAGE =
  '(--targets <file> | --database <name>=<url> ...) [--group G] [--shard i/n] [--concurrency N]\n' +
  '       [--concurrency-per-host N] [--shadow embedded|docker|<url>] [--postgres-version N] [--json <file>] [--lock-wait-timeout ms]';

/** The targets named by --targets or --database, narrowed by --group and --shard; URLs registered as secrets. */
export async function fleetTargets(values: OptionValues): Promise<Target[]> {
  const raw = values.database;
  const databases = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((v): v is string => typeof v === 'string');
  const shard = optionalString(values, 'shard');
  return loadTargets({
    targetsFile: optionalString(values, 'targets'),
    databases,
    group: optionalString(values, 'group'),
    ...(shard ? { shard: parseShard(shard, '--shard') } : {}),
  });
}

/** The settings every fleet run takes from the command line. */
export function fleetRunOptions(values: OptionValues, logger: Logger) {
  const concurrency = optionalInteger(values, 'concurrency');
  if (concurrency === 0) throw new ConfigurationError('--concurrency must be at least 1');
  const concurrencyPerHost = optionalInteger(values, 'concurrency-per-host');
  if (concurrencyPerHost === 0) throw new ConfigurationError('--concurrency-per-host must be at least 1');
  const lockWaitTimeoutMs = optionalInteger(values, 'lock-wait-timeout');
  return {
    logger,
    shadow: shadowOption(values),
    postgresVersion: optionalInteger(values, 'postgres-version'),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(concurrencyPerHost !== undefined ? { concurrencyPerHost } : {}),
    ...(lockWaitTimeoutMs !== undefined ? { lockWaitTimeoutMs } : {}),
  };
}

/** Prints the table (stdout), writes --json, and returns the exit code: 1 when the run should fail. */
export async function finishFleetRun(report: FleetReport, values: OptionValues, stdout: (text: string) => void, postponedIsWarning = false): Promise<number> {
  stdout(formatReportText(report));
  const json = optionalString(values, 'json');
  if (json) await writeFile(json, JSON.stringify(report, null, 2) + '\n');
  return reportFails(report, { postponedIsWarning }) ? 1 : 0;
}

export const applyCommand: Command = {
  name: 'apply',
  summary: 'Migrate a fleet: check each database against its version\'s schema, postpone drifted ones, apply the rest in parallel.',
  usage:
    `apply --dir <migrations-dir> ${FLEET_USAGE}\n` +
    '       [--dry-run] [--to N] [--postponed-is-warning] [--lock-timeout ms] [--statement-timeout ms]',
  options: {
    ...fleetOptions,
    dir: { type: 'string' },
    'dry-run': { type: 'boolean' },
    to: { type: 'string' },
    'postponed-is-warning': { type: 'boolean' },
    'lock-timeout': { type: 'string' },
    'statement-timeout': { type: 'string' },
  },
  async run(values, _positionals, { logger, stdout }) {
    const run = fleetRunOptions(values, logger);
    const targets = await fleetTargets(values);
    const set = await readMigrationDir(requiredString(values, 'dir'));
    for (const warning of set.warnings) logger.debug(warning);
    const lockTimeoutMs = optionalInteger(values, 'lock-timeout');
    const statementTimeoutMs = optionalInteger(values, 'statement-timeout');
    const report = await applyFleet({
      ...run,
      set,
      targets,
      dryRun: values['dry-run'] === true,
      to: optionalInteger(values, 'to'),
      ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}),
      ...(statementTimeoutMs !== undefined ? { statementTimeoutMs } : {}),
    });
    return finishFleetRun(report, values, stdout, values['postponed-is-warning'] === true);
  },
};
