import { syncFleet } from '@db-migrate/core';
import { type Command, optionalInteger, optionalString, stringList } from '../command';
import { readSchemaSource, schemaSourceOptions } from './schema-options';
import { FLEET_USAGE, finishFleetRun, fleetOptions, fleetRunOptions, fleetTargets } from './apply';

export const syncCommand: Command = {
  name: 'sync',
  summary: 'Make databases (staging) match the schema source at a ref, in one transaction each, without versions.',
  usage:
    'sync --schema-dir <path> (--schema-command "<cmd>" | --schema-sql <file> ...) [--ref <ref>] [--repo <path>]\n' +
    `       ${FLEET_USAGE}\n` +
    '       [--dry-run] [--lock-timeout ms] [--statement-timeout ms] [--allow "drops-data <schema>.<table>" ...] [--allow-empty-goal]',
  options: {
    ...fleetOptions,
    ...schemaSourceOptions,
    ref: { type: 'string' },
    'dry-run': { type: 'boolean' },
    'lock-timeout': { type: 'string' },
    'statement-timeout': { type: 'string' },
    allow: { type: 'string', multiple: true },
    'allow-empty-goal': { type: 'boolean' },
  },
  async run(values, _positionals, { logger, stdout }) {
    const run = fleetRunOptions(values, logger);
    const targets = await fleetTargets(values);
    const source = readSchemaSource(values);
    const lockTimeoutMs = optionalInteger(values, 'lock-timeout');
    const statementTimeoutMs = optionalInteger(values, 'statement-timeout');
    const report = await syncFleet({
      ...run,
      targets,
      source,
      ref: optionalString(values, 'ref') ?? 'HEAD',
      dryRun: values['dry-run'] === true,
      allow: stringList(values, 'allow'),
      allowEmptyGoal: values['allow-empty-goal'] === true,
      ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}),
      ...(statementTimeoutMs !== undefined ? { statementTimeoutMs } : {}),
    });
    return finishFleetRun(report, values, stdout);
  },
};
