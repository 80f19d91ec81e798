/**
 * `pnpm bench startup`: how long a person waits for the CLI to start, whole processes, side by side:
 * `node -e 0` (the floor), `db-migrate --version`, `db-migrate help`, and a diff of two empty databases
 * on a throwaway local server, each run BENCH_RUNS times (default 15) in turns, medians of wall time and
 * of CPU time (user + system, read by GNU time: less sensitive than wall time to a busy machine).
 * The CLI is the built bundle (packages/cli/dist/index.js: `pnpm build` first), run with the same node as
 * the bench. The first run of each command is left out (it fills Node's compile cache).
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../packages/core/src/logger';
import { connectDatabase } from '../packages/core/src/pg/connect';
import { startLocalServer } from '../packages/core/src/postgres-server/local-server';
import { markdownTable, median, runChild } from './support';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const CLI = join(__dirname, '..', 'packages/cli/dist/index.js');
const TIME = '/usr/bin/time';

interface Case {
  readonly name: string;
  readonly args: readonly string[];
}

/** One whole process under GNU time: wall and CPU seconds. */
async function timed(args: readonly string[]): Promise<{ wallMs: number; cpuMs: number }> {
  const result = await runChild(TIME, ['-f', 'TIME %e %U %S', process.execPath, ...args], {}, 60_000);
  const match = /TIME ([\d.]+) ([\d.]+) ([\d.]+)\s*$/.exec(result.stderr);
  if (result.code !== 0 || !match)
    throw new Error(`node ${args.join(' ')} failed (${result.code}): ${result.stderr.trim().slice(-400)}`);
  return { wallMs: Number(match[1]) * 1000, cpuMs: (Number(match[2]) + Number(match[3])) * 1000 };
}

export async function run(): Promise<string> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run pnpm build first`);
  if (!existsSync(TIME)) throw new Error(`${TIME} is missing (Debian package time)`);
  const server = await startLocalServer({ logger: silentLogger });
  try {
    const admin = await connectDatabase(server.adminUrl);
    await admin.query('CREATE DATABASE startup_a');
    await admin.query('CREATE DATABASE startup_b');
    await admin.end();
    const url = (db: string) => server.adminUrl.replace(/\/postgres(\?|$)/, `/${db}$1`);
    const cases: Case[] = [
      { name: 'node -e 0', args: ['-e', '0'] },
      { name: 'db-migrate --version', args: [CLI, '--version'] },
      { name: 'db-migrate help', args: [CLI, 'help'] },
      { name: 'db-migrate diff (two empty databases)', args: [CLI, 'diff', url('startup_a'), url('startup_b')] },
    ];
    const samples = cases.map(() => ({ wall: [] as number[], cpu: [] as number[] }));
    const load = [loadavg()[0]!];
    for (const c of cases) await timed(c.args);
    // In turns, so that a busy moment of the machine falls on every case alike.
    for (let i = 0; i < RUNS; i++) {
      for (const [index, c] of cases.entries()) {
        const { wallMs, cpuMs } = await timed(c.args);
        samples[index]!.wall.push(wallMs);
        samples[index]!.cpu.push(cpuMs);
      }
    }
    load.push(loadavg()[0]!);
    const floor = { wall: median(samples[0]!.wall), cpu: median(samples[0]!.cpu) };
    const rows = cases.map((c, i) => {
      const wall = median(samples[i]!.wall);
      const cpu = median(samples[i]!.cpu);
      return [
        c.name,
        String(Math.round(wall)),
        (wall / floor.wall).toFixed(1),
        String(Math.round(cpu)),
        (cpu / floor.cpu).toFixed(1),
        i === 0 ? '' : wall / floor.wall <= 2 ? 'met' : 'not met',
      ];
    });
    return [
      `${RUNS} runs each in turns, medians; node ${process.version}; load average ` +
        `${load.map((l) => l.toFixed(1)).join(' -> ')} (1 min, start -> end) on ${cpus().length} cores`,
      '',
      markdownTable(
        ['command', 'wall (ms)', 'wall / node -e 0 (x)', 'CPU (ms)', 'CPU / node -e 0 (x)', 'target: wall within 2x'],
        rows,
      ),
    ].join('\n');
  } finally {
    await server.stop();
  }
}

if (require.main === module) {
  run().then(
    (text) => process.stdout.write(text + '\n'),
    (error: unknown) => {
      process.stderr.write(`bench startup: ${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
