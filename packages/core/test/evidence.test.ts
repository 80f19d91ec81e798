/**
 * Evidence in every failure and refusal (#22.4): PostgreSQL's detail, constraint and table in the message
 * and the report, the whole failing statement in the report, and "refused, nothing ran" apart from
 * "failed, rolled back".
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../../../test/support/cli';
import { query } from '../../../test/support/pg';
import { up } from '../src/applier/migrator';
import { applyFleet } from '../src/fleet/apply';
import { describeCounts, formatReportText, reportFails } from '../src/fleet/report';
import { wordRemedy } from '../../cli/src/remedy-wording';
import { FAST_RETRY, recordedIds, shadow, workspace } from './fleet-fixture';

const ws = workspace('evidence');
afterAll(() => ws.cleanup());

const PATIENTS = {
  '0001_patients.sql': {
    up: [
      'CREATE TABLE patients (id bigint PRIMARY KEY, mrn text NOT NULL, full_name text)',
      'CREATE TABLE visits (id bigserial PRIMARY KEY, patient_id bigint NOT NULL)',
    ],
    down: ['DROP TABLE visits', 'DROP TABLE patients'],
  },
};
// Longer than the one-line excerpt: the report must carry all of it.
const UNIQUE_MRN =
  'ALTER TABLE patients\n  ADD CONSTRAINT patients_mrn_key UNIQUE (mrn) /* each medical record number belongs to exactly one patient */';
const VISITS_FK =
  'ALTER TABLE visits ADD CONSTRAINT visits_patient_fk FOREIGN KEY (patient_id) REFERENCES patients (id)';

describe("a statement failing on a client's rows", () => {
  it('names the duplicated key and the missing row, on lines of their own, with the whole statement in the report', async () => {
    const set = await ws.migrations({
      ...PATIENTS,
      '0002_unique_mrn.sql': { up: [UNIQUE_MRN], down: ['ALTER TABLE patients DROP CONSTRAINT patients_mrn_key'] },
      '0003_visits_fk.sql': { up: [VISITS_FK], down: ['ALTER TABLE visits DROP CONSTRAINT visits_patient_fk'] },
    });
    const { clean, duplicated, orphaned } = await ws.databases(set, { clean: 1, duplicated: 1, orphaned: 1 });
    await query(
      clean.url,
      `INSERT INTO patients VALUES (1, 'M1', 'Ada'), (2, 'M2', 'Bo'); INSERT INTO visits (patient_id) VALUES (1)`,
    );
    await query(duplicated.url, `INSERT INTO patients VALUES (1, 'M1', 'Ada'), (2, 'M1', 'Bo')`);
    await query(
      orphaned.url,
      `INSERT INTO patients VALUES (1, 'M1', 'Ada'); INSERT INTO visits (patient_id) VALUES (1), (7)`,
    );

    // The pre-checks would refuse both before anything runs (docs/prechecks.md): skipped, so the statements fail on the server.
    const report = await applyFleet({
      set,
      targets: [clean, duplicated, orphaned],
      shadow: shadow(),
      concurrency: 1,
      retry: FAST_RETRY,
      prechecks: { maxRows: 0 },
    });
    expect(report.targets.map((t) => [t.name, t.status, t.toVersion])).toEqual([
      ['clean', 'applied', 3],
      ['duplicated', 'failed', 1],
      ['orphaned', 'failed', 2],
    ]);
    const [, dup, orphan] = report.targets;
    expect(dup.error!.split('\n')).toEqual([
      expect.stringMatching(
        /0002_unique_mrn\.sql line \d+ \(up\) on .*: statement "ALTER TABLE patients …" failed: could not create unique index "patients_mrn_key"; the migration was rolled back; it is left at version 1/,
      ),
      '  detail: Key (mrn)=(M1) is duplicated.',
    ]);
    expect(dup.evidence).toEqual({
      file: '0002_unique_mrn.sql',
      line: expect.any(Number),
      statement: `${UNIQUE_MRN};`,
      sqlState: '23505',
      detail: 'Key (mrn)=(M1) is duplicated.',
      constraint: 'patients_mrn_key',
      table: 'public.patients',
    });
    expect(orphan.error).toContain('\n  detail: Key (patient_id)=(7) is not present in table "patients".');
    expect(orphan.evidence).toMatchObject({
      file: '0003_visits_fk.sql',
      statement: `${VISITS_FK};`,
      sqlState: '23503',
      constraint: 'visits_patient_fk',
      table: 'public.visits',
    });

    // The JSON report (what --json writes) carries the fields; the text report the whole statement.
    const json = JSON.parse(JSON.stringify(report));
    expect(json.targets[1].evidence.detail).toBe('Key (mrn)=(M1) is duplicated.');
    const text = formatReportText(report, wordRemedy);
    expect(text).toContain(`-- duplicated (${duplicated.database}): failed in 0002_unique_mrn.sql line`);
    expect(text).toContain('-- detail: Key (mrn)=(M1) is duplicated.');
    expect(text).toContain(UNIQUE_MRN);
    // The table keeps one line a row: the detail is under it, not inside it.
    const row = text.split('\n').find((l) => l.startsWith('duplicated '))!;
    expect(row).toMatch(
      /failed at version 1: .*the migration was rolled back; it is left at version 1, unchanged by the failed migration$/,
    );
    expect(await recordedIds(duplicated.url)).toEqual(['0001_patients.sql']);
  });
});

describe('refused, nothing ran, apart from failed', () => {
  it("a revert that would lose a client's data and an irreversible revert are refused; a failing migration fails", async () => {
    const set = await ws.migrations({
      ...PATIENTS,
      '0002_note.sql': {
        up: ['ALTER TABLE patients ADD COLUMN note text'],
        down: ['ALTER TABLE patients DROP COLUMN note'],
      },
      '0003_one_way.sql': { up: ['CREATE TABLE audit (id int)'] },
    });
    const { holding, stuck } = await ws.databases(set, { holding: 2, stuck: 3 });
    await query(holding.url, `INSERT INTO patients VALUES (1, 'M1', 'Ada', 'allergic to penicillin')`);
    const report = await applyFleet({ set, targets: [holding, stuck], shadow: shadow(), to: 1, retry: FAST_RETRY });
    expect(report.targets.map((t) => [t.name, t.status])).toEqual([
      ['holding', 'refused'],
      ['stuck', 'refused'],
    ]);
    expect(report.targets[0].error).toMatch(/would lose data it holds: public\.patients\.note .*nothing was run/);
    expect(report.targets[1].error).toMatch(/0003_one_way\.sql has no "-- \+migrate Down" section/);
    expect(report.counts).toMatchObject({ refused: 2, failed: 0 });
    expect(describeCounts(report)).toBe('2 targets: 2 refused');
    expect(formatReportText(report, wordRemedy)).toMatch(
      /holding .* refused .*refused, nothing ran \(left at version 2\): /,
    );
    expect(reportFails(report)).toBe(true);
    expect(JSON.parse(JSON.stringify(report)).targets.map((t: { status: string }) => t.status)).toEqual([
      'refused',
      'refused',
    ]);
    expect(await recordedIds(holding.url)).toEqual(['0001_patients.sql', '0002_note.sql']);
  });

  it('up on one database: a hole in the records is refused (nothing ran), a failing statement failed', async () => {
    const set = await ws.migrations({
      ...PATIENTS,
      '0002_unique_mrn.sql': { up: [UNIQUE_MRN], down: ['ALTER TABLE patients DROP CONSTRAINT patients_mrn_key'] },
    });
    const target = await ws.database(set, 1);
    await query(target.url, `INSERT INTO patients VALUES (1, 'M1', 'Ada'), (2, 'M1', 'Bo')`);
    const failed = await up(target.url, set);
    expect(failed.error).toMatchObject({
      outcome: 'failed',
      kind: 'sql',
      detail: 'Key (mrn)=(M1) is duplicated.',
      statement: `${UNIQUE_MRN};`,
      constraint: 'patients_mrn_key',
    });
    expect(failed.error!.message).toContain('\n  detail: Key (mrn)=(M1) is duplicated.');
    expect(JSON.parse(JSON.stringify(failed)).error).toMatchObject({
      outcome: 'failed',
      message: expect.stringContaining('is duplicated'),
      detail: 'Key (mrn)=(M1) is duplicated.',
    });

    // The CLI: the detail on its own line; --verbose adds the whole statement; --json the fields.
    const verbose = await cli(['up', '--dir', set.dir, '--database', target.url, '--verbose']);
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toMatch(
      /^db-migrate up: .*0002_unique_mrn\.sql line \d+ \(up\) on .*: statement "ALTER TABLE patients …" failed: could not create unique index "patients_mrn_key"; the migration was rolled back\n {2}detail: Key \(mrn\)=\(M1\) is duplicated\.$/m,
    );
    expect(verbose.stderr).toContain(`the failing statement, whole:\n${UNIQUE_MRN};`);

    // A record of version 2 without version 1: a hole, refused before anything runs.
    await query(
      target.url,
      `DELETE FROM gorp_migrations; INSERT INTO gorp_migrations VALUES ('0002_unique_mrn.sql', now())`,
    );
    const refused = await up(target.url, set);
    expect(refused.error).toMatchObject({ outcome: 'refused', kind: 'inconsistent' });
    expect(refused.results.every((r) => r.status === 'not-run')).toBe(true);
    expect(JSON.parse(JSON.stringify(refused)).error.outcome).toBe('refused');
    const json = join(ws.dir, 'refused-up.json');
    const cliRefused = await cli(['up', '--dir', set.dir, '--database', target.url, '--json', json]);
    expect(cliRefused.code).toBe(1);
    expect(cliRefused.stderr).toMatch(
      /^db-migrate up: refused, nothing ran: .*0001_patients\.sql was never applied but the later 0002_unique_mrn\.sql was/m,
    );
    expect(JSON.parse(readFileSync(json, 'utf8')).error).toMatchObject({ outcome: 'refused', kind: 'inconsistent' });
  });
});
