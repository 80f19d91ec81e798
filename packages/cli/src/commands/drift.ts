import { checkFleetDrift } from '../core';
import type { Command } from '../command';
import { migrationsDirOption } from './migrate-options';
import { FLEET_USAGE, fleetCommandRun, fleetMigrationRun, fleetOptions } from './apply';

export const driftCommand: Command = {
  name: 'drift',
  summary: 'Check every database of a fleet against the schema its version implies; exit 1 when any drifted.',
  usage: `drift --dir <migrations-dir> ${FLEET_USAGE}`,
  details: [
    'Exit status: 0 when every database matches the schema its version implies, 1 when any drifted or could not be checked.',
  ],
  options: { ...migrationsDirOption, ...fleetOptions },
  examples: [
    {
      comment: 'Check every database of targets.yml; the report as JSON too',
      command: 'drift --dir migrations --targets targets.yml --json drift.json',
    },
    {
      comment: 'Leave a table the application fills outside migrations out of the check',
      command: 'drift --dir migrations --targets targets.yml --exclude-table audit.*',
    },
  ],
  run: fleetCommandRun(async (values, logger) => checkFleetDrift(await fleetMigrationRun(values, logger))),
};
