/**
 * Check 4, hazards: what the new migrations risk on a live database, as warnings (failures only when
 * asked). Two sources: the lint of the Up SQL as it is now (lint/), and the hazards the differ
 * recorded in the metadata when it generated the file. Recorded hazards are trusted only while the
 * file is as generated (its checksum matches): a hand edit such as CREATE INDEX CONCURRENTLY removes
 * a hazard, and then only the lint can say what is left.
 */
import { lintMigrations } from '../lint';
import { sha256Checksum } from '../migrations/metadata';
import { metadataFileName } from '../migrations/naming';
import type { DataLossGate } from './data-loss-gate';
import type { MigrationEntry } from './numbering';
import { CHECK_TITLES, type VerifyCheck, type VerifyFinding } from './report';

/** The line of the file's header comment that names the hazard, else the Up marker. */
function hazardLine(entry: MigrationEntry, code: string): number {
  const index = entry.text.split('\n').findIndex((l) => l.startsWith('--') && l.includes(code));
  return index >= 0 ? index + 1 : (entry.parsed?.up.line ?? 1);
}

export function checkHazards(newEntries: readonly MigrationEntry[], options: { readonly failOnHazards?: boolean; readonly dataLoss?: DataLossGate } = {}): VerifyCheck {
  const parsed = newEntries.filter((e): e is MigrationEntry & { parsed: NonNullable<MigrationEntry['parsed']> } => e.parsed !== undefined);
  const lint = lintMigrations(parsed.map((e) => ({ path: e.path, parsed: e.parsed })));
  const findings: VerifyFinding[] = lint.map((f) => ({ level: f.level, message: f.message, file: f.file, line: f.line, code: f.code }));

  for (const entry of parsed) {
    const recorded = entry.metadata?.hazards ?? [];
    if (recorded.length === 0) continue;
    const asGenerated = entry.metadata?.checksum === sha256Checksum(entry.text);
    if (!asGenerated) {
      findings.push({
        level: 'notice',
        file: entry.path,
        line: 1,
        message: `${entry.fileName} was edited after it was generated: the ${recorded.length} hazard(s) recorded in ${metadataFileName(entry.version)} are not repeated; the lint reads the SQL as it is now`,
      });
      continue;
    }
    const linted = new Set(lint.filter((f) => f.file === entry.path).map((f) => f.code));
    for (const hazard of recorded) {
      if (linted.has(hazard.code)) continue;
      findings.push({ level: 'warning', file: entry.path, line: hazardLine(entry, hazard.code), code: hazard.code, message: `${hazard.message} (recorded by the differ)` });
    }
  }

  // The destructive-change gate: measured data losses, failing unless acknowledged (fail-on-hazards or not).
  const gate = options.dataLoss;
  if (gate) {
    // A hazard warning about a loss the file acknowledges is answered: a note, not a warning.
    const isAnswered = (f: VerifyFinding) => gate.answered.some((a) => a.file === f.file && a.code === f.code && (f.message.includes(a.object) || f.message.includes(a.object.replace(/^public\./, ''))));
    findings.splice(0, findings.length, ...findings.map((f) => (f.level === 'warning' && isAnswered(f) ? { ...f, level: 'notice' as const, message: `${f.message} (acknowledged)` } : f)));
    findings.push(...gate.findings);
  }
  if (gate?.skipped) findings.push({ level: 'notice', message: `data losses not measured: ${gate.skipped}` });
  findings.sort((a, b) => (a.file ?? '').localeCompare(b.file ?? '') || (a.line ?? 0) - (b.line ?? 0));
  const warnings = findings.filter((f) => f.level === 'warning');
  const notices = findings.length - warnings.length;
  const failing = warnings.length > 0 && options.failOnHazards === true;
  const losses = gate?.unacknowledged ?? 0;
  const noun = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : word.endsWith('s') ? 'es' : 's'}`;
  let summary: string;
  if (parsed.length === 0) summary = 'no new migrations to lint';
  else if (warnings.length === 0) summary = notices > 0 ? `no hazards (${noun(notices, 'note')})` : 'no hazards';
  else summary = `${noun(warnings.length, 'hazard')}${failing ? ' (failing: fail-on-hazards is set)' : ''}: ${[...new Set(warnings.map((w) => w.code))].join(', ')}`;
  if (losses > 0) summary = `${noun(losses, 'data loss')} not acknowledged (each error says the trailer or marker line that acknowledges it); ${summary}`;
  else if (gate && gate.acknowledged > 0) summary = `${summary}; ${noun(gate.acknowledged, 'data loss')}, each acknowledged`;
  return {
    name: 'hazards',
    title: CHECK_TITLES.hazards,
    status: failing || losses > 0 ? 'failed' : warnings.length > 0 ? 'warning' : 'passed',
    summary,
    // With fail-on-hazards the hazards are what fails the check: annotate them as errors.
    findings: failing ? findings.map((f) => (f.level === 'warning' ? { ...f, level: 'error' as const } : f)) : findings,
  };
}
