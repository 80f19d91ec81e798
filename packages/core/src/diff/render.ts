import type { DiffStatement } from './types';

/** SQL text of a diff as migra prints it: each statement ends with `;`, statements apart by a blank line. */
export function renderSql(statements: readonly Pick<DiffStatement, 'sql'>[]): string {
  if (statements.length === 0) return '';
  return statements.map((s) => `${s.sql};`).join('\n\n') + '\n';
}
