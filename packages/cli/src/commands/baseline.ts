import { baselineFleet, checkBaselineVersion } from '../core';
import { type Command, optionalInteger } from '../command';
import { migrationsDirOption } from './migrate-options';
import { FLEET_USAGE, fleetCommandRun, fleetMigrationRun, fleetOptions } from './apply';

export const baselineCommand: Command = {
  name: 'baseline',
  summary:
    "Adopt databases built before db-migrate: where the schema equals version N's, record 1..N as applied (nothing runs).",
  usage: `baseline --dir <migrations-dir> --to N ${FLEET_USAGE}\n       [--dry-run]`,
  options: {
    ...migrationsDirOption,
    to: {
      type: 'string',
      value: '<N>',
      required: true,
      description: 'The version whose schema the databases already have.',
    },
    ...fleetOptions,
    'dry-run': { type: 'boolean', description: 'Check which databases match version N, recording nothing.' },
  },
  examples: [
    {
      comment: 'Databases built by hand to the schema of migration 4: record 1..4 as applied',
      command: 'baseline --dir migrations --to 4 --targets targets.yml',
    },
  ],
  run: fleetCommandRun(async (values, logger) => {
    const run = await fleetMigrationRun(values, logger);
    const to = checkBaselineVersion(run.set, optionalInteger(values, 'to'), '--to');
    return baselineFleet({ ...run, to, dryRun: values['dry-run'] === true });
  }),
};
