/**
 * Faults against the real test server: a session killed mid-migration, two runs at once, a migration
 * failing on one target, unreachable targets and wrong passwords, and transient failures retried.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { adminUrl, databaseUrl, query } from '../../../test/support/pg';
import { freePort } from '../src/postgres-server/local-server';
import { applyFleet } from '../src/fleet/apply';
import { formatReportText } from '../src/fleet/report';
import { resolveTargets } from '../src/fleet/targets';
import { memoryLogger } from '../../../test/support/logger';
import { FAST_RETRY, SHOP, columns, password, recordedIds, shadow, workspace } from './fleet-fixture';

const ws = workspace('faults');
afterAll(() => ws.cleanup());

const ids = (n: number) => Object.keys(SHOP).slice(0, n);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A memory logger that calls `onMatch` the first time an info line matches (e.g. the first retry). */
function watchingLogger(pattern: RegExp, onMatch: () => void) {
  const inner = memoryLogger();
  let fired = false;
  return {
    ...inner,
    info(message: string) {
      inner.info(message);
      if (!fired && pattern.test(message)) {
        fired = true;
        onMatch();
      }
    },
  };
}

async function tableExists(url: string, name: string): Promise<boolean> {
  return (
    (await query(url, `SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tablename = $1`, [name])).length > 0
  );
}

describe('fleet apply under faults', () => {
  it('a session killed mid-migration: that migration is rolled back whole; a re-run completes it', async () => {
    const set = await ws.migrations({
      ...SHOP,
      '0006_audit.sql': {
        up: ['CREATE TABLE audit (id bigserial PRIMARY KEY, note text)', 'SELECT pg_sleep(1)'],
        down: ['DROP TABLE audit'],
      },
    });
    const target = await ws.database(set, 5, 'victim');
    const dbName = new URL(target.url).pathname.slice(1);
    const running = applyFleet({ set, targets: [target], shadow: shadow(), retry: FAST_RETRY });
    // Kill the target's session while it sleeps inside migration 6.
    let killed = 0;
    for (let i = 0; i < 200 && killed === 0; i++) {
      const rows = await query<{ killed: boolean }>(
        adminUrl(),
        `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND query LIKE '%SELECT pg_sleep(1)%'`,
        [dbName],
      );
      killed = rows.filter((r) => r.killed).length;
      if (!killed) await sleep(20);
    }
    expect(killed).toBe(1);
    const report = await running;
    const outcome = report.targets[0];
    expect(outcome).toMatchObject({ status: 'failed', fromVersion: 5, toVersion: 5, migrations: [], attempts: 1 });
    expect(outcome.error).toMatch(
      /0006_audit\.sql line \d+ \(up\) on .*: statement "SELECT pg_sleep\(1\);" failed: terminating connection due to administrator command; the migration was rolled back/,
    );
    expect(outcome.error).toMatch(/it is left at version 5, unchanged by the failed migration/);
    // Rolled back whole: the table created before the sleep is gone, nothing recorded.
    expect(await tableExists(target.url, 'audit')).toBe(false);
    expect(await recordedIds(target.url)).toEqual(ids(5));

    const rerun = await applyFleet({ set, targets: [target], shadow: shadow(), retry: FAST_RETRY });
    expect(rerun.targets[0]).toMatchObject({
      status: 'applied',
      fromVersion: 5,
      toVersion: 6,
      migrations: ['0006_audit.sql'],
    });
    expect(await tableExists(target.url, 'audit')).toBe(true);
    expect(await recordedIds(target.url)).toEqual([...ids(5), '0006_audit.sql']);
  });

  it('two runs started on the same database at once: each migration is applied exactly once', async () => {
    const set = await ws.migrations({
      ...SHOP,
      '0006_seed.sql': {
        up: [`INSERT INTO customers (name) VALUES ('seeded')`, 'SELECT pg_sleep(0.3)'],
        down: [`DELETE FROM customers WHERE name = 'seeded'`],
      },
    });
    const target = await ws.database(set, 0, 'shared');
    const logger = memoryLogger();
    const [first, second] = await Promise.all([
      applyFleet({ set, targets: [target], shadow: shadow(), logger }),
      applyFleet({ set, targets: [target], shadow: shadow(), logger }),
    ]);
    const outcomes = [first.targets[0], second.targets[0]];
    expect(outcomes.map((o) => o.status).sort()).toEqual(['applied', 'up-to-date']);
    expect(outcomes.find((o) => o.status === 'applied')).toMatchObject({ fromVersion: 0, toVersion: 6 });
    expect(outcomes.find((o) => o.status === 'up-to-date')).toMatchObject({ fromVersion: 6 });
    expect(await query(target.url, `SELECT count(*)::int AS n FROM customers WHERE name = 'seeded'`)).toEqual([
      { n: 1 },
    ]);
    expect(await recordedIds(target.url)).toEqual([...ids(5), '0006_seed.sql']);
    // The second run waited for the first one's lock rather than failing.
    expect(logger.lines).toContainEqual(
      expect.stringMatching(/another db-migrate run holds the migration lock; waiting/),
    );
  });

  it('a migration failing on one target: the others finish, the failed one stays at its previous version', async () => {
    const set = await ws.migrations(SHOP);
    const targets = await Promise.all(['a', 'b', 'c'].map((name) => ws.database(set, 4, name)));
    // Duplicate emails make 0005's unique constraint fail on b only.
    await query(
      targets[1].url,
      `INSERT INTO customers (name, email) VALUES ('x', 'same@example.com'), ('y', 'same@example.com')`,
    );
    const before = await columns(targets[1].url);
    // The duplicates pre-check would refuse b before anything runs (fleet-prechecks.test.ts): skipped here
    // as on a table above its size limit, so the migration itself fails there.
    const report = await applyFleet({ set, targets, shadow: shadow(), retry: FAST_RETRY, prechecks: { maxRows: 0 } });
    expect(report.targets.map((t) => [t.name, t.status, t.fromVersion, t.toVersion])).toEqual([
      ['a', 'applied', 4, 5],
      ['b', 'failed', 4, 4],
      ['c', 'applied', 4, 5],
    ]);
    const failed = report.targets[1];
    expect(failed.attempts).toBe(1); // a unique violation is not worth retrying
    expect(failed.error).toMatch(
      /0005_unique_email\.sql line \d+ \(up\) on [^:]+:\d+\/[^:]+: statement "ALTER TABLE customers ADD CONSTRAINT customers_email_key UNIQUE \(email\);?" failed: could not create unique index/,
    );
    expect(failed.error).toMatch(/left at version 4, unchanged by the failed migration/);
    expect(await recordedIds(targets[1].url)).toEqual(ids(4));
    expect(await columns(targets[1].url)).toEqual(before);
    for (const t of [targets[0], targets[2]]) expect(await recordedIds(t.url)).toEqual(ids(5));
  });

  it('unreachable, wrong password, missing variable: each target fails with one clear line and no secret anywhere', async () => {
    const set = await ws.migrations(SHOP);
    const good = await ws.database(set, 5, 'good');
    const secret = `Wr0ng-${randomBytes(6).toString('hex')}`;
    const wrong = new URL(good.url);
    wrong.password = secret;
    const port = await freePort();
    const unreachablePassword = `Unr3ach-${randomBytes(6).toString('hex')}`;
    const targets = resolveTargets(
      [
        { name: 'good', url: good.url, groups: [], origin: 'test' },
        { name: 'wrong-password', url: wrong.toString(), groups: [], origin: 'test' },
        {
          name: 'unreachable',
          url: `postgres://app:${unreachablePassword}@127.0.0.1:${port}/nowhere`,
          groups: [],
          origin: 'test',
        },
        { name: 'no-url', urlEnv: 'DB_MIGRATE_TEST_UNSET_URL', groups: [], origin: 'targets.yml line 9' },
      ],
      {},
    );
    const logger = memoryLogger();
    const report = await applyFleet({ set, targets, shadow: shadow(), logger, retry: FAST_RETRY });
    expect(report.targets.map((t) => [t.name, t.status])).toEqual([
      ['good', 'up-to-date'],
      ['wrong-password', 'failed'],
      ['unreachable', 'failed'],
      ['no-url', 'failed'],
    ]);
    const host = new URL(good.url).host;
    expect(report.targets[1].error).toBe(
      `cannot connect to ${host}${new URL(good.url).pathname}: password authentication failed for user "${decodeURIComponent(wrong.username)}"`,
    );
    expect(report.targets[2].error).toBe(
      `cannot connect to 127.0.0.1:${port}/nowhere: connection refused (is PostgreSQL running and listening there?)`,
    );
    expect(report.targets[3].error).toBe(
      'environment variable DB_MIGRATE_TEST_UNSET_URL (url-env of "no-url", targets.yml line 9) is not set or empty',
    );
    expect(report.targets[1].attempts).toBe(1);
    const everything = [JSON.stringify(report), formatReportText(report), ...logger.lines].join('\n');
    for (const forbidden of [secret, unreachablePassword, password()]) expect(everything).not.toContain(forbidden);
  });

  it('a lock timeout is retried by the applier after a pause, naming the blocker, until the lock is free', async () => {
    const set = await ws.migrations(SHOP);
    const target = await ws.database(set, 2, 'contended');
    // An application transaction that read customers holds a lock ALTER TABLE must wait for.
    const blocker = new Client({ connectionString: target.url, application_name: 'reports' });
    await blocker.connect();
    const blockerPid = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    await blocker.query('BEGIN');
    await blocker.query('SELECT count(*) FROM customers');
    // The application's transaction ends once the run has hit the lock timeout and scheduled a retry.
    let releaseNow: () => void = () => undefined;
    const release = Promise.race([new Promise<void>((resolve) => (releaseNow = resolve)), sleep(30_000)])
      .then(() => blocker.query('COMMIT'))
      .finally(() => blocker.end());
    const inner = watchingLogger(/^$/, () => undefined);
    const logger = { ...inner, warning: (m: string) => (inner.warning(m), /attempt 1;/.test(m) && releaseNow()) };
    const report = await applyFleet({ set, targets: [target], shadow: shadow(), logger, lockTimeoutMs: 150 });
    await release;
    const outcome = report.targets[0];
    expect(outcome).toMatchObject({ status: 'applied', fromVersion: 2, toVersion: 5 });
    // The whole migration ran again inside the same fleet attempt.
    expect(outcome.attempts).toBe(1);
    expect(outcome.migrations).toEqual(['0003_customer_email.sql', '0004_big_orders.sql', '0005_unique_email.sql']);
    expect(inner.lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^warning: contended: .*0003_customer_email\\.sql line \\d+ \\(up\\) on .*: AccessExclusiveLock on public\\.customers not granted in 150 ms, attempt 1; blocked by pid ${blockerPid} \\(app 'reports'.*the migration was rolled back and runs again whole, next attempt in [\\d.]+ s$`,
        ),
      ),
    );
    expect(await recordedIds(target.url)).toEqual(ids(5));
  });

  it('too many connections is transient: the target connects once a slot frees up', async () => {
    const role = `fleet_limited_${randomBytes(4).toString('hex')}`;
    const rolePassword = `pw-${randomBytes(6).toString('hex')}`;
    const dbName = `faults_${randomBytes(5).toString('hex')}`;
    await query(adminUrl(), `CREATE ROLE ${role} LOGIN PASSWORD '${rolePassword}' CONNECTION LIMIT 3`);
    await query(adminUrl(), `CREATE DATABASE ${dbName} OWNER ${role}`);
    const url = new URL(databaseUrl(dbName));
    url.username = role;
    url.password = rolePassword;
    const holders: Client[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const client = new Client({ connectionString: url.toString() });
        await client.connect();
        holders.push(client);
      }
      const set = await ws.migrations(SHOP);
      const [target] = resolveTargets([{ name: 'limited', url: url.toString(), groups: [], origin: 'test' }], {});
      // The slots free up once the run has been refused and scheduled a retry.
      let releaseNow: () => void = () => undefined;
      const release = Promise.race([new Promise<void>((resolve) => (releaseNow = resolve)), sleep(30_000)]).then(() =>
        Promise.all(holders.splice(0).map((c) => c.end())),
      );
      const logger = watchingLogger(/transient, trying again/, () => releaseNow());
      const report = await applyFleet({
        set,
        targets: [target],
        shadow: shadow(),
        logger,
        retry: { attempts: 6, baseDelayMs: 150 },
      });
      await release;
      expect(report.targets[0]).toMatchObject({ status: 'applied', fromVersion: 0, toVersion: 5 });
      expect(report.targets[0].attempts).toBeGreaterThan(1);
      expect(logger.lines).toContainEqual(
        expect.stringMatching(
          /^limited: cannot connect to .*: too many connections for role .* — transient, trying again/,
        ),
      );
      expect(logger.lines.join('\n')).not.toContain(rolePassword);
    } finally {
      await Promise.all(holders.map((c) => c.end().catch(() => undefined)));
      await query(adminUrl(), `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await query(adminUrl(), `DROP ROLE IF EXISTS ${role}`);
    }
  });
});
