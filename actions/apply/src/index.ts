import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import {
  actionsLogger,
  OUTPUT_LIMIT,
  runAction,
  warnIfTriggerPathsMiss,
  wordRemedy,
  writeSummary,
} from '@db-migrate/action-kit';
import {
  type FleetReport,
  TARGET_STATUSES,
  applyFleet,
  finishBeforeSignalExit,
  baselineFleet,
  checkFleetDrift,
  readMigrationDir,
  reportFails,
  syncFleet,
} from '@db-migrate/core';
import { readApplyInputs } from './inputs';
import { fleetSummary } from './summary';

// A cancelled workflow (SIGINT, then SIGTERM): the exit waits until the summary and outputs are written.
runAction(() =>
  finishBeforeSignalExit(async () => {
    const inputs = await readApplyInputs(process.env.GITHUB_WORKSPACE ?? process.cwd());
    const common = {
      targets: inputs.targets,
      shadow: inputs.shadow,
      postgresVersion: inputs.postgresVersion,
      logger: actionsLogger,
      wordRemedy,
      diffOptions: inputs.tableFilter,
      ...(inputs.concurrency !== undefined ? { concurrency: inputs.concurrency } : {}),
      ...(inputs.concurrencyPerHost !== undefined ? { concurrencyPerHost: inputs.concurrencyPerHost } : {}),
    };
    let report: FleetReport;
    if (inputs.mode === 'sync') {
      warnIfTriggerPathsMiss(core.getInput('schema-dir'), core.getInput('schema-repository-path') || '.');
      report = await syncFleet({
        ...common,
        ...inputs.statementLimits,
        source: inputs.source!,
        ref: inputs.ref,
        dryRun: inputs.dryRun,
        allow: inputs.allow,
        allowEmptyGoal: inputs.allowEmptyGoal,
        prechecks: inputs.prechecks,
      });
    } else {
      const set = await readMigrationDir(inputs.migrationsDir!);
      if (inputs.mode === 'drift') report = await checkFleetDrift({ ...common, set });
      else if (inputs.mode === 'baseline')
        report = await baselineFleet({
          ...common,
          set,
          dryRun: inputs.dryRun,
          to: inputs.toVersion!,
          toInput: 'input "to-version"',
        });
      else {
        report = await applyFleet({
          ...common,
          ...inputs.statementLimits,
          set,
          dryRun: inputs.dryRun,
          ...(inputs.toVersion !== undefined ? { to: inputs.toVersion, toInput: 'input "to-version"' } : {}),
          ...(inputs.maxFailures !== undefined ? { maxFailures: inputs.maxFailures } : {}),
          ...(inputs.seed ? { seed: inputs.seed } : {}),
          allow: inputs.allow,
          prechecks: inputs.prechecks,
        });
      }
    }

    core.setOutput('report', reportOutput(report));
    core.setOutput('report-file', writeReportFile(report));
    for (const status of TARGET_STATUSES) core.setOutput(status, String(report.counts[status]));
    await writeSummary(fleetSummary(report));

    const { failed, refused, postponed, drifted } = report.counts;
    // A database without versions has not drifted: its schema is not the baseline version's.
    const why = inputs.mode === 'baseline' ? `schema differs from version ${report.target}` : 'schema drifted';
    if (reportFails(report, { postponedIsWarning: inputs.postponedIsWarning })) {
      const parts = [
        failed && `${failed} failed`,
        refused && `${refused} refused (nothing ran)`,
        report.counts['not-started'] && `${report.counts['not-started']} not started`,
        postponed && `${postponed} postponed (${why})`,
        drifted && `${drifted} drifted`,
      ].filter(Boolean);
      core.setFailed(`${inputs.mode}: ${parts.join(', ')} of ${report.targets.length} target(s); see the job summary`);
    } else if (postponed > 0) {
      core.warning(`${postponed} target(s) postponed (${why}); they were not touched`);
    }
  }),
);

/** The whole report, drift SQL included, in the runner's temporary directory: outputs and the summary have size limits. */
function writeReportFile(report: FleetReport): string {
  const file = join(
    process.env.RUNNER_TEMP || tmpdir(),
    `db-migrate-${report.mode}-report-${randomBytes(4).toString('hex')}.json`,
  );
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  return file;
}

/**
 * The report as JSON for the `report` output. When the drift SQL of many databases would pass GitHub's
 * output limit, the SQL is left out of each target (the summary shows it) and the rest is kept whole.
 */
function reportOutput(report: FleetReport): string {
  const json = JSON.stringify(report);
  if (json.length <= OUTPUT_LIMIT) return json;
  core.warning(
    `output "report" is ${json.length} characters: the drift SQL of each target is left out of it (the job summary shows it)`,
  );
  return JSON.stringify({
    ...report,
    targets: report.targets.map((t) =>
      t.drift ? { ...t, drift: { ...t.drift, sql: '(left out: see the job summary)' } } : t,
    ),
  });
}
