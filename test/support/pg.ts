import { Client } from 'pg';
import { randomBytes } from 'node:crypto';

/** Superuser URL of the test server's `postgres` database (set by test/global-setup.ts). */
export function adminUrl(): string {
  const url = process.env.DB_MIGRATE_TEST_ADMIN_URL;
  if (!url) throw new Error('DB_MIGRATE_TEST_ADMIN_URL is not set: run the tests through jest (test/global-setup.ts)');
  return url;
}

/** URL of database `name` on the server of `server` (an admin URL; the main test server by default). */
export function databaseUrl(name: string, server: string = adminUrl()): string {
  const url = new URL(server);
  url.pathname = '/' + name;
  return url.toString();
}

/** Runs SQL on a database given by URL and returns the rows of the last statement. */
export async function query<T = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query(sql, params);
    const last = Array.isArray(result) ? result[result.length - 1] : result;
    return (last?.rows ?? []) as T[];
  } finally {
    await client.end();
  }
}

/**
 * Creates a fresh, uniquely named database for one test and returns its URL; on the main test server
 * unless `server` names another one (e.g. a PostgreSQL 16 or 17 server a test started).
 */
export async function createTestDatabase(prefix = 'test', server: string = adminUrl()): Promise<string> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`.toLowerCase();
  await query(server, `CREATE DATABASE "${name}"`);
  return databaseUrl(name, server);
}

/** Drops a database made by createTestDatabase, as the superuser of the server its URL names. */
export async function dropTestDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const main = process.env.DB_MIGRATE_TEST_ADMIN_URL;
  // On the main server the URL may carry a lesser role: drop as its superuser. Elsewhere the URL is the admin's.
  const server = main && new URL(main).host === target.host ? main : databaseUrl('postgres', url);
  await query(server, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

/** The tables of the `public` schema of a database, sorted by name. */
export async function publicTables(url: string): Promise<string[]> {
  const rows = await query<{ t: string }>(
    url,
    `select table_name as t from information_schema.tables where table_schema = 'public' order by 1`,
  );
  return rows.map((row) => row.t);
}
