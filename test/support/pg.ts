import { Client } from 'pg';
import { randomBytes } from 'node:crypto';

/** Superuser URL of the test server's `postgres` database (set by test/global-setup.ts). */
export function adminUrl(): string {
  const url = process.env.DB_MIGRATE_TEST_ADMIN_URL;
  if (!url) throw new Error('DB_MIGRATE_TEST_ADMIN_URL is not set: run the tests through jest (test/global-setup.ts)');
  return url;
}

export function databaseUrl(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = '/' + name;
  return url.toString();
}

/** Runs SQL on a database given by URL and returns the rows of the last statement. */
export async function query<T = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
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

/** Creates a fresh, uniquely named database for one test and returns its URL. */
export async function createTestDatabase(prefix = 'test'): Promise<string> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`.toLowerCase();
  await query(adminUrl(), `CREATE DATABASE "${name}"`);
  return databaseUrl(name);
}

export async function dropTestDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  await query(adminUrl(), `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}
