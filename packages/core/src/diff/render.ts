import type { DiffStatement } from './types';

/** SQL text of a diff as migra prints it: each statement ends with `;`, statements apart by a blank line. */
export function renderSql(statements: readonly Pick<DiffStatement, 'sql'>[]): string {
  if (statements.length === 0) return '';
  return statements.map((s) => `${s.sql};`).join('\n\n') + '\n';
}

/**
 * SQL printed for a person to read or run (drift, baseline, a dry run): each hazardous statement has a
 * `-- hazard: <code>: <message>` line above it, the same hazards a generated migration's header lists.
 */
export function renderMarkedSql(statements: readonly Pick<DiffStatement, 'sql' | 'hazards'>[]): string {
  if (statements.length === 0) return '';
  const marks = (s: Pick<DiffStatement, 'hazards'>) =>
    s.hazards.map((h) => `-- hazard: ${h.code}: ${h.message.replace(/\s*\n\s*/g, ' ')}\n`).join('');
  return statements.map((s) => `${marks(s)}${s.sql};`).join('\n\n') + '\n';
}
