import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminUrl, query } from '../../../test/support/pg';
import { SHOP, password, recordedIds, workspace } from '../../core/test/fleet-fixture';
import { cli, fleetArgs } from '../../../test/support/cli';

const ws = workspace('cli_baseline');
afterAll(() => ws.cleanup());

const SCHEMA_AT_2 =
  'CREATE TABLE customers (id bigserial PRIMARY KEY, name text NOT NULL);' +
  'CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers (id), total numeric NOT NULL DEFAULT 0)';

describe('db-migrate baseline', () => {
  it('dry run, then a real run: records where the schema matches, postpones where it does not; --json; exit codes; no password printed', async () => {
    const set = await ws.migrations(SHOP);
    const legacy = await ws.database(set, 0, 'legacy');
    await query(legacy.url, SCHEMA_AT_2);
    const odd = await ws.database(set, 0, 'odd');
    await query(odd.url, `${SCHEMA_AT_2}; CREATE INDEX orders_total ON orders (total)`);
    const current = await ws.database(set, 5, 'current');
    const common = [...fleetArgs(set.dir, { legacy: legacy.url, current: current.url }), '--to', '2'];

    const plan = await cli(['baseline', ...common, '--dry-run']);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(
      /^legacy +\S+ +pending +0 → 2 +schema matches version 2: would record as applied: 0001_customers\.sql, 0002_orders\.sql$/m,
    );
    expect(plan.stdout).toMatch(/^current +\S+ +up-to-date +5 +already versioned at version 5: left alone/m);
    expect(plan.stdout).toContain('2 targets: 1 pending, 1 up-to-date (dry run: nothing changed)');
    expect(await recordedIds(legacy.url)).toEqual([]);

    const json = join(ws.dir, 'baseline.json');
    const real = await cli(['baseline', ...common, '--database', `odd=${odd.url}`, '--json', json]);
    expect(real.code).toBe(1); // the postponed one fails the run
    expect(real.stdout).toMatch(
      /^legacy +\S+ +baselined +0 → 2 +schema matches version 2: recorded as applied \(nothing ran\): 0001_customers\.sql, 0002_orders\.sql$/m,
    );
    expect(real.stdout).toMatch(
      /^odd +\S+ +postponed +0 +postponed: schema differs from the schema of version 2: 1 difference \(drop index public\.orders_total\)$/m,
    );
    expect(real.stdout).toMatch(
      /-- odd \(.*\): SQL that would take it to the schema of version 2\n-- hazard: drops-index: [^\n]*\nDROP INDEX CONCURRENTLY IF EXISTS "public"\."orders_total";/,
    );
    expect(real.stderr).toMatch(/^baselining 3 databases against 5 migrations in .* \(at version 2\)/m);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report).toMatchObject({
      mode: 'baseline',
      target: '2',
      counts: { baselined: 1, 'up-to-date': 1, postponed: 1 },
    });
    expect(await recordedIds(legacy.url)).toEqual(['0001_customers.sql', '0002_orders.sql']);
    expect(await recordedIds(odd.url)).toEqual([]);
    for (const run of [plan, real]) expect(run.stdout + run.stderr).not.toContain(password());
    expect(readFileSync(json, 'utf8')).not.toContain(password());

    // The adopted database now migrates like any other.
    const applied = await cli(['apply', ...fleetArgs(set.dir, { legacy: legacy.url })]);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(/^legacy +\S+ +applied +2 → 5 /m);
  });

  it('bad --to: missing, 0, or not a version of the directory; listed in --help', async () => {
    const set = await ws.migrations(SHOP);
    const db = await ws.database(set, 0, 'db');
    const args = ['baseline', '--dir', set.dir, '--shadow', adminUrl(), '--database', `db=${db.url}`];
    expect(await cli(args)).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(
        /^db-migrate baseline: --to is required: the version of .* whose schema the databases already have\n$/,
      ),
    });
    expect(await cli([...args, '--to', '0'])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^db-migrate baseline: --to 0: a baseline records versions 1\.\.N of /),
    });
    expect(await cli([...args, '--to', '6'])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(
        /^db-migrate baseline: --to 6: there is no migration version 6 in .* \(versions 1 to 5\)\n$/,
      ),
    });
    expect(await cli([...args, '--to', 'two'])).toMatchObject({
      code: 1,
      stderr: 'db-migrate baseline: --to must be a non-negative integer, got "two"\n',
    });
    const help = await cli(['baseline', '--help']);
    expect(help.stdout).toContain(
      'USAGE\n  db-migrate baseline --dir <migrations-dir> --to N (--targets <file> | --database <name>=<url>|<name>=env:VAR ...) [--target NAME ...]',
    );
    expect((await cli(['--help'])).stdout).toMatch(/^ {2}baseline +Adopt databases built before db-migrate/m);
  });
});
