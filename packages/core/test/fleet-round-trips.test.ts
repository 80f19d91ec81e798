/**
 * Round trips per target, counted by a real TCP proxy (bench/proxy.ts: each time the client speaks
 * after the server did). Across regions each costs the network's round trip, so the budgets below are
 * what keeps a small fleet run near the bare sql-migrate loop (bench/network.ts); a change that adds a
 * round trip to every target fails here. Counts, never the clock.
 */
import { type DelayProxy, startDelayProxy } from '../../../bench/proxy';
import { adminUrl, query } from '../../../test/support/pg';
import { up } from '../src/applier/migrator';
import { applyFleet } from '../src/fleet/apply';
import { resolveTargets, type Target } from '../src/fleet/targets';
import type { MigrationFileContent } from '../src/migrations/format';
import { shadow, workspace } from './fleet-fixture';

const ws = workspace('round-trips');
let proxy: DelayProxy;
beforeAll(async () => {
  proxy = await startDelayProxy(Number(new URL(adminUrl()).port), 0);
});
afterAll(async () => {
  await proxy.close();
  await ws.cleanup();
});

/** bench/network.ts' small run: a typical day's release. */
const SMALL: Readonly<Record<string, MigrationFileContent>> = {
  '0001_notes.sql': {
    up: ['CREATE TABLE notes (id bigserial PRIMARY KEY, body text NOT NULL)'],
    down: ['DROP TABLE notes'],
  },
  '0002_notes_author.sql': {
    up: ['ALTER TABLE notes ADD COLUMN author text'],
    down: ['ALTER TABLE notes DROP COLUMN author'],
  },
  '0003_notes_author_index.sql': {
    up: ['CREATE INDEX notes_author ON notes (author)'],
    down: ['DROP INDEX notes_author'],
  },
};

/**
 * The session's connection: connect and SCRAM (3), a look at the records before the lock (1), lock (1), the pooler check's question (1), version
 * read (1), drift check (1), the bookkeeping checked and created (2), one per migration (3), the
 * after-check (1), unlock (1), close (1). The pooler check's own connection (the server sees another
 * client port through the proxy): connect (3), BEGIN and its question (1), close (1).
 */
const SMALL_RUN_BUDGET = { session: 16, poolerCheck: 5 };
/**
 * Nothing pending: connect (3), version read (2: the bookkeeping, its rows), close (1); the records alone
 * say so, before the lock: no lock, no pooler check.
 */
const NOTHING_PENDING_BUDGET = [6];

/** Round trips of each connection the proxy saw to `url`'s database, in the order they opened. */
function roundTrips(url: string): number[] {
  const name = new URL(url).pathname.slice(1);
  return proxy.connections.filter((c) => c.database === name).map((c) => c.roundTrips);
}

function proxied(targets: readonly (Target & { url: string })[]): Target[] {
  return resolveTargets(
    targets.map((t) => ({ name: t.name, url: proxy.urlFor(t.url), groups: [], origin: 'test' })),
    {},
  );
}

describe('round trips per target', () => {
  it('a small run: three migrations on fresh databases within the budget, each target alike', async () => {
    const set = await ws.migrations(SMALL);
    const dbs = [await ws.database(set, 0, 'a'), await ws.database(set, 0, 'b'), await ws.database(set, 0, 'c')];
    proxy.reset();
    const report = await applyFleet({ set, targets: proxied(dbs), shadow: shadow(), concurrency: 8 });
    expect(report.targets.map((t) => [t.name, t.status, t.toVersion])).toEqual([
      ['a', 'applied', 3],
      ['b', 'applied', 3],
      ['c', 'applied', 3],
    ]);
    await proxy.idle();
    for (const db of dbs) {
      const [session, poolerCheck, ...more] = roundTrips(db.url);
      expect(more).toEqual([]);
      expect({ session, poolerCheck }).toEqual(SMALL_RUN_BUDGET);
    }

    // Nothing pending now: read, found up to date, left alone.
    proxy.reset();
    const again = await applyFleet({ set, targets: proxied(dbs), shadow: shadow(), concurrency: 8 });
    expect(again.targets.map((t) => t.status)).toEqual(['up-to-date', 'up-to-date', 'up-to-date']);
    await proxy.idle();
    for (const db of dbs) expect(roundTrips(db.url)).toEqual(NOTHING_PENDING_BUDGET);
  });

  it('a migration sent in one round trip still names the statement and line that failed, with or without an error position', async () => {
    const set = await ws.migrations({
      '0001_a.sql': {
        up: ['CREATE TABLE a (id int)', 'INSERT INTO a VALUES (1)', 'SELECT 1 / (SELECT count(*) - 1 FROM a)'],
        down: ['DROP TABLE a'],
      },
    });
    const url = (await ws.database(set, 0)).url;
    // No position: division by zero is found by the statements completed before it.
    const run = await up(url, set);
    expect(run.error).toMatchObject({ kind: 'sql', fileName: '0001_a.sql', line: 6, sqlState: '22012' });
    expect(run.error!.message).toMatch(
      /0001_a\.sql line 6 \(up\) on .*: statement "SELECT 1 \/ \(SELECT count\(\*\) - 1 FROM a\);" failed: division by zero; the migration was rolled back/,
    );
    expect(await query(url, `SELECT 1 FROM pg_tables WHERE tablename = 'a'`)).toEqual([]);

    // A syntax error stops the whole string before anything runs: found by its position.
    const syntax = await ws.migrations({
      '0001_a.sql': { up: ['CREATE TABLE a (id int)', 'INSERT INTO a\n  VALUES (1,,2)'], down: ['DROP TABLE a'] },
    });
    const failed = await up(url, syntax);
    expect(failed.error).toMatchObject({ kind: 'sql', fileName: '0001_a.sql', line: 5, sqlState: '42601' });
    expect(await query(url, `SELECT 1 FROM pg_tables WHERE tablename = 'a'`)).toEqual([]);
  });

  it('a string is read as it would be statement by statement, after a migration that changed how strings are read', async () => {
    const set = await ws.migrations({
      '0001_t.sql': {
        up: ['CREATE TABLE t (v text)', 'SET standard_conforming_strings = off'],
        down: ['DROP TABLE t'],
      },
      '0002_v.sql': { up: ["INSERT INTO t VALUES ('a\\b')"], down: ['DELETE FROM t'] },
    });
    const url = (await ws.database(set, 0)).url;
    const run = await up(url, set);
    expect(run.error).toBeUndefined();
    // Each migration starts from the session's defaults: the backslash is a character, not an escape.
    expect(await query(url, 'SELECT v, length(v) AS n FROM t')).toEqual([{ v: 'a\\b', n: 3 }]);
  });
});
