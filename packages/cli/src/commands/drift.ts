import { checkFleetDrift, readMigrationDir } from '@db-migrate/core';
import { type Command, requiredString } from '../command';
import { migrationsDirOption } from './migrate-options';
import { FLEET_USAGE, finishFleetRun, fleetOptions, fleetRunOptions, fleetTargets } from './apply';

export const driftCommand: Command = {
  name: 'drift',
  summary: 'Check every database of a fleet against the schema its version implies; exit 1 when any drifted.',
  usage: `drift --dir <migrations-dir> ${FLEET_USAGE}`,
  details: ['Exit status: 0 when every database matches the schema its version implies, 1 when any drifted or could not be checked.'],
  options: { ...migrationsDirOption, ...fleetOptions },
  examples: [
    { comment: 'Check every database of targets.yml; the report as JSON too', command: 'drift --dir migrations --targets targets.yml --json drift.json' },
    { comment: 'Leave a table the application fills outside migrations out of the check', command: 'drift --dir migrations --targets targets.yml --exclude-table audit.*' },
  ],
  async run(values, _positionals, { logger, stdout }) {
    const run = fleetRunOptions(values, logger);
    const targets = await fleetTargets(values);
    const set = await readMigrationDir(requiredString(values, 'dir'));
    const report = await checkFleetDrift({ ...run, set, targets });
    return finishFleetRun(report, values, stdout);
  },
};
