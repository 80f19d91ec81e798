/**
 * Fleet apply and drift check over many client databases on one server (200 and 1000 by default).
 *
 * A realistic schema (30 tables by the last of 10 migrations: accounts, orders, invoices, stock, ...
 * with foreign keys, indexes, an enum, a view, a trigger function) and two fleets on one local server
 * (startLocalServer): BENCH_SMALL (default 200) and BENCH_FLEET (default 1000) databases, spread evenly
 * over versions 0..10. Provisioning (template databases per version, then one template copy per client)
 * is timed apart and is not part of the figures.
 *
 * Each run is a fresh node process, as the CLI would be: `drift` over the fleet (read-only, so run
 * first), then `apply` (every database checked, migrated to version 10 and checked again). Expected
 * schemas are built on the same server (a URL shadow, as a workflow `services:` container would be).
 * Reported: wall time; per database the wall share (wall / fleet size) and that share against one
 * catalog introspection of a version-10 database on an idle server (the check reads the live catalog
 * once, apply reads it twice); the time one target took from start to end (lock, read version, wait for
 * its expected schema, introspect and compare, migrate, introspect and compare; with 8 in flight on 2
 * cores, mostly waiting for CPU); the versions whose schema was built; the child's peak RSS and its
 * growth during the run (200 vs 1000: memory must not grow with the fleet).
 *
 * Run: pnpm bench fleet      BENCH_FLEET=1000 BENCH_SMALL=200 BENCH_CONCURRENCY=8 to change the sizes.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { up } from '../packages/core/src/applier/migrator';
import { introspect } from '../packages/core/src/diff';
import { applyFleet, checkFleetDrift } from '../packages/core/src/fleet/apply';
import type { FleetReport } from '../packages/core/src/fleet/report';
import { mapWithConcurrency } from '../packages/core/src/fleet/pool';
import { DEFAULT_CONCURRENCY } from '../packages/core/src/fleet/runner';
import { resolveTargets } from '../packages/core/src/fleet/targets';
import { silentLogger } from '../packages/core/src/logger';
import { formatMigrationFile, type MigrationFileContent } from '../packages/core/src/migrations/format';
import { readMigrationDir } from '../packages/core/src/migrations/store';
import { connectDatabase } from '../packages/core/src/pg/connect';
import { startLocalServer } from '../packages/core/src/postgres-server/local-server';
import { MiB, markdownTable, median, runTypeScriptChild } from './support';

const FLEET = Number(process.env.BENCH_FLEET ?? 1000);
const SMALL = Number(process.env.BENCH_SMALL ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? DEFAULT_CONCURRENCY);
export const VERSIONS = 10;

const fk = (table: string) => `${table.replace(/s$/, '')}_id bigint NOT NULL REFERENCES ${table} (id)`;
const table = (name: string, ...columns: string[]) =>
  `CREATE TABLE ${name} (id bigserial PRIMARY KEY, ${columns.join(', ')}, created_at timestamptz NOT NULL DEFAULT now())`;

/** Ten migrations of a small SaaS back office: 24 tables at version 1, 30 at version 10. */
export const MIGRATIONS: readonly [string, MigrationFileContent][] = [
  [
    '0001_initial.sql',
    {
      up: [
        `CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled')`,
        table('accounts', 'name text NOT NULL', "plan text NOT NULL DEFAULT 'free'"),
        table('users', fk('accounts'), 'email text NOT NULL UNIQUE', 'name text'),
        table('roles', 'name text NOT NULL UNIQUE'),
        table('user_roles', fk('users'), fk('roles')),
        table('customers', fk('accounts'), 'name text NOT NULL', 'email text'),
        table('addresses', fk('customers'), 'line1 text NOT NULL', 'city text NOT NULL', 'country char(2) NOT NULL'),
        table('categories', 'name text NOT NULL', 'parent_id bigint REFERENCES categories (id)'),
        table('products', 'name text NOT NULL', 'price numeric(12,2) NOT NULL CHECK (price >= 0)'),
        table('product_categories', fk('products'), fk('categories')),
        table('price_lists', fk('accounts'), 'name text NOT NULL'),
        table('prices', fk('price_lists'), fk('products'), 'amount numeric(12,2) NOT NULL'),
        table(
          'orders',
          fk('customers'),
          `status order_status NOT NULL DEFAULT 'new'`,
          'total numeric(12,2) NOT NULL DEFAULT 0',
        ),
        table(
          'order_items',
          fk('orders'),
          fk('products'),
          'quantity integer NOT NULL',
          'unit_price numeric(12,2) NOT NULL',
        ),
        table('payments', fk('orders'), 'amount numeric(12,2) NOT NULL', 'provider text NOT NULL'),
        table('invoices', fk('orders'), 'number text NOT NULL UNIQUE', 'due_on date'),
        table('invoice_lines', fk('invoices'), 'description text NOT NULL', 'amount numeric(12,2) NOT NULL'),
        table('warehouses', 'name text NOT NULL', 'country char(2) NOT NULL'),
        table('shipments', fk('orders'), fk('warehouses'), 'tracking text'),
        table('shipment_items', fk('shipments'), fk('order_items')),
        table('stock_levels', fk('warehouses'), fk('products'), 'quantity integer NOT NULL DEFAULT 0'),
        table('suppliers', 'name text NOT NULL', 'email text'),
        table('purchase_orders', fk('suppliers'), fk('warehouses'), 'ordered_on date NOT NULL'),
        table('purchase_order_lines', fk('purchase_orders'), fk('products'), 'quantity integer NOT NULL'),
        table('audit_log', 'actor text', 'action text NOT NULL', 'payload jsonb'),
        'CREATE INDEX orders_customer ON orders (customer_id)',
        'CREATE INDEX order_items_order ON order_items (order_id)',
        'CREATE INDEX audit_log_created ON audit_log (created_at)',
      ],
      down: [
        'DROP TABLE audit_log, purchase_order_lines, purchase_orders, suppliers, stock_levels, shipment_items, shipments, warehouses, invoice_lines, invoices, payments, order_items, orders, prices, price_lists, product_categories, products, categories, addresses, customers, user_roles, roles, users, accounts',
        'DROP TYPE order_status',
      ],
    },
  ],
  [
    '0002_customer_phone.sql',
    {
      up: ['ALTER TABLE customers ADD COLUMN phone text', 'CREATE INDEX customers_phone ON customers (phone)'],
      down: ['ALTER TABLE customers DROP COLUMN phone'],
    },
  ],
  [
    '0003_coupons.sql',
    {
      up: [
        table('coupons', 'code text NOT NULL UNIQUE', 'percent integer NOT NULL CHECK (percent BETWEEN 1 AND 100)'),
        table('order_coupons', fk('orders'), fk('coupons')),
      ],
      down: ['DROP TABLE order_coupons, coupons'],
    },
  ],
  ['0004_refunded.sql', { up: [`ALTER TYPE order_status ADD VALUE 'refunded'`] }],
  [
    '0005_order_totals.sql',
    {
      up: [
        'CREATE VIEW order_totals AS SELECT o.id, o.customer_id, sum(i.quantity * i.unit_price) AS total FROM orders o JOIN order_items i ON i.order_id = o.id GROUP BY o.id',
      ],
      down: ['DROP VIEW order_totals'],
    },
  ],
  [
    '0006_tags.sql',
    {
      up: [table('tags', 'name text NOT NULL UNIQUE'), table('customer_tags', fk('customers'), fk('tags'))],
      down: ['DROP TABLE customer_tags, tags'],
    },
  ],
  [
    '0007_product_sku.sql',
    {
      up: ['ALTER TABLE products ADD COLUMN sku text', 'CREATE UNIQUE INDEX products_sku ON products (sku)'],
      down: ['ALTER TABLE products DROP COLUMN sku'],
    },
  ],
  [
    '0008_updated_at.sql',
    {
      up: [
        'ALTER TABLE orders ADD COLUMN updated_at timestamptz',
        `CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$`,
        'CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch_updated_at()',
      ],
      down: [
        'DROP TRIGGER orders_touch ON orders',
        'DROP FUNCTION touch_updated_at()',
        'ALTER TABLE orders DROP COLUMN updated_at',
      ],
    },
  ],
  [
    '0009_webhooks.sql',
    {
      up: [
        table('webhooks', fk('accounts'), 'url text NOT NULL'),
        table('webhook_deliveries', fk('webhooks'), 'status integer', 'body jsonb'),
      ],
      down: ['DROP TABLE webhook_deliveries, webhooks'],
    },
  ],
  [
    '0010_order_notes.sql',
    {
      up: [
        'ALTER TABLE orders ADD COLUMN notes text',
        'ALTER TABLE order_items ADD CONSTRAINT order_items_quantity_positive CHECK (quantity > 0)',
      ],
      down: [
        'ALTER TABLE order_items DROP CONSTRAINT order_items_quantity_positive',
        'ALTER TABLE orders DROP COLUMN notes',
      ],
    },
  ],
];

interface ChildSpec {
  readonly op: 'apply' | 'drift';
  readonly dir: string;
  readonly shadow: string;
  readonly urls: readonly string[];
  readonly concurrency: number;
}

interface ChildFigures {
  readonly wallMs: number;
  readonly baseRssMiB: number;
  readonly peakRssMiB: number;
  readonly sumTargetMs: number;
  readonly counts: FleetReport['counts'];
  readonly built: readonly number[];
  readonly connections: number;
}

/** Child mode: one fleet run, figures as JSON on stdout. */
async function child(spec: ChildSpec): Promise<ChildFigures> {
  const set = await readMigrationDir(spec.dir);
  const targets = resolveTargets(
    spec.urls.map((url, i) => ({ name: `client-${i}`, url, groups: [], origin: 'bench' })),
    {},
  );
  const baseRss = process.memoryUsage().rss;
  let peakRss = baseRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
  const started = performance.now();
  const options = { set, targets, shadow: spec.shadow, concurrency: spec.concurrency, logger: silentLogger };
  const report = spec.op === 'apply' ? await applyFleet(options) : await checkFleetDrift(options);
  const wallMs = performance.now() - started;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const failed = report.targets.find((t) => t.status === 'failed');
  if (failed) throw new Error(`${failed.name}: ${failed.error}`);
  return {
    wallMs,
    baseRssMiB: baseRss / MiB,
    peakRssMiB: peakRss / MiB,
    sumTargetMs: report.targets.reduce((sum, t) => sum + t.durationMs, 0),
    counts: report.counts,
    built: report.expectedSchemas?.built ?? [],
    connections: report.connections?.opened ?? 0,
  };
}

/** Writes the bench's migration files into `work`/migrations and returns that directory. */
export function writeMigrations(work: string): string {
  const dir = join(work, 'migrations');
  mkdirSync(dir);
  for (const [name, content] of MIGRATIONS) writeFileSync(join(dir, name), formatMigrationFile(content));
  return dir;
}

/**
 * Provisioning, not measured: one template database per version (template_v0..template_v10, made once
 * per server), then a copy per name, the versions spread evenly (name i at version i mod 11). Returns the URLs.
 */
export async function provisionFleet(adminUrl: string, dir: string, names: readonly string[]): Promise<string[]> {
  const set = await readMigrationDir(dir);
  const admin = await connectDatabase(adminUrl);
  const templates: string[] = [];
  const existing = new Set(
    (await admin.query<{ datname: string }>('SELECT datname FROM pg_database')).rows.map((r) => r.datname),
  );
  for (let v = 0; v <= VERSIONS; v++) {
    const name = `template_v${v}`;
    if (!existing.has(name)) {
      await admin.query(
        v === 0 ? `CREATE DATABASE ${name} TEMPLATE template0` : `CREATE DATABASE ${name} TEMPLATE ${templates[v - 1]}`,
      );
      if (v > 0) {
        const migrated = await up(siblingUrl(adminUrl, name), set, { to: v });
        if (migrated.error) throw migrated.error;
      }
    }
    templates.push(name);
  }
  await admin.end();
  // Copies of one template may run side by side (nobody is connected to it): four at a time.
  const admins = await Promise.all([0, 1, 2, 3].map(() => connectDatabase(adminUrl)));
  await mapWithConcurrency(names, admins.length, async (name, i) => {
    await admins[i % admins.length]!.query(`CREATE DATABASE ${name} TEMPLATE ${templates[i % (VERSIONS + 1)]}`);
  });
  await Promise.all(admins.map((c) => c.end()));
  return names.map((name) => siblingUrl(adminUrl, name));
}

export function siblingUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = '/' + name;
  return url.toString();
}

export async function run(): Promise<string> {
  const server = await startLocalServer({ postgresVersion: 15 });
  const work = mkdtempSync(join(tmpdir(), 'db-migrate-bench-fleet-'));
  try {
    const dir = writeMigrations(work);
    const provisionStarted = performance.now();
    const copies = (['small', 'large'] as const).flatMap((fleet) =>
      Array.from({ length: fleet === 'small' ? SMALL : FLEET }, (_, i) => ({ fleet, name: `${fleet}_${i}` })),
    );
    const urls = await provisionFleet(
      server.adminUrl,
      dir,
      copies.map((c) => c.name),
    );
    const templates = Array.from({ length: VERSIONS + 1 }, (_, v) => `template_v${v}`);
    const fleets = {
      small: urls.filter((_, i) => copies[i]!.fleet === 'small'),
      large: urls.filter((_, i) => copies[i]!.fleet === 'large'),
    };
    const provisionMs = performance.now() - provisionStarted;

    // One catalog introspection of a version-10 database: the unit a target's check is made of.
    const latest = siblingUrl(server.adminUrl, templates[VERSIONS]);
    const samples: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      await introspect(latest);
      if (i > 0) samples.push(performance.now() - t);
    }
    const introspectMs = median(samples);

    const rows: string[][] = [];
    const figures: { op: string; size: number; f: ChildFigures }[] = [];
    for (const op of ['drift', 'apply'] as const) {
      for (const fleet of ['small', 'large'] as const) {
        const specFile = join(work, `${op}-${fleet}.json`);
        const spec: ChildSpec = { op, dir, shadow: server.adminUrl, urls: fleets[fleet], concurrency: CONCURRENCY };
        writeFileSync(specFile, JSON.stringify(spec));
        const result = await runTypeScriptChild('bench/fleet.ts', { BENCH_FLEET_CHILD: specFile }, 300_000);
        if (result.code !== 0) throw new Error(`bench child ${op} ${fleet} failed: ${result.stderr.slice(-2000)}`);
        const f = JSON.parse(result.stdout.trim().split('\n').pop()!) as ChildFigures;
        const size = fleets[fleet].length;
        figures.push({ op, size, f });
        const outcome = Object.entries(f.counts)
          .filter(([, n]) => n > 0)
          .map(([s, n]) => `${n} ${s}`)
          .join(', ');
        rows.push([
          op,
          String(size),
          (f.wallMs / 1000).toFixed(1),
          (f.wallMs / size).toFixed(0),
          (f.wallMs / size / introspectMs).toFixed(1),
          (f.sumTargetMs / size).toFixed(0),
          String(f.built.length),
          (f.connections / size).toFixed(2),
          f.peakRssMiB.toFixed(0),
          (f.peakRssMiB - f.baseRssMiB).toFixed(0),
          outcome,
        ]);
      }
    }
    const largeApply = figures.find((x) => x.op === 'apply' && x.size === FLEET)!;
    const smallApply = figures.find((x) => x.op === 'apply' && x.size === SMALL)!;
    const header = [
      'run',
      'DBs',
      'wall (s)',
      'wall per DB (ms)',
      'per DB / introspection (x)',
      'one target (ms)',
      'expected schemas',
      'connections per DB (n)',
      'peak RSS (MiB)',
      'RSS growth (MiB)',
      'outcome',
    ];
    return [
      `Fleets of ${SMALL} and ${FLEET} client databases on one local PostgreSQL 15 server, spread over versions 0..${VERSIONS} of a ${MIGRATIONS.length}-migration schema`,
      `(30 tables at version ${VERSIONS}); ${CONCURRENCY} targets at a time; expected schemas built on the same server.`,
      `Provisioning (not measured): ${(provisionMs / 1000).toFixed(1)} s for ${VERSIONS + 1} templates and ${SMALL + FLEET} client copies.`,
      `One catalog introspection of a version-${VERSIONS} database: ${introspectMs.toFixed(0)} ms (median of 9).`,
      '',
      markdownTable(header, rows),
      '',
      `apply over ${FLEET}: ${(largeApply.f.wallMs / 1000).toFixed(1)} s (target: under 60 s); peak RSS of apply over ${FLEET} / over ${SMALL}: ` +
        `${(largeApply.f.peakRssMiB / smallApply.f.peakRssMiB).toFixed(2)}x (target: within 1.2x).`,
    ].join('\n');
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module && process.env.BENCH_FLEET_CHILD) {
  const spec = JSON.parse(readFileSync(process.env.BENCH_FLEET_CHILD, 'utf8')) as ChildSpec;
  child(spec).then(
    (figures) => process.stdout.write(JSON.stringify(figures) + '\n'),
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? error}\n`);
      process.exitCode = 1;
    },
  );
}
