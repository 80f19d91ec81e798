/**
 * Check 4, hazards: what the new migrations risk on a live database, as warnings (failures only when
 * asked; a statement that cannot run as written, such as one PostgreSQL's parser refuses, always fails
 * it). Two sources: the lint of the Up and Down SQL as it is now (lint/), and the hazards the differ
 * recorded in the metadata when it generated the file. The lint is the authority for the codes it derives
 * from SQL (LINT_HAZARD_CODES), so a hand edit such as CREATE INDEX CONCURRENTLY removes that hazard;
 * recorded hazards of other codes (they need the catalog the differ compared, e.g. enum-recreated) are
 * kept after an edit too, so no edit makes a hazard disappear unread.
 */
import { LINT_HAZARD_CODES, lintMigrations } from '../lint';
import { connectDatabase } from '../pg/connect';
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

/** The column types of a database's tables, `schema.table.column` -> format_type: what the lint knows before the new migrations. */
export async function readColumnTypes(url: string): Promise<Map<string, string>> {
  const client = await connectDatabase(url);
  try {
    const { rows } = await client.query<{ name: string; type: string }>(
      `SELECT n.nspname || '.' || c.relname || '.' || a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')`,
    );
    return new Map(rows.map((r) => [r.name, r.type]));
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function checkHazards(
  newEntries: readonly MigrationEntry[],
  options: {
    readonly failOnHazards?: boolean;
    readonly dataLoss?: DataLossGate;
    readonly columnTypes?: ReadonlyMap<string, string>;
  } = {},
): Promise<VerifyCheck> {
  const parsed = newEntries.filter(
    (e): e is MigrationEntry & { parsed: NonNullable<MigrationEntry['parsed']> } => e.parsed !== undefined,
  );
  const lint = await lintMigrations(
    parsed.map((e) => ({ path: e.path, parsed: e.parsed })),
    options.columnTypes ? { columnTypes: options.columnTypes } : {},
  );
  // The acknowledgement code of a lint finding, where it differs from its code (a DELETE of every row).
  const acknowledgedAs = new Map<VerifyFinding, string>();
  const findings: VerifyFinding[] = lint.map((f) => {
    const finding: VerifyFinding = {
      level: f.level,
      message: f.section === 'down' ? `Down: ${f.message}` : f.message,
      file: f.file,
      line: f.line,
      code: f.code,
      ...(f.object ? { object: f.object } : {}),
    };
    if (f.acknowledgedAs) acknowledgedAs.set(finding, f.acknowledgedAs);
    return finding;
  });

  for (const entry of parsed) {
    const recorded = entry.metadata?.hazards ?? [];
    if (recorded.length === 0) continue;
    const asGenerated = entry.metadata?.checksum === sha256Checksum(entry.text);
    const linted = new Set(lint.filter((f) => f.file === entry.path && f.section === 'up').map((f) => f.code));
    const removed: string[] = [];
    for (const hazard of recorded) {
      if (linted.has(hazard.code)) continue;
      // The lint read the edited SQL and no longer finds this kind of hazard: the edit removed it.
      if (!asGenerated && LINT_HAZARD_CODES.has(hazard.code)) {
        removed.push(hazard.code);
        continue;
      }
      const source = asGenerated
        ? 'recorded by the differ'
        : `recorded by the differ in ${metadataFileName(entry.version)}; the file was edited since, check that it still applies`;
      findings.push({
        level: 'warning',
        file: entry.path,
        line: hazardLine(entry, hazard.code),
        code: hazard.code,
        ...(hazard.object ? { object: hazard.object } : {}),
        message: `${hazard.message} (${source})`,
      });
    }
    if (removed.length > 0) {
      findings.push({
        level: 'notice',
        file: entry.path,
        line: 1,
        message: `${entry.fileName} was edited after it was generated, and the lint, reading it as it is now, no longer finds what ${metadataFileName(entry.version)} recorded: ${[...new Set(removed)].join(', ')}`,
      });
    }
  }

  // The destructive-change gate: measured data losses, failing unless acknowledged (fail-on-hazards or not).
  const gate = options.dataLoss;
  if (gate) {
    // A hazard warning about a loss the file acknowledges is answered: a note, not a warning. Matched on
    // the fields the lint and the differ set (code, object), never on the wording. The lint calls a DELETE
    // or TRUNCATE of every row drops-data, acknowledged as deletes-rows (what the gate measures).
    // An object the SQL named without a schema is in public (the search_path the migrations run with).
    const isAnswered = (f: VerifyFinding) =>
      f.object !== undefined &&
      gate.answered.some(
        (a) =>
          a.file === f.file &&
          a.code === (acknowledgedAs.get(f) ?? f.code) &&
          (a.object === f.object || a.object === `public.${f.object}`),
      );
    findings.splice(
      0,
      findings.length,
      ...findings.map((f) =>
        f.level === 'warning' && isAnswered(f)
          ? { ...f, level: 'notice' as const, message: `${f.message} (acknowledged)` }
          : f,
      ),
    );
    findings.push(...gate.findings);
  }
  if (gate?.skipped) findings.push({ level: 'notice', message: `data losses not measured: ${gate.skipped}` });
  findings.sort((a, b) => (a.file ?? '').localeCompare(b.file ?? '') || (a.line ?? 0) - (b.line ?? 0));
  const errors = findings.filter((f) => f.level === 'error');
  const warnings = findings.filter((f) => f.level === 'warning');
  const notices = findings.length - warnings.length - errors.length;
  const failing = errors.length > 0 || (warnings.length > 0 && options.failOnHazards === true);
  const losses = gate?.unacknowledged ?? 0;
  const noun = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : word.endsWith('s') ? 'es' : 's'}`;
  let summary: string;
  const hazardFailing = warnings.length > 0 && options.failOnHazards === true;
  if (parsed.length === 0) summary = 'no new migrations to lint';
  else if (warnings.length === 0) summary = notices > 0 ? `no hazards (${noun(notices, 'note')})` : 'no hazards';
  else
    summary = `${noun(warnings.length, 'hazard')}${hazardFailing ? ' (failing: fail-on-hazards is set)' : ''}: ${[...new Set(warnings.map((w) => w.code))].join(', ')}`;
  if (errors.length > 0)
    summary = `${noun(errors.length, 'statement')} that cannot run as written (${[...new Set(errors.map((e) => e.code))].join(', ')}); ${summary}`;
  if (losses > 0)
    summary = `${noun(losses, 'data loss')} not acknowledged (each error says the trailer or marker line that acknowledges it); ${summary}`;
  else if (gate && gate.acknowledged > 0)
    summary = `${summary}; ${noun(gate.acknowledged, 'data loss')}, each acknowledged`;
  return {
    name: 'hazards',
    title: CHECK_TITLES.hazards,
    status: failing || losses > 0 ? 'failed' : warnings.length > 0 ? 'warning' : 'passed',
    summary,
    // With fail-on-hazards the hazards are what fails the check: annotate them as errors.
    findings: hazardFailing
      ? findings.map((f) => (f.level === 'warning' ? { ...f, level: 'error' as const } : f))
      : findings,
  };
}
