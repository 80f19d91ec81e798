/**
 * Runs the example (run.sh, the README's first command) against the test server, then judges what it
 * left behind with tools it did not use: the migrations with our applier from empty, and every schema
 * with the pg_dump oracle against the SQLAlchemy models built directly at the matching history step.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { readMigrationDir, silentLogger, up } from '@db-migrate/core';
import { adminUrl, createTestDatabase, databaseUrl, dropTestDatabase, query } from '../../../test/support/pg';
import { compareSchemas } from '../../../test/support/schema-oracle';
import { scaled } from '../../../test/support/time';

const exampleDir = resolve(__dirname, '..');
const historyDir = join(exampleDir, 'history');
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const steps = readdirSync(historyDir)
  .filter((name) => /^\d\d-/.test(name))
  .sort();
const FLEET = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'staging'] as const;

interface Run {
  readonly code: number | null;
  readonly output: string;
}

function runExample(env: Record<string, string>): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn('bash', [join(exampleDir, 'run.sh')], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', fail);
    child.on('close', (code) => done({ code, output }));
  });
}

interface Outcome {
  readonly name: string;
  readonly status: string;
  readonly fromVersion?: number;
  readonly toVersion?: number;
  readonly direction?: string;
  readonly drift?: { readonly changes: readonly string[] };
}

function report(file: string): { targets: Outcome[] } {
  return JSON.parse(readFileSync(file, 'utf8')) as { targets: Outcome[] };
}

/** The schema of one history step, built straight from its SQLAlchemy models into a new database. */
const builtSteps: string[] = [];
async function buildStep(step: string): Promise<string> {
  const url = await createTestDatabase('example_expected');
  builtSteps.push(url);
  await promisify(execFile)(PYTHON, ['-m', 'db_schema.create_all'], {
    cwd: join(historyDir, step, 'schema'),
    // No __pycache__ left in the repository's history folders.
    env: { ...process.env, DATABASE_URL: url, PYTHONDONTWRITEBYTECODE: '1' },
  });
  return url;
}

async function versionOf(url: string): Promise<{ version: number; rows: number }> {
  const [row] = await query<{ version: number; rows: number }>(
    url,
    "SELECT coalesce(max(substring(id from '^[0-9]+')::int), 0) AS version, count(*)::int AS rows FROM gorp_migrations",
  );
  return row!;
}

/** The latest version after each schema commit (a commit can yield several migrations: docs/online.md). */
async function versionsByStep(repo: string): Promise<number[]> {
  const set = await readMigrationDir(join(repo, 'migrations'));
  const { stdout } = await promisify(execFile)('git', [
    '-C',
    repo,
    'log',
    '--reverse',
    '--format=%H',
    'main',
    '--',
    'schema',
  ]);
  return stdout
    .trim()
    .split('\n')
    .map((sha) => Math.max(...set.migrations.filter((m) => m.metadata?.goal_sha === sha).map((m) => m.version)));
}

describe('examples/sqlalchemy-fleet/run.sh', () => {
  const prefix = `ex_${randomBytes(4).toString('hex')}`;
  const work = mkdtempSync(join(tmpdir(), 'db-migrate-example-test-'));
  const repo = join(work, 'schema-repo');
  const fleetUrl = (name: string) => databaseUrl(`${prefix}_${name}`);
  let run: Run;
  const expected = new Map<string, string>();

  beforeAll(async () => {
    // The expected schemas are built into their own databases while the example runs (nothing shared).
    const built = Promise.all(
      [...steps, 'branch-coupons'].map(async (step) => expected.set(step, await buildStep(step))),
    );
    run = await runExample({
      DB_MIGRATE_EXAMPLE_SERVER_URL: adminUrl(),
      DB_MIGRATE_EXAMPLE_PREFIX: prefix,
      DB_MIGRATE_EXAMPLE_WORKDIR: work,
      DB_MIGRATE_EXAMPLE_KEEP: '1',
    });
    await built;
  }, scaled(600_000));

  afterAll(async () => {
    for (const name of FLEET) await dropTestDatabase(fleetUrl(name));
    for (const url of builtSteps) await dropTestDatabase(url);
    rmSync(work, { recursive: true, force: true });
  });

  it('runs to its summary without printing a password', () => {
    if (run.code !== 0) throw new Error(`run.sh exited with ${run.code}:\n${run.output.slice(-4000)}`);
    expect(run.output).toMatch(/== Summary ==/);
    expect(run.output).toMatch(
      /schema commits: 8, migrations created from them: \d+, each commit's pull request verified: 8\/8 \(edited by hand: 1\)/,
    );
    const password = decodeURIComponent(new URL(adminUrl()).password);
    expect(password.length).toBeGreaterThan(0);
    expect(run.output).not.toContain(password);
  });

  it('creates one or more consecutive migrations per schema commit, each made from that commit and verified on its pull request', async () => {
    const set = await readMigrationDir(join(repo, 'migrations'));
    expect(set.migrations.map((m) => m.version)).toEqual(set.migrations.map((_, i) => i + 1));
    const { stdout } = await promisify(execFile)('git', [
      '-C',
      repo,
      'log',
      '--reverse',
      '--format=%H %s',
      'main',
      '--',
      'schema',
    ]);
    const schemaCommits = stdout
      .trim()
      .split('\n')
      .map((line) => line.split(' ')[0]);
    expect(schemaCommits).toHaveLength(steps.length);
    // The migrations, in order, grouped by the commit they were made from: each commit's group follows the
    // previous one's, and every migration of a group starts from the commit before (base_sha).
    const goals = set.migrations.map((m) => m.metadata?.goal_sha);
    expect(goals.filter((g, i) => g !== goals[i - 1])).toEqual(schemaCommits);
    set.migrations.forEach((m) => {
      const i = schemaCommits.indexOf(m.metadata!.goal_sha!);
      expect(m.metadata?.base_sha).toBe(i === 0 ? undefined : schemaCommits[i - 1]);
    });
    // The index migration (step 05) was edited by hand on its branch (more memory for the concurrent build
    // create writes outside a transaction) and still verified.
    const index = set.migrations.find((m) =>
      /^CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_orders_customer_id_created_at /m.test(readFileSync(m.path, 'utf8')),
    )!;
    expect(index.metadata?.goal_sha).toBe(schemaCommits[4]);
    expect(index.parsed.up.noTransaction).toBe(true);
    const indexUp = index.parsed.up.statements.map((s) => s.sql.trim().replace(/;$/, ''));
    expect(indexUp).toHaveLength(2);
    expect(indexUp[0]).toBe("SET maintenance_work_mem = '256MB'");
    expect(indexUp[1]).toMatch(/^CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_orders_customer_id_created_at /);
    expect(run.output).toMatch(/^ +\+SET maintenance_work_mem = '256MB';$/m);
    // The last commit declares its intent in trailers: the dropped column is acknowledged (copied into the
    // file, which verify reads), the renamed one is renamed in place (its values and unique key kept), not dropped and added.
    const lastStep = set.migrations.filter((m) => m.metadata?.goal_sha === schemaCommits[steps.length - 1]);
    expect(lastStep).toHaveLength(1);
    const last = readFileSync(lastStep[0]!.path, 'utf8');
    expect(last).toMatch(/^-- db-migrate: allow drops-data public\.customers\.legacy_code$/m);
    expect(last).toMatch(/^-- db-migrate: rename public\.invoices\.number -> invoice_number$/m);
    expect(lastStep[0]!.parsed.up.statements.map((s) => s.sql.trim().replace(/;$/, ''))).toEqual([
      'ALTER TABLE "public"."invoices" RENAME COLUMN "number" TO "invoice_number"',
      'ALTER TABLE "public"."invoices" RENAME CONSTRAINT "uq_invoices_number" TO "uq_invoices_invoice_number"',
      'ALTER TABLE "public"."customers" DROP COLUMN "legacy_code"',
    ]);
    // verify ran on each migration's branch and passed every check.
    expect(run.output.match(/^ +verify passed$/gm)).toHaveLength(steps.length);
    expect(run.output).not.toMatch(/^ +(Numbering|Consistency|Reversibility): failed/m);
  });

  it('refuses, on seeded rows, the feature branch that adds a NOT NULL column without a default', async () => {
    const next = String((await versionsByStep(repo)).at(-1)! + 1).padStart(4, '0');
    const file = `${next}_add_customers_loyalty_tier\\.sql`;
    expect(run.output).toMatch(new RegExp(`^ +Data: FAILED - ${file} fails on a database with rows$`, 'm'));
    expect(run.output).toMatch(
      new RegExp(
        `${file} line \\d+ \\(up\\): statement "ALTER TABLE "public"\\."customers" ADD COLUMN "loyalty_tier" .*contains null values.*Table public\\.customers held \\d+ rows?\\. Hint: existing rows get NULL in the new column: add it with a DEFAULT`,
      ),
    );
    expect(run.output.match(/^ +verify failed$/gm)).toHaveLength(1);
  });

  it("has migrations that, applied one by one from empty, build exactly each commit's schema (pg_dump oracle)", async () => {
    const set = await readMigrationDir(join(repo, 'migrations'));
    const versions = await versionsByStep(repo);
    const db = await createTestDatabase('example_replay');
    try {
      for (const [i, step] of steps.entries()) {
        const applied = await up(db, set, { to: versions[i]!, logger: silentLogger });
        expect(applied.error).toBeUndefined();
        const verdict = await compareSchemas(db, expected.get(step)!);
        expect({ step, ...verdict }).toEqual({ step, equal: true, onlyInFirst: [], onlyInSecond: [] });
      }
    } finally {
      await dropTestDatabase(db);
    }
  });

  it('brings the fleet to the latest version, except the drifted database, which is postponed untouched', async () => {
    // The fleet was migrated before to the versions of schema commits 03, 05 and 07.
    const versions = await versionsByStep(repo);
    const [v3, v5, v7, latestVersion] = [versions[2]!, versions[4]!, versions[6]!, versions[7]!];
    expect(latestVersion).toBe(versions.at(-1));
    const outcomes = new Map(report(join(work, 'apply-report.json')).targets.map((t) => [t.name, t]));
    expect(outcomes.get('acme')).toMatchObject({ status: 'applied', fromVersion: 0, toVersion: latestVersion });
    expect(outcomes.get('globex')).toMatchObject({ status: 'applied', fromVersion: v3, toVersion: latestVersion });
    expect(outcomes.get('initech')).toMatchObject({ status: 'applied', fromVersion: v5, toVersion: latestVersion });
    expect(outcomes.get('hooli')).toMatchObject({ status: 'up-to-date', fromVersion: latestVersion });
    expect(outcomes.get('umbrella')).toMatchObject({ status: 'postponed', fromVersion: v7 });
    expect(outcomes.get('umbrella')!.drift!.changes.join('\n')).toContain('customers_lower_email');

    const latest = expected.get(steps[steps.length - 1]!)!;
    for (const name of ['acme', 'initech', 'hooli']) {
      expect(await versionOf(fleetUrl(name))).toEqual({ version: latestVersion, rows: latestVersion });
      expect(await compareSchemas(fleetUrl(name), latest)).toMatchObject({ equal: true });
    }
    // Data written before the apply is still there.
    expect(await query(fleetUrl('initech'), 'SELECT count(*)::int AS n FROM orders')).toEqual([{ n: 2 }]);

    // umbrella: still at commit 07's version, and its schema is that version's plus exactly the index made by hand.
    expect(await versionOf(fleetUrl('umbrella'))).toEqual({ version: v7, rows: v7 });
    const drift = await compareSchemas(fleetUrl('umbrella'), expected.get(steps[6]!)!);
    expect(drift.onlyInSecond).toEqual([]);
    expect(drift.onlyInFirst).toHaveLength(1);
    expect(drift.onlyInFirst[0]).toContain('CREATE INDEX customers_lower_email ON public.customers');
  });

  it('reverts one database by its last release to exactly the schema of commit 07', async () => {
    const versions = await versionsByStep(repo);
    const [v7, latestVersion] = [versions[6]!, versions[7]!];
    const [revert] = report(join(work, 'revert-report.json')).targets;
    expect(revert).toMatchObject({
      name: 'globex',
      status: 'applied',
      fromVersion: latestVersion,
      toVersion: v7,
      direction: 'down',
    });
    expect(await versionOf(fleetUrl('globex'))).toEqual({ version: v7, rows: v7 });
    expect(await compareSchemas(fleetUrl('globex'), expected.get(steps[6]!)!)).toMatchObject({ equal: true });
    expect(await query(fleetUrl('globex'), 'SELECT count(*)::int AS n FROM orders')).toEqual([{ n: 2 }]);
  });

  it("syncs staging to the feature branch's schema without recording a version", async () => {
    const [sync] = report(join(work, 'sync-report.json')).targets;
    expect(sync).toMatchObject({ name: 'staging', status: 'applied' });
    expect(await compareSchemas(fleetUrl('staging'), expected.get('branch-coupons')!)).toMatchObject({ equal: true });
    const latestVersion = (await versionsByStep(repo)).at(-1)!;
    expect(await versionOf(fleetUrl('staging'))).toEqual({ version: latestVersion, rows: latestVersion });
  });
});
