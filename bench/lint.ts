/**
 * Migration lint: our lint on PostgreSQL's parser (libpg-query, WASM) against squawk (squawk-cli, a native
 * binary in its npm package), the PostgreSQL migration linter users would reach for, on the same files.
 *
 * The files: BENCH_FILES migrations (default 50) of about 20 statements each, Up and Down, mixing safe
 * statements with the risky ones both tools know (drops, NOT NULL columns, volatile defaults, type changes,
 * index builds, constraints without NOT VALID, renames). Each measurement is a fresh process linting all the
 * files, as a CI step would: ours reads them with the migration-file parser and lints both sections; squawk
 * gets the same files whole. Time is the whole process (ours runs the TypeScript sources through the swc
 * hook, which the bundle does not need), then for ours the parser's WASM load and the lint call alone; the
 * last column counts what each reported (squawk also reports every statement without statement_timeout).
 *
 * Run: pnpm bench lint      BENCH_RUNS=5 BENCH_FILES=200 to change the sample size.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { markdownTable, median, runChild, runTypeScriptChild } from './support';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const FILES = Number(process.env.BENCH_FILES ?? 50);

function migration(i: number): string {
  const t = `t${i}`;
  const up = [
    `CREATE TABLE ${t}_new (id bigint PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());`,
    `CREATE INDEX ${t}_new_name ON ${t}_new (name);`,
    `ALTER TABLE ${t} ADD COLUMN note text;`,
    `ALTER TABLE ${t} ADD COLUMN score integer NOT NULL;`,
    `ALTER TABLE ${t} ADD COLUMN seen timestamptz DEFAULT clock_timestamp();`,
    `ALTER TABLE ${t} ALTER COLUMN amount TYPE numeric(14,2);`,
    `CREATE INDEX ${t}_note ON ${t} (note);`,
    `ALTER TABLE ${t} ADD CONSTRAINT ${t}_score_check CHECK (score >= 0);`,
    `ALTER TABLE ${t} ADD CONSTRAINT ${t}_parent_fk FOREIGN KEY (parent_id) REFERENCES t0 (id) NOT VALID;`,
    `ALTER TABLE ${t} RENAME COLUMN label TO title;`,
    `ALTER TABLE ${t} DROP COLUMN legacy;`,
    `UPDATE ${t} SET note = 'n/a' WHERE note IS NULL;`,
    `COMMENT ON TABLE ${t} IS 'table ${i}';`,
  ];
  const down = [
    `ALTER TABLE ${t} ADD COLUMN legacy text;`,
    `ALTER TABLE ${t} RENAME COLUMN title TO label;`,
    `ALTER TABLE ${t} DROP CONSTRAINT ${t}_parent_fk;`,
    `ALTER TABLE ${t} DROP CONSTRAINT ${t}_score_check;`,
    `DROP INDEX ${t}_note;`,
    `ALTER TABLE ${t} ALTER COLUMN amount TYPE numeric(12,2);`,
    `ALTER TABLE ${t} DROP COLUMN seen, DROP COLUMN score, DROP COLUMN note;`,
    `DROP TABLE ${t}_new;`,
  ];
  return ['-- +migrate Up', ...up, '', '-- +migrate Down', ...down, ''].join('\n');
}

export async function run(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'db-migrate-bench-lint-'));
  try {
    const migrations = join(dir, 'migrations');
    mkdirSync(migrations);
    const paths: string[] = [];
    for (let i = 1; i <= FILES; i++) {
      const path = join(migrations, `${String(i).padStart(4, '0')}_m${i}.sql`);
      writeFileSync(path, migration(i));
      paths.push(path);
    }
    const squawk = require.resolve('squawk-cli/js/bin/squawk');
    const ours: number[] = [];
    const load: number[] = [];
    const lint: number[] = [];
    const theirs: number[] = [];
    let oursFound = '';
    let theirsFound = '';
    for (let r = 0; r < RUNS; r++) {
      const a = await runTypeScriptChild('bench/lint-child.ts', { BENCH_DIR: migrations });
      if (a.code !== 0) throw new Error(`our lint failed: ${a.stderr}`);
      const child = JSON.parse(a.stdout) as { findings: number; loadMs: number; lintMs: number };
      ours.push(a.wallMs);
      load.push(child.loadMs);
      lint.push(child.lintMs);
      oursFound = String(child.findings);
      const b = await runChild(process.execPath, [squawk, '--reporter', 'json', ...paths], {});
      theirs.push(b.wallMs);
      theirsFound = String((JSON.parse(b.stdout || '[]') as unknown[]).length);
    }
    const perFile = (ms: number) => (ms / FILES).toFixed(2);
    const rows = [
      [
        'db-migrate lint: whole process (TypeScript sources)',
        median(ours).toFixed(0),
        perFile(median(ours)),
        oursFound,
      ],
      ['db-migrate lint: loading the parser (WASM, once)', median(load).toFixed(0), '', ''],
      ['db-migrate lint: the lint call (Up + Down)', median(lint).toFixed(0), perFile(median(lint)), oursFound],
      ['squawk-cli (native binary, whole files)', median(theirs).toFixed(0), perFile(median(theirs)), theirsFound],
    ];
    return (
      `${FILES} migration files, ${RUNS} runs, medians; each run a fresh process over all files\n\n` +
      markdownTable(['tool', 'time (ms)', 'per file (ms)', 'findings (n)'], rows) +
      `\n\nwhole process, ours / squawk: ${(median(ours) / median(theirs)).toFixed(2)}x; ` +
      `parser load + lint call, ours / squawk's whole process: ${((median(load) + median(lint)) / median(theirs)).toFixed(2)}x`
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
