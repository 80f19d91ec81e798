import { diff } from '../diff';
import type { DiffOptions, DiffStatement } from '../diff/types';
import { errorMessage } from '../errors';
import { type DataInventory, type DataLoss, dataLosses, readDataInventoryAt } from '../data-loss/measure';
import { connectDatabase } from '../pg/connect';
import type { ShadowServer, ShadowDatabase } from '../shadow/types';
import type { ChangePart } from './split';

/** A part of a split change with its own Down, and what its Up loses of a client database's data. */
export interface PartChange extends ChangePart {
  readonly down: readonly DiffStatement[];
  readonly losses: readonly DataLoss[];
}

export interface PartSchemasInput {
  readonly server: ShadowServer;
  /** The base schema, with the declared renames already run on it (diffWithRenames leaves it so). */
  readonly base: ShadowDatabase;
  readonly goal: ShadowDatabase;
  /** What held data at the base, read before the renames ran (a rename keeps its OID, so it loses nothing). */
  readonly before: DataInventory;
  readonly parts: readonly ChangePart[];
  /** The RENAMEs back, which end the Down of the part that runs the renames. */
  readonly renamesBack: readonly DiffStatement[];
  readonly diff?: DiffOptions;
}

/**
 * Each part's Down, from the schemas between the parts rather than from guessed inverses: part k's Up runs
 * on a copy of the schema before it (as the file will: in one transaction, or statement by statement
 * outside one), and its Down is the diff from the schema after it (the goal, for the last part) back to
 * the schema before it. What each part loses is measured there too. When a part does not run, or the
 * parts do not reach the goal, it returns why.
 */
export async function partChanges(
  input: PartSchemasInput,
): Promise<{ readonly parts: readonly PartChange[] } | { readonly failed: string }> {
  const changes: PartChange[] = [];
  let previous = input.base;
  let held = input.before;
  for (const [index, part] of input.parts.entries()) {
    const next = await input.server.createDatabase({ template: previous });
    const failed = await runPart(next.url, part);
    if (failed) {
      await next.drop().catch(() => undefined);
      if (previous !== input.base) await previous.drop().catch(() => undefined);
      return {
        failed: `part ${index + 1} of ${input.parts.length} did not run on a copy of the schema before it: ${failed}`,
      };
    }
    const last = index === input.parts.length - 1;
    const [after, back] = await Promise.all([
      readDataInventoryAt(next.url),
      diff((last ? input.goal : next).url, previous.url, input.diff),
    ]);
    const renames = part.up.some((s) => s.action === 'rename') ? input.renamesBack : [];
    changes.push({ ...part, down: [...back.statements, ...renames], losses: dataLosses(held, after) });
    if (previous !== input.base) await previous.drop().catch(() => undefined);
    previous = next;
    held = after;
  }
  // The parts must reach the goal as the whole change does: else the cut is not kept.
  const left = await diff(previous.url, input.goal.url, input.diff);
  if (previous !== input.base) await previous.drop().catch(() => undefined);
  if (left.statements.length > 0)
    return {
      failed: `run one after the other, the parts do not reach the goal schema (${left.statements[0]!.sql.split('\n')[0]} still differs)`,
    };
  return { parts: changes };
}

/** Runs a part's Up (renames already ran on the base) as its file will run; the error message when it fails. */
async function runPart(url: string, part: ChangePart): Promise<string | undefined> {
  const client = await connectDatabase(url);
  try {
    if (!part.outside) await client.query('BEGIN');
    for (const statement of part.up) if (statement.action !== 'rename') await client.query(statement.sql);
    if (!part.outside) await client.query('COMMIT');
    return undefined;
  } catch (error) {
    if (!part.outside) await client.query('ROLLBACK').catch(() => undefined);
    return errorMessage(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}
