/**
 * The apply bundle (actions/apply/dist) run as the GitHub runner runs it, against real databases on the
 * test server: apply, dry run, revert (to-version), drift and sync. Rebuild the bundle first:
 * pnpm --filter @db-migrate/action-apply build.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestRepo } from '../../../test/support/git';
import { adminUrl, query } from '../../../test/support/pg';
import { runActionBundle, type ActionRun } from '../../../test/support/run-action-bundle';
import { SHOP, password, recordedIds, workspace } from '../../../packages/core/test/fleet-fixture';
import { scaled } from '../../../test/support/time';

const ws = workspace('action_apply');
afterAll(() => ws.cleanup());

/** Nothing the runner shows may hold the password; raw stdout may only in its ::add-mask:: commands. */
function expectNoSecret(run: ActionRun, secret: string): void {
  const unmasked = run.stdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
  for (const text of [unmasked, run.stderr, run.log, run.summary, JSON.stringify(run.outputs)])
    expect(text).not.toContain(secret);
}

describe('apply action bundle', () => {
  it('mode apply with a targets file: migrates, postpones the drifted one, fails the job, masks every URL', async () => {
    const set = await ws.migrations(SHOP);
    const acme = await ws.database(set, 1, 'acme');
    const globex = await ws.database(set, 5, 'globex');
    const initech = await ws.database(set, 3, 'initech');
    await query(initech.url, 'ALTER TABLE customers ADD COLUMN vip boolean');
    const cwd = join(ws.dir, 'checkout-apply');
    mkdirSync(cwd);
    writeFileSync(
      join(cwd, 'db-targets.yml'),
      [
        'databases:',
        ...['acme', 'globex', 'initech'].flatMap((n) => [
          `  - name: ${n}`,
          `    url-env: ${n.toUpperCase()}_DATABASE_URL`,
          '    groups: [prod]',
        ]),
      ].join('\n') + '\n',
    );
    const env = { ACME_DATABASE_URL: acme.url, GLOBEX_DATABASE_URL: globex.url, INITECH_DATABASE_URL: initech.url };
    const inputs = {
      'migrations-dir': set.dir,
      'targets-file': 'db-targets.yml',
      group: 'prod',
      'shadow-database': adminUrl(),
    };

    const run = await runActionBundle('apply', { cwd, env, inputs });
    expect(run.timedOut).toBe(false);
    expect(run.exitCode).toBe(1);
    expect(run.outputs).toMatchObject({ applied: '1', 'up-to-date': '1', postponed: '1', failed: '0' });
    const report = JSON.parse(run.outputs.report);
    expect(report.targets.map((t: { name: string; status: string }) => [t.name, t.status])).toEqual([
      ['acme', 'applied'],
      ['globex', 'up-to-date'],
      ['initech', 'postponed'],
    ]);
    expect(report.targets[2].drift.sql).toMatch(/DROP COLUMN "vip"/);
    // Every URL (and its password) masked before anything was printed.
    for (const url of [acme.url, globex.url, initech.url, adminUrl()]) expect(run.masks).toContain(url);
    expect(run.masks).toContain(password());
    const firstMask = run.stdout.indexOf('::add-mask::');
    const firstOther = run.stdout.split('\n').findIndex((l) => l !== '' && !l.startsWith('::add-mask::'));
    expect(firstMask).toBe(0);
    expect(firstOther).toBeGreaterThan(0);
    // The job summary: counts, one row per target, the drift as SQL.
    expect(run.summary).toContain('<h2>db-migrate apply (version 5)</h2>');
    expect(run.summary).toContain('3 targets: 1 applied, 1 up-to-date, 1 postponed');
    expect(run.summary).toContain(
      '<tr><th>Target</th><th>Database</th><th>Outcome</th><th>Version</th><th>Details</th></tr>',
    );
    expect(run.summary).toMatch(/<tr><td>acme<\/td><td>[^<]+<\/td><td>applied<\/td><td>1 → 5<\/td><td>applied 1 → 5: /);
    expect(run.summary).toMatch(
      /<details><summary>initech: 1 difference\(s\) from the schema of version 3<\/summary>[\s\S]*DROP COLUMN &quot;vip&quot;/,
    );
    expect(run.annotations).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: expect.stringMatching(/^apply: 1 postponed \(schema drifted\) of 3 target\(s\)/),
      }),
    );
    expect(run.log).toMatch(/\[\d\/3\] acme \(.*\): applied 1 → 5/);
    expectNoSecret(run, password());
    expect(await recordedIds(acme.url)).toHaveLength(5);
    expect(await recordedIds(initech.url)).toHaveLength(3);

    const lenient = await runActionBundle('apply', { cwd, env, inputs: { ...inputs, 'postponed-is-warning': 'true' } });
    expect(lenient.exitCode).toBe(0);
    expect(lenient.outputs).toMatchObject({ applied: '0', 'up-to-date': '2', postponed: '1' });
    expect(lenient.annotations).toContainEqual(
      expect.objectContaining({
        level: 'warning',
        message: '1 target(s) postponed (schema drifted); they were not touched',
      }),
    );
  });

  it('dry run from the databases input: a plan, nothing changed', async () => {
    const set = await ws.migrations(SHOP);
    const a = await ws.database(set, 2, 'a');
    const b = await ws.database(set, 0, 'b');
    const run = await runActionBundle('apply', {
      inputs: {
        'migrations-dir': set.dir,
        databases: `# clients\nalpha=${a.url}\nbeta=${b.url}\n`,
        'dry-run': 'true',
        'shadow-database': adminUrl(),
      },
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ pending: '2', applied: '0' });
    expect(run.summary).toContain('2 targets: 2 pending (dry run: nothing changed)');
    expect(run.summary).toMatch(
      /<td>alpha<\/td><td>[^<]+<\/td><td>pending<\/td><td>2 → 5<\/td><td>would apply 2 → 5: /,
    );
    expect(run.masks).toEqual(expect.arrayContaining([a.url, b.url]));
    expectNoSecret(run, password());
    expect(await recordedIds(a.url)).toHaveLength(2);
    expect(await recordedIds(b.url)).toHaveLength(0);
  });

  it('to-version reverts through the Down sections', async () => {
    const set = await ws.migrations(SHOP);
    const a = await ws.database(set, 5, 'a');
    const run = await runActionBundle('apply', {
      inputs: { 'migrations-dir': set.dir, databases: `a=${a.url}`, 'to-version': '2', 'shadow-database': adminUrl() },
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.applied).toBe('1');
    expect(JSON.parse(run.outputs.report).targets[0]).toMatchObject({
      direction: 'down',
      fromVersion: 5,
      toVersion: 2,
    });
    expect(run.summary).toMatch(
      /reverted 5 → 2: 0005_unique_email\.sql, 0004_big_orders\.sql, 0003_customer_email\.sql/,
    );
    expect(await recordedIds(a.url)).toEqual(Object.keys(SHOP).slice(0, 2));
  });

  it("refused apart from failed: outputs, the job failure, and PostgreSQL's detail with the whole statement in the summary", async () => {
    const set = await ws.migrations({
      ...SHOP,
      '0006_unique_name.sql': {
        up: ['ALTER TABLE customers ADD CONSTRAINT customers_name_key UNIQUE (name)'],
        down: ['ALTER TABLE customers DROP CONSTRAINT customers_name_key'],
      },
    });
    const dup = await ws.database(set, 5, 'dup');
    await query(dup.url, `INSERT INTO customers (name) VALUES ('Ada'), ('Ada')`);
    // The duplicates pre-check would refuse it first (docs/prechecks.md): skipped, so the migration fails on the server.
    const run = await runActionBundle('apply', {
      inputs: {
        'migrations-dir': set.dir,
        databases: `dup=${dup.url}`,
        'shadow-database': adminUrl(),
        'precheck-max-rows': '0',
      },
    });
    expect(run.exitCode).toBe(1);
    expect(run.outputs).toMatchObject({ failed: '1', refused: '0' });
    expect(JSON.parse(run.outputs.report).targets[0].evidence).toMatchObject({
      sqlState: '23505',
      detail: 'Key (name)=(Ada) is duplicated.',
      constraint: 'customers_name_key',
      file: '0006_unique_name.sql',
    });
    expect(run.summary).toContain('-- detail: Key (name)=(Ada) is duplicated.');
    expect(run.summary).toContain('ALTER TABLE customers ADD CONSTRAINT customers_name_key UNIQUE (name);');

    // A revert whose Down section is missing is refused: nothing ran.
    const oneWay = await ws.migrations({ ...SHOP, '0006_one_way.sql': { up: ['CREATE TABLE audit (id int)'] } });
    const stuck = await ws.database(oneWay, 6, 'stuck');
    const refused = await runActionBundle('apply', {
      inputs: {
        'migrations-dir': oneWay.dir,
        databases: `stuck=${stuck.url}`,
        'to-version': '5',
        'shadow-database': adminUrl(),
      },
    });
    expect(refused.exitCode).toBe(1);
    expect(refused.outputs).toMatchObject({ refused: '1', failed: '0' });
    expect(refused.summary).toContain('1 target: 1 refused');
    expect(refused.log).toContain('1 refused (nothing ran) of 1 target(s)');
    expect(await recordedIds(stuck.url)).toHaveLength(6);
  });

  it('mode drift reports and fails on drift; bad inputs fail with the input named', async () => {
    const set = await ws.migrations(SHOP);
    const a = await ws.database(set, 4, 'a');
    await query(a.url, 'DROP VIEW big_orders');
    const runnerTemp = mkdtempSync(join(tmpdir(), 'db-migrate-test-runner-temp-'));
    const run = await runActionBundle('apply', {
      inputs: { mode: 'drift', 'migrations-dir': set.dir, databases: `a=${a.url}`, 'shadow-database': adminUrl() },
      env: { RUNNER_TEMP: runnerTemp },
    });
    expect(run.exitCode).toBe(1);
    expect(run.outputs).toMatchObject({ drifted: '1', consistent: '0' });
    // The whole report, drift SQL included, in a file on the runner named by the report-file output.
    const whole = JSON.parse(readFileSync(run.outputs['report-file']!, 'utf8')) as {
      mode: string;
      targets: { name: string; drift?: { sql: string } }[];
    };
    expect(whole.mode).toBe('drift');
    expect(whole.targets[0]!.drift!.sql).toMatch(/CREATE (OR REPLACE )?VIEW "public"\."big_orders"/);
    expect(run.outputs['report-file']!.startsWith(runnerTemp)).toBe(true);
    rmSync(runnerTemp, { recursive: true, force: true });
    expect(run.summary).toContain('<h2>db-migrate drift check (version 5)</h2>');
    expect(run.summary).toMatch(
      /CREATE VIEW &quot;public&quot;\.&quot;big_orders&quot;|CREATE OR REPLACE VIEW &quot;public&quot;\.&quot;big_orders&quot;/,
    );

    const badShard = await runActionBundle('apply', {
      inputs: { 'migrations-dir': set.dir, databases: `a=${a.url}`, shard: '0/2' },
    });
    expect(badShard.exitCode).toBe(1);
    expect(badShard.annotations).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'input "shard" 0/2: i must be between 1 and n' }),
    );
    const badLine = await runActionBundle('apply', {
      inputs: { 'migrations-dir': set.dir, databases: `a=${a.url}\nnot-a-database-line` },
    });
    expect(badLine.annotations).toContainEqual(
      expect.objectContaining({
        message: 'input "databases" line 2: expected name=postgres://... (not shown: it may hold a password)',
      }),
    );
    expectNoSecret(badLine, password());
  });

  it('lock-timeout and lock-retry-budget bound the wait for a lock; the failure names the blocker', async () => {
    const set = await ws.migrations(SHOP);
    const a = await ws.database(set, 2, 'a');
    // A report's transaction that has read customers: migration 3's ALTER TABLE cannot get its lock.
    const reader = new Client({ connectionString: a.url, application_name: 'reports' });
    await reader.connect();
    try {
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM customers');
      const inputs = {
        'migrations-dir': set.dir,
        databases: `a=${a.url}`,
        'shadow-database': adminUrl(),
        'lock-timeout': String(scaled(300)),
        'lock-retry-budget': '0',
        'statement-timeout': '60000',
      };
      const run = await runActionBundle('apply', { inputs });
      expect(run.exitCode).toBe(1);
      const outcome = JSON.parse(run.outputs.report).targets[0];
      expect(outcome.status).toBe('failed');
      expect(outcome.error).toMatch(
        new RegExp(
          `0003_customer_email\\.sql line \\d+ \\(up\\) on .*lock timeout \\(lock not granted in ${scaled(300)} ms on 1 attempt, no retries \\(lock retry budget 0\\); blocked by pid \\d+ \\(app 'reports'`,
        ),
      );
      // What fixes it, as data (the report) and in the action's words: its inputs, never the CLI's flags.
      expect(outcome.remedies).toEqual([
        { kind: 'option', option: 'lockRetryBudget', change: 'raise' },
        { kind: 'option', option: 'lockTimeout', change: 'raise' },
      ]);
      const worded = 'raise the input lock-retry-budget; raise the input lock-timeout';
      expect(run.summary).toContain(worded);
      expect(run.log).toContain(worded);
      expect(`${run.summary}\n${run.log}`).not.toContain('--lock');
      expect(await recordedIds(a.url)).toHaveLength(2);
    } finally {
      await reader.query('ROLLBACK').catch(() => undefined);
      await reader.end();
    }
    const misplaced = await runActionBundle('apply', {
      inputs: { mode: 'drift', 'migrations-dir': set.dir, databases: `a=${a.url}`, 'lock-timeout': '500' },
    });
    expect(misplaced.exitCode).toBe(1);
    expect(misplaced.annotations).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'input "lock-timeout" only applies to modes apply and sync, not drift',
      }),
    );
  });

  it('mode sync brings staging to the schema at the ref', async () => {
    const repo = createTestRepo();
    try {
      mkdirSync(join(repo.dir, 'db'));
      writeFileSync(
        join(repo.dir, 'db', 'schema.sql'),
        "CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL DEFAULT '');\n",
      );
      const sha = repo.commitAll('schema');
      const set = await ws.migrations({});
      const staging = await ws.database(set, 0, 'staging');
      await query(staging.url, 'CREATE TABLE accounts (id int PRIMARY KEY); INSERT INTO accounts VALUES (1)');
      const inputs = {
        mode: 'sync',
        databases: `staging=${staging.url}`,
        'schema-repository-path': repo.dir,
        'schema-dir': 'db',
        'schema-sql': 'schema.sql',
        ref: 'main',
        'shadow-database': adminUrl(),
      };
      const plan = await runActionBundle('apply', { inputs: { ...inputs, 'dry-run': 'true' } });
      expect(plan.exitCode).toBe(0);
      expect(plan.outputs.pending).toBe('1');
      expect(plan.summary).toContain(`<h2>db-migrate staging sync to ${sha.slice(0, 12)} (main)</h2>`);
      expect(plan.summary).toMatch(
        /<details><summary>staging: would run 1 statement\(s\)<\/summary>[\s\S]*ADD COLUMN &quot;owner&quot; text DEFAULT ''::text NOT NULL;/,
      );
      const run = await runActionBundle('apply', { inputs });
      expect(run.exitCode).toBe(0);
      expect(run.outputs).toMatchObject({ applied: '1', failed: '0' });
      expect(await query(staging.url, `SELECT owner FROM accounts`)).toEqual([{ owner: '' }]);
      expectNoSecret(run, password());
    } finally {
      repo.remove();
    }
  });
});
