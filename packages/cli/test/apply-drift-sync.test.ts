import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestRepo } from '../../../test/support/git';
import { adminUrl, query } from '../../../test/support/pg';
import { SHOP, password, recordedIds, workspace } from '../../core/test/fleet-fixture';
import { cli, fleetArgs } from '../../../test/support/cli';

const ws = workspace('cli_fleet');
afterAll(() => ws.cleanup());

describe('db-migrate apply, drift and sync', () => {
  it('apply: dry run, then a real run with a drifted database postponed; --json; exit codes; no password printed', async () => {
    const set = await ws.migrations(SHOP);
    const { acme, globex, initech: drifted } = await ws.databases(set, { acme: 2, globex: 5, initech: 4 });
    await query(drifted.url, 'ALTER TABLE orders ADD COLUMN coupon text');
    const common = fleetArgs(set.dir, { acme: acme.url, globex: globex.url, initech: drifted.url });

    const plan = await cli(['apply', ...common, '--dry-run']);
    expect(plan.stdout).toMatch(/^Target +Database +Outcome +Version +Details$/m);
    expect(plan.stdout).toMatch(
      /^acme +\S+ +pending +2 → 5 +would apply 2 → 5: 0003_customer_email\.sql, 0004_big_orders\.sql, 0005_unique_email\.sql$/m,
    );
    expect(plan.stdout).toContain('3 targets: 1 pending, 1 up-to-date, 1 postponed (dry run: nothing changed)');
    expect(plan.code).toBe(1); // postponed fails the run unless it is only a warning
    expect(await recordedIds(acme.url)).toHaveLength(2);

    const json = join(ws.dir, 'report.json');
    const real = await cli(['apply', ...common, '--json', json]);
    expect(real.code).toBe(1);
    expect(real.stdout).toMatch(/^acme +\S+ +applied +2 → 5 +applied 2 → 5: /m);
    expect(real.stdout).toMatch(
      /^initech +\S+ +postponed +4 +postponed: schema drifted from version 4: 1 difference \(drop column public\.orders\.coupon\)$/m,
    );
    expect(real.stdout).toMatch(
      /-- initech \(.*\): SQL that would take it back to the schema of version 4\n-- hazard: drops-data: drops column public\.orders\.coupon: the data it holds is lost\nALTER TABLE "public"\."orders" DROP COLUMN "coupon";/,
    );
    expect(real.stderr).toMatch(/^warning: \[\d\/3\] initech /m);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.counts).toMatchObject({ applied: 1, 'up-to-date': 1, postponed: 1 });
    expect(report.targets.map((t: { name: string }) => t.name)).toEqual(['acme', 'globex', 'initech']);

    const warned = await cli(['apply', ...common, '--postponed-is-warning']);
    expect(warned.code).toBe(0);
    for (const run of [plan, real, warned]) expect(run.stdout + run.stderr).not.toContain(password());
    expect(readFileSync(json, 'utf8')).not.toContain(password());
  });

  it('apply --to reverts; a targets file with a group; a missing variable fails that target', async () => {
    const set = await ws.migrations(SHOP);
    const a = await ws.database(set, 5);
    const b = await ws.database(set, 5);
    const file = join(ws.dir, 'targets.yml');
    writeFileSync(
      file,
      'databases:\n  - name: a\n    url-env: FLEET_CLI_A\n    groups: [prod]\n  - name: b\n    url-env: FLEET_CLI_B\n    groups: [prod]\n  - name: c\n    url-env: FLEET_CLI_C\n    groups: [qa]\n',
    );
    process.env.FLEET_CLI_A = a.url;
    process.env.FLEET_CLI_B = b.url;
    try {
      const reverted = await cli(['apply', ...fleetArgs(set.dir), '--targets', file, '--group', 'prod', '--to', '3']);
      expect(reverted.code).toBe(0);
      expect(reverted.stdout).toMatch(
        /^a +\S+ +reverted +5 → 3 +reverted 5 → 3: 0005_unique_email\.sql, 0004_big_orders\.sql$/m,
      );
      expect(await recordedIds(b.url)).toHaveLength(3);
      const qa = await cli(['apply', '--dir', set.dir, '--shadow', adminUrl(), '--targets', file, '--group', 'qa']);
      expect(qa.code).toBe(1);
      expect(qa.stdout).toContain(
        `failed: environment variable FLEET_CLI_C (url-env of "c", ${file} line 8) is not set or empty`,
      );
      const bad = await cli(['apply', '--dir', set.dir, '--targets', file, '--shard', '3/2']);
      expect(bad).toMatchObject({ code: 1, stderr: 'db-migrate apply: --shard 3/2: i must be between 1 and n\n' });
      const badTo = await cli(['apply', ...fleetArgs(set.dir), '--targets', file, '--group', 'prod', '--to', '7']);
      expect(badTo.code).toBe(1);
      expect(badTo.stderr).toMatch(/^db-migrate apply: --to 7: there is no migration version 7 in /);
    } finally {
      delete process.env.FLEET_CLI_A;
      delete process.env.FLEET_CLI_B;
    }
  });

  it('drift: exit 1 and the SQL when a database drifted, 0 when all match', async () => {
    const set = await ws.migrations(SHOP);
    const ok = await ws.database(set, 3, 'ok');
    const off = await ws.database(set, 3, 'off');
    await query(off.url, 'DROP INDEX customers_email');
    const args = ['drift', '--dir', set.dir, '--shadow', adminUrl(), '--database', `ok=${ok.url}`];
    const clean = await cli(args);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/^ok +\S+ +consistent +3 +matches version 3; 2 pending$/m);
    const dirty = await cli([...args, '--database', `off=${off.url}`]);
    expect(dirty.code).toBe(1);
    expect(dirty.stdout).toMatch(/CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_email ON public\.customers/);
  });

  it('sync: a database given by URL follows the schema source at a ref', async () => {
    const repo = createTestRepo();
    try {
      mkdirSync(join(repo.dir, 'db'));
      writeFileSync(join(repo.dir, 'db', 'schema.sql'), 'CREATE TABLE accounts (id int PRIMARY KEY, owner text);\n');
      repo.commitAll('schema');
      const set = await ws.migrations({});
      const staging = await ws.database(set, 0, 'staging');
      await query(staging.url, 'CREATE TABLE accounts (id int PRIMARY KEY)');
      const args = [
        'sync',
        '--repo',
        repo.dir,
        '--schema-dir',
        'db',
        '--schema-sql',
        'schema.sql',
        '--ref',
        'main',
        '--shadow',
        adminUrl(),
        '--database',
        staging.url,
      ];
      const plan = await cli([...args, '--dry-run']);
      expect(plan.code).toBe(0);
      expect(plan.stdout).toMatch(/would run 1 statement\n/);
      expect(plan.stdout).toContain('ALTER TABLE "public"."accounts" ADD COLUMN "owner" text;');
      const real = await cli(args);
      expect(real.code).toBe(0);
      expect(real.stdout).toMatch(/applied +synced: 1 statement applied$/m);
      expect(
        await query(
          staging.url,
          `SELECT column_name FROM information_schema.columns WHERE table_name = 'accounts' ORDER BY 1`,
        ),
      ).toEqual([{ column_name: 'id' }, { column_name: 'owner' }]);
      expect(real.stdout + real.stderr).not.toContain(password());
    } finally {
      repo.remove();
    }
  });
});
