import { query, createTestDatabase, dropTestDatabase, adminUrl } from '../../../test/support/pg';
import { startLocalServer } from '../src/shadow/local-server';
import { existsSync } from 'node:fs';

describe('the local PostgreSQL server', () => {
  it('serves the test run on 127.0.0.1 with password authentication', async () => {
    const url = await createTestDatabase();
    const [row] = await query<{ v: string }>(url, `select current_setting('server_version_num') as v`);
    expect(Number(row.v)).toBeGreaterThanOrEqual(150000);
    const wrong = new URL(adminUrl());
    wrong.password = 'wrong';
    await expect(query(wrong.toString(), 'select 1')).rejects.toThrow(/password authentication failed/);
    await dropTestDatabase(url);
  });

  it('stops and removes its files', async () => {
    const server = await startLocalServer();
    const [row] = await query<{ d: string }>(server.adminUrl, `select current_setting('data_directory') as d`);
    expect(existsSync(row.d)).toBe(true);
    await server.stop();
    expect(existsSync(row.d)).toBe(false);
    await expect(query(server.adminUrl, 'select 1')).rejects.toThrow(/ECONNREFUSED/);
  });
});
