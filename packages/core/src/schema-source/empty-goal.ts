import { ConfigurationError } from '../errors';
import type { Remedy } from '../remedy';

/** What lets a build of no tables through: the caller says dropping every table is meant. */
export const ALLOW_EMPTY_GOAL: Remedy = { kind: 'option', option: 'allowEmptyGoal', value: true };

/**
 * A schema build that exits 0 but builds nothing (a wrong module, an import that found no models) would
 * turn into a migration or a sync that drops every table. Refused unless the caller says it is meant.
 * `tables` are the tables of the other side (the base, or the target database), named `other`.
 */
export interface EmptyGoalInput {
  readonly goalTables: number;
  readonly tables: readonly string[];
  readonly other: string;
  /** The build command or SQL files, and the commit, as the messages name them. */
  readonly build: string;
  readonly commit: string;
  readonly allowEmptyGoal?: boolean;
}

/**
 * The refusal's message, or undefined when the goal has tables, the other side has none, or the drop is
 * meant. Its remedy, when dropping every table is intended, is ALLOW_EMPTY_GOAL.
 */
export function emptyGoalProblem(input: EmptyGoalInput): string | undefined {
  if (input.allowEmptyGoal || input.goalTables > 0 || input.tables.length === 0) return undefined;
  const shown =
    input.tables.slice(0, 5).join(', ') + (input.tables.length > 5 ? `, and ${input.tables.length - 5} more` : '');
  return (
    `the schema build (${input.build}) at ${input.commit} produced no tables, while ${input.other} has ${input.tables.length} (${shown}): ` +
    'a build that exits 0 without building anything would drop them all, with their data. Fix the build, or, if dropping every table is intended, say so'
  );
}

/** Throws the refusal as a ConfigurationError (create, sync). */
export function refuseEmptyGoal(input: EmptyGoalInput): void {
  const problem = emptyGoalProblem(input);
  if (problem) throw new ConfigurationError(problem, { remedies: [ALLOW_EMPTY_GOAL] });
}
