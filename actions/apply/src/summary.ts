import { type SummaryBlock, wordRemedy } from '@db-migrate/action-kit';
import {
  type FleetReport,
  REPORT_TABLE_HEADER,
  describeConnections,
  describeCounts,
  describeEvidence,
  describePrechecks,
  describePreflight,
  driftDirection,
  reportTableRows,
} from '@db-migrate/core';

const TITLES = {
  apply: 'db-migrate apply',
  drift: 'db-migrate drift check',
  sync: 'db-migrate staging sync',
  baseline: 'db-migrate baseline',
} as const;

/** The job summary: counts, one row per target, then the SQL of each drift (and of each planned sync). */
export function fleetSummary(report: FleetReport): SummaryBlock[] {
  const blocks: SummaryBlock[] = [
    {
      kind: 'heading',
      text: `${TITLES[report.mode]}${report.target ? (report.mode === 'sync' ? ` to ${report.target}` : ` (version ${report.target})`) : ''}`,
    },
    { kind: 'text', text: describeCounts(report) },
  ];
  if (report.preflight) blocks.push({ kind: 'text', text: describePreflight(report.preflight) });
  if (report.targets.length > 0)
    blocks.push({ kind: 'table', header: REPORT_TABLE_HEADER, rows: reportTableRows(report, wordRemedy) });
  for (const t of report.targets) {
    const prechecks = t.prechecks ? describePrechecks(t.prechecks, report.dryRun, wordRemedy) : [];
    if (prechecks.length > 0)
      blocks.push({
        kind: 'details',
        summary: `${t.name}: pre-checks`,
        blocks: [{ kind: 'code', code: prechecks.join('\n') }],
      });
    if (t.drift) {
      blocks.push({
        kind: 'details',
        summary: `${t.name}: ${t.drift.statements} difference(s) from the schema of version ${t.drift.version}`,
        blocks: [
          {
            kind: 'text',
            text: `SQL that would take ${t.database} ${driftDirection(report.mode)} the schema of version ${t.drift.version}:`,
          },
          { kind: 'code', code: t.drift.sql, language: 'sql' },
        ],
      });
    } else if (t.sync && t.status !== 'up-to-date') {
      const verb = t.status === 'pending' ? 'would run' : t.status === 'applied' ? 'ran' : 'tried';
      blocks.push({
        kind: 'details',
        summary: `${t.name}: ${verb} ${t.sync.changes.length} statement(s)`,
        blocks: [{ kind: 'code', code: t.sync.sql, language: 'sql' }],
      });
    }
    const evidence = describeEvidence(t);
    if (evidence)
      blocks.push({
        kind: 'details',
        summary: `${t.name}: ${t.status}: ${(t.error ?? '').split('\n')[0]}`,
        blocks: [{ kind: 'code', code: evidence, language: 'sql' }],
      });
  }
  const e = report.expectedSchemas;
  if (e && e.built.length > 0) {
    blocks.push({
      kind: 'text',
      text: `Expected schemas built for versions ${e.built.join(', ')} in ${e.buildMs} ms; the run took ${report.durationMs} ms.`,
    });
  }
  const connections = describeConnections(report);
  if (connections) blocks.push({ kind: 'text', text: `The run used ${connections}.` });
  return blocks;
}
