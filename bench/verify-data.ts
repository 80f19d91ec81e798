/**
 * What verify's data check adds to verify of the example's 8 migrations (examples/sqlalchemy-fleet):
 * the SQLAlchemy history replayed into a real git repository, one migration per commit written by the
 * real `create`, then verify of all 8 as new (no base ref: from empty, every Down back to empty) with and
 * without the data check, alternating, on one local PostgreSQL 15 server. Target: at most 2 s added.
 *
 * Run: pnpm bench verify-data      BENCH_RUNS=5 to change the sample size (default 3).
 * BENCH_PROFILE=1 prints where the time of the last run of each kind went (verify's debug timings).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createMigration } from '../packages/core/src/create';
import { type Logger, silentLogger } from '../packages/core/src/logger';
import { openShadowServer } from '../packages/core/src/shadow';
import { startLocalServer } from '../packages/core/src/postgres-server/local-server';
import { verifyMigrations, type VerifyReport } from '../packages/core/src/verify';
import { markdownTable, median } from './support';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PROFILE = process.env.BENCH_PROFILE === '1';

/** Collects verify's debug lines (step timings), each with the time since the run started. */
function profilingLogger(lines: string[]): Logger {
  const started = performance.now();
  return {
    ...silentLogger,
    debug: (m) => lines.push(`  +${String(Math.round(performance.now() - started)).padStart(5)} ms  ${m}`),
  };
}
const example = join(__dirname, '../examples/sqlalchemy-fleet');
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';

export async function run(): Promise<string> {
  const server = await startLocalServer({ postgresVersion: 15 });
  const work = mkdtempSync(join(tmpdir(), 'db-migrate-bench-verify-data-'));
  const repo = join(work, 'schema-repo');
  const shadow = await openShadowServer(server.adminUrl, { postgresVersion: 15, logger: silentLogger });
  try {
    // Not measured: the example's history, one migration per schema commit.
    mkdirSync(join(repo, 'migrations'), { recursive: true });
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', repo, '-c', 'user.name=bench', '-c', 'user.email=bench@example.com', ...args], {
        stdio: 'ignore',
      });
    git('init', '-q', '-b', 'main');
    const source = { repoDir: repo, schemaDir: 'schema', command: `${PYTHON} -m db_schema.create_all` };
    const steps = readdirSync(join(example, 'history'))
      .filter((s) => /^\d\d-/.test(s))
      .sort();
    for (const step of steps) {
      execFileSync(join(example, 'replay-history.sh'), [repo, step], { stdio: 'ignore' });
      const created = await createMigration({
        source,
        migrationsDir: join(repo, 'migrations'),
        shadow: server.adminUrl,
        logger: silentLogger,
      });
      if (created.outcome !== 'created') throw new Error(`create made no migration at ${step}`);
      git('add', 'migrations');
      git('commit', '-q', '-m', `migration for ${step}`);
    }

    const profiles: Record<string, string[]> = {};
    const verify = (dataCheck: boolean, logger: Logger = silentLogger) =>
      verifyMigrations({ source, migrationsDir: join(repo, 'migrations'), shadow, dataCheck, logger });
    const timed = async (dataCheck: boolean): Promise<{ ms: number; report: VerifyReport }> => {
      const lines: string[] = [];
      profiles[dataCheck ? 'with the data check' : 'without the data check'] = lines;
      const started = performance.now();
      const report = await verify(dataCheck, PROFILE ? profilingLogger(lines) : silentLogger);
      return { ms: performance.now() - started, report };
    };
    await verify(true); // warm-up: the python imports, the server's caches
    const without: number[] = [];
    const withData: number[] = [];
    let last: VerifyReport | undefined;
    for (let i = 0; i < RUNS; i++) {
      without.push((await timed(false)).ms);
      const measured = await timed(true);
      withData.push(measured.ms);
      last = measured.report;
    }
    const data = last!.checks.find((c) => c.name === 'data')!;
    // The check's own verdict is printed, not required: the time is what is measured.
    const findings = data.findings
      .map((f) => `  ${f.level}: ${f.message.replace(/^\S+\/migrations\//, '')}`)
      .join('\n');
    const a = median(without);
    const b = median(withData);
    const table = markdownTable(
      ["verify of the example's 8 migrations", 'median (ms)', 'runs (ms)'],
      [
        ['without the data check', a.toFixed(0), without.map((m) => m.toFixed(0)).join(', ')],
        ['with the data check', b.toFixed(0), withData.map((m) => m.toFixed(0)).join(', ')],
        ['added by the data check', (b - a).toFixed(0), `${(b / a).toFixed(2)}x verify; target: at most 2000 ms added`],
      ],
    );
    const profile = PROFILE
      ? Object.entries(profiles)
          .map(([kind, lines]) => `\nprofile of the last run ${kind}:\n${lines.join('\n')}`)
          .join('\n')
      : '';
    return `${table}\n\ndata check: ${data.status} - ${data.summary}\n${findings}\n${RUNS} runs each, alternating, after one warm-up run.${profile}`;
  } finally {
    await shadow.close();
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  run().then((text) => process.stdout.write(text + '\n'));
}
