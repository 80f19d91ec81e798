import type { DiffStatement } from '../diff/types';
import { formatMigrationFile } from '../migrations/format';
import type { MigrationHazard } from '../migrations/metadata';
import {
  type Acknowledgement,
  RENAME_TRAILER,
  allowMarkerLine,
  allowTrailerLine,
  renameMarkerLine,
} from '../intent/acknowledgements';
import type { DataLoss } from '../data-loss/measure';
import type { RenameCandidate } from '../data-loss/rename-candidates';

/** Declared intent and what the gate will ask for, written into the header. */
export interface MigrationIntent {
  readonly allow: readonly Acknowledgement[];
  readonly renames: readonly string[];
  readonly losses: readonly DataLoss[];
  readonly unacknowledged: readonly DataLoss[];
  readonly candidates: readonly RenameCandidate[];
}

export interface MigrationFileInput {
  /** The statements that take the base schema to the goal schema. */
  readonly up: readonly DiffStatement[];
  /** The statements that take the goal schema back to the base schema. */
  readonly down: readonly DiffStatement[];
  /** null: the base is the empty database (first migration). */
  readonly baseSha: string | null;
  readonly goalSha: string;
  readonly schemaSource: string;
  readonly generator: string;
  readonly intent?: MigrationIntent;
  /** When the change was split into several files: this file's place among them. */
  readonly part?: FilePart;
  /**
   * What verify's lint finds in this file's SQL (lintedHazards): its Up codes the differ did not name are
   * added to the header's hazards, and its Down hazards get their own list, so the header names every
   * hazard verify raises.
   */
  readonly linted?: { readonly up: readonly MigrationHazard[]; readonly down: readonly MigrationHazard[] };
}

/** One file of a change split into several (create/split.ts). */
export interface FilePart {
  /** 0-based. */
  readonly index: number;
  /** The file names of every part, in the order they run. */
  readonly files: readonly string[];
  /** The file ends after enum values that the next one uses, so that they commit first. */
  readonly commitsEnumValues: boolean;
}

export interface RenderedMigration {
  /** The whole .sql file. */
  readonly text: string;
  /** The Up hazards, each once, in statement order: what applying this migration risks. */
  readonly hazards: readonly MigrationHazard[];
  readonly upNoTransaction: boolean;
  readonly downNoTransaction: boolean;
}

/**
 * Why a section must run outside a transaction, or undefined when it can run in one: only a statement
 * PostgreSQL refuses in a transaction block forces it (`transactional: false`: CREATE INDEX CONCURRENTLY,
 * or an enum value added and used by a later statement of the same migration, which must commit first).
 * An enum value added and not used stays in the migration's transaction (PostgreSQL 12+), so a failure
 * later in the migration rolls it back with the rest. Each statement that forced it is named.
 */
function noTransactionReason(statements: readonly DiffStatement[]): string | undefined {
  const refused = statements.filter((s) => !s.transactional);
  const steps = new Set(statements.map((s) => s.step)).size;
  if (refused.length === 0 && steps > 1) {
    return `its statements come in ${steps} steps of a non-blocking change, each of which must commit before the next (a VALIDATE after its ADD ... NOT VALID)`;
  }
  if (refused.length === 0) return undefined;
  return refused
    .map((s) =>
      s.hazards.some((h) => h.code === 'enum-value-added')
        ? `${firstLine(s.sql)} adds an enum value that a later statement of this migration uses, and PostgreSQL refuses a new value before the transaction that added it commits`
        : `${firstLine(s.sql)} cannot run inside a transaction`,
    )
    .join('; ');
}

function firstLine(sql: string): string {
  const line = sql.trim().split('\n')[0]!;
  return line.length > 100 ? line.slice(0, 97) + '...' : line;
}

/** Each hazard once (the same code and message from two statements is one risk to read about). */
function uniqueHazards(statements: readonly DiffStatement[]): MigrationHazard[] {
  const seen = new Set<string>();
  const out: MigrationHazard[] = [];
  for (const hazard of statements.flatMap((s) => s.hazards)) {
    const key = `${hazard.code}\0${hazard.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      code: hazard.code,
      message: hazard.message,
      ...(hazard.table ? { table: hazard.table } : {}),
      ...(hazard.object ? { object: hazard.object } : {}),
    });
  }
  return out;
}

/**
 * The migration file for a diff: a header of `-- ` comment lines (provenance, hazards, and why a section
 * runs without a transaction), then the Up and Down sections in sql-migrate's format. sql-migrate drops
 * the header lines, so they cost nothing at apply time.
 */
export function renderMigrationFile(input: MigrationFileInput): RenderedMigration {
  const hazards = uniqueHazards(input.up);
  const upReason = noTransactionReason(input.up);
  const downReason = noTransactionReason(input.down);
  const header = [
    `Generated by ${input.generator} from ${input.schemaSource}`,
    `base: ${input.baseSha ?? 'the empty database'}`,
    `goal: ${input.goalSha}`,
    'Edit by hand if needed: the verify check builds the goal schema and compares it with these migrations.',
  ];
  if (input.part) header.push('', ...partHeader(input.part, upReason !== undefined));
  const notes = input.up.filter((s) => s.note).map((s) => `  ${s.note}`);
  if (notes.length > 0) header.push('', 'What it does without blocking the table (docs/online.md):', ...new Set(notes));
  const named = new Set(hazards.map((h) => h.code));
  const shown = [...hazards, ...(input.linted?.up ?? []).filter((h) => !named.has(h.code))];
  if (shown.length > 0) {
    header.push('', `Hazards (${shown.length}):`, ...shown.map((h) => `  ${h.code}: ${h.message}`));
  } else {
    header.push('', 'Hazards: none found.');
  }
  const down = input.linted?.down ?? [];
  if (down.length > 0)
    header.push('', `Hazards of the Down section (${down.length}):`, ...down.map((h) => `  ${h.code}: ${h.message}`));
  if (input.intent) header.push(...intentHeader(input.intent));
  for (const [direction, reason] of [
    ['Up', upReason],
    ['Down', downReason],
  ] as const) {
    if (!reason) continue;
    header.push(
      '',
      `${direction} runs without a transaction (notransaction): ${reason}.`,
      'Its statements run one by one: if one fails, those before it stay applied and the migration is not recorded.',
    );
  }
  const text = formatMigrationFile({
    header,
    up: input.up.map((s) => s.sql),
    down: input.down.map((s) => s.sql),
    upNoTransaction: upReason !== undefined,
    downNoTransaction: downReason !== undefined,
  });
  return { text, hazards, upNoTransaction: upReason !== undefined, downNoTransaction: downReason !== undefined };
}

/** Where a file of a split change stands, and why the change was cut there. */
function partHeader(part: FilePart, outside: boolean): string[] {
  const lines = [
    `Part ${part.index + 1} of ${part.files.length} of the change from base to goal: ${part.files.join(', ')}, applied in that order.`,
    'Each file has its own Down, back to the schema before it; only after the last one is the schema the goal.',
  ];
  if (part.commitsEnumValues) {
    const next = part.files[part.index + 1];
    lines.push(
      `This file adds enum values that ${next ?? 'a later file'} uses: PostgreSQL refuses a new value before the transaction that added it commits, ` +
        "so they commit here, in this migration's own transaction.",
    );
  }
  if (outside)
    lines.push(
      'Its Up holds only what PostgreSQL refuses in a transaction, so that the other statements of the change keep theirs.',
    );
  return lines;
}

/**
 * The header lines of declared intent: marker lines (read by verify from the file as it is), the data
 * losses and how to acknowledge those not yet acknowledged, and possible renames with their RENAME.
 * Marker lines are written without the leading "-- " here: the file format adds it.
 */
function intentHeader(intent: MigrationIntent): string[] {
  const lines: string[] = [];
  const marker = (line: string) => line.replace(/^-- /, '');
  if (intent.renames.length > 0 || intent.allow.length > 0) {
    lines.push(
      '',
      'Declared intent (verify reads these lines):',
      ...intent.renames.map((r) => marker(renameMarkerLine(r))),
      ...intent.allow.map((a) => marker(allowMarkerLine(a))),
    );
  }
  if (intent.losses.length > 0) {
    lines.push(
      '',
      `Data loss (${intent.losses.length}): verify fails on each one not acknowledged.`,
      ...intent.losses.map((l) => `  ${l.code} ${l.object}: ${l.message}`),
    );
  }
  if (intent.unacknowledged.length > 0) {
    lines.push(
      '',
      'To acknowledge a loss, add its trailer to the schema commit and run create again, or add its line to this header:',
      ...intent.unacknowledged.flatMap((l) => [
        `  trailer: ${allowTrailerLine(l)}`,
        `  line:    ${allowMarkerLine(l)}`,
      ]),
    );
  }
  if (intent.candidates.length > 0) {
    lines.push(
      '',
      `Possible rename${intent.candidates.length === 1 ? '' : 's'}: this migration drops and adds; if it is a rename, the data would be lost.`,
      `Declare it with a ${RENAME_TRAILER} trailer on the schema commit and run create again, which then writes the RENAME:`,
      ...intent.candidates.flatMap((c) => [`  trailer: ${c.trailer}`, `  Up:      ${c.sql}`]),
    );
  }
  return lines;
}
