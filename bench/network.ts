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
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { applyFleet } from '../packages/core/src/fleet/apply';
import { mapWithConcurrency } from '../packages/core/src/fleet/pool';
import { resolveTargets } from '../packages/core/src/fleet/targets';
import { silentLogger } from '../packages/core/src/logger';
import { readMigrationDir } from '../packages/core/src/migrations/store';
import { startLocalServer } from '../packages/core/src/postgres-server/local-server';
import { provisionFleet, writeMigrations } from './fleet';
import { type DelayProxy, startDelayProxy } from './proxy';
import { markdownTable, runChild, runTypeScriptChild } from './support';

const RTT_MS = Number(process.env.BENCH_RTT_MS ?? 20);
const DBS = Number(process.env.BENCH_NETWORK_DBS ?? 60);
const CONCURRENCY = 8;
const SQL_MIGRATE = '/usr/bin/sql-migrate';

interface ChildSpec {
  readonly dir: string;
  readonly shadow: string;
  readonly urls: readonly string[];
}

interface ChildFigures {
  readonly wallMs: number;
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
  const report = await applyFleet({
    set,
    targets,
    shadow: spec.shadow,
    concurrency: CONCURRENCY,
    logger: silentLogger,
  });
  const wallMs = performance.now() - started;
  const failed = report.targets.find((t) => t.status === 'failed');
  if (failed) throw new Error(`${failed.name}: ${failed.error}`);
  const outcome = Object.entries(report.counts)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  return { wallMs, outcome, connections: report.connections?.opened ?? 0 };
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

export async function run(): Promise<string> {
  const server = await startLocalServer({ postgresVersion: 15 });
  const work = mkdtempSync(join(tmpdir(), 'db-migrate-bench-network-'));
  const proxies: DelayProxy[] = [];
  try {
    const dir = writeMigrations(work);
    const rtts = [...new Set([0, RTT_MS])];
    const names = rtts.flatMap((rtt) =>
      ['ours', 'bare'].flatMap((who) => Array.from({ length: DBS }, (_, i) => `net_${rtt}_${who}_${i}`)),
    );
    const urls = await provisionFleet(server.adminUrl, dir, names);
    const fleet = (rtt: number, who: string) => urls.filter((_, i) => names[i]!.startsWith(`net_${rtt}_${who}_`));

    const rows: string[][] = [];
    const ratios: string[] = [];
    const port = Number(new URL(server.adminUrl).port);
    for (const rtt of rtts) {
      const proxy = await startDelayProxy(port, rtt / 2);
      proxies.push(proxy);
      const through = (list: readonly string[]) => list.map((url) => proxy.urlFor(url));

      const specFile = join(work, `spec-${rtt}.json`);
      const spec: ChildSpec = { dir, shadow: server.adminUrl, urls: through(fleet(rtt, 'ours')) };
      writeFileSync(specFile, JSON.stringify(spec));
      proxy.reset();
      const result = await runTypeScriptChild('bench/network.ts', { BENCH_NETWORK_CHILD: specFile }, 600_000);
      if (result.code !== 0) throw new Error(`bench child failed: ${result.stderr.slice(-2000)}`);
      const ours = JSON.parse(result.stdout.trim().split('\n').pop()!) as ChildFigures;
      await proxy.idle();
      const oursSeen = perDatabase(proxy, DBS);

      proxy.reset();
      const bareMs = await bareLoop(dir, through(fleet(rtt, 'bare')), work);
      await proxy.idle();
      const bareSeen = perDatabase(proxy, DBS);

      const label = rtt === 0 ? 'direct (0 ms)' : `${rtt} ms`;
      rows.push(
        [
          `db-migrate apply (checks included)`,
          label,
          (ours.wallMs / 1000).toFixed(2),
          oursSeen.roundTrips.toFixed(1),
          oursSeen.connections.toFixed(2),
          ours.outcome,
        ],
        [
          `sql-migrate up loop (no check)`,
          label,
          (bareMs / 1000).toFixed(2),
          bareSeen.roundTrips.toFixed(1),
          bareSeen.connections.toFixed(2),
          `${DBS} migrated`,
        ],
      );
      ratios.push(
        `${label}: db-migrate / sql-migrate loop = ${(ours.wallMs / bareMs).toFixed(2)}x wall, ${(oursSeen.roundTrips / bareSeen.roundTrips).toFixed(2)}x round trips`,
      );
    }
    return [
      `${DBS} client databases per run on one local PostgreSQL 15 server (scram), reached through a delaying loopback proxy; versions spread over 0..10`,
      `of the fleet bench's 10-migration schema; ${CONCURRENCY} at a time; db-migrate's expected schemas built on the same server, direct.`,
      '',
      markdownTable(
        ['run', 'round trip', 'wall (s)', 'round trips per DB (n)', 'connections per DB (n)', 'outcome'],
        rows,
      ),
      '',
      ...ratios,
      `(target: at ${RTT_MS} ms, within 1.5x of the sql-migrate loop)`,
    ].join('\n');
  } finally {
    await Promise.all(proxies.map((p) => p.close()));
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
