import { checkFleetDrift, finishBeforeSignalExit } from '../core';
import type { Command } from '../command';
import { migrationsDirOption } from './migrate-options';
import { FLEET_USAGE, finishFleetRun, fleetMigrationRun, fleetOptions } from './apply';

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
  // SIGINT or SIGTERM: the exit waits until the report is printed and written.
  run: (values, _positionals, { logger, stdout }) =>
    finishBeforeSignalExit(async () => {
      const report = await checkFleetDrift(await fleetMigrationRun(values, logger));
      return finishFleetRun(report, values, stdout);
    }),
};
