import { hazards } from '../diff/hazards';
import type { DiffStatement } from '../diff/types';

/**
 * One file of a change split by splitChange: its Up statements, in the change's order.
 * `outside`: they must run outside any transaction (notransaction). `commitsEnumValues`: the part
 * ends after ALTER TYPE ... ADD VALUE statements so that the values commit before the next part uses them.
 */
export interface ChangePart {
  readonly up: readonly DiffStatement[];
  readonly outside: boolean;
  readonly commitsEnumValues: boolean;
}

/** An enum value added that a later statement of the change uses: it must commit before that statement runs. */
function addsEnumValueUsedLater(statement: DiffStatement): boolean {
  return !statement.transactional && statement.hazards.some((h) => h.code === 'enum-value-added');
}

/** A statement PostgreSQL refuses in any transaction block (CREATE INDEX CONCURRENTLY). */
function refusedInTransaction(statement: DiffStatement): boolean {
  return !statement.transactional && !addsEnumValueUsedLater(statement);
}

/**
 * The ways to cut a change, fewest files first: within each step, the statements PostgreSQL refuses in a
 * transaction moved after all the others, when that saves files (whether they still run there, and reach the
 * goal, is for the shadow databases to tell: an index a later constraint uses cannot move); then the
 * differ's order.
 */
export function splitCandidates(up: readonly DiffStatement[]): ChangePart[][] {
  const asDiffed = splitChange(up);
  const steps = [...new Set(up.map((s) => s.step))];
  const inStep = (step: number) => up.filter((s) => s.step === step);
  const refusedLast = splitChange(
    steps.flatMap((step) => [
      ...inStep(step).filter((s) => !refusedInTransaction(s)),
      ...inStep(step).filter(refusedInTransaction),
    ]),
  );
  return refusedLast.length < asDiffed.length ? [refusedLast, asDiffed] : [asDiffed];
}

/**
 * Cuts a change's Up statements into the files it takes so that every statement PostgreSQL accepts in a
 * transaction keeps one: a run of statements PostgreSQL refuses in a transaction (CREATE INDEX
 * CONCURRENTLY) becomes a file of its own, a file ends after the enum values a later statement uses,
 * which then commit in their own file's transaction (PostgreSQL 12 and later accept ADD VALUE there) before
 * the next file uses them, and each step of a non-blocking change (DiffStatement.step) starts a file, so
 * that the step before it has committed. Order is kept. One part means nothing to split.
 */
export function splitChange(up: readonly DiffStatement[]): ChangePart[] {
  const parts: { up: DiffStatement[]; outside: boolean; commitsEnumValues: boolean }[] = [];
  for (const statement of up) {
    const last = parts[parts.length - 1];
    const current = last && last.up[last.up.length - 1]!.step === statement.step ? last : undefined;
    if (addsEnumValueUsedLater(statement)) {
      const inTransaction = {
        ...statement,
        transactional: true,
        hazards: [
          { ...hazards.enumValueInTransaction(`enum ${statement.object.name}`), object: statement.object.name },
        ],
      };
      if (!current || current.outside) parts.push({ up: [inTransaction], outside: false, commitsEnumValues: true });
      else {
        current.up.push(inTransaction);
        current.commitsEnumValues = true;
      }
      continue;
    }
    const outside = !statement.transactional;
    const continues = current && current.outside === outside && (outside || !current.commitsEnumValues);
    if (continues) current.up.push(statement);
    else parts.push({ up: [statement], outside, commitsEnumValues: false });
  }
  return parts;
}
