/**
 * What a fleet run returns: one outcome per target (never an exception for one target's failure), the
 * counts, and the rows of the table the CLI prints and the action writes to the job summary.
 */
import { type Remedy, type RemedyWording, withRemedies } from '../remedy';
import type { ServerErrorFields } from '../pg/error-fields';
import type { ConnectionStats } from './connections';
import type { Drift } from './consistency';
import type { PreflightReport } from './preflight';
import { describeCheck, describeLockedTable } from '../prechecks/run';
import type { PrecheckReport } from '../prechecks/types';

export type FleetMode = 'apply' | 'drift' | 'sync' | 'baseline';

/**
 * - applied: migrations ran (or, for sync, statements ran) and the result matches the expected schema;
 * - baselined: baseline: a database with no recorded migrations whose schema equals the schema of the
 *   baseline version now has versions 1..N recorded as applied (no migration ran);
 * - pending: dry run: consistent, with work that a real run would do (baseline: versions it would record);
 * - up-to-date: consistent and nothing to do (baseline: already versioned at or above N, left alone);
 * - postponed: the live schema drifted from its version's (baseline: differs from the schema of N);
 *   nothing was run on it;
 * - refused: nothing was run on it, on purpose: its records disagree with the files, the plan cannot run
 *   (an irreversible step), a data loss nobody declared, or a pre-check found rows the change cannot take;
 * - failed: unreachable, a failing migration (a transactional one is rolled back), or a result that does
 *   not match (baseline: also a database already versioned below N);
 * - interrupted: the run was interrupted (SIGINT, SIGTERM) while this target was migrating: the migration
 *   in flight was cancelled and rolled back (a notransaction one keeps what it ran); those before it stay;
 * - not-started: the run stopped before this target (an interruption too): the pre-flight failed, or --max-failures targets failed;
 *   nothing was run on it;
 * - consistent / drifted: the outcomes of a drift check.
 */
export type TargetStatus =
  | 'applied'
  | 'baselined'
  | 'pending'
  | 'up-to-date'
  | 'postponed'
  | 'refused'
  | 'failed'
  | 'interrupted'
  | 'not-started'
  | 'consistent'
  | 'drifted';

export const TARGET_STATUSES: readonly TargetStatus[] = [
  'applied',
  'baselined',
  'pending',
  'up-to-date',
  'postponed',
  'refused',
  'failed',
  'interrupted',
  'not-started',
  'consistent',
  'drifted',
];

/** A failing statement's evidence: where it is, the whole statement (redacted) and PostgreSQL's error fields. */
export interface FailureEvidence extends ServerErrorFields {
  /** The migration file (apply) of the statement. */
  readonly file?: string;
  readonly line?: number;
  readonly statement?: string;
}

export interface TargetOutcome {
  readonly name: string;
  /** host:port/db, safe to print. */
  readonly database: string;
  readonly status: TargetStatus;
  /** The version read under the lock at the start (absent when it could not be read). */
  readonly fromVersion?: number;
  /** The version reached (applied, failed part-way) or that a real run would reach (pending). */
  readonly toVersion?: number;
  readonly direction?: 'up' | 'down';
  /** Migration files applied or reverted, in order (pending: those a real run would run). */
  readonly migrations: readonly string[];
  /** Sync: the statements run (pending: those a real run would run). */
  readonly statements?: number;
  /** Sync: statements that cannot run in a transaction and ran outside it, one by one. */
  readonly outsideTransaction?: number;
  /** Postponed and drifted: the difference; failed: what the result lacks after running. */
  readonly drift?: Drift;
  /** Sync: the statements that take the target to the schema (run, or that a real run would run). */
  readonly sync?: { readonly sql: string; readonly changes: readonly string[] };
  /**
   * Why it failed or was refused, redacted: one line naming the database (and file and line for a failing
   * migration), then PostgreSQL's detail, hint and context on lines of their own.
   */
  readonly error?: string;
  /** What would let a refused or stopped target run (an acknowledgement, a higher limit), worded by each front end. */
  readonly remedies?: readonly Remedy[];
  /** failed (and refused, when a statement was tried): the statement and PostgreSQL's error fields. */
  readonly evidence?: FailureEvidence;
  /** The migration file that failed on this target (what the maximum of failures counts). */
  readonly failedMigration?: string;
  /** Dry run: tables with rows that a pending `fails-on-existing-rows` statement touches, each as `table (file)`. */
  readonly rowsAtRisk?: readonly string[];
  /** apply and sync: what the pre-checks found on this target before it was touched. */
  readonly prechecks?: PrecheckReport;
  readonly warnings: readonly string[];
  readonly attempts: number;
  readonly durationMs: number;
}

export interface FleetReport {
  readonly mode: FleetMode;
  readonly dryRun: boolean;
  /** apply: the version every target is brought to (the latest, or --to); baseline: the version recorded; sync: the commit synced to. */
  readonly target?: string;
  readonly targets: readonly TargetOutcome[];
  readonly counts: Readonly<Record<TargetStatus, number>>;
  readonly durationMs: number;
  /** The run was stopped by this signal (`SIGINT`, `SIGTERM`): targets it cut off are `interrupted`, those it kept from starting `not-started`. */
  readonly interrupted?: string;
  /** apply: the pending migrations run first on copies of each starting version's shadow database. */
  readonly preflight?: PreflightReport;
  /** apply, drift and baseline: the versions whose schema was built on the shadow server, and what that cost. */
  readonly expectedSchemas?: {
    readonly built: readonly number[];
    readonly buildMs: number;
    readonly introspectMs: number;
  };
  /** apply, drift and baseline: the connections the run opened to its targets. */
  readonly connections?: ConnectionStats;
}

export function countOutcomes(targets: readonly TargetOutcome[]): Record<TargetStatus, number> {
  const counts = Object.fromEntries(TARGET_STATUSES.map((s) => [s, 0])) as Record<TargetStatus, number>;
  for (const t of targets) counts[t.status]++;
  return counts;
}

/**
 * True when the run should fail the job: a target failed, was refused or not started, drifted, or was postponed (unless postponed
 * is only a warning for this workflow).
 */
export function reportFails(report: FleetReport, options: { readonly postponedIsWarning?: boolean } = {}): boolean {
  const { counts } = report;
  return (
    counts.failed > 0 ||
    counts.refused > 0 ||
    counts.interrupted > 0 ||
    counts['not-started'] > 0 ||
    counts.drifted > 0 ||
    (counts.postponed > 0 && !options.postponedIsWarning)
  );
}

function versions(t: TargetOutcome): string {
  if (t.fromVersion === undefined) return '';
  if (t.toVersion === undefined || t.toVersion === t.fromVersion) return String(t.fromVersion);
  return `${t.fromVersion} → ${t.toVersion}`;
}

/**
 * One line saying what happened to a target, for progress lines and the table's detail column; with
 * `word`, what would fix it follows, in the front end's terms.
 */
export function describeOutcome(t: TargetOutcome, mode: FleetMode, word?: RemedyWording): string {
  const error = (fallback: string) =>
    word ? withRemedies(t.error ?? fallback, t.remedies, word) : (t.error ?? fallback);
  const files = (list: readonly string[]) =>
    list.length <= 3 ? list.join(', ') : `${list.slice(0, 2).join(', ')} … ${list[list.length - 1]} (${list.length})`;
  const statementCount = (n: number | undefined) => `${n ?? 0} statement${n === 1 ? '' : 's'}`;
  const outside = t.outsideTransaction
    ? `, ${t.outsideTransaction} of them outside the transaction (PostgreSQL refuses them inside one)`
    : '';
  switch (t.status) {
    case 'applied':
      if (mode === 'sync') return `synced: ${statementCount(t.statements)} applied${outside}`;
      return `${t.direction === 'down' ? 'reverted' : 'applied'} ${versions(t)}: ${files(t.migrations)}`;
    case 'baselined':
      return `schema matches version ${t.toVersion}: recorded as applied (nothing ran): ${files(t.migrations)}`;
    case 'pending':
      if (mode === 'sync') return `would run ${statementCount(t.statements)}${outside}`;
      if (mode === 'baseline')
        return `schema matches version ${t.toVersion}: would record as applied: ${files(t.migrations)}`;
      return `would ${t.direction === 'down' ? 'revert' : 'apply'} ${versions(t)}: ${files(t.migrations)}${t.rowsAtRisk?.length ? `; has rows in ${t.rowsAtRisk.join(', ')}, which a fails-on-existing-rows statement touches` : ''}`;
    case 'up-to-date':
      if (mode === 'sync') return 'already matches the schema';
      if (mode === 'baseline')
        return `already versioned at version ${t.fromVersion}: left alone (baseline only records versions on a database with none)`;
      return `up to date at version ${t.fromVersion}`;
    case 'consistent':
      return `matches version ${t.fromVersion}${t.migrations.length ? `; ${t.migrations.length} pending` : ''}`;
    case 'postponed':
    case 'drifted': {
      const changes = t.drift
        ? `${t.drift.statements} difference${t.drift.statements === 1 ? '' : 's'} (${t.drift.changes.slice(0, 3).join('; ')}${t.drift.changes.length > 3 ? '; …' : ''})`
        : 'drift';
      const version = t.drift?.version ?? t.fromVersion;
      // A database without versions has not drifted from anything: its schema is simply not version N's.
      const what =
        mode === 'baseline'
          ? `schema differs from the schema of version ${version}`
          : `schema drifted from version ${version}`;
      return `${t.status === 'postponed' ? 'postponed: ' : ''}${what}: ${changes}`;
    }
    case 'interrupted':
      return `interrupted${t.fromVersion !== undefined ? ` at version ${versions(t)}` : ''}${t.migrations.length ? ` after ${files(t.migrations)}` : ''}: ${error('the run was stopped')}`;
    case 'not-started':
      return `not started: ${error('the run stopped before this target')}`;
    case 'refused':
      return `refused, nothing ran${t.fromVersion !== undefined ? ` (left at version ${t.fromVersion})` : ''}: ${error('unknown reason')}`;
    case 'failed':
      return `failed${t.fromVersion !== undefined ? ` at version ${versions(t)}` : ''}: ${error('unknown error')}`;
  }
}

export const REPORT_TABLE_HEADER = ['Target', 'Database', 'Outcome', 'Version', 'Details'] as const;

/** The report as table rows (plain strings): the CLI aligns them, the action renders them as HTML. */
export function reportTableRows(report: FleetReport, word: RemedyWording): string[][] {
  // One line a row: PostgreSQL's detail lines go under the table (describeEvidence).
  // A revert is status 'applied' (its Down sections ran, counted with the applied), but reads as what it did.
  const outcome = (t: TargetOutcome) => (t.status === 'applied' && t.direction === 'down' ? 'reverted' : t.status);
  return report.targets.map((t) => [
    t.name,
    t.database,
    outcome(t),
    versions(t),
    describeOutcome(t, report.mode, word).split('\n')[0],
  ]);
}

/**
 * What a failed or refused target left as evidence, for the text under the table: the file and line,
 * PostgreSQL's fields, and the whole failing statement. Undefined when there is none.
 */
export function describeEvidence(t: TargetOutcome): string | undefined {
  const e = t.evidence;
  if (!e) return undefined;
  const fields = (['sqlState', 'detail', 'hint', 'constraint', 'table', 'column', 'dataType', 'where'] as const)
    .filter((key) => e[key] !== undefined)
    .map(
      (key) =>
        `-- ${key === 'sqlState' ? 'SQLSTATE' : key === 'where' ? 'context' : key}: ${String(e[key]).replace(/\n/g, '\n--   ')}`,
    );
  const at = e.file ? ` in ${e.file}${e.line ? ` line ${e.line}` : ''}` : '';
  return [
    `-- ${t.name} (${t.database}): ${t.status}${at}`,
    ...fields,
    ...(e.statement ? [e.statement.trimEnd()] : []),
  ].join('\n');
}

/** One line of counts: `200 targets: 150 applied, 45 up-to-date, 5 postponed`. */
export function describeCounts(report: FleetReport): string {
  const parts = TARGET_STATUSES.filter((s) => report.counts[s] > 0).map((s) => `${report.counts[s]} ${s}`);
  const n = report.targets.length;
  const stopped = report.interrupted ? ` (interrupted by ${report.interrupted})` : '';
  return `${n} target${n === 1 ? '' : 's'}${parts.length ? ': ' + parts.join(', ') : ''}${report.dryRun ? ' (dry run: nothing changed)' : ''}${stopped}`;
}

/** `60 connections to targets (at most 8 open at once, 8 on one server)`, or undefined when not counted. */
export function describeConnections(report: FleetReport): string | undefined {
  const c = report.connections;
  if (!c) return undefined;
  return `${c.opened} connection${c.opened === 1 ? '' : 's'} to targets (at most ${c.peakOpen} open at once, ${c.peakPerServer} on one server)`;
}

/** `back to` a version a database claims; plain `to` for baseline, where it claims none. */
export function driftDirection(mode: FleetMode): string {
  return mode === 'baseline' ? 'to' : 'back to';
}

/** The report as aligned plain text, for a terminal; `word` words the remedies (the CLI's flags). */
export function formatReportText(report: FleetReport, word: RemedyWording): string {
  const rows = [[...REPORT_TABLE_HEADER], ...reportTableRows(report, word)];
  const widths = REPORT_TABLE_HEADER.map((_, i) =>
    i === REPORT_TABLE_HEADER.length - 1 ? 0 : Math.max(...rows.map((r) => r[i].length)),
  );
  const lines = rows.map((r) =>
    r
      .map((cell, i) => (widths[i] ? cell.padEnd(widths[i]) : cell))
      .join('  ')
      .trimEnd(),
  );
  const blocks = report.targets.flatMap((t) => {
    const label = `-- ${t.name} (${t.database})`;
    if (t.drift)
      return [
        `${label}: SQL that would take it ${driftDirection(report.mode)} the schema of version ${t.drift.version}\n${t.drift.sql}`,
      ];
    if (t.sync && t.status === 'pending') return [`${label}: would run\n${t.sync.sql}`];
    const evidence = describeEvidence(t);
    return evidence ? [evidence] : [];
  });
  const prechecks = report.targets.flatMap((t) => {
    const lines = t.prechecks ? describePrechecks(t.prechecks, report.dryRun, word) : [];
    return lines.length
      ? [
          `-- ${t.name} (${t.database}): pre-checks (${t.prechecks!.durationMs} ms)\n${lines.map((l) => `  ${l}`).join('\n')}`,
        ]
      : [];
  });
  const preflight = report.preflight ? [describePreflight(report.preflight)] : [];
  const connections = describeConnections(report);
  return (
    [
      lines.join('\n'),
      '',
      ...preflight,
      describeCounts(report),
      ...(connections ? [connections] : []),
      ...(prechecks.length ? ['', ...prechecks] : []),
      ...(blocks.length ? ['', ...blocks] : []),
    ].join('\n') + '\n'
  );
}

/** A target's pre-check lines: everything in a dry run; what found rows, was skipped or locks a large table otherwise. */
export function describePrechecks(report: PrecheckReport, all: boolean, word: RemedyWording): string[] {
  return [
    ...report.checks.filter((c) => all || c.status !== 'clean').map((c) => describeCheck(c, word)),
    ...report.lockedTables.filter((t) => all || t.large).map((t) => describeLockedTable(t, word)),
  ];
}

/** One line (and one per failure) saying what the pre-flight rehearsed and found. */
export function describePreflight(preflight: PreflightReport): string {
  const from = preflight.fromVersions;
  if (from.length === 0) return 'pre-flight: nothing pending on any target';
  const where = `${from.length === 1 && from[0] === 0 ? 'from the empty database' : `from version${from.length === 1 ? '' : 's'} ${from.join(', ')}`}${preflight.seed ? ` (plain and seeded copies; ${preflight.seed})` : ''}`;
  if (preflight.failures.length === 0)
    return `pre-flight: the pending migrations ran ${where} (${preflight.durationMs} ms)`;
  return [`pre-flight FAILED ${where}: no database was touched`, ...preflight.failures.map((f) => `  ${f.error}`)].join(
    '\n',
  );
}
