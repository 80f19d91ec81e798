import { accessSync, constants, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
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
import { readSeed, SEED_USAGE, seedOptions } from './seed-options';

/** The options apply, drift and sync share: which databases, how many at once, where to build schemas. */
export const fleetOptions = {
  targets: { type: 'string' },
  database: { type: 'string', multiple: true },
  group: { type: 'string' },
  shard: { type: 'string' },
  concurrency: { type: 'string' },
  shadow: { type: 'string' },
  'postgres-version': { type: 'string' },
  json: { type: 'string' },
  'lock-wait-timeout': { type: 'string' },
} as const;

export const FLEET_USAGE =
  '(--targets <file> | --database <name>=<url> ...) [--group G] [--shard i/n] [--concurrency N]\n' +
  '       [--shadow embedded|docker|<url>] [--postgres-version N] [--json <file>] [--lock-wait-timeout ms]';

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
    fail(code === 'ENOENT' ? `directory ${target} does not exist` : `${existing ? 'the file' : `directory ${target}`} is not writable`);
  }
}

/** The settings every fleet run takes from the command line. */
export function fleetRunOptions(values: OptionValues, logger: Logger) {
  checkJsonPath(optionalString(values, 'json'));
  const concurrency = optionalInteger(values, 'concurrency');
  if (concurrency === 0) throw new ConfigurationError('--concurrency must be at least 1');
  const lockWaitTimeoutMs = optionalInteger(values, 'lock-wait-timeout');
  return {
    logger,
    shadow: shadowOption(values),
    postgresVersion: optionalInteger(values, 'postgres-version'),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(lockWaitTimeoutMs !== undefined ? { lockWaitTimeoutMs } : {}),
  };
}

/** Prints the table (stdout), writes --json, and returns the exit code: 1 when the run should fail. */
export async function finishFleetRun(report: FleetReport, values: OptionValues, stdout: (text: string) => void, postponedIsWarning = false): Promise<number> {
  stdout(formatReportText(report));
  const json = optionalString(values, 'json');
  if (json) {
    await writeFile(json, JSON.stringify(report, null, 2) + '\n').catch((error: unknown) => {
      throw new ConfigurationError(`--json ${json}: cannot write the report: ${(error as Error).message}`);
    });
  }
  return reportFails(report, { postponedIsWarning }) ? 1 : 0;
}

export const applyCommand: Command = {
  name: 'apply',
  summary: 'Migrate a fleet: check each database against its version\'s schema, postpone drifted ones, apply the rest in parallel.',
  usage:
    `apply --dir <migrations-dir> ${FLEET_USAGE}\n` +
    '       [--dry-run] [--to N] [--postponed-is-warning] [--lock-timeout ms] [--statement-timeout ms]\n' +
    `       [--max-failures N] ${SEED_USAGE}`,
  options: {
    ...fleetOptions,
    dir: { type: 'string' },
    'dry-run': { type: 'boolean' },
    to: { type: 'string' },
    'postponed-is-warning': { type: 'boolean' },
    'lock-timeout': { type: 'string' },
    'statement-timeout': { type: 'string' },
    'max-failures': { type: 'string' },
    ...seedOptions,
  },
  async run(values, _positionals, { logger, stdout }) {
    const run = fleetRunOptions(values, logger);
    const targets = await fleetTargets(values);
    const set = await readMigrationDir(requiredString(values, 'dir'));
    for (const warning of set.warnings) logger.debug(warning);
    const lockTimeoutMs = optionalInteger(values, 'lock-timeout');
    const statementTimeoutMs = optionalInteger(values, 'statement-timeout');
    const maxFailures = optionalInteger(values, 'max-failures');
    const seed = readSeed(values);
    const report = await applyFleet({
      ...run,
      set,
      targets,
      dryRun: values['dry-run'] === true,
      to: optionalInteger(values, 'to'),
      ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}),
      ...(statementTimeoutMs !== undefined ? { statementTimeoutMs } : {}),
      ...(maxFailures !== undefined ? { maxFailures } : {}),
      ...(seed ? { seed } : {}),
    });
    return finishFleetRun(report, values, stdout, values['postponed-is-warning'] === true);
  },
};
