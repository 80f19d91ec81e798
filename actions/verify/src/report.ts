/**
 * The verify report in GitHub's three places: the job summary, annotations on the migration files, and
 * the pull-request comment. All three say the same things, from the one report verifyMigrations returns.
 */
import { relative, sep } from 'node:path';
import { type Annotation, type SummaryBlock, wordRemedy } from '@db-migrate/action-kit';
import {
  DIFFERENCE_LABELS,
  LOCKS_TITLE,
  describeStatus,
  lockGroups,
  redact,
  withRemedies,
  type VerifyCheck,
  type VerifyCheckStatus,
  type VerifyFinding,
  type VerifyReport,
} from '@db-migrate/core';

const ICONS: Readonly<Record<VerifyCheckStatus, string>> = { passed: '✅', warning: '⚠️', failed: '❌', skipped: '⏭️' };

/** A path as the pull request shows it: relative to the repository root. */
function shownPath(file: string, root: string): string {
  const inside = relative(root, file);
  return inside.startsWith('..') ? file : inside.split(sep).join('/');
}

function where(finding: VerifyFinding, root: string): string {
  if (!finding.file) return '';
  return `${shownPath(finding.file, root)}${finding.line ? `:${finding.line}` : ''}`;
}

/**
 * The message without the absolute path it may start with (the parsers and the applier name their file),
 * and what would fix it, worded as this action's inputs.
 */
function shortMessage(finding: VerifyFinding, root: string): string {
  const message =
    finding.file && finding.message.startsWith(finding.file)
      ? shownPath(finding.file, root) + finding.message.slice(finding.file.length)
      : finding.message;
  return withRemedies(message, finding.remedies, wordRemedy);
}

export function verifyAnnotations(report: VerifyReport, root: string): Annotation[] {
  return report.checks.flatMap((check) =>
    check.findings.map(
      (finding): Annotation => ({
        level: finding.level,
        title: `db-migrate verify: ${check.title}${finding.code ? ` (${finding.code})` : ''}`,
        message: shortMessage(finding, root),
        ...(finding.file ? { file: finding.file } : {}),
        ...(finding.line ? { line: finding.line } : {}),
      }),
    ),
  );
}

function headline(report: VerifyReport): string {
  return `db-migrate verify: ${report.result === 'passed' ? 'passed' : 'failed'}`;
}

export function verifySummary(report: VerifyReport, root: string): SummaryBlock[] {
  const blocks: SummaryBlock[] = [
    { kind: 'heading', text: headline(report), level: 2 },
    { kind: 'text', text: `${facts(report)} Took ${(report.durationMs / 1000).toFixed(1)} s.` },
    {
      kind: 'table',
      header: ['Check', 'Result', 'Details'],
      rows: report.checks.map((c) => [c.title, `${ICONS[c.status]} ${describeStatus(c.status)}`, c.summary]),
    },
  ];
  for (const check of report.checks) {
    if (check.findings.length === 0 && !check.difference) continue;
    blocks.push({ kind: 'heading', text: check.title, level: 3 });
    if (check.findings.length > 0) {
      blocks.push({
        kind: 'list',
        items: check.findings.map(
          (f) => `${f.level}: ${where(f, root) ? `${where(f, root)}: ` : ''}${shortMessage(f, root)}`,
        ),
      });
    }
    if (check.difference) {
      blocks.push(
        { kind: 'text', text: `${DIFFERENCE_LABELS[check.name] ?? 'Difference'}:` },
        { kind: 'code', code: check.difference, language: 'sql' },
      );
    }
  }
  const locks = report.locks;
  if (locks && (locks.statements.length > 0 || locks.notMeasured.length > 0)) {
    blocks.push({ kind: 'heading', text: LOCKS_TITLE, level: 3 });
    for (const [file, section] of lockGroups(locks)) {
      blocks.push(
        { kind: 'text', text: groupName(file, section) },
        { kind: 'table', header: LOCK_HEADER, rows: lockRows(report, file, section) },
      );
    }
    if (locks.notMeasured.length > 0)
      blocks.push({ kind: 'list', items: locks.notMeasured.map((n) => `${n.file}: not measured: ${n.reason}`) });
  }
  return blocks;
}

const LOCK_HEADER = ['Line', 'Table', 'Lock', 'Rewrite', 'ms'];

function groupName(file: string, section: 'up' | 'down'): string {
  return `${file}${section === 'down' ? ' (Down)' : ''}`;
}

function lockRows(report: VerifyReport, file: string, section: 'up' | 'down'): string[][] {
  return (report.locks?.statements ?? [])
    .filter((s) => s.file === file && s.section === section)
    .map((s) => [String(s.line), s.table, s.lock, s.rewrite ? 'yes' : 'no', String(s.ms)]);
}

/** The measured locks in the comment: a small table per file, folded. */
function commentLocks(report: VerifyReport): string[] {
  const locks = report.locks;
  if (!locks || (locks.statements.length === 0 && locks.notMeasured.length === 0)) return [];
  const lines = ['', `<details><summary>${inline(LOCKS_TITLE)}</summary>`];
  for (const [file, section] of lockGroups(locks)) {
    lines.push(
      '',
      `\`${groupName(file, section)}\``,
      '',
      `| ${LOCK_HEADER.join(' | ')} |`,
      `| ${LOCK_HEADER.map(() => '---').join(' | ')} |`,
    );
    lines.push(...lockRows(report, file, section).map((row) => `| ${row.map(inline).join(' | ')} |`));
  }
  for (const n of locks.notMeasured) lines.push('', `- ${inline(`${n.file}: not measured: ${n.reason}`)}`);
  lines.push('', '</details>');
  return lines;
}

function facts(report: VerifyReport): string {
  const parts = [`New migrations: ${report.newMigrations.join(', ') || 'none'}.`];
  if (report.goal) parts.push(`Goal: ${report.goal.sha.slice(0, 7)} (${report.goal.from}).`);
  return parts.join(' ');
}

/** Markdown text for a table cell or a list item: no line breaks, no table pipes, no raw HTML. */
function inline(text: string): string {
  return text
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

function fence(code: string): string {
  const longest = Math.max(2, ...(code.match(/`+/g) ?? []).map((m) => m.length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}sql\n${code.trimEnd()}\n${ticks}`;
}

function commentSection(check: VerifyCheck, root: string): string[] {
  const lines: string[] = [];
  const shown = check.findings.filter((f) => f.level !== 'notice' || check.status === 'skipped');
  if (shown.length === 0 && !check.difference) return lines;
  lines.push('', `#### ${check.title}`);
  for (const finding of shown) {
    const at = where(finding, root);
    lines.push(`- ${finding.level}: ${at ? `\`${at}\` ` : ''}${inline(shortMessage(finding, root))}`);
  }
  if (check.difference) {
    const what = inline(DIFFERENCE_LABELS[check.name] ?? 'Difference');
    lines.push(
      '',
      `<details${check.status === 'failed' ? ' open' : ''}><summary>${what}</summary>`,
      '',
      fence(check.difference),
      '',
      '</details>',
    );
  }
  return lines;
}

/** The pull-request comment: the result, the table of checks, and what to look at. */
export function verifyComment(report: VerifyReport, root: string, runUrl?: string): string {
  const lines = [
    `### ${report.result === 'passed' ? '✅' : '❌'} ${headline(report)}`,
    '',
    inline(facts(report)),
    '',
    '| Check | Result | Details |',
    '| --- | --- | --- |',
    ...report.checks.map(
      (c) => `| ${c.title} | ${ICONS[c.status]} ${describeStatus(c.status)} | ${inline(c.summary)} |`,
    ),
  ];
  for (const check of report.checks) lines.push(...commentSection(check, root));
  lines.push(...commentLocks(report));
  if (runUrl) lines.push('', `[The latest run](${runUrl}) has the whole report.`);
  return redact(lines.join('\n') + '\n');
}
