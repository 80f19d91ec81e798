/**
 * The same refusal the CLI words as `--allow '...'` (packages/core/test/fleet-preflight.test.ts, with the
 * CLI's wording function), worded by the apply action as its input `allow`: in the job summary and in the
 * log's progress line, and never as the CLI's flag. Rebuild the bundle first: pnpm --silent build.
 */
import { adminUrl, query } from '../../../test/support/pg';
import { runActionBundle } from '../../../test/support/run-action-bundle';
import { SHOP, recordedIds, workspace } from '../../../packages/core/test/fleet-fixture';

const ws = workspace('action_remedy');
afterAll(() => ws.cleanup());

test('a revert that would lose data is refused, and what would let it run names the input allow, not --allow', async () => {
  const set = await ws.migrations(SHOP);
  const filled = await ws.database(set, 5, 'filled');
  await query(filled.url, "INSERT INTO customers (name, email) VALUES ('Ada', 'ada@example.com')");

  const run = await runActionBundle('apply', {
    inputs: {
      'migrations-dir': set.dir,
      databases: `filled=${filled.url}`,
      'to-version': '1',
      'shadow-database': adminUrl(),
    },
  });
  expect(run.exitCode).toBe(1);
  expect(run.outputs).toMatchObject({ refused: '1', failed: '0' });
  const remedy = /add the line (&quot;|")drops-data public\.customers\.email(&quot;|") to the input allow/;
  expect(run.summary).toMatch(remedy);
  expect(run.log).toMatch(remedy);
  expect(`${run.summary}\n${run.log}`).not.toContain('--allow');
  // The report output carries the remedy as data.
  const report = JSON.parse(run.outputs.report ?? '{}');
  expect(report.targets[0].remedies).toContainEqual({ kind: 'allow', value: 'drops-data public.customers.email' });
  expect(await recordedIds(filled.url)).toHaveLength(5);
});
