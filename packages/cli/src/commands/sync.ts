import { ConfigurationError, syncFleet } from '@db-migrate/core';
import { type Command, type OptionValues, optionalInteger, optionalString, requiredString } from '../command';
import { FLEET_USAGE, finishFleetRun, fleetOptions, fleetRunOptions, fleetTargets } from './apply';

/** --schema-sql may be repeated, one file each, loaded in the order given. */
function sqlFiles(values: OptionValues): string[] {
  const raw = values['schema-sql'];
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.filter((v): v is string => typeof v === 'string' && v.trim() !== '');
}

export const syncCommand: Command = {
  name: 'sync',
  summary: 'Make databases (staging) match the schema source at a ref, in one transaction each, without versions.',
  usage:
    'sync --schema-dir <path> (--schema-command "<cmd>" | --schema-sql <file> ...) [--ref <ref>] [--repo <path>]\n' +
    `       ${FLEET_USAGE}\n` +
    '       [--dry-run] [--lock-timeout ms] [--statement-timeout ms]',
  options: {
    ...fleetOptions,
    'schema-dir': { type: 'string' },
    'schema-command': { type: 'string' },
    'schema-sql': { type: 'string', multiple: true },
    ref: { type: 'string' },
    repo: { type: 'string' },
    'dry-run': { type: 'boolean' },
    'lock-timeout': { type: 'string' },
    'statement-timeout': { type: 'string' },
  },
  async run(values, _positionals, { logger, stdout }) {
    const run = fleetRunOptions(values, logger);
    const targets = await fleetTargets(values);
    const command = optionalString(values, 'schema-command');
    const files = sqlFiles(values);
    if (command && files.length > 0) throw new ConfigurationError('give either --schema-command or --schema-sql, not both');
    if (!command && files.length === 0) throw new ConfigurationError('missing --schema-command "<cmd>" or --schema-sql <file>');
    const lockTimeoutMs = optionalInteger(values, 'lock-timeout');
    const statementTimeoutMs = optionalInteger(values, 'statement-timeout');
    const report = await syncFleet({
      ...run,
      targets,
      source: {
        repoDir: optionalString(values, 'repo') ?? process.cwd(),
        schemaDir: requiredString(values, 'schema-dir'),
        ...(command ? { command } : { sqlFiles: files }),
      },
      ref: optionalString(values, 'ref') ?? 'HEAD',
      dryRun: values['dry-run'] === true,
      ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}),
      ...(statementTimeoutMs !== undefined ? { statementTimeoutMs } : {}),
    });
    return finishFleetRun(report, values, stdout);
  },
};
