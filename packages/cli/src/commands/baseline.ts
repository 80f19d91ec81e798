import { baselineFleet, checkBaselineVersion, finishBeforeSignalExit } from '../core';
import { type Command, optionalInteger } from '../command';
import { migrationsDirOption } from './migrate-options';
import { FLEET_USAGE, finishFleetRun, fleetMigrationRun, fleetOptions } from './apply';

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
  // SIGINT or SIGTERM: the exit waits until the report is printed and written.
  run: (values, _positionals, { logger, stdout }) =>
    finishBeforeSignalExit(async () => {
      const run = await fleetMigrationRun(values, logger);
      const to = checkBaselineVersion(run.set, optionalInteger(values, 'to'), '--to');
      const report = await baselineFleet({ ...run, to, dryRun: values['dry-run'] === true });
      return finishFleetRun(report, values, stdout);
    }),
};
