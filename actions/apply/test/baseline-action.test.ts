/**
 * The apply bundle (actions/apply/dist) with mode: baseline, run as the GitHub runner runs it, against
 * real databases on the test server. Rebuild the bundle first: pnpm --filter @db-migrate/action-apply build.
 */
import { adminUrl, query } from '../../../test/support/pg';
import { runActionBundle, type ActionRun } from '../../../test/support/run-action-bundle';
import { SHOP, password, recordedIds, workspace } from '../../../packages/core/test/fleet-fixture';

const ws = workspace('action_baseline');
afterAll(() => ws.cleanup());

const SCHEMA_AT_3 = [
  'CREATE TABLE customers (id bigserial PRIMARY KEY, name text NOT NULL, email text)',
  'CREATE INDEX customers_email ON customers (email)',
  'CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers (id), total numeric NOT NULL DEFAULT 0)',
].join(';\n');

function expectNoSecret(run: ActionRun): void {
  const unmasked = run.stdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
  for (const text of [unmasked, run.stderr, run.log, run.summary, JSON.stringify(run.outputs)])
    expect(text).not.toContain(password());
}

describe('apply action bundle, mode baseline', () => {
  it('dry run, then records the versions of the matching database and postpones the other; outputs and summary', async () => {
    const set = await ws.migrations(SHOP);
    const legacy = await ws.database(set, 0, 'legacy');
    await query(legacy.url, SCHEMA_AT_3);
    const odd = await ws.database(set, 0, 'odd');
    await query(odd.url, SCHEMA_AT_3.replace(', email text', ', email text, phone text'));
    const inputs = {
      mode: 'baseline',
      'to-version': '3',
      'migrations-dir': set.dir,
      databases: `legacy=${legacy.url}\nodd=${odd.url}`,
      'shadow-database': adminUrl(),
    };

    const plan = await runActionBundle('apply', { inputs: { ...inputs, 'dry-run': 'true' } });
    expect(plan.exitCode).toBe(1); // postponed fails the job
    expect(plan.outputs).toMatchObject({ pending: '1', postponed: '1', baselined: '0' });
    expect(await recordedIds(legacy.url)).toEqual([]);

    const run = await runActionBundle('apply', { inputs });
    expect(run.timedOut).toBe(false);
    expect(run.exitCode).toBe(1);
    expect(run.outputs).toMatchObject({ baselined: '1', postponed: '1', applied: '0', failed: '0' });
    expect(JSON.parse(run.outputs.report)).toMatchObject({ mode: 'baseline', target: '3' });
    expect(run.summary).toContain('<h2>db-migrate baseline (version 3)</h2>');
    expect(run.summary).toContain('2 targets: 1 baselined, 1 postponed');
    expect(run.summary).toMatch(
      /<td>legacy<\/td><td>[^<]+<\/td><td>baselined<\/td><td>0 → 3<\/td><td>schema matches version 3: recorded as applied \(nothing ran\): /,
    );
    expect(run.summary).toMatch(
      /<details><summary>odd: 1 difference\(s\) from the schema of version 3<\/summary>[\s\S]*take [^<]+ to the schema of version 3:[\s\S]*DROP COLUMN &quot;phone&quot;/,
    );
    expect(run.annotations).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: expect.stringMatching(/^baseline: 1 postponed \(schema differs from version 3\) of 2 target\(s\)/),
      }),
    );
    expect(await recordedIds(legacy.url)).toEqual(Object.keys(SHOP).slice(0, 3));
    expect(await recordedIds(odd.url)).toEqual([]);
    expectNoSecret(run);

    // Then the ordinary apply migrates the adopted database.
    const apply = await runActionBundle('apply', {
      inputs: { 'migrations-dir': set.dir, databases: `legacy=${legacy.url}`, 'shadow-database': adminUrl() },
    });
    expect(apply.exitCode).toBe(0);
    expect(apply.outputs).toMatchObject({ applied: '1' });
    expect(await recordedIds(legacy.url)).toEqual(Object.keys(SHOP));
  });

  it('to-version is required for mode baseline and must be a version of the directory', async () => {
    const set = await ws.migrations(SHOP);
    const db = await ws.database(set, 0, 'db');
    const inputs = {
      mode: 'baseline',
      'migrations-dir': set.dir,
      databases: `db=${db.url}`,
      'shadow-database': adminUrl(),
    };
    const missing = await runActionBundle('apply', { inputs });
    expect(missing.exitCode).toBe(1);
    expect(missing.annotations).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message:
          'input "to-version" is required for mode baseline: the version whose schema the databases already have',
      }),
    );
    const unknown = await runActionBundle('apply', { inputs: { ...inputs, 'to-version': '8' } });
    expect(unknown.exitCode).toBe(1);
    expect(unknown.annotations).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: expect.stringMatching(
          /^input "to-version" 8: there is no migration version 8 in .* \(versions 1 to 5\)$/,
        ),
      }),
    );
    expect(await recordedIds(db.url)).toEqual([]);
  });
});
