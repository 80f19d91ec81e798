/**
 * Fleet apply over the network: one database instance per client, across regions.
 *
 * Every target is reached through a loopback TCP proxy (bench/proxy.ts) that delays each chunk by half
 * the round trip each way (BENCH_RTT_MS, default 20 ms; 0 runs alongside as the direct case). Two copies
 * of a fleet of BENCH_NETWORK_DBS (default 60) databases on one local server (password auth, scram),
 * versions spread over 0..10 of the fleet bench's 10-migration schema (bench/fleet.ts):
 *   - `db-migrate apply` (a fresh node process, 8 at a time): lock, version, drift check against the
 *     expected schema (built on the same server, direct, as a workflow `services:` container would be),
 *     the migrations, the after-check;
 *   - the bare way users would use instead: `sql-migrate up` per database, 8 at a time, no check at all.
 * Reported per run: wall time, and per database (from the proxy) round trips and connections.
 *
 * Run: pnpm bench network      BENCH_RTT_MS=20 BENCH_NETWORK_DBS=60 to change them.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { applyFleet } from '../packages/core/src/fleet/apply';
import { mapWithConcurrency } from '../packages/core/src/fleet/pool';
import { resolveTargets } from '../packages/core/src/fleet/targets';
import { silentLogger } from '../packages/core/src/logger';
import { formatMigrationFile, type MigrationFileContent } from '../packages/core/src/migrations/format';
import { readMigrationDir } from '../packages/core/src/migrations/store';
import { connectDatabase } from '../packages/core/src/pg/connect';
import { startLocalServer } from '../packages/core/src/postgres-server/local-server';
import { provisionFleet, siblingUrl, VERSIONS, writeMigrations } from './fleet';
import { type DelayProxy, startDelayProxy } from './proxy';
import type { BenchResult, Figure } from './figures';
import { markdownTable, median, runChild, runTypeScriptChild } from './support';

const RTT_MS = Number(process.env.BENCH_RTT_MS ?? 20);
const DBS = Number(process.env.BENCH_NETWORK_DBS ?? 60);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** `small,large` (default); `small` alone skips the large run (the nothing-pending run comes with the small one). */
const SCENARIOS = (process.env.BENCH_NETWORK_RUNS ?? 'small,large').split(',');
const CONCURRENCY = 8;
const SQL_MIGRATE = '/usr/bin/sql-migrate';

interface ChildSpec {
  readonly dir: string;
  readonly shadow: string;
  readonly urls: readonly string[];
}

interface ChildFigures {
  readonly wallMs: number;
  /** CPU time of the apply process during the run (user + system); absent from an older checkout's child. */
  readonly cpuMs?: number;
  readonly outcome: string;
  readonly connections: number;
}

/** Child mode: one db-migrate apply over the fleet, figures as JSON on stdout. */
async function child(spec: ChildSpec): Promise<ChildFigures> {
  const set = await readMigrationDir(spec.dir);
  const targets = resolveTargets(
    spec.urls.map((url, i) => ({ name: `client-${i}`, url, groups: [], origin: 'bench' })),
    {},
  );
  const started = performance.now();
  const cpu = process.cpuUsage();
  const report = await applyFleet({
    set,
    targets,
    shadow: spec.shadow,
    concurrency: CONCURRENCY,
    logger: silentLogger,
  });
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const failed = report.targets.find((t) => t.status === 'failed');
  if (failed) throw new Error(`${failed.name}: ${failed.error}`);
  const outcome = Object.entries(report.counts)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  return { wallMs, cpuMs: (used.user + used.system) / 1000, outcome, connections: report.connections?.opened ?? 0 };
}

/** `sql-migrate up` on every database, 8 at a time, each a process of its own. */
async function bareLoop(dir: string, urls: readonly string[], work: string): Promise<number> {
  const config = join(work, 'dbconfig.yml');
  // The datasource comes from the environment (sql-migrate expands it): no password on disk.
  writeFileSync(config, `bench:\n  dialect: postgres\n  datasource: \${BENCH_DSN}\n  dir: ${dir}\n`);
  const started = performance.now();
  await mapWithConcurrency(urls, CONCURRENCY, async (url) => {
    const result = await runChild(SQL_MIGRATE, ['up', `-config=${config}`, '-env=bench'], {
      BENCH_DSN: `${url}?sslmode=disable`,
    });
    if (result.code !== 0) throw new Error(`sql-migrate up failed: ${result.stderr}${result.stdout}`);
  });
  return performance.now() - started;
}

/** Round trips and connections per database the proxy saw since its last reset. */
function perDatabase(proxy: DelayProxy, count: number): { roundTrips: number; connections: number } {
  const seen = proxy.connections.filter((c) => c.database !== 'postgres');
  return { roundTrips: seen.reduce((sum, c) => sum + c.roundTrips, 0) / count, connections: seen.length / count };
}

/** Three small migrations: what a typical release brings. */
const SMALL_MIGRATIONS: readonly [string, MigrationFileContent][] = [
  [
    '0001_notes.sql',
    { up: ['CREATE TABLE notes (id bigserial PRIMARY KEY, body text NOT NULL)'], down: ['DROP TABLE notes'] },
  ],
  [
    '0002_notes_author.sql',
    { up: ['ALTER TABLE notes ADD COLUMN author text'], down: ['ALTER TABLE notes DROP COLUMN author'] },
  ],
  [
    '0003_notes_author_index.sql',
    { up: ['CREATE INDEX notes_author ON notes (author)'], down: ['DROP INDEX notes_author'] },
  ],
];

interface Scenario {
  readonly name: string;
  readonly dir: string;
  /** The template each database of run `r` (and side) is copied from, by index. */
  readonly template: (i: number) => string;
}

interface Measured {
  readonly wallMs: number;
  readonly cpuMs?: number;
  readonly roundTrips: number;
  readonly connections: number;
  readonly outcome: string;
}

/** Copies `template(i)` into each name (four at a time; nobody is connected to a template). */
async function copyDatabases(
  adminUrl: string,
  names: readonly string[],
  template: (i: number) => string,
): Promise<string[]> {
  const admins = await Promise.all([0, 1, 2, 3].map(() => connectDatabase(adminUrl)));
  try {
    await mapWithConcurrency(names, admins.length, async (name, i) => {
      await admins[i % admins.length]!.query(`CREATE DATABASE ${name} TEMPLATE ${template(i)}`);
    });
  } finally {
    await Promise.all(admins.map((c) => c.end()));
  }
  return names.map((name) => siblingUrl(adminUrl, name));
}

async function dropDatabases(adminUrl: string, names: readonly string[]): Promise<void> {
  const admin = await connectDatabase(adminUrl);
  try {
    for (const name of names) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Another checkout whose apply runs beside this one's (before/after a change): BENCH_COMPARE_TREE=/path. */
const COMPARE_TREE = process.env.BENCH_COMPARE_TREE;

async function measureOurs(proxy: DelayProxy, work: string, spec: ChildSpec, tree?: string): Promise<Measured> {
  const specFile = join(work, 'spec.json');
  writeFileSync(specFile, JSON.stringify(spec));
  proxy.reset();
  const env = { BENCH_NETWORK_CHILD: specFile };
  const result = tree
    ? await runChild(
        process.execPath,
        ['-r', join(tree, 'scripts/register-ts.js'), join(tree, 'bench/network.ts')],
        env,
        600_000,
      )
    : await runTypeScriptChild('bench/network.ts', env, 600_000);
  if (result.code !== 0) throw new Error(`bench child failed: ${result.stderr.slice(-2000)}`);
  const ours = JSON.parse(result.stdout.trim().split('\n').pop()!) as ChildFigures;
  await proxy.idle();
  return {
    wallMs: ours.wallMs,
    ...(ours.cpuMs !== undefined ? { cpuMs: ours.cpuMs } : {}),
    ...perDatabase(proxy, spec.urls.length),
    outcome: ours.outcome,
  };
}

async function measureBare(proxy: DelayProxy, work: string, dir: string, urls: readonly string[]): Promise<Measured> {
  proxy.reset();
  const wallMs = await bareLoop(dir, urls, work);
  await proxy.idle();
  return { wallMs, ...perDatabase(proxy, urls.length), outcome: `${urls.length} up` };
}

export async function run(): Promise<BenchResult> {
  const server = await startLocalServer({ postgresVersion: 15 });
  const work = mkdtempSync(join(tmpdir(), 'db-migrate-bench-network-'));
  const proxy = await startDelayProxy(Number(new URL(server.adminUrl).port), RTT_MS / 2);
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
  const loadAtStart = load();
  try {
    // The large run: the fleet bench's 10 migrations, databases spread over versions 0..10.
    const largeDir = writeMigrations(work);
    await provisionFleet(server.adminUrl, largeDir, []);
    const smallDir = join(work, 'small');
    mkdirSync(smallDir);
    for (const [name, content] of SMALL_MIGRATIONS) writeFileSync(join(smallDir, name), formatMigrationFile(content));
    const admin = await connectDatabase(server.adminUrl);
    await admin.query('CREATE DATABASE template_small TEMPLATE template0');
    await admin.end();
    const scenarios: Scenario[] = [
      { name: 'small', dir: smallDir, template: () => 'template_small' },
      { name: 'large', dir: largeDir, template: (i: number) => `template_v${i % (VERSIONS + 1)}` },
    ].filter((scenario) => SCENARIOS.includes(scenario.name));
    const measured = new Map<string, Measured[]>();
    const add = (key: string, m: Measured) => {
      measured.set(key, [...(measured.get(key) ?? []), m]);
      process.stderr.write(`network: ${key} ${(m.wallMs / 1000).toFixed(2)} s (load ${load()})\n`);
    };
    for (let r = 0; r < RUNS; r++) {
      for (const scenario of scenarios) {
        const names = (who: string) => Array.from({ length: DBS }, (_, i) => `net_${scenario.name}_${who}_${r}_${i}`);
        const ours = (await copyDatabases(server.adminUrl, names('ours'), scenario.template)).map((u) =>
          proxy.urlFor(u),
        );
        const bare = (await copyDatabases(server.adminUrl, names('bare'), scenario.template)).map((u) =>
          proxy.urlFor(u),
        );
        const other = COMPARE_TREE
          ? (await copyDatabases(server.adminUrl, names('other'), scenario.template)).map((u) => proxy.urlFor(u))
          : [];
        const spec: ChildSpec = { dir: scenario.dir, shadow: server.adminUrl, urls: ours };
        const otherSpec: ChildSpec = { ...spec, urls: other };
        // Turns alternate, so a busy moment of the machine does not always fall on the same side.
        const turns = async (prefix: string) => {
          const sides = [
            async () => add(`${prefix}:ours`, await measureOurs(proxy, work, spec)),
            async () => add(`${prefix}:bare`, await measureBare(proxy, work, scenario.dir, bare)),
            ...(COMPARE_TREE
              ? [async () => add(`${prefix}:other`, await measureOurs(proxy, work, otherSpec, COMPARE_TREE))]
              : []),
          ];
          for (const side of r % 2 === 0 ? sides : [...sides].reverse()) await side();
        };
        await turns(scenario.name);
        // The small run's fleets are now at the latest version: the nothing-pending run.
        if (scenario.name === 'small') await turns('pending');
        await dropDatabases(server.adminUrl, [
          ...names('ours'),
          ...names('bare'),
          ...(COMPARE_TREE ? names('other') : []),
        ]);
      }
    }
    const medianOf = (key: string) => {
      const runs = measured.get(key)!;
      const pick = (f: (m: Measured) => number) => median(runs.map(f));
      return {
        wallMs: pick((m) => m.wallMs),
        runs: runs.map((m) => (m.wallMs / 1000).toFixed(2)).join(', '),
        roundTrips: pick((m) => m.roundTrips),
        connections: pick((m) => m.connections),
        cpu: runs.every((m) => m.cpuMs !== undefined) ? (pick((m) => m.cpuMs!) / 1000).toFixed(2) : '-',
        outcome: runs[runs.length - 1]!.outcome,
        each: runs,
      };
    };
    /** Each run's ratio of `a` to `b` (the sides ran in turns, so a run's ratio shares its load). */
    const perRun = (a: ReturnType<typeof medianOf>, b: ReturnType<typeof medianOf>) =>
      a.each.map((m, i) => `${(m.wallMs / b.each[i]!.wallMs).toFixed(2)}x`).join(', ');
    const rows: string[][] = [];
    const ratios: string[] = [];
    const figures: Figure[] = [];
    const runs: { key: string; label: string; target: string }[] = [
      { key: 'small', label: `small: ${DBS} DBs at version 0, 3 small migrations`, target: 'within 1.5x' },
      ...(SCENARIOS.includes('large')
        ? [{ key: 'large', label: `large: ${DBS} DBs over versions 0..10 of 10 migrations`, target: 'within 1.5x' }]
        : []),
      { key: 'pending', label: `nothing pending: the small run's ${DBS} DBs again`, target: 'within 1.5x' },
    ];
    for (const { key, label, target } of runs) {
      const ours = medianOf(`${key}:ours`);
      const bare = medianOf(`${key}:bare`);
      const other = COMPARE_TREE ? medianOf(`${key}:other`) : undefined;
      const sides: [string, ReturnType<typeof medianOf>][] = [
        ['db-migrate apply (checks included)', ours],
        ['sql-migrate up loop (no check)', bare],
        ...(other ? [[`db-migrate apply of ${COMPARE_TREE}`, other] as [string, typeof other]] : []),
      ];
      for (const [who, m] of sides)
        rows.push([
          label,
          who,
          (m.wallMs / 1000).toFixed(2),
          m.runs,
          m.cpu,
          m.roundTrips.toFixed(1),
          m.connections.toFixed(2),
          m.outcome,
        ]);
      const ratio = ours.wallMs / bare.wallMs;
      const short = `fleet apply at ${RTT_MS} ms RTT, ${key === 'pending' ? 'nothing pending' : key} (${DBS} DBs)`;
      figures.push(
        {
          name: `${short}: db-migrate / sql-migrate loop, wall`,
          measured: `${ratio.toFixed(2)}x`,
          target,
          met: ratio <= 1.5,
        },
        {
          name: `${short}: round trips per DB, db-migrate vs the loop`,
          measured: `${ours.roundTrips.toFixed(1)} vs ${bare.roundTrips.toFixed(1)}`,
          target: '-',
        },
        ...(other
          ? [
              {
                name: `${short}: ${COMPARE_TREE} / sql-migrate loop, wall (before)`,
                measured: `${(other.wallMs / bare.wallMs).toFixed(2)}x`,
                target: '-',
              },
            ]
          : []),
      );
      ratios.push(
        `${label}: db-migrate / sql-migrate loop = ${ratio.toFixed(2)}x wall (target: ${target}, ${ratio <= 1.5 ? 'met' : 'not met'}; each run ${perRun(ours, bare)}), ${(ours.roundTrips / bare.roundTrips).toFixed(2)}x round trips` +
          (other
            ? `; ${COMPARE_TREE} / sql-migrate loop = ${(other.wallMs / bare.wallMs).toFixed(2)}x wall (each run ${perRun(other, bare)}), ${(other.roundTrips / bare.roundTrips).toFixed(2)}x round trips`
            : ''),
      );
    }
    const text = [
      `${DBS} client databases per run on one local PostgreSQL 15 server (scram), reached through a loopback proxy adding ${RTT_MS} ms a round trip;`,
      `${CONCURRENCY} at a time; db-migrate's shadow databases on the same server, direct. ${RUNS} runs of each, in turns, medians.`,
      `load average (1, 5, 15 min) at the start: ${loadAtStart}; at the end: ${load()}`,
      '',
      markdownTable(
        [
          'run',
          'tool',
          'wall (s)',
          'runs (s)',
          'CPU of apply (s)',
          'round trips per DB (n)',
          'connections per DB (n)',
          'outcome',
        ],
        rows,
      ),
      '',
      ...ratios,
    ].join('\n');
    return { text, figures };
  } finally {
    await proxy.close();
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module && process.env.BENCH_NETWORK_CHILD) {
  const spec = JSON.parse(readFileSync(process.env.BENCH_NETWORK_CHILD, 'utf8')) as ChildSpec;
  child(spec).then(
    (figures) => process.stdout.write(JSON.stringify(figures) + '\n'),
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? error}\n`);
      process.exitCode = 1;
    },
  );
}
