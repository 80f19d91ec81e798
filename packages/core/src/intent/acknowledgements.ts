/**
 * Declared intent: a data loss is acknowledged by naming its code and object, where the change is made.
 * Three spellings of the same acknowledgement, each written and read here only:
 *   the commit trailer    DB-Migrate-Allow: drops-data public.customers.legacy_code
 *   the migration marker  -- db-migrate: allow drops-data public.customers.legacy_code
 *   an option             --allow 'drops-data public.customers.legacy_code' (sync)
 * Renames likewise: `DB-Migrate-Rename: public.products.title -> name`, recorded in the migration as
 * `-- db-migrate: rename public.products.title -> name`.
 */
import { ConfigurationError } from '../errors';
import { LOCKING_CODES, type LockingCode } from '../prechecks/types';
import { DATA_LOSS_CODES, type DataLoss, type DataLossCode } from '../data-loss/measure';

export const ALLOW_TRAILER = 'DB-Migrate-Allow';
export const RENAME_TRAILER = 'DB-Migrate-Rename';
const MARKER_PREFIX = '-- db-migrate:';
const MARKER = /^\s*--\s*db-migrate:\s*(allow|rename)\s+(.+?)\s*$/i;

/** A data loss, or a statement that locks a large table while it rewrites or scans it (apply and sync refuse those too). */
export const ACKNOWLEDGED_CODES: readonly (DataLossCode | LockingCode)[] = [...DATA_LOSS_CODES, ...LOCKING_CODES];

export interface Acknowledgement {
  readonly code: DataLossCode | LockingCode;
  /** Schema-qualified, exactly as the loss names it. */
  readonly object: string;
}

/** `drops-data public.customers.legacy_code` -> the acknowledgement; `where` names the source in errors. */
export function parseAcknowledgement(text: string, where: string): Acknowledgement {
  const match = /^\s*(\S+)\s+(\S.*?)\s*$/.exec(text);
  const code = match?.[1]?.toLowerCase();
  if (!match || !ACKNOWLEDGED_CODES.includes(code as DataLossCode)) {
    throw new ConfigurationError(
      `${where}: "${text.trim()}" is not an acknowledgement: write "<code> <object>" with code one of ${ACKNOWLEDGED_CODES.join(', ')}, e.g. "drops-data public.customers.legacy_code"`,
    );
  }
  return { code: code as DataLossCode | LockingCode, object: match[2]! };
}

export function acknowledgementText(a: Acknowledgement): string {
  return `${a.code} ${a.object}`;
}

export function allowTrailerLine(a: Acknowledgement): string {
  return `${ALLOW_TRAILER}: ${acknowledgementText(a)}`;
}

export function allowMarkerLine(a: Acknowledgement): string {
  return `${MARKER_PREFIX} allow ${acknowledgementText(a)}`;
}

export function renameMarkerLine(rename: string): string {
  return `${MARKER_PREFIX} rename ${rename}`;
}

/** The acknowledgements and renames written as marker lines anywhere in a migration file's text. */
export function readMarkers(text: string, source: string): { allow: Acknowledgement[]; renames: string[] } {
  const allow: Acknowledgement[] = [];
  const renames: string[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    const match = MARKER.exec(line);
    if (!match) continue;
    if (match[1]!.toLowerCase() === 'rename') renames.push(match[2]!);
    else allow.push(parseAcknowledgement(match[2]!, `${source} line ${index + 1}`));
  }
  return { allow, renames };
}

/** The losses no acknowledgement names (same code, same object: one column's drop never allows another's). */
export function unacknowledged(losses: readonly DataLoss[], allowed: readonly Acknowledgement[]): DataLoss[] {
  const names = new Set(allowed.map(acknowledgementText));
  return losses.filter((l) => !names.has(acknowledgementText(l)));
}

/** How to acknowledge one loss, in both spellings, for a failing check or a pull-request body. */
export function howToAcknowledge(loss: DataLoss): string {
  return `add the trailer "${allowTrailerLine(loss)}" to the schema commit, or the line "${allowMarkerLine(loss)}" to the migration's header`;
}
