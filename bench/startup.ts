/**
 * `pnpm bench startup`: how long a person waits for the CLI to start, whole processes, side by side:
 * `node -e 0` (the floor), `db-migrate --version`, `db-migrate help`, and a diff of two empty databases
 * on a throwaway local server, beside `pg_dump -s` of one of them and @pgkit/migra on the same pair; each
 * run BENCH_RUNS times (default 15) in turns, medians of wall time and of CPU time (user + system, read by
 * GNU time: less sensitive than wall time to a busy machine).
 * The empty-database diff is also split: its start-up share is the time from the process's start to its
 * first connection to the server (read inside the process by a --require hook, performance.now() at the
 * first socket connect), against node -e 0's whole wall time; the rest is the catalog reads and comparison.
 * The CLI is the built bundle (packages/cli/dist/index.js: `pnpm build` first), run with the same node as
 * the bench; BENCH_BEFORE=<a previous checkout holding packages/cli/dist> runs that bundle too, in the same turns.
 * The first run of each command is left out (it writes the entry's code cache).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../packages/core/src/logger';
import { connectDatabase } from '../packages/core/src/pg/connect';
import { startLocalServer } from '../packages/core/src/postgres-server/local-server';
import type { BenchResult, Figure } from './figures';
import { markdownTable, median, runChild } from './support';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const CLI = join(__dirname, '..', 'packages/cli/dist/index.js');
/** A previous build's CLI bundle: BENCH_BEFORE names a checkout (or `git archive` of one) holding packages/cli/dist. */
const BEFORE = process.env.BENCH_BEFORE ? join(process.env.BENCH_BEFORE, 'packages/cli/dist') : undefined;
const TIME = '/usr/bin/time';

/** Written into the diff's process: when it first opened a socket, from the process's start. */
const FIRST_CONNECT_HOOK = `'use strict';
const { Socket } = require('node:net');
let first;
const connect = Socket.prototype.connect;
Socket.prototype.connect = function (...args) {
  if (first === undefined) first = performance.now();
  return connect.apply(this, args);
};
process.on('exit', () => require('node:fs').writeFileSync(process.env.FIRST_CONNECT_REPORT, String(first ?? -1)));
`;

interface Case {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
  /** Also read the time to its first connection (a diff). */
  readonly firstConnect?: boolean;
}

interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly firstConnectMs?: number;
}

/**
 * One whole process under GNU time: wall time read by this process's clock (GNU time's own is in 10 ms
 * steps, too coarse beside node -e 0's 20 ms; its exec adds the same ~1 ms to every case), CPU time from
 * GNU time, and when asked the time to its first connection.
 */
async function timed(c: Case, hook: string, report: string): Promise<Sample> {
  const env = {
    ...c.env,
    ...(c.firstConnect ? { NODE_OPTIONS: `--require ${hook}`, FIRST_CONNECT_REPORT: report } : {}),
  };
  const result = await runChild(TIME, ['-f', 'TIME %e %U %S', c.command, ...c.args], env, 60_000);
  const match = /TIME ([\d.]+) ([\d.]+) ([\d.]+)\s*$/.exec(result.stderr);
  if (result.code !== 0 || !match)
    throw new Error(`${c.name} failed (${result.code}): ${result.stderr.trim().slice(-400)}`);
  return {
    wallMs: result.wallMs,
    cpuMs: (Number(match[2]) + Number(match[3])) * 1000,
    ...(c.firstConnect ? { firstConnectMs: Number(readFileSync(report, 'utf8')) } : {}),
  };
}

export async function run(): Promise<BenchResult> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run pnpm build first`);
  if (!existsSync(TIME)) throw new Error(`${TIME} is missing (Debian package time)`);
  const work = mkdtempSync(join(tmpdir(), 'db-migrate-bench-startup-'));
  const hook = join(work, 'first-connect.js');
  writeFileSync(hook, FIRST_CONNECT_HOOK);
  const server = await startLocalServer({ logger: silentLogger });
  try {
    const admin = await connectDatabase(server.adminUrl);
    await admin.query('CREATE DATABASE startup_a');
    await admin.query('CREATE DATABASE startup_b');
    await admin.end();
    const url = (db: string) => server.adminUrl.replace(/\/postgres(\?|$)/, `/${db}$1`);
    const parsed = new URL(server.adminUrl);
    const migra = `require('@pgkit/migra').run(process.env.BENCH_FROM, process.env.BENCH_TO, { unsafe: true })
      .then((r) => { process.stdout.write(r.sql); process.exit(0); }, (e) => { console.error(e.message); process.exit(1); })`;
    const node = process.execPath;
    const cliCases = (dir: string, label: string): Case[] => [
      { name: `${label}--version`, command: node, args: [join(dir, 'index.js'), '--version'] },
      { name: `${label}help`, command: node, args: [join(dir, 'index.js'), 'help'] },
      {
        name: `${label}diff (two empty databases)`,
        command: node,
        args: [join(dir, 'index.js'), 'diff', url('startup_a'), url('startup_b')],
        firstConnect: true,
      },
    ];
    const cases: Case[] = [
      { name: 'node -e 0', command: node, args: ['-e', '0'] },
      ...cliCases(join(CLI, '..'), 'db-migrate '),
      ...(BEFORE ? cliCases(BEFORE, 'before: db-migrate ') : []),
      {
        name: 'pg_dump -s (one empty database)',
        command: 'pg_dump',
        args: ['--schema-only', '--no-owner'],
        env: {
          PGHOST: parsed.hostname,
          PGPORT: parsed.port,
          PGUSER: decodeURIComponent(parsed.username),
          PGPASSWORD: decodeURIComponent(parsed.password),
          PGDATABASE: 'startup_a',
        },
      },
      {
        name: '@pgkit/migra 0.6.1 (two empty databases)',
        command: node,
        args: ['-e', migra],
        env: { BENCH_FROM: url('startup_a'), BENCH_TO: url('startup_b') },
      },
    ];
    const report = join(work, 'first-connect');
    const samples = cases.map(() => [] as Sample[]);
    const load = [loadavg()[0]!];
    for (const c of cases) await timed(c, hook, report);
    // In turns, so that a busy moment of the machine falls on every case alike.
    for (let i = 0; i < RUNS; i++) {
      for (const [index, c] of cases.entries()) samples[index]!.push(await timed(c, hook, report));
    }
    load.push(loadavg()[0]!);
    const wall = (i: number) => median(samples[i]!.map((s) => s.wallMs));
    const cpu = (i: number) => median(samples[i]!.map((s) => s.cpuMs));
    const firstConnect = (i: number) => median(samples[i]!.map((s) => s.firstConnectMs!));
    const floor = { wall: wall(0), cpu: cpu(0) };
    const index = (name: string) => cases.findIndex((c) => c.name === name);
    const rows = cases.map((c, i) => [
      c.name,
      String(Math.round(wall(i))),
      (wall(i) / floor.wall).toFixed(1),
      String(Math.round(cpu(i))),
      (cpu(i) / floor.cpu).toFixed(1),
      c.firstConnect ? String(Math.round(firstConnect(i))) : '',
    ]);
    const diffCase = index('db-migrate diff (two empty databases)');
    const within2x = (name: string, measured: number): Figure => ({
      name,
      measured: measured.toFixed(1) + 'x',
      target: 'within 2x',
      met: measured <= 2,
    });
    const figures: Figure[] = [
      within2x('--version: wall / node -e 0', wall(index('db-migrate --version')) / floor.wall),
      within2x('help: wall / node -e 0', wall(index('db-migrate help')) / floor.wall),
      within2x('empty-db diff start-up (to first connection) / node -e 0', firstConnect(diffCase) / floor.wall),
      {
        name: 'empty-db diff: wall / pg_dump -s of one empty database',
        measured: (wall(diffCase) / wall(index('pg_dump -s (one empty database)'))).toFixed(1) + 'x',
        target: '-',
      },
      {
        name: 'empty-db diff: @pgkit/migra / db-migrate diff',
        measured: (wall(index('@pgkit/migra 0.6.1 (two empty databases)')) / wall(diffCase)).toFixed(1) + 'x',
        target: '-',
      },
    ];
    const text = [
      `${RUNS} runs each in turns, medians; node ${process.version}; load average ` +
        `${load.map((l) => l.toFixed(1)).join(' -> ')} (1 min, start -> end) on ${cpus().length} cores`,
      '',
      markdownTable(
        ['command', 'wall (ms)', 'wall / node -e 0 (x)', 'CPU (ms)', 'CPU / node -e 0 (x)', 'to first connection (ms)'],
        rows,
      ),
      '',
      markdownTable(
        ['figure', 'measured', 'target', ''],
        figures.map((f) => [f.name, f.measured, f.target, f.met === undefined ? '' : f.met ? 'met' : 'not met']),
      ),
    ].join('\n');
    return { text, figures };
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  run().then(
    ({ text }) => process.stdout.write(text + '\n'),
    (error: unknown) => {
      process.stderr.write(`bench startup: ${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
