import { basename } from 'node:path';
import { describeHazardGroups } from '../diff/hazard-groups';
import { allowMarkerLine, allowTrailerLine } from '../intent/acknowledgements';
import type { CreateOutcome } from './create-migration';

/**
 * What create did, as text for a terminal or a job log: the files written, the hazards (one line each, or
 * one line per kind with `groupHazards`), whether a section runs without a transaction, and the migration
 * itself; or why nothing was written.
 */
export function formatCreateReport(outcome: CreateOutcome, options: { readonly groupHazards?: boolean } = {}): string {
  if (outcome.outcome === 'no-op') return `nothing to do: ${outcome.reason}\n`;
  const from = `base ${outcome.baseSha ?? 'the empty database'}, goal ${outcome.goalSha}`;
  const last = outcome.migrations[outcome.migrations.length - 1]!;
  const lines = [
    last.version === outcome.version
      ? `created migration ${outcome.version} (${outcome.name}): ${from}`
      : `created migrations ${outcome.version} to ${last.version} (${outcome.name}), one change split so that only what PostgreSQL refuses in a transaction runs outside one, and each step of a non-blocking form commits before the next (docs/online.md): ${from}`,
    ...outcome.files.map((file) => `  wrote ${file}`),
  ];
  if (outcome.hazards.length === 0) lines.push('hazards: none found');
  else {
    const hazards = outcome.hazards.map((h) => ({
      code: h.code,
      ...(h.table ? { object: h.table } : {}),
      message: h.message,
      line: `${h.code}: ${h.message}`,
    }));
    const hazardLines = options.groupHazards ? describeHazardGroups(hazards, 'statement') : hazards.map((h) => h.line);
    lines.push(`hazards (${outcome.hazards.length}):`, ...hazardLines.map((line) => `  - ${line}`));
  }
  for (const rename of outcome.renames) lines.push(`renames: ${rename}`);
  for (const candidate of outcome.renameCandidates)
    lines.push(
      `possible rename (declare it with the trailer "${candidate.trailer}" and run create again): ${candidate.sql}`,
    );
  for (const loss of outcome.unacknowledged) {
    lines.push(
      `data loss not acknowledged, verify fails on it: ${loss.code} ${loss.object}; if intended, add the trailer "${allowTrailerLine(loss)}" to the schema commit, or the line "${allowMarkerLine(loss)}" to the file`,
    );
  }
  const split = outcome.migrations.length > 1;
  for (const file of outcome.migrations) {
    for (const [direction, outside] of [
      ['Up', file.upNoTransaction],
      ['Down', file.downNoTransaction],
    ] as const) {
      if (outside)
        lines.push(
          `${split ? `${basename(file.sqlPath)}: ` : ''}${direction} runs without a transaction (notransaction): see ${split ? 'its header' : 'the file header'}`,
        );
    }
  }
  return `${lines.join('\n')}\n\n${outcome.text}`;
}
