/**
 * What a pre-check costs on a client's table of 1 M rows (docs/prechecks.md): each check runs as apply
 * runs it (runPrechecks: a READ ONLY transaction, one query per check) on a local PostgreSQL 15 server,
 * beside the statement it guards run for real and rolled back (the time that statement would hold its
 * lock). The same runs give the rates (MB of pg_total_relation_size per second) behind the lock-time
 * estimate of the large-table refusal (LOCK_RATES in prechecks/large-tables.ts).
 *
 * Run: pnpm bench prechecks      BENCH_ROWS=200000 to change the table size, BENCH_RUNS=5 the sample (default 3).
 */
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { LOCK_RATES, type LockWork } from '../packages/core/src/prechecks/large-tables';
import { runPrechecks } from '../packages/core/src/prechecks/run';
import { sqlStatements } from '../packages/core/src/prechecks/statements';
import { startLocalServer } from '../packages/core/src/postgres-server/local-server';
import { MiB, markdownTable, median } from './support';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

interface Case {
  readonly name: string;
  readonly statement: string;
  /** What the statement holds its lock for (its rate is measured). */
  readonly work?: LockWork;
  readonly table: string;
}

const CASES: readonly Case[] = [
  {
    name: 'duplicates: unique index (mrn)',
    statement: 'CREATE UNIQUE INDEX patients_mrn ON patients (mrn)',
    work: 'index build',
    table: 'patients',
  },
  {
    name: 'duplicates: unique index (lower(mrn)) WHERE active',
    statement: 'CREATE UNIQUE INDEX patients_mrn_ci ON patients (lower(mrn)) WHERE active',
    work: 'index build',
    table: 'patients',
  },
  {
    name: 'orphans: foreign key visits -> patients',
    statement: 'ALTER TABLE visits ADD CONSTRAINT visits_patient FOREIGN KEY (patient_id) REFERENCES patients (id)',
    work: 'foreign key validation',
    table: 'visits',
  },
  {
    name: 'check violations: CHECK (site > 0)',
    statement: 'ALTER TABLE patients ADD CONSTRAINT patients_site CHECK (site > 0)',
    work: 'scan',
    table: 'patients',
  },
  {
    name: 'nulls: SET NOT NULL',
    statement: 'ALTER TABLE patients ALTER COLUMN mrn SET NOT NULL',
    work: 'scan',
    table: 'patients',
  },
  {
    name: 'type change: text -> integer',
    statement: 'ALTER TABLE patients ALTER COLUMN code TYPE integer USING code::integer',
    work: 'rewrite',
    table: 'patients',
  },
];

export async function run(): Promise<string> {
  const server = await startLocalServer({ postgresVersion: 15 });
  const client = new Client({ connectionString: server.adminUrl });
  await client.connect();
  try {
    // Not measured: 1 M patients (unique mrn, so every check runs to the end and finds nothing) and as many visits.
    await client.query(
      `CREATE TABLE patients (id int PRIMARY KEY, mrn text, site int NOT NULL, code text, active boolean NOT NULL DEFAULT true)`,
    );
    await client.query(
      `INSERT INTO patients SELECT i, 'M' || i, 1 + i % 50, (i % 1000)::text, i % 10 <> 0 FROM generate_series(1, ${ROWS}) AS i`,
    );
    await client.query(`CREATE TABLE visits (id int PRIMARY KEY, patient_id int)`);
    await client.query(`INSERT INTO visits SELECT i, 1 + (i * 7) % ${ROWS} FROM generate_series(1, ${ROWS}) AS i`);
    await client.query(`VACUUM ANALYZE patients`);
    await client.query(`VACUUM ANALYZE visits`);

    const rows: string[][] = [];
    const rates: string[][] = [];
    for (const c of CASES) {
      const statements = await sqlStatements([c.statement], 'bench');
      const checkMs: number[] = [];
      const statementMs: number[] = [];
      let outcome = '';
      for (let i = 0; i < RUNS; i++) {
        const started = performance.now();
        const report = await runPrechecks(client, {
          statements,
          acknowledged: [],
          options: { maxRows: 10 * ROWS, timeoutMs: 600_000 },
        });
        checkMs.push(performance.now() - started);
        const check = report.checks[0];
        outcome = check ? `${check.status}${check.count !== undefined ? ` (${check.count})` : ''}` : 'no check';
        const ran = performance.now();
        await client.query('BEGIN');
        await client.query(c.statement);
        statementMs.push(performance.now() - ran);
        await client.query('ROLLBACK');
      }
      const { rows: size } = await client.query<{ bytes: string }>(
        `SELECT pg_total_relation_size($1::regclass)::text AS bytes`,
        [c.table],
      );
      const mb = Number(size[0]!.bytes) / MiB;
      const check = median(checkMs);
      const statement = median(statementMs);
      rows.push([
        c.name,
        `${ROWS}`,
        mb.toFixed(0),
        check.toFixed(0),
        statement.toFixed(0),
        (check / statement).toFixed(2),
        outcome,
      ]);
      if (c.work)
        rates.push([c.name, c.work, (mb / (statement / 1000)).toFixed(0), (LOCK_RATES[c.work] / MiB).toFixed(0)]);
    }
    return [
      `${ROWS} rows per table, ${RUNS} runs, medians; local PostgreSQL ${server.major}.`,
      '',
      markdownTable(
        [
          'pre-check',
          'rows',
          'table (MB)',
          'pre-check (ms)',
          'statement itself (ms)',
          'ratio (check / statement)',
          'found',
        ],
        rows,
      ),
      '',
      'The rate each statement got through its table (the lock-time estimate uses LOCK_RATES):',
      '',
      markdownTable(['statement', 'work under the lock', 'measured (MB/s)', 'LOCK_RATES (MB/s)'], rates),
    ].join('\n');
  } finally {
    await client.end().catch(() => undefined);
    await server.stop();
  }
}
