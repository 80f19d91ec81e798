import { basename, relative } from 'node:path';
import type { SummaryBlock } from '@db-migrate/action-kit';
import { padVersion } from '@db-migrate/core';
import { schemaAt } from './pull-request-text';
import type { CreateActionResult } from './run-create';

/** The job summary: the same facts as the outputs and the pull request, readable on the run's page. */
export function createSummary(result: CreateActionResult): SummaryBlock[] {
  const heading: SummaryBlock = { kind: 'heading', text: 'db-migrate create', level: 2 };
  if (result.outcome === 'no-op') return [heading, { kind: 'text', text: `Nothing to do: ${result.reason}.` }];
  if (result.outcome === 'skipped') {
    const blocks: SummaryBlock[] = [heading, { kind: 'text', text: `Skipped: ${result.reason}.` }];
    blocks.push({
      kind: 'markdown',
      markdown: `Open migration pull request: [#${result.pullRequest.number}](${result.pullRequest.url})`,
    });
    return blocks;
  }
  const { migration, description: d, pullRequest } = result;
  return [
    heading,
    {
      kind: 'markdown',
      markdown: [
        `Opened [#${pullRequest.number}](${pullRequest.url}) with migration **${padVersion(migration.version)} \`${migration.name}\`**: ` +
          `${schemaAt(d, migration.baseSha)} to ${schemaAt(d, migration.goalSha)}.`,
        '',
        ...migration.files.map((f) => `- \`${relative(d.migrationsRepoDir, f)}\``),
      ].join('\n'),
    },
    { kind: 'heading', text: 'Hazards', level: 3 },
    migration.hazards.length === 0
      ? { kind: 'text', text: 'None found.' }
      : { kind: 'list', items: migration.hazards.map((h) => `${h.code}: ${h.message}`) },
    ...migration.migrations.map(
      (f): SummaryBlock => ({
        kind: 'details',
        summary: basename(f.sqlPath),
        blocks: [{ kind: 'code', code: f.text, language: 'sql' }],
      }),
    ),
  ];
}
