/**
 * Schema diff, whole processes as a user runs them: `db-migrate diff` (the bundled CLI) against @pgkit/migra
 * 0.6.1 (its run() in a plain node process) on the same pair of databases, with `pg_dump -s` of one side as
 * the floor (reading a catalog cannot be much cheaper than dumping it). Targets (issue #24): at least 5x
 * faster than @pgkit/migra, within 2x of pg_dump.
 *
 * The pair: a generated schema of BENCH_TABLES tables (default 400) with enums, identity keys, foreign keys,
 * checks, indexes, views and SQL functions, and a copy where about 5 % of the tables changed (columns added,
 * retyped, indexes added and dropped, a view and a function changed, an enum value added, a table dropped
 * and one added). Both load on a throwaway local server (startLocalServer), then are analyzed and
 * checkpointed, so that no autovacuum runs during the measurements.
 *
 * The three run in turns, BENCH_RUNS times each (default 9), so a busy moment of the machine falls on all
 * alike; medians and ranges of wall time, the ratios from those medians, the load average at start and end.
 * Our result is also applied to a copy of the first database to check that it converges.
 *
 * Run: pnpm build; pnpm bench diff      BENCH_RUNS=9 BENCH_TABLES=800 to change the sample and the schema.
 * BENCH_BEFORE=<a previous checkout holding packages/cli/dist> runs that bundle too, in the same turns, for a
 * before/after side by side.
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { connectDatabase } from '../packages/core/src/pg/connect';
import { startLocalServer } from '../packages/core/src/postgres-server/local-server';
import type { BenchResult, Figure } from './figures';
import { markdownTable, median, runChild } from './support';

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const TABLES = Number(process.env.BENCH_TABLES ?? 400);
/** A previous build's CLI bundle: BENCH_BEFORE names a checkout (or `git archive` of one) holding packages/cli/dist. */
const BEFORE = process.env.BENCH_BEFORE ? join(process.env.BENCH_BEFORE, 'packages/cli/dist') : undefined;

/** Table i of the schema; `changed` applies the 5 % variation to the tables chosen by changedTable(). */
function tableSql(i: number, changed: boolean): string {
  const status = `status_${i % 5}`;
  const columns = [
    'id bigint generated always as identity primary key',
    'name text not null',
    `status ${status} not null default 'new'`,
    `amount ${changed && i % 40 === 3 ? 'numeric(14,2)' : 'numeric(12,2)'} check (amount >= 0)`,
    'created_at timestamptz not null default now()',
  ];
  if (i > 0) columns.push(`parent_id bigint references t${i - 1} (id) on delete cascade`);
  if (changed) columns.push('note text', 'score integer not null default 0');
  const parts = [`create table t${i} (\n  ${columns.join(',\n  ')}\n);`];
  parts.push(`create index t${i}_created_at on t${i} (created_at);`);
  if (i > 0) parts.push(`create index t${i}_parent on t${i} (parent_id);`);
  if (!(changed && i % 40 === 23)) parts.push(`create unique index t${i}_name on t${i} (lower(name));`);
  if (changed) parts.push(`create index t${i}_score on t${i} (score) where score > 0;`);
  parts.push(`comment on table t${i} is 'table number ${i}';`);
  return parts.join('\n');
}

const changedTable = (i: number) => i % 20 === 3;

export function schemaSql(tables: number, changed: boolean): string {
  const parts: string[] = [];
  for (let k = 0; k < 5; k++) {
    const values = changed && k === 0 ? `'new', 'active', 'paused', 'closed'` : `'new', 'active', 'closed'`;
    parts.push(`create type status_${k} as enum (${values});`);
  }
  for (let i = 0; i < tables; i++) {
    if (changed && i === tables - 1) continue; // dropped in the changed copy
    parts.push(tableSql(i, changed && changedTable(i)));
  }
  if (changed) parts.push('create table added_table (id bigint primary key, payload jsonb not null);');
  for (let i = 10; i < tables - 1; i += 10) {
    const extra = changed && i % 100 === 10 ? `, a.amount * 2 as doubled` : '';
    parts.push(
      `create view v${i} as select a.id, a.name, a.amount, b.name as parent_name${extra} from t${i} a join t${i - 1} b on b.id = a.parent_id;`,
    );
  }
  for (let i = 20; i < tables - 1; i += 20) {
    const body =
      changed && i % 100 === 40
        ? `select count(*) + 1 from t${i} where parent_id = p`
        : `select count(*) from t${i} where parent_id = p`;
    parts.push(`create function f${i}(p bigint) returns bigint language sql stable as $$ ${body} $$;`);
  }
  return parts.join('\n') + '\n';
}

async function sql(url: string, text: string): Promise<void> {
  const client = await connectDatabase(url);
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

function withDatabase(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = '/' + name;
  return url.toString();
}

export async function run(): Promise<BenchResult> {
  const server = await startLocalServer();
  try {
    const admin = server.adminUrl;
    await sql(admin, 'CREATE DATABASE bench_from');
    await sql(admin, 'CREATE DATABASE bench_to');
    const from = withDatabase(admin, 'bench_from');
    const to = withDatabase(admin, 'bench_to');
    await Promise.all([sql(from, schemaSql(TABLES, false)), sql(to, schemaSql(TABLES, true))]);
    // Settled as a database that has been up a while: autovacuum would otherwise analyze the new catalogs
    // in the middle of the runs, taking a core from whichever tool runs then.
    await Promise.all([sql(from, 'VACUUM ANALYZE'), sql(to, 'VACUUM ANALYZE')]);
    await sql(admin, 'CHECKPOINT');

    // Whole processes, as a user runs each tool, in turns (a busy moment of the machine falls on all alike):
    // the bundled CLI, @pgkit/migra's run() in a plain node process, and pg_dump -s of one side.
    const parsed = new URL(from);
    const cli = join(__dirname, '..', 'packages', 'cli', 'dist', 'index.js');
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run pnpm build first`);
    const migra = `require('@pgkit/migra').run(process.env.BENCH_FROM, process.env.BENCH_TO, { unsafe: true, withPrivileges: true })
      .then((r) => { process.stdout.write(r.sql); process.exit(0); }, (e) => { console.error(e.message); process.exit(1); })`;
    const tools: { name: string; command: string; args: string[]; env: Record<string, string> }[] = [
      {
        name: 'db-migrate diff (bundled CLI)',
        command: process.execPath,
        args: [cli, 'diff', from, to, '--with-privileges'],
        env: {},
      },
      ...(BEFORE
        ? [
            {
              name: 'before: db-migrate diff (BENCH_BEFORE)',
              command: process.execPath,
              args: [join(BEFORE, 'index.js'), 'diff', from, to, '--with-privileges'],
              env: {},
            },
          ]
        : []),
      {
        name: '@pgkit/migra 0.6.1',
        command: process.execPath,
        args: ['-e', migra],
        env: { BENCH_FROM: from, BENCH_TO: to },
      },
      {
        name: 'pg_dump -s (one side)',
        command: 'pg_dump',
        args: ['--schema-only', '--no-owner'],
        env: {
          PGHOST: parsed.hostname,
          PGPORT: parsed.port,
          PGUSER: 'postgres',
          PGPASSWORD: decodeURIComponent(parsed.password),
          PGDATABASE: 'bench_from',
        },
      },
    ];
    const samples = tools.map(() => [] as number[]);
    const statements = tools.map(() => 0);
    const load = [loadavg()[0]!];
    for (let i = 0; i < RUNS; i++) {
      for (const [t, tool] of tools.entries()) {
        const result = await runChild(tool.command, tool.args, { ...tool.env, NODE_PATH: '' }, 300_000);
        if (result.code !== 0)
          throw new Error(`${tool.name} failed (${result.code}): ${result.stderr.trim().slice(-300)}`);
        samples[t]!.push(result.wallMs);
        statements[t] = result.stdout.split(/;\n/).filter((x) => x.trim() && !/^\s*--/.test(x.trim())).length;
      }
    }
    load.push(loadavg()[0]!);
    const medians = samples.map(median);
    const ours = medians[0]!;
    const [pgkit, dump] = medians.slice(-2) as [number, number];
    const rows = tools.map((tool, t) => [
      tool.name,
      medians[t]!.toFixed(0),
      `${Math.min(...samples[t]!).toFixed(0)}-${Math.max(...samples[t]!).toFixed(0)}`,
      t === tools.length - 1 ? '-' : String(statements[t]),
    ]);
    const figures: Figure[] = [
      {
        name: `${TABLES}-table diff: @pgkit/migra / db-migrate diff`,
        measured: (pgkit / ours).toFixed(2) + 'x',
        target: 'at least 5x',
        met: pgkit / ours >= 5,
      },
      {
        name: `${TABLES}-table diff: db-migrate diff / pg_dump -s`,
        measured: (ours / dump).toFixed(2) + 'x',
        target: 'within 2x',
        met: ours / dump <= 2,
      },
    ];
    const ratios = figures.map((f) => [f.name, f.measured, f.target, f.met ? 'met' : 'not met']);
    if (BEFORE) {
      const before = medians[1]!;
      ratios.push(
        ['before: @pgkit/migra / db-migrate diff', (pgkit / before).toFixed(2) + 'x', '', ''],
        ['before: db-migrate diff / pg_dump -s', (before / dump).toFixed(2) + 'x', '', ''],
      );
    }

    // Our result must also be right: applied to a copy of `from`, nothing is left to diff.
    const { diff } = require('../packages/core/src/diff') as typeof import('../packages/core/src/diff');
    await sql(admin, 'CREATE DATABASE bench_check TEMPLATE bench_from');
    const check = withDatabase(admin, 'bench_check');
    // The plain forms (online: false) all run in one transaction; the online forms need several.
    const planned = (await diff(check, to, { withPrivileges: true, online: false })).statements;
    await sql(check, 'BEGIN;\n' + planned.map((s) => s.sql + ';').join('\n') + '\nCOMMIT;');
    const left = (await diff(check, to, { withPrivileges: true, online: false })).statements.length;

    const text = [
      `${TABLES} tables, ~5 % changed; whole processes, ${RUNS} runs each in turns, medians; ` +
        `load average ${load.map((l) => l.toFixed(1)).join(' -> ')} (1 min, start -> end) on ${cpus().length} cores`,
      '',
      markdownTable(['tool', 'wall (ms)', 'range (ms)', 'statements (n)'], rows),
      '',
      markdownTable(['ratio', 'measured', 'target', ''], ratios),
      '',
      `db-migrate diff applied to a copy of the first database leaves ${left} statement(s) to diff.`,
    ].join('\n');
    return { text, figures };
  } finally {
    await server.stop();
  }
}

if (require.main === module) {
  run().then(({ text }) => process.stdout.write(text + '\n'));
}
