/**
 * What `verify` returns: one result per named check, never an exception for a failed check, so the
 * CLI, the job summary, the annotations and the pull-request comment all report the same thing.
 */
import { basename } from 'node:path';
import { describeHazardGroups } from '../diff/hazard-groups';
import { type Remedy, type RemedyWording, withRemedies } from '../remedy';
import { formatLocks, type LocksMeasured } from '../rehearsal/locks';

export type VerifyCheckName = 'numbering' | 'consistency' | 'reversibility' | 'data' | 'hazards';

/**
 * `warning`: passed, with things worth reading (hazards, a migration without metadata);
 * `skipped`: not run, and the summary says why (an opt-out, an earlier failure it depends on).
 */
export type VerifyCheckStatus = 'passed' | 'warning' | 'failed' | 'skipped';

export interface VerifyFinding {
  readonly level: 'error' | 'warning' | 'notice';
  readonly message: string;
  /** The file at fault (absolute path), for annotations. */
  readonly file?: string;
  /** 1-based line in `file`. */
  readonly line?: number;
  /** A hazard or lint code, e.g. `blocks-writes`. */
  readonly code?: string;
  /** The object it is about, schema-qualified (`public.orders`, `public.orders.total`): what an acknowledgement names. */
  readonly object?: string;
  /** What would fix it, worded by each front end (remedy.ts). */
  readonly remedies?: readonly Remedy[];
  /** The message begins with `file` itself (an error of the parsers or the applier): the text report does not name it again. */
  readonly namesFile?: boolean;
}

export interface VerifyCheck {
  readonly name: VerifyCheckName;
  /** A short heading, e.g. "Consistency: migrations = schema at goal". */
  readonly title: string;
  readonly status: VerifyCheckStatus;
  /** One line saying what was found. */
  readonly summary: string;
  readonly findings: readonly VerifyFinding[];
  /** SQL that shows a difference between two databases (what the migrations miss, what Down leaves). */
  readonly difference?: string;
}

export interface VerifyReport {
  readonly result: 'passed' | 'failed';
  /** In the order they ran: numbering, consistency, reversibility, data, hazards. */
  readonly checks: readonly VerifyCheck[];
  /** File names of the migrations that are not in the migrations directory at the base ref. */
  readonly newMigrations: readonly string[];
  /** The base commit the new migrations were told apart by; absent without a base ref. */
  readonly baseSha?: string;
  /** The commit of the schema source the migrations must reach, and where that choice came from. */
  readonly goal?: { readonly sha: string; readonly from: string };
  /** The consistency difference: SQL taking the migrations' database to the schema at goal ('' when equal). */
  readonly difference: string;
  /** The locks and rewrites the new migrations' Up statements caused on existing tables, measured by the data check. */
  readonly locks?: LocksMeasured;
  readonly durationMs: number;
}

export const CHECK_TITLES: Readonly<Record<VerifyCheckName, string>> = {
  numbering: 'Numbering',
  consistency: 'Consistency',
  reversibility: 'Reversibility',
  data: 'Data',
  hazards: 'Hazards',
};

/** What a check's `difference` SQL is, in words. */
export const DIFFERENCE_LABELS: Readonly<Partial<Record<VerifyCheckName, string>>> = {
  consistency: 'What the migrations miss: SQL taking their database to the schema at goal',
  reversibility: 'What the Down sections fail to undo: SQL taking the reverted database to the base schema',
};

/** The heading of the measured locks, in every rendering of the report. */
export const LOCKS_TITLE =
  "Locks and rewrites measured on the data check's rows (tables that existed before each Up and Down)";

/** failed if any check failed. Warnings and skips do not fail verification. */
export function overallResult(checks: readonly VerifyCheck[]): 'passed' | 'failed' {
  return checks.some((c) => c.status === 'failed') ? 'failed' : 'passed';
}

const STATUS_WORDS: Readonly<Record<VerifyCheckStatus, string>> = {
  passed: 'passed',
  warning: 'passed with warnings',
  failed: 'FAILED',
  skipped: 'skipped',
};

export function describeStatus(status: VerifyCheckStatus): string {
  return STATUS_WORDS[status];
}

/**
 * The report as plain text for a terminal: one block per check, then the differences as SQL. With
 * `groupHazards`, the hazard warnings of one code are one line, counted, naming where they are, and
 * `expandHint` (the front end's words) says how to see each. `word` words the remedies.
 */
export function formatVerifyReport(
  report: VerifyReport,
  options: { readonly groupHazards?: boolean; readonly expandHint?: string; readonly word: RemedyWording },
): string {
  const out: string[] = [];
  const newOnes = report.newMigrations.length > 0 ? report.newMigrations.join(', ') : 'none';
  out.push(`new migrations: ${newOnes}`);
  if (report.goal) out.push(`goal: ${report.goal.sha.slice(0, 12)} (${report.goal.from})`);
  for (const check of report.checks) {
    out.push('', `${check.title}: ${describeStatus(check.status)} - ${check.summary}`);
    const line = (finding: VerifyFinding) => {
      const where =
        finding.file && !finding.namesFile ? `${finding.file}${finding.line ? `:${finding.line}` : ''}: ` : '';
      const code = finding.code ? ` [${finding.code}]` : '';
      return `${finding.level}: ${where}${withRemedies(finding.message, finding.remedies, options.word)}${code}`;
    };
    // Grouped: the warnings of one hazard code print as one line where the first of them was.
    const grouped =
      options.groupHazards && check.name === 'hazards'
        ? check.findings.filter((f) => f.level === 'warning' && f.code)
        : [];
    // describeHazardGroups keeps the order in which each code first appears.
    const groupLines = new Map(
      describeHazardGroups(
        grouped.map((f) => ({
          code: f.code!,
          ...(f.file ? { object: `${basename(f.file)}${f.line ? `:${f.line}` : ''}` } : {}),
          message: f.message,
          line: line(f),
        })),
        'warning',
      ).map((text, i) => [[...new Set(grouped.map((f) => f.code!))][i]!, text]),
    );
    for (const finding of check.findings) {
      if (!grouped.includes(finding)) out.push(`  ${line(finding)}`);
      else if (groupLines.has(finding.code!)) {
        const text = groupLines.get(finding.code!)!;
        out.push(`  ${text.startsWith(`${finding.level}: `) ? text : `warning: ${text}`}`);
        groupLines.delete(finding.code!);
      }
    }
    if (options.expandHint && grouped.length > new Set(grouped.map((f) => f.code)).size)
      out.push(`  (${options.expandHint})`);
    if (check.difference) {
      out.push(
        `  ${DIFFERENCE_LABELS[check.name] ?? 'Difference'}:`,
        '',
        ...check.difference
          .trimEnd()
          .split('\n')
          .map((l) => `    ${l}`),
      );
    }
  }
  if (report.locks && (report.locks.statements.length > 0 || report.locks.notMeasured.length > 0)) {
    out.push('', `${LOCKS_TITLE}:`, ...formatLocks(report.locks));
  }
  out.push('', `verify ${report.result}`);
  return out.join('\n') + '\n';
}
