import { checkFleetDrift, readMigrationDir } from '@db-migrate/core';
import { type Command, requiredString } from '../command';
import { FLEET_USAGE, finishFleetRun, fleetOptions, fleetRunOptions, fleetTargets } from './apply';

export const driftCommand: Command = {
  name: 'drift',
  summary: 'Check every database of a fleet against the schema its version implies; exit 1 when any drifted.',
  usage: `drift --dir <migrations-dir> ${FLEET_USAGE}`,
  options: { ...fleetOptions, dir: { type: 'string' } },
  async run(values, _positionals, { logger, stdout }) {
    const run = fleetRunOptions(values, logger);
    const targets = await fleetTargets(values);
    const set = await readMigrationDir(requiredString(values, 'dir'));
    const report = await checkFleetDrift({ ...run, set, targets });
    return finishFleetRun(report, values, stdout);
  },
};
