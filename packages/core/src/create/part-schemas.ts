import { diff } from '../diff';
import type { DiffOptions, DiffStatement } from '../diff/types';
import { type DataInventory, type DataLoss, dataLosses } from '../data-loss/measure';
import { formatMigrationFile } from '../migrations/format';
import { type Migration, type MigrationSet, migrationFromText } from '../migrations/store';
import { rehearseMigrations } from '../rehearsal/rehearsal';
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

/** Where the parts' migrations say they are from: they are rehearsed before any file is written. */
const PARTS_DIR = 'the split change';

/** Part `index` as a migration of its own (version index + 2, after the base); the renames already ran on the base. */
function partMigration(part: ChangePart, index: number): Migration {
  const up = part.up.filter((s) => s.action !== 'rename').map((s) => s.sql);
  const text = formatMigrationFile({ up, upNoTransaction: part.outside });
  return migrationFromText(PARTS_DIR, index + 2, `part_${index + 1}`, text);
}

/**
 * Each part's Down, from the schemas between the parts rather than from guessed inverses: part k's Up runs
 * on a copy of the schema before it (as the file will: through the applier), and its Down is the diff
 * from the schema after it (the goal, for the last part) back to the schema before it. What each part loses is measured there too. When a part does not run, or the
 * parts do not reach the goal, it returns why.
 */
export async function partChanges(
  input: PartSchemasInput,
): Promise<{ readonly parts: readonly PartChange[] } | { readonly failed: string }> {
  const changes: PartChange[] = [];
  // The base's schema counts as a recorded migration, as it is on a client database: a part that fails is
  // then not taken for a first run on a database built before db-migrate.
  const migrations: Migration[] = [migrationFromText(PARTS_DIR, 1, 'base', formatMigrationFile({ up: [] }))];
  let previous = input.base;
  let held = input.before;
  for (const [index, part] of input.parts.entries()) {
    const next = await input.server.createDatabase({ template: previous });
    const last = index === input.parts.length - 1;
    // As the file will run: by the applier, under the migration lock, in one transaction or statement by
    // statement outside one. The parts before it are recorded on the copy, so only this one runs.
    migrations.push(partMigration(part, index));
    const set: MigrationSet = { dir: PARTS_DIR, migrations: [...migrations], warnings: [] };
    const ran = await rehearseMigrations(next.url, set, async (rehearsal) => {
      const run = await rehearsal.up(index + 2);
      if (run.error) return { failed: run.error.message };
      const [after, back] = await Promise.all([
        rehearsal.inventory(),
        diff((last ? input.goal : next).url, previous.url, input.diff),
      ]);
      return { after, back };
    });
    if ('failed' in ran) {
      await next.drop().catch(() => undefined);
      if (previous !== input.base) await previous.drop().catch(() => undefined);
      return {
        failed: `part ${index + 1} of ${input.parts.length} did not run on a copy of the schema before it: ${ran.failed}`,
      };
    }
    const { after, back } = ran;
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
