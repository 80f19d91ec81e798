import { ConfigurationError } from '../errors';

const ALLOW_EMPTY_GOAL_FLAG = '--allow-empty-goal';
const ALLOW_EMPTY_GOAL_INPUT = 'allow-empty-goal';

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

/** The refusal's message, or undefined when the goal has tables, the other side has none, or the drop is meant. */
export function emptyGoalProblem(input: EmptyGoalInput): string | undefined {
  if (input.allowEmptyGoal || input.goalTables > 0 || input.tables.length === 0) return undefined;
  const shown =
    input.tables.slice(0, 5).join(', ') + (input.tables.length > 5 ? `, and ${input.tables.length - 5} more` : '');
  return (
    `the schema build (${input.build}) at ${input.commit} produced no tables, while ${input.other} has ${input.tables.length} (${shown}): ` +
    `a build that exits 0 without building anything would drop them all, with their data. Fix the build, or pass ${ALLOW_EMPTY_GOAL_FLAG} ` +
    `(action input ${ALLOW_EMPTY_GOAL_INPUT}: true) if dropping every table is intended`
  );
}

/** Throws the refusal as a ConfigurationError (create, sync). */
export function refuseEmptyGoal(input: EmptyGoalInput): void {
  const problem = emptyGoalProblem(input);
  if (problem) throw new ConfigurationError(problem);
}
