import { allowMarkerLine, allowTrailerLine } from '../intent/acknowledgements';
import type { CreateOutcome } from './create-migration';

/**
 * What create did, as text for a terminal or a job log: the files written, the hazards, whether a section
 * runs without a transaction, and the migration itself; or why nothing was written.
 */
export function formatCreateReport(outcome: CreateOutcome): string {
  if (outcome.outcome === 'no-op') return `nothing to do: ${outcome.reason}\n`;
  const lines = [
    `created migration ${outcome.version} (${outcome.name}): base ${outcome.baseSha ?? 'the empty database'}, goal ${outcome.goalSha}`,
    ...outcome.files.map((file) => `  wrote ${file}`),
  ];
  if (outcome.hazards.length === 0) lines.push('hazards: none found');
  else lines.push(`hazards (${outcome.hazards.length}):`, ...outcome.hazards.map((h) => `  - ${h.code}: ${h.message}`));
  for (const rename of outcome.renames) lines.push(`renames: ${rename}`);
  for (const candidate of outcome.renameCandidates) lines.push(`possible rename (declare it with the trailer "${candidate.trailer}" and run create again): ${candidate.sql}`);
  for (const loss of outcome.unacknowledged) {
    lines.push(`data loss not acknowledged, verify fails on it: ${loss.code} ${loss.object}; if intended, add the trailer "${allowTrailerLine(loss)}" to the schema commit, or the line "${allowMarkerLine(loss)}" to the file`);
  }
  if (outcome.upNoTransaction) lines.push('Up runs without a transaction (notransaction): see the file header');
  if (outcome.downNoTransaction) lines.push('Down runs without a transaction (notransaction): see the file header');
  return `${lines.join('\n')}\n\n${outcome.text}`;
}
