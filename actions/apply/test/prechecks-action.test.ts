/**
 * The apply bundle with a database a pre-check refuses: output `refused`, the job fails naming it, the
 * job summary shows what the pre-checks found; the precheck inputs reach the run. Rebuild the bundle
 * first: pnpm --filter @db-migrate/action-apply build.
 */
import { adminUrl, query } from '../../../test/support/pg';
import { runActionBundle } from '../../../test/support/run-action-bundle';
import { SHOP, recordedIds, workspace } from '../../../packages/core/test/fleet-fixture';

const ws = workspace('action_prechecks');
afterAll(() => ws.cleanup());

test('a refused database: output refused, the job fails naming it, the summary shows its pre-check; precheck-max-rows skips it', async () => {
  const set = await ws.migrations(SHOP);
  const { ok, dupes } = await ws.databases(set, { ok: 4, dupes: 4 });
  await query(
    dupes.url,
    `INSERT INTO customers (name, email) VALUES ('x', 'same@example.com'), ('y', 'same@example.com')`,
  );
  const inputs = {
    'migrations-dir': set.dir,
    databases: `ok=${ok.url}\ndupes=${dupes.url}`,
    'shadow-database': adminUrl(),
  };

  const run = await runActionBundle('apply', { inputs });
  expect(run.exitCode).toBe(1);
  expect(run.outputs).toMatchObject({ applied: '1', refused: '1', failed: '0' });
  expect(run.stdout).toMatch(/::error::apply: 1 refused \(nothing ran\) of 2 target\(s\); see the job summary/);
  expect(run.summary).toContain('dupes: pre-checks');
  expect(run.summary).toMatch(
    /0005_unique_email\.sql line \d+: unique constraint customers_email_key on customers \(email\): 2 rows share 1 key, e\.g\. email=same@example\.com \(2 rows\)/,
  );
  expect(await recordedIds(dupes.url)).toHaveLength(4);

  // Skipped by its size limit, the check leaves the failure to the migration itself.
  const skipped = await runActionBundle('apply', {
    inputs: { ...inputs, 'precheck-max-rows': '0', 'dry-run': 'true' },
  });
  expect(skipped.outputs).toMatchObject({ pending: '1', refused: '0' });
  // What would let it run is worded as this action's input, never as the CLI's flag (the CLI test says --precheck-max-rows).
  expect(skipped.summary).toContain(
    'not checked: the table holds about 2 rows, above the pre-check limit of 0 (raise the input precheck-max-rows)',
  );
  expect(skipped.summary).not.toContain('--precheck-max-rows');
});
