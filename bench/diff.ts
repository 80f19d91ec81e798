/**
 * Schema diff: our differ against @pgkit/migra on the same pair of databases, with `pg_dump -s` of one side
 * as the floor (reading a catalog cannot be much cheaper than dumping it).
 *
 * The pair: a generated schema of BENCH_TABLES tables (default 400) with enums, identity keys, foreign keys,
 * checks, indexes, views and SQL functions, and a copy where about 5 % of the tables changed (columns added,
 * retyped, indexes added and dropped, a view and a function changed, an enum value added, a table dropped
 * and one added). Both load on a throwaway local server (startLocalServer).
 *
 * Each measurement is a fresh node process doing one diff, as the CLI would: the time is the diff call alone
 * (connect, introspect, compare), the memory is the child's peak RSS and its growth during the call.
 * Our result is also applied to a copy of the first database to check that it converges.
 *
 * Run: pnpm bench diff      BENCH_RUNS=5 BENCH_TABLES=400 to change the sample size and the schema size.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connectDatabase } from '../packages/core/src/pg/connect';
import { startLocalServer } from '../packages/core/src/postgres-server/local-server';
import { MiB, markdownTable, median, runChild, runTypeScriptChild } from './support';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TABLES = Number(process.env.BENCH_TABLES ?? 400);

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

interface ChildFigures {
  readonly ms: number;
  readonly maxRss: number;
  readonly rssBefore: number;
  readonly statements: number;
}

/** Child mode: one diff by one tool, figures printed as JSON on the last line. */
async function child(tool: string, from: string, to: string): Promise<void> {
  let load: () => Promise<number>;
  if (tool === 'ours') {
    const { diff } = require('../packages/core/src/diff') as typeof import('../packages/core/src/diff');
    load = async () => (await diff(from, to, { withPrivileges: true })).statements.length;
  } else {
    const { run } = require('@pgkit/migra') as {
      run: (a: string, b: string, o: object) => Promise<{ statements: unknown[] }>;
    };
    load = async () => (await run(from, to, { unsafe: true, withPrivileges: true })).statements.length;
  }
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  const statements = await load();
  const ms = performance.now() - started;
  const figures: ChildFigures = { ms, maxRss: process.resourceUsage().maxRSS * 1024, rssBefore, statements };
  process.stdout.write('\n' + JSON.stringify(figures) + '\n');
  // @pgkit/migra leaves its connection pools open: end the process rather than wait for them.
  process.exit(0);
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

export async function run(): Promise<string> {
  const server = await startLocalServer();
  try {
    const admin = server.adminUrl;
    await sql(admin, 'CREATE DATABASE bench_from');
    await sql(admin, 'CREATE DATABASE bench_to');
    const from = withDatabase(admin, 'bench_from');
    const to = withDatabase(admin, 'bench_to');
    await Promise.all([sql(from, schemaSql(TABLES, false)), sql(to, schemaSql(TABLES, true))]);

    const rows: string[][] = [];
    const measure = async (tool: string, label: string) => {
      const samples: ChildFigures[] = [];
      let failure = '';
      for (let i = 0; i < RUNS; i++) {
        const result = await runTypeScriptChild('bench/diff.ts', {
          BENCH_DIFF_CHILD: tool,
          BENCH_FROM: from,
          BENCH_TO: to,
        });
        const last = result.stdout.trim().split('\n').pop() ?? '';
        if (result.code !== 0 || !last.startsWith('{')) {
          failure = (result.stderr.trim().split('\n').pop() ?? `exit ${result.code}`).slice(0, 120);
          break;
        }
        samples.push(JSON.parse(last) as ChildFigures);
      }
      if (!samples.length) {
        rows.push([label, '-', '-', '-', '-', `failed: ${failure}`]);
        return undefined;
      }
      const ms = median(samples.map((s) => s.ms));
      rows.push([
        label,
        ms.toFixed(0),
        (Math.max(...samples.map((s) => s.maxRss)) / MiB).toFixed(0),
        (Math.max(...samples.map((s) => s.maxRss - s.rssBefore)) / MiB).toFixed(0),
        String(samples[0]!.statements),
        `${samples.length} runs`,
      ]);
      return ms;
    };
    const ours = await measure('ours', 'db-migrate diff');
    const pgkit = await measure('pgkit', '@pgkit/migra 0.6.1');

    const parsed = new URL(from);
    const dumpSamples: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const result = await runChild('pg_dump', ['--schema-only', '--no-owner'], {
        PGHOST: parsed.hostname,
        PGPORT: parsed.port,
        PGUSER: 'postgres',
        PGPASSWORD: decodeURIComponent(parsed.password),
        PGDATABASE: 'bench_from',
      });
      if (result.code === 0) dumpSamples.push(result.wallMs);
    }
    rows.push([
      'pg_dump -s (one side)',
      dumpSamples.length ? median(dumpSamples).toFixed(0) : '-',
      '-',
      '-',
      '-',
      `${dumpSamples.length} runs, whole process`,
    ]);

    // What a user runs: the bundled CLI, one whole process (start-up, both catalogs, printing the SQL),
    // its peak RSS from GNU time (%M, KiB), without the TypeScript loader the rows above carry.
    const cliSamples: { ms: number; maxRss: number; statements: number }[] = [];
    if (existsSync('/usr/bin/time')) {
      const cli = join(__dirname, '..', 'packages', 'cli', 'dist', 'index.js');
      for (let i = 0; i < RUNS; i++) {
        const result = await runChild(
          '/usr/bin/time',
          ['-f', '%M', process.execPath, cli, 'diff', from, to, '--with-privileges'],
          {},
        );
        const kib = Number(result.stderr.trim().split('\n').pop());
        if (result.code !== 0 || !Number.isFinite(kib)) break;
        cliSamples.push({
          ms: result.wallMs,
          maxRss: kib * 1024,
          statements: result.stdout.split(/;\n/).filter((t) => t.trim()).length,
        });
      }
    }
    rows.push(
      cliSamples.length
        ? [
            'db-migrate diff CLI (bundled)',
            median(cliSamples.map((c) => c.ms)).toFixed(0),
            (Math.max(...cliSamples.map((c) => c.maxRss)) / MiB).toFixed(0),
            '-',
            String(cliSamples[0]!.statements),
            `${cliSamples.length} runs, whole process`,
          ]
        : [
            'db-migrate diff CLI (bundled)',
            '-',
            '-',
            '-',
            '-',
            'not measured: needs /usr/bin/time (Debian package time)',
          ],
    );

    // Our result must also be right: applied to a copy of `from`, nothing is left to diff.
    const { diff } = require('../packages/core/src/diff') as typeof import('../packages/core/src/diff');
    await sql(admin, 'CREATE DATABASE bench_check TEMPLATE bench_from');
    const check = withDatabase(admin, 'bench_check');
    const { statements } = await diff(check, to, { withPrivileges: true });
    await sql(check, 'BEGIN;\n' + statements.map((s) => s.sql + ';').join('\n') + '\nCOMMIT;');
    const left = (await diff(check, to, { withPrivileges: true })).statements.length;

    const speedup = ours && pgkit ? `${(pgkit / ours).toFixed(1)}x faster than @pgkit/migra` : 'no comparison';
    return [
      `${TABLES} tables, ~5 % changed; diff time excludes node start-up; memory is the child's peak RSS`,
      '',
      markdownTable(['tool', 'time (ms)', 'peak RSS (MiB)', 'RSS growth (MiB)', 'statements (n)', 'note'], rows),
      '',
      `db-migrate diff: ${speedup}; applied to a copy of the first database it leaves ${left} statement(s) to diff.`,
    ].join('\n');
  } finally {
    await server.stop();
  }
}

if (require.main === module && process.env.BENCH_DIFF_CHILD) {
  child(process.env.BENCH_DIFF_CHILD, process.env.BENCH_FROM!, process.env.BENCH_TO!).catch((error: unknown) => {
    process.stderr.write(`bench child: ${(error as Error).message}\n`);
    process.exit(1);
  });
} else if (require.main === module) {
  run().then((table) => process.stdout.write(table + '\n'));
}
