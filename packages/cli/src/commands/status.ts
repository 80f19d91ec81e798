import type { DatabaseStatus, MigrationState } from '@db-migrate/core';
import { inconsistencyReason, status } from '../core';
import { type Command, JSON_OPTION, printResult } from '../command';
import { DATABASE_USAGE, databaseAndMigrations, databaseOptions } from './migrate-options';

function describeState(m: MigrationState): string {
  if (!m.applied) return 'pending';
  const at = m.appliedAt ? `applied ${m.appliedAt.toISOString()}` : 'applied';
  return m.changedSinceApplied ? `${at} (file changed since)` : at;
}

/** A plain text table: one row per migration, then ids applied without a file. */
export function formatStatusTable(current: DatabaseStatus): string {
  const rows: [string, string, string][] = [['VERSION', 'MIGRATION', 'STATUS']];
  for (const m of current.migrations) {
    const hole = current.holes.includes(m.fileName) ? ' (HOLE: a later migration is applied)' : '';
    rows.push([String(m.version), m.fileName, describeState(m) + hole]);
  }
  for (const id of current.appliedMissing) rows.push(['?', id, 'applied, but the file is missing']);
  const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => `${r[0].padEnd(widths[0])}  ${r[1].padEnd(widths[1])}  ${r[2]}`.trimEnd()).join('\n') + '\n';
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'Show which migrations a database has applied and which are pending.',
  usage: `status ${DATABASE_USAGE}`,
  options: { ...databaseOptions, ...JSON_OPTION },
  examples: [
    { comment: 'Which migrations the database in DATABASE_URL has applied', command: 'status --dir migrations' },
    {
      comment: 'The same as JSON, for a script',
      command: 'status --dir migrations --database postgres://app@localhost/client1 --json -',
    },
  ],
  async run(values, _positionals, { logger, stdout }) {
    const { url, set } = await databaseAndMigrations(values, logger);
    const current = await status(url, set);
    for (const note of current.notes ?? []) logger.warning(`${current.database}: ${note}`);
    const problem = inconsistencyReason(current, set);
    if (problem) logger.warning(problem);
    const at = problem
      ? `at no consistent version (highest applied ${current.currentVersion})`
      : `at version ${current.currentVersion}`;
    const text = `${formatStatusTable(current)}${current.database}: ${at}, ${current.pending.length} pending\n`;
    await printResult(values, stdout, text, { ...current, consistent: !problem, ...(problem ? { problem } : {}) });
    return 0;
  },
};
