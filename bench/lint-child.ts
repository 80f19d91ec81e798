/**
 * One lint run for bench/lint.ts, in its own process: every .sql file of BENCH_DIR, Up and Down. Prints
 * JSON: the findings that are not notes, and the milliseconds of loading the parser and of the lint itself.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { lintMigrations } from '../packages/core/src/lint';
import { parseMigrationFile } from '../packages/core/src/migrations/format';
import { loadPgParser } from '../packages/core/src/migrations/pg-parser';

async function main(): Promise<void> {
  const dir = process.env.BENCH_DIR!;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => join(dir, f));
  const started = performance.now();
  await loadPgParser();
  const loaded = performance.now();
  const findings = await lintMigrations(
    files.map((path) => ({ path, parsed: parseMigrationFile(path, readFileSync(path, 'utf8')) })),
  );
  const done = performance.now();
  process.stdout.write(
    JSON.stringify({
      findings: findings.filter((f) => f.level !== 'notice').length,
      loadMs: loaded - started,
      lintMs: done - loaded,
    }),
  );
}

void main();
