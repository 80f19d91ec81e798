import { query } from '../../../test/support/pg';
import { checkFleetDrift } from '../src/fleet/apply';
import { formatReportText, reportFails } from '../src/fleet/report';
import { resolveTargets } from '../src/fleet/targets';
import { memoryLogger } from '../../../test/support/logger';
import { freePort } from '../src/postgres-server/local-server';
import { FAST_RETRY, SHOP, columns, recordedIds, shadow, workspace } from './fleet-fixture';

const ws = workspace('drift');
afterAll(() => ws.cleanup());

describe('checkFleetDrift', () => {
  it('the repair SQL for a drifted database is marked with its hazards and never cuts a value', async () => {
    const set = await ws.migrations({
      '0001_people.sql': {
        up: ['CREATE TABLE people (id int PRIMARY KEY, name varchar(20))'],
        down: ['DROP TABLE people'],
      },
    });
    const widened = await ws.database(set, 1, 'widened');
    await query(
      widened.url,
      `ALTER TABLE people ALTER COLUMN name TYPE varchar(50); INSERT INTO people VALUES (1, 'Bartholomew-Montgomery Smithson')`,
    );
    const report = await checkFleetDrift({
      set,
      targets: [widened],
      shadow: shadow(),
      logger: memoryLogger(),
      retry: FAST_RETRY,
    });
    const sql = report.targets[0].drift!.sql;
    expect(sql).toMatch(
      /^-- hazard: narrows-type: changes the type of column public\.people\.name from character varying\(50\) to character varying\(20\), which cuts strings longer than 20 characters/m,
    );
    expect(sql).toMatch(
      /-- hazard: narrows-type: [^\n]*\nALTER TABLE "public"\."people" ALTER COLUMN "name" SET DATA TYPE character varying\(20\);/,
    );
    expect(sql).not.toMatch(/USING "name"/);
    // Pasted as printed, it stops on the value instead of cutting it.
    await expect(query(widened.url, sql)).rejects.toThrow(/would change the value Bartholomew-Montgomery Smithson/);
    expect(await query(widened.url, `SELECT name FROM people`)).toEqual([{ name: 'Bartholomew-Montgomery Smithson' }]);
  });

  it('reports each target consistent, drifted (with the SQL) or failed, and changes nothing', async () => {
    const set = await ws.migrations(SHOP);
    const {
      behind,
      current,
      'hand-made': handMade,
      unrecorded,
      fresh,
    } = await ws.databases(set, { behind: 3, current: 5, 'hand-made': 5, unrecorded: 3, fresh: 0 });
    await query(handMade.url, `ALTER TABLE orders ADD COLUMN note text; CREATE INDEX orders_total ON orders (total)`);
    // The SQL of migration 4 run by hand, never recorded: the database claims version 3 but is not at it.
    await query(unrecorded.url, SHOP['0004_big_orders.sql'].up[0]);
    const port = await freePort();
    const [down] = resolveTargets(
      [{ name: 'down', url: `postgres://app:pw@127.0.0.1:${port}/x`, groups: [], origin: 'test' }],
      {},
    );
    const before = await Promise.all([handMade, unrecorded].map((t) => columns(t.url)));

    const logger = memoryLogger();
    const report = await checkFleetDrift({
      set,
      targets: [behind, current, handMade, unrecorded, fresh, down],
      shadow: shadow(),
      logger,
      retry: FAST_RETRY,
    });
    expect(report.mode).toBe('drift');
    expect(report.targets.map((t) => [t.name, t.status, t.fromVersion])).toEqual([
      ['behind', 'consistent', 3],
      ['current', 'consistent', 5],
      ['hand-made', 'drifted', 5],
      ['unrecorded', 'drifted', 3],
      ['fresh', 'consistent', 0],
      ['down', 'failed', undefined],
    ]);
    expect(report.targets[0].migrations).toEqual(['0004_big_orders.sql', '0005_unique_email.sql']);
    expect(report.targets[2].drift?.sql).toMatch(/DROP COLUMN "note"/);
    expect(report.targets[2].drift?.sql).toMatch(/DROP INDEX CONCURRENTLY IF EXISTS "public"\."orders_total"/);
    expect(report.targets[2].drift?.changes).toHaveLength(2);
    expect(report.targets[3].drift?.sql).toMatch(/DROP VIEW "public"\."big_orders"/);
    expect(report.targets[5].error).toMatch(/connection refused/);
    expect(report.expectedSchemas?.built).toEqual([0, 3, 5]);
    expect(reportFails(report)).toBe(true);
    expect(formatReportText(report)).toMatch(/hand-made .* drifted .* schema drifted from version 5: 2 differences/);

    // Only read: records and schemas as they were; a fresh database gets no tracking table.
    expect(await recordedIds(handMade.url)).toEqual(Object.keys(SHOP));
    expect(await Promise.all([handMade, unrecorded].map((t) => columns(t.url)))).toEqual(before);
    expect(await query(fresh.url, `SELECT to_regclass('public.gorp_migrations') AS t`)).toEqual([{ t: null }]);
  });

  it('an all-consistent fleet does not fail', async () => {
    const set = await ws.migrations(SHOP);
    const report = await checkFleetDrift({
      set,
      targets: [await ws.database(set, 2), await ws.database(set, 5)],
      shadow: shadow(),
    });
    expect(report.counts).toMatchObject({ consistent: 2, drifted: 0, failed: 0 });
    expect(reportFails(report)).toBe(false);
  });
});
