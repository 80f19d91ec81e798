/**
 * The CLI's view of the pre-checks: `apply --dry-run` prints what each found per database and the sizes
 * of the tables a statement would lock; --json carries the same as fields; a refused database fails the
 * run (exit 1) while the others migrate; --allow acknowledges a large table.
 */
import { query } from '../../../test/support/pg';
import { cli, fleetArgs } from '../../../test/support/cli';
import { SHOP, recordedIds, workspace } from '../../core/test/fleet-fixture';

const ws = workspace('cli_prechecks');
afterAll(() => ws.cleanup());

test('apply --dry-run names the refused databases with counts, examples and table sizes; the real run migrates the others', async () => {
  const set = await ws.migrations(SHOP);
  const { small, dupes, large } = await ws.databases(set, { small: 4, dupes: 4, large: 4 });
  await query(
    dupes.url,
    `INSERT INTO customers (name, email) VALUES ('x', 'same@example.com'), ('y', 'same@example.com'), ('z', 'other@example.com')`,
  );
  await query(
    large.url,
    `INSERT INTO customers (name, email) SELECT 'c' || i, 'c' || i || '@example.com' FROM generate_series(1, 20000) AS i; ANALYZE customers`,
  );
  const common = fleetArgs(set.dir, { small: small.url, dupes: dupes.url, large: large.url });

  const json = await cli(['apply', ...common, '--dry-run', '--json', '-']);
  expect(json.code).toBe(1);
  const report = JSON.parse(json.stdout);
  expect(report.counts).toMatchObject({ pending: 1, refused: 2 });
  const [a, b, c] = report.targets;
  expect(a).toMatchObject({ name: 'small', status: 'pending' });
  expect(b.status).toBe('refused');
  expect(b.prechecks.checks).toEqual([
    {
      code: 'duplicates',
      file: '0005_unique_email.sql',
      line: expect.any(Number),
      table: 'customers',
      what: 'unique constraint customers_email_key on customers (email)',
      status: 'found',
      count: 2,
      groups: 1,
      examples: ['email=same@example.com (2 rows)'],
    },
  ]);
  expect(c.status).toBe('refused');
  expect(c.prechecks.lockedTables).toEqual([
    expect.objectContaining({
      code: 'blocks-writes',
      file: '0005_unique_email.sql',
      table: 'public.customers',
      rows: 20000,
      bytes: expect.any(Number),
      large: true,
      acknowledged: false,
      work: 'index build',
    }),
  ]);

  const text = await cli(['apply', ...common, '--dry-run']);
  expect(text.stdout).toMatch(
    /^dupes +\S+ +refused +4 +refused, nothing ran.*0005_unique_email\.sql line \d+: unique constraint customers_email_key on customers \(email\): 2 rows share 1 key, e\.g\. email=same@example\.com \(2 rows\)/m,
  );
  expect(text.stdout).toMatch(
    /-- small \(.*\): pre-checks \(\d+ ms\)\n {2}0005_unique_email\.sql line \d+: unique constraint customers_email_key on customers \(email\): no row it refuses\n {2}0005_unique_email\.sql line \d+: adds UNIQUE customers_email_key building its index \(reads and writes wait\) on public\.customers \(0 rows, \d+ kB\): an estimated [\d.]+ s under lock; below the large-table limit/,
  );
  // The refusal's remedy is data (the JSON carries it); the CLI words it as its flag.
  expect(c.remedies).toEqual([{ kind: 'allow', value: 'blocks-writes public.customers' }]);
  expect(text.stdout).toContain("(pass --allow 'blocks-writes public.customers')");
  // A check skipped by its size limit: the CLI names the flag that raises it (the action names its input).
  const capped = await cli(['apply', ...common, '--dry-run', '--precheck-max-rows', '0']);
  expect(capped.stdout).toMatch(
    /not checked: the table holds about \d+ rows, above the pre-check limit of 0 \(raise --precheck-max-rows\)/,
  );

  const real = await cli(['apply', ...common, '--allow', 'blocks-writes public.customers']);
  expect(real.code).toBe(1);
  expect(real.stdout).toMatch(/^small +\S+ +applied +4 → 5 /m);
  expect(real.stdout).toMatch(/^large +\S+ +applied +4 → 5 /m);
  expect(real.stdout).toMatch(/^dupes +\S+ +refused +4 /m);
  expect(await recordedIds(dupes.url)).toHaveLength(4);
  expect(await recordedIds(large.url)).toHaveLength(5);
});
