/**
 * Shadow databases: time to a database holding a built schema, per provider available on this machine.
 *
 *   embedded cold start   openShadowServer('embedded') until it accepts a CREATE DATABASE
 *   create empty db       CREATE DATABASE on a running server (the URL provider; embedded is the same)
 *   build schema          buildSchemaAt with SQL files from a real git commit (materialise + load)
 *   template copy         CREATE DATABASE ... TEMPLATE <db holding the built schema>
 *   docker                a postgres container start, when a Docker engine answers (none on the dev machine)
 *
 * Run: node --import ./bench/register.mjs bench/shadow.ts   (or through `pnpm bench`)
 *      BENCH_RUNS=9 BENCH_TABLES=400 to change the sample size and the schema size.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ConfigurationError, errorMessage } from '../packages/core/src/errors';
import { silentLogger } from '../packages/core/src/logger';
import { buildSchemaAt, type SchemaSource } from '../packages/core/src/schema-source';
import { openShadowServer, type ShadowServer, type ShadowDatabase } from '../packages/core/src/shadow';
import { startLocalServer } from '../packages/core/src/postgres-server/local-server';

interface Row {
  readonly step: string;
  readonly provider: string;
  readonly samples: readonly number[];
  readonly note?: string;
}

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TABLES = Number(process.env.BENCH_TABLES ?? 100);

/** A schema of n tables, each with a primary key, a foreign key to the previous one, an index and a check. */
function schemaSql(tables: number): string {
  const parts = ["create type status as enum ('new', 'active', 'closed');"];
  for (let i = 0; i < tables; i++) {
    parts.push(
      `create table t${i} (\n  id bigint generated always as identity primary key,\n  name text not null check (length(name) < 200),\n` +
        `  status status not null default 'new',\n  created_at timestamptz not null default now()` +
        (i > 0 ? `,\n  parent_id bigint references t${i - 1} (id)` : '') +
        `\n);\ncreate index t${i}_name on t${i} (name);`,
    );
  }
  return parts.join('\n') + '\n';
}

/** A real git repository holding the schema as one SQL file. */
function schemaRepo(): { source: SchemaSource; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'db-migrate-bench-repo-'));
  mkdirSync(join(dir, 'schema'));
  writeFileSync(join(dir, 'schema', 'schema.sql'), schemaSql(TABLES));
  const git = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { stdio: 'ignore' });
  git('init', '--quiet', '-b', 'main');
  git('add', '.');
  git('-c', 'user.name=bench', '-c', 'user.email=bench@example.com', 'commit', '--quiet', '-m', 'schema');
  return {
    source: { repoDir: dir, schemaDir: 'schema', sqlFiles: ['schema.sql'] },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function time<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

async function sample(runs: number, fn: () => Promise<number>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(await fn());
  return samples;
}

/** Create-from-scratch, build, and template-copy timings on one server. */
async function onServer(server: ShadowServer, provider: string, source: SchemaSource): Promise<Row[]> {
  const created: ShadowDatabase[] = [];
  const create = await sample(RUNS, async () => {
    const { ms, value } = await time(() => server.createDatabase());
    created.push(value);
    return ms;
  });
  const build = await sample(RUNS, async () => {
    const db = await server.createDatabase();
    created.push(db);
    return (await time(() => buildSchemaAt(source, 'main', db, { logger: silentLogger }))).ms;
  });
  const template = created[created.length - 1];
  const copy = await sample(RUNS, async () => {
    const { ms, value } = await time(() => server.createDatabase({ template }));
    created.push(value);
    return ms;
  });
  for (const db of created) await db.drop();
  return [
    { step: 'create empty db', provider, samples: create },
    { step: `build schema (${TABLES} tables, SQL file)`, provider, samples: build },
    { step: `template copy of built schema`, provider, samples: copy },
  ];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function table(rows: readonly Row[]): string {
  const header = ['step', 'provider', 'median ms', 'min ms', 'max ms', 'runs'];
  const body = rows.map((row) =>
    row.samples.length === 0
      ? [row.step, row.provider, '-', '-', '-', '0']
      : [
          row.step,
          row.provider,
          median(row.samples).toFixed(1),
          Math.min(...row.samples).toFixed(1),
          Math.max(...row.samples).toFixed(1),
          String(row.samples.length),
        ],
  );
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: readonly string[]) =>
    '| ' + cells.map((c, i) => (i >= 2 && i < 5 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ') + ' |';
  const notes = rows.filter((row) => row.note).map((row) => `${row.provider}: ${row.note}`);
  return [line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...body.map(line), ...notes].join(
    '\n',
  );
}

/** The headline: from nothing to a database holding the schema, by each route (sums of medians). */
function summary(rows: readonly Row[]): string {
  const at = (step: string, provider: string) =>
    median(rows.find((r) => r.step.startsWith(step) && r.provider === provider)?.samples ?? [NaN]);
  const routes = [
    ['embedded, cold (start + build)', at('cold start', 'embedded') + at('build schema', 'embedded')],
    ['url server (create + build)', at('create empty', 'url') + at('build schema', 'url')],
    ['template copy of a built db', at('template copy', 'url')],
  ] as const;
  return ['time to a built schema:', ...routes.map(([route, ms]) => `  ${route.padEnd(32)} ${ms.toFixed(0)} ms`)].join(
    '\n',
  );
}

export async function runShadowBench(): Promise<string> {
  const repo = schemaRepo();
  const rows: Row[] = [];
  try {
    // embedded: cold start until the first database exists, then the per-database steps on that server.
    const coldStarts = await sample(Math.min(RUNS, 3), async () => {
      const started = performance.now();
      const server = await openShadowServer('embedded', {});
      await server.createDatabase();
      const ms = performance.now() - started;
      await server.close();
      return ms;
    });
    rows.push({ step: 'cold start + first db', provider: 'embedded', samples: coldStarts });
    const embedded = await openShadowServer('embedded', {});
    try {
      rows.push(...(await onServer(embedded, 'embedded', repo.source)));
    } finally {
      await embedded.close();
    }

    // URL provider: an already running server, as a workflow `services:` container would be.
    const existing = await startLocalServer();
    try {
      const server = await openShadowServer(existing.adminUrl, {});
      try {
        rows.push(...(await onServer(server, 'url', repo.source)));
      } finally {
        await server.close();
      }
    } finally {
      await existing.stop();
    }

    try {
      const started = performance.now();
      const server = await openShadowServer('docker', {});
      await server.createDatabase();
      const ms = performance.now() - started;
      await server.close();
      rows.push({ step: 'container start + first db', provider: 'docker', samples: [ms] });
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      rows.push({
        step: 'container start + first db',
        provider: 'docker',
        samples: [],
        note: `skipped: ${errorMessage(error).replace(/ \(start Docker.*\)$/, '')}`,
      });
    }
  } finally {
    repo.remove();
  }
  return `${table(rows)}\n\n${summary(rows)}`;
}

/** The entry bench/run.ts calls. */
export const run = async (): Promise<string> => `shadow databases (${RUNS} runs each)\n${await runShadowBench()}`;
