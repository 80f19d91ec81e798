/**
 * Connections a fleet run opens, counted where the server sees them: every target's traffic goes
 * through a counting TCP proxy (bench/proxy.ts), and roles with a CONNECTION LIMIT let the server itself
 * refuse a second connection.
 */
import { randomBytes } from 'node:crypto';
import { type DelayProxy, startDelayProxy } from '../../../bench/proxy';
import { adminUrl, databaseUrl, query } from '../../../test/support/pg';
import { applyFleet, checkFleetDrift } from '../src/fleet/apply';
import { formatReportText } from '../src/fleet/report';
import { wordRemedy } from '../../cli/src/remedy-wording';
import { resolveTargets, type Target } from '../src/fleet/targets';
import { FAST_RETRY, SHOP, shadow, workspace } from './fleet-fixture';
import { scaled } from '../../../test/support/time';

const ws = workspace('conns');
const proxies: DelayProxy[] = [];
afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await ws.cleanup();
});

async function proxy(): Promise<DelayProxy> {
  const p = await startDelayProxy(Number(new URL(adminUrl()).port), 0);
  proxies.push(p);
  return p;
}

/** The fleet's targets, reached through `through`. */
function proxied(targets: readonly (Target & { url: string })[], through: DelayProxy): Target[] {
  return resolveTargets(
    targets.map((t) => ({ name: t.name, url: through.urlFor(t.url), groups: [], origin: 'test' })),
    {},
  );
}

/** Connections the proxy saw, per database name. */
function perDatabase(p: DelayProxy, urls: readonly string[]): number[] {
  return urls.map((url) => p.connections.filter((c) => c.database === new URL(url).pathname.slice(1)).length);
}

describe('connections per target', () => {
  // Through a proxy the server sees another client port than ours, so the lock's pooler check (lock.ts)
  // opens one short second connection: a pooler in transaction mode would break the session lock.
  it('apply (migrating, failing, up to date) and drift each use one session per database (plus the pooler check through a proxy), all closed', async () => {
    const set = await ws.migrations(SHOP);
    const dbs = [
      await ws.database(set, 0, 'fresh'),
      await ws.database(set, 3, 'middle'),
      await ws.database(set, 4, 'failing'),
      await ws.database(set, 5, 'latest'),
    ];
    // Duplicate emails make 0005's unique constraint fail on `failing`: its after-check runs too.
    await query(
      dbs[2].url,
      `INSERT INTO customers (name, email) VALUES ('x', 'same@example.com'), ('y', 'same@example.com')`,
    );
    const p = await proxy();
    const targets = proxied(dbs, p);

    // The duplicates pre-check, skipped by its size limit, leaves the failure to the migration. A statement
    // still running at half its lock timeout opens a second connection to see who blocks it (docs/locks.md);
    // a long lock timeout keeps this count exact on a loaded machine.
    const applied = await applyFleet({
      set,
      targets,
      shadow: shadow(),
      retry: FAST_RETRY,
      prechecks: { maxRows: 0 },
      lockTimeoutMs: scaled(120_000),
    });
    expect(applied.targets.map((t) => [t.name, t.status])).toEqual([
      ['fresh', 'applied'],
      ['middle', 'applied'],
      ['failing', 'failed'],
      ['latest', 'up-to-date'],
    ]);
    await p.idle();
    // The up-to-date target is told so by its records before the lock: no pooler check, one connection.
    expect(
      perDatabase(
        p,
        dbs.map((d) => d.url),
      ),
    ).toEqual([2, 2, 2, 1]);
    expect(applied.connections).toMatchObject({ opened: 4 });
    expect(formatReportText(applied, wordRemedy)).toMatch(
      /^4 connections to targets \(at most \d open at once, \d on one server\)$/m,
    );

    p.reset();
    const drift = await checkFleetDrift({ set, targets, shadow: shadow(), retry: FAST_RETRY });
    expect(drift.targets.map((t) => t.status)).toEqual(['consistent', 'consistent', 'consistent', 'consistent']);
    await p.idle();
    expect(
      perDatabase(
        p,
        dbs.map((d) => d.url),
      ),
    ).toEqual([2, 2, 2, 2]);
  });

  it('a per-host budget caps the connections open at once on each server, not across servers', async () => {
    const set = await ws.migrations(SHOP);
    const dbs = await Promise.all(Array.from({ length: 6 }, (_, i) => ws.database(set, i % 3, `budget${i}`)));
    // Two "servers": two proxies, three databases each.
    const [a, b] = [await proxy(), await proxy()];
    const targets = [...proxied(dbs.slice(0, 3), a), ...proxied(dbs.slice(3), b)];
    const report = await applyFleet({
      set,
      targets,
      shadow: shadow(),
      concurrency: 6,
      concurrencyPerHost: 1,
      retry: FAST_RETRY,
    });
    expect(report.counts.applied).toBe(6);
    // One target at a time on each server: its session, and for a moment the pooler check beside it.
    expect([a.peakOpen, b.peakOpen]).toEqual([2, 2]);
    expect(report.connections).toMatchObject({ opened: 6, peakPerServer: 1 });
  });

  it('a role with CONNECTION LIMIT 1: drift and apply finish on one session per target (the pooler check refused, said) and leave none open', async () => {
    const role = `fleet_one_conn_${randomBytes(4).toString('hex')}`;
    const rolePassword = `pw-${randomBytes(6).toString('hex')}`;
    const names = [0, 1, 2].map((i) => `conns_limited_${i}_${randomBytes(4).toString('hex')}`);
    await query(adminUrl(), `CREATE ROLE ${role} LOGIN PASSWORD '${rolePassword}' CONNECTION LIMIT 1`);
    try {
      for (const name of names) await query(adminUrl(), `CREATE DATABASE ${name} OWNER ${role}`);
      const p = await proxy();
      const urls = names.map((name) => {
        const url = new URL(databaseUrl(name));
        url.username = role;
        url.password = rolePassword;
        return url.toString();
      });
      const targets = proxied(
        urls.map((url, i) => ({ name: `limited${i}`, url, groups: [], database: names[i]! })),
        p,
      );
      const set = await ws.migrations(SHOP);
      // The server refuses a second connection of the role: anything above one per target fails.
      const drift = await checkFleetDrift({
        set,
        targets,
        shadow: shadow(),
        concurrencyPerHost: 1,
        retry: { attempts: 5, baseDelayMs: 50 },
      });
      expect(drift.targets.map((t) => t.status)).toEqual(['consistent', 'consistent', 'consistent']);
      const applied = await applyFleet({
        set,
        targets,
        shadow: shadow(),
        concurrencyPerHost: 1,
        retry: { attempts: 5, baseDelayMs: 50 },
      });
      expect(applied.targets.map((t) => [t.status, t.toVersion])).toEqual([
        ['applied', 5],
        ['applied', 5],
        ['applied', 5],
      ]);
      await p.idle();
      // The pooler check's second connection reaches the proxy and is refused by the server.
      expect(p.peakOpen).toBe(2);
    } finally {
      for (const name of names) await query(adminUrl(), `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await query(adminUrl(), `DROP ROLE IF EXISTS ${role}`);
    }
  });
});
