/**
 * Child of bench/online.ts: steady application traffic on one database, in a process of its own so
 * that the migration's CPU work in the parent never delays a query's clock.
 *
 * BENCH_URL database, BENCH_CONNECTIONS connections (default 40), BENCH_QPS queries per second in all
 * (default 100), ids drawn from 1..BENCH_MAX_ID: half `SELECT ... WHERE id = $1`, half
 * `UPDATE ... SET hits = hits + 1 WHERE id = $1` on public.big. Bounded: it stops after
 * BENCH_TRAFFIC_MAX_S seconds (default 3600) or when its stdin closes.
 *
 * Open loop, as an application's request stream: each connection has its queries scheduled every
 * BENCH_CONNECTIONS / BENCH_QPS seconds; a query's latency runs from its scheduled time, so the queries
 * that pile up behind one that waits on a lock count their wait too.
 *
 * Protocol: prints `{"pids":[...]}` once connected; each `report` line on stdin prints the latencies of
 * the queries since the previous report (queries due but not finished count with their time so far).
 */
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import type { Client } from 'pg';
import { connectDatabase } from '../packages/core/src/pg/connect';

export interface TrafficWindow {
  readonly queries: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Queries that took (or have been running) more than 1 s. */
  readonly over1s: number;
  readonly failed: number;
  readonly firstError?: string;
}

const url = process.env.BENCH_URL!;
const connections = Number(process.env.BENCH_CONNECTIONS ?? 40);
const qps = Number(process.env.BENCH_QPS ?? 100);
const maxId = Number(process.env.BENCH_MAX_ID ?? 1000);
const maxSeconds = Number(process.env.BENCH_TRAFFIC_MAX_S ?? 3600);

let done: number[] = [];
let failed = 0;
let firstError: string | undefined;
/** Per connection, the scheduled time of its first query not finished yet. */
const due: number[] = [];
const period = (connections / qps) * 1000;
let stopping = false;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function report(): TrafficWindow {
  const now = performance.now();
  const pending: number[] = [];
  for (const first of due) for (let at = first; at <= now; at += period) pending.push(now - at);
  const times = [...done, ...pending].sort((a, b) => a - b);
  const window: TrafficWindow = {
    queries: times.length,
    p50Ms: percentile(times, 50),
    p99Ms: percentile(times, 99),
    maxMs: times.at(-1) ?? 0,
    over1s: times.filter((t) => t > 1000).length,
    failed,
    ...(firstError ? { firstError } : {}),
  };
  done = [];
  failed = 0;
  firstError = undefined;
  return window;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function loop(client: Client, index: number): Promise<void> {
  let next = performance.now() + (period * index) / connections;
  for (let i = 0; !stopping; i++) {
    due[index] = next;
    await sleep(Math.max(0, next - performance.now()));
    if (stopping) break;
    const id = 1 + Math.floor(Math.random() * maxId);
    try {
      if (i % 2 === 0) await client.query('SELECT id, hits FROM public.big WHERE id = $1', [id]);
      else await client.query('UPDATE public.big SET hits = hits + 1 WHERE id = $1', [id]);
      done.push(performance.now() - next);
    } catch (error) {
      failed++;
      firstError ??= (error as Error).message;
    }
    // The next query is due one period after this one was, however long this one took.
    next += period;
  }
  due[index] = Infinity;
}

async function main(): Promise<void> {
  const clients: Client[] = [];
  for (let i = 0; i < connections; i++) {
    const client = await connectDatabase(url);
    // The application's own bound on a query: none reaches it unless something is badly wrong.
    await client.query("SET statement_timeout = '120s'");
    clients.push(client);
  }
  const pids = clients.map((c) => (c as unknown as { processID: number }).processID);
  process.stdout.write(JSON.stringify({ pids }) + '\n');
  const loops = clients.map((c, i) => loop(c, i));
  const stop = () => (stopping = true);
  const bound = setTimeout(stop, maxSeconds * 1000);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() === 'report') process.stdout.write(JSON.stringify(report()) + '\n');
    if (line.trim() === 'quit') stop();
  });
  lines.on('close', stop);
  await Promise.all(loops);
  clearTimeout(bound);
  lines.close();
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
}

main().catch((error: unknown) => {
  process.stderr.write(`online-traffic: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
