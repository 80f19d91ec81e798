/**
 * Baseline: adopt databases built before db-migrate. Such a database has no gorp_migrations rows, so it
 * counts as version 0 and every check sees its whole schema as drift. For every target, in parallel and
 * under the migration lock (the same run as apply and drift, see versioned-run.ts):
 *   - it already has tracking rows: left alone. At or above N it is `up-to-date`; below N it `failed`
 *     (the caller asked for N and it is not there: apply brings it up); inconsistent rows fail as in apply;
 *   - it has none: its live schema is compared with the schema of version N (built once, shared). Equal:
 *     migrations 1..N are recorded as applied, gorp_migrations rows and checksums, in one transaction,
 *     exactly as if the applier had run them (`baselined`). Different: `postponed` with the difference as
 *     SQL, and nothing is recorded, not even the tracking table.
 * A dry run stops before recording (`pending`).
 */
import type { Client } from 'pg';
import { readAppliedRecords, recordBaseline } from '../applier/records';
import { databaseStatus, inconsistencyReason } from '../applier/state';
import { ConfigurationError, errorMessage } from '../errors';
import type { MigrationSet } from '../migrations/store';
import type { Drift } from './consistency';
import { checkTargetVersion } from '../applier/plan';
import type { FleetReport } from './report';
import { isTransientFailure } from './retry';
import type { AttemptOutcome, ReachableTarget } from './runner';
import {
  type FleetCheckOptions,
  type VersionedRunContext,
  compareWithVersion,
  runVersionedFleet,
} from './versioned-run';

export interface FleetBaselineOptions extends FleetCheckOptions {
  /** The version whose schema the databases already have: a version of the set (not 0). */
  readonly to: number;
  /** Plan only: compare schemas, record nothing. */
  readonly dryRun?: boolean;
  /** How `to` is named in error messages: the front end's word for it (the CLI `--to`, the action `input "to-version"`). */
  readonly toInput?: string;
}

/** Checks the baseline version before anything is touched: required, and a version of the set. */
export function checkBaselineVersion(set: MigrationSet, to: number | undefined, input = 'the target version'): number {
  if (to === undefined)
    throw new ConfigurationError(
      `${input} is required: the version of ${set.dir} whose schema the databases already have`,
      { option: 'to' },
    );
  if (to === 0) {
    throw new ConfigurationError(
      `${input} 0: a baseline records versions 1..N of ${set.dir} as applied; give the version whose schema the databases have (a database at version 0 needs no baseline)`,
      { option: 'to' },
    );
  }
  return checkTargetVersion(set, to, input);
}

/** Records versions 1..`to` on every target without versions whose schema is version `to`'s. Never throws for a target. */
export async function baselineFleet(options: FleetBaselineOptions): Promise<FleetReport> {
  const to = checkBaselineVersion(options.set, options.to, options.toInput);
  const dryRun = !!options.dryRun;
  return runVersionedFleet(
    {
      mode: 'baseline',
      to,
      dryRun,
      verb: dryRun ? 'planning a baseline of' : 'baselining',
      versionPhrase: `at version ${to}`,
    },
    options,
    baselineLocked,
  );
}

async function baselineLocked(
  client: Client,
  target: ReachableTarget,
  context: VersionedRunContext,
): Promise<AttemptOutcome> {
  const { set, to, options } = context;
  const database = target.database;
  const warnings: string[] = [];
  const records = await readAppliedRecords(client, database);
  const applied = records.applied;
  if (applied.length > 0) {
    const status = databaseStatus(database, set, applied);
    const from = status.currentVersion;
    const reason = inconsistencyReason(status, set);
    if (reason) return { status: 'failed', fromVersion: from, error: reason, warnings };
    if (from >= to) return { status: 'up-to-date', fromVersion: from, warnings };
    return {
      status: 'failed',
      fromVersion: from,
      error: `${database}: already versioned at version ${from}, below ${to}: a baseline only records versions on a database without any; apply the migrations up to ${to} instead`,
      warnings,
    };
  }

  let drift: Drift | undefined;
  try {
    drift = await compareWithVersion(client, to, context, warnings);
  } catch (error) {
    // No expected schema (its migrations fail on an empty database) or the catalog could not be read.
    return {
      status: 'failed',
      fromVersion: 0,
      error: `${database}: ${errorMessage(error)}`,
      transient: isTransientFailure(error),
      warnings,
    };
  }
  if (drift) return { status: 'postponed', fromVersion: 0, drift, warnings };

  const migrations = set.migrations.filter((m) => m.version <= to);
  const names = migrations.map((m) => m.fileName);
  // A role that could not record the baseline is refused before anything is written, dry run or not.
  if (records.unwritable) return { status: 'refused', fromVersion: 0, error: records.unwritable, warnings };
  if (context.dryRun) return { status: 'pending', fromVersion: 0, toVersion: to, migrations: names, warnings };
  const result = await recordBaseline(client, migrations, options);
  if (!result.recorded) {
    // Another tool (the sql-migrate CLI) recorded rows between the first read and the transaction:
    // another attempt sees them and treats the database as versioned.
    return {
      status: 'failed',
      fromVersion: 0,
      error: `${database}: gorp_migrations gained rows (${result.existing.join(', ')}) while the baseline was prepared; nothing was recorded`,
      transient: true,
      warnings,
    };
  }
  return { status: 'baselined', fromVersion: 0, toVersion: to, migrations: names, warnings };
}
