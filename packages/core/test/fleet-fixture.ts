/**
 * What the fleet, drift and sync tests share: a small shop schema as five migrations, a fleet of real
 * databases on the test server brought to chosen versions by the real applier, and their cleanup.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminUrl, createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';
import { up } from '../src/applier/migrator';
import type { Target } from '../src/fleet/targets';
import { describeDatabase } from '../src/database-url';
import { formatMigrationFile, type MigrationFileContent } from '../src/migrations/format';
import { type MigrationSet, readMigrationDir } from '../src/migrations/store';

export const SHOP: Readonly<Record<string, MigrationFileContent>> = {
  '0001_customers.sql': {
    up: ['CREATE TABLE customers (id bigserial PRIMARY KEY, name text NOT NULL)'],
    down: ['DROP TABLE customers'],
  },
  '0002_orders.sql': {
    up: [
      'CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers (id), total numeric NOT NULL DEFAULT 0)',
    ],
    down: ['DROP TABLE orders'],
  },
  '0003_customer_email.sql': {
    up: ['ALTER TABLE customers ADD COLUMN email text', 'CREATE INDEX customers_email ON customers (email)'],
    down: ['DROP INDEX customers_email', 'ALTER TABLE customers DROP COLUMN email'],
  },
  '0004_big_orders.sql': {
    up: ['CREATE VIEW big_orders AS SELECT id, customer_id, total FROM orders WHERE total > 1000'],
    down: ['DROP VIEW big_orders'],
  },
  '0005_unique_email.sql': {
    up: ['ALTER TABLE customers ADD CONSTRAINT customers_email_key UNIQUE (email)'],
    down: ['ALTER TABLE customers DROP CONSTRAINT customers_email_key'],
  },
};

export interface Workspace {
  readonly dir: string;
  /** Writes migration files (name -> content or raw text) into a fresh directory and reads it. */
  migrations(files: Readonly<Record<string, MigrationFileContent | string>>): Promise<MigrationSet>;
  /** A new database on the test server at `version` of `set` (applied by the real applier). */
  database(set: MigrationSet, version: number, name?: string): Promise<Target & { url: string }>;
  /** One new database per name, each at its version of `set`, made in the order given. */
  databases<N extends string>(
    set: MigrationSet,
    versions: Readonly<Record<N, number>>,
  ): Promise<Record<N, Target & { url: string }>>;
  cleanup(): Promise<void>;
}

export function workspace(prefix: string): Workspace {
  const dir = mkdtempSync(join(tmpdir(), `db-migrate-${prefix}-`));
  const urls: string[] = [];
  let sets = 0;
  return {
    dir,
    async migrations(files) {
      const path = join(dir, `migrations-${++sets}`);
      mkdirSync(path);
      for (const [name, content] of Object.entries(files))
        writeFileSync(join(path, name), typeof content === 'string' ? content : formatMigrationFile(content));
      return readMigrationDir(path);
    },
    async database(set, version, name) {
      const url = await createTestDatabase(prefix);
      urls.push(url);
      if (version > 0) {
        const run = await up(url, set, { to: version });
        if (run.error) throw run.error;
      }
      const targetName = name ?? `db${urls.length}`;
      return { name: targetName, url, groups: [], database: describeDatabase(url) };
    },
    async databases(set, versions) {
      const made = {} as Record<keyof typeof versions, Target & { url: string }>;
      for (const [name, version] of Object.entries(versions) as [keyof typeof versions, number][])
        made[name] = await this.database(set, version, name);
      return made;
    },
    async cleanup() {
      await Promise.all(urls.map((url) => dropTestDatabase(url)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function recordedIds(url: string): Promise<string[]> {
  const rows = await query<{ id: string }>(url, `SELECT id FROM gorp_migrations ORDER BY id`).catch(() => []);
  return rows.map((r) => r.id);
}

/** Columns of the user's tables, as `table.column type`: a cheap, independent view of the schema. */
export async function columns(url: string): Promise<string[]> {
  const rows = await query<{ c: string }>(
    url,
    `SELECT table_name || '.' || column_name || ' ' || data_type AS c FROM information_schema.columns
     WHERE table_schema = 'public' AND table_name <> 'gorp_migrations' ORDER BY 1`,
  );
  return rows.map((r) => r.c);
}

export const shadow = () => adminUrl();
export const password = () => decodeURIComponent(new URL(adminUrl()).password);
/** Fast retries for tests. */
export const FAST_RETRY = { attempts: 3, baseDelayMs: 20 } as const;
