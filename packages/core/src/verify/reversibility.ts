/**
 * Check 3, reversibility: the new migrations' Down sections, run newest first on the database the Up
 * sections built, must land on the schema the first of them started from. A migration opts out with
 * `"reversible": false` (and an `irreversible_reason`) in its metadata: reverting stops above it and the
 * check names it; when the newest migration opts out there is nothing to revert and the check is skipped.
 */
import { metadataFileName } from '../migrations/naming';
import { isEmptySchemaRef } from '../schema-source/schema-source';
import type { MigrationEntry } from './numbering';
import type { VerifyFinding } from './report';

/** Where the reverted database must land. */
export type RevertTarget =
  /** The schema source built at a commit (null: the empty database). */
  | { readonly kind: 'schema'; readonly ref: string | null; readonly from: string }
  /** No recorded base: the migrations below the reverted ones, applied from empty. */
  | { readonly kind: 'replay'; readonly version: number };

export type ReversibilityPlan =
  | { readonly kind: 'skip'; readonly summary: string; readonly findings: readonly VerifyFinding[] }
  | { readonly kind: 'fail'; readonly summary: string; readonly findings: readonly VerifyFinding[] }
  | {
      readonly kind: 'run';
      /** Newest first, the order their Down sections run. */
      readonly revert: readonly MigrationEntry[];
      /** The version the database is reverted to. */
      readonly toVersion: number;
      readonly target: RevertTarget;
      /** Notes to keep in the result (an opt-out that stopped the revert). */
      readonly findings: readonly VerifyFinding[];
    };

function lineOfKey(entry: MigrationEntry, key: string): number {
  const index = entry.metadataText?.search(new RegExp(`"${key}"\\s*:`)) ?? -1;
  return index < 0 ? 1 : entry.metadataText!.slice(0, index).split('\n').length;
}

function optOutNote(entry: MigrationEntry): VerifyFinding {
  const reason = entry.metadata?.irreversible_reason
    ? `: ${entry.metadata.irreversible_reason}`
    : ' (no irreversible_reason given)';
  return {
    level: 'notice',
    file: entry.metadataPath,
    line: lineOfKey(entry, 'reversible'),
    message: `${entry.fileName} opts out of the Down check ("reversible": false in ${metadataFileName(entry.version)})${reason}`,
  };
}

/** Decides what to revert, from the new migrations in version order. */
export function planReversibility(newEntries: readonly MigrationEntry[]): ReversibilityPlan {
  if (newEntries.length === 0) return { kind: 'skip', summary: 'no new migrations to revert', findings: [] };
  const newestFirst = [...newEntries].reverse();
  const stop = newestFirst.findIndex((e) => e.metadata?.reversible === false);
  const revert = stop < 0 ? newestFirst : newestFirst.slice(0, stop);
  const optedOut = stop < 0 ? undefined : newestFirst[stop];
  const notes = optedOut ? [optOutNote(optedOut)] : [];
  if (revert.length === 0) {
    return { kind: 'skip', summary: `skipped: ${optedOut!.fileName} is marked irreversible`, findings: notes };
  }
  const missing = revert.filter((e) => e.parsed && !e.parsed.down);
  if (missing.length > 0) {
    return {
      kind: 'fail',
      summary: `${missing.map((e) => e.fileName).join(', ')} ${missing.length === 1 ? 'has' : 'have'} no Down section`,
      findings: [
        ...missing.map(
          (e): VerifyFinding => ({
            level: 'error',
            file: e.path,
            line: e.parsed!.up.line,
            message:
              `${e.fileName} has no "-- +migrate Down" section: write one that undoes the Up section, ` +
              `or opt out with "reversible": false and an "irreversible_reason" in its metadata ${metadataFileName(e.version)}`,
          }),
        ),
        ...notes,
      ],
    };
  }
  const oldest = revert[revert.length - 1];
  const toVersion = oldest.version - 1;
  const base = oldest.metadata?.base_sha;
  // The files of one split change share base_sha: when an earlier one stays applied, the schema below
  // the oldest reverted file is the one the migrations below it build, not the change's base.
  const previous = newEntries[newEntries.indexOf(oldest) - 1];
  const splitAbove = previous !== undefined && base !== undefined && previous.metadata?.base_sha === base;
  const target: RevertTarget =
    toVersion === 0
      ? { kind: 'schema', ref: null, from: 'the empty database' }
      : base !== undefined && !splitAbove
        ? { kind: 'schema', ref: isEmptySchemaRef(base) ? null : base, from: `base_sha of ${oldest.fileName}` }
        : { kind: 'replay', version: toVersion };
  return { kind: 'run', revert, toVersion, target, findings: notes };
}
