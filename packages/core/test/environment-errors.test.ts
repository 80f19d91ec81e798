/**
 * Failures of the environment are configuration errors with a hint, never "a bug in db-migrate": an
 * embedded server whose initdb cannot write its directory, a missing right (SQLSTATE 42501) on a real
 * server, an exhausted connection limit.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { query } from '../../../test/support/pg';
import { createRole, dropRoles } from '../../../test/support/roles';
import { asConfigurationError, environmentProblem } from '../src/errors';
import { workspace } from './fleet-fixture';

const ws = workspace('env_errors');
afterAll(async () => {
  await ws.cleanup();
  await dropRoles();
});

describe('environment failures', () => {
  it('an embedded server that cannot be initialised: a configuration error naming initdb (or the directory) with a hint', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'db-migrate-test-locked-'));
    // Root runs initdb as the postgres user, which cannot enter a 0700 directory of root's; others cannot write 0500.
    chmodSync(parent, process.getuid?.() === 0 ? 0o700 : 0o500);
    // In a child process: os.tmpdir() reads the real environment, which jest's process.env is not.
    const script = `
      const { startLocalServer } = require(${JSON.stringify(join(__dirname, '../src/postgres-server/local-server.ts'))});
      const { asConfigurationError } = require(${JSON.stringify(join(__dirname, '../src/errors.ts'))});
      startLocalServer({ major: 15 }).then(
        (server) => server.stop().then(() => console.log(JSON.stringify({ started: true }))),
        (error) => { const c = asConfigurationError(error); console.log(JSON.stringify({ configuration: !!c, message: c ? c.message : String(error) })); },
      );`;
    try {
      const child = spawnSync(
        process.execPath,
        ['-r', join(__dirname, '../../../scripts/register-ts.js'), '-e', script],
        {
          env: { ...process.env, TMPDIR: parent },
          encoding: 'utf8',
        },
      );
      const result = JSON.parse(child.stdout.trim().split('\n').pop()!) as {
        configuration?: boolean;
        message?: string;
      };
      expect(result.configuration).toBe(true);
      expect(result.message).toMatch(
        process.getuid?.() === 0
          ? /^initdb of PostgreSQL 15 .* failed: [\s\S]*hint: .*writable by the postgres user/
          : /permission denied.*not accessible to this user/i,
      );
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('permission denied (42501) and too many connections (53300) from a real server are configuration errors with a hint', async () => {
    const set = await ws.migrations({});
    const db = await ws.database(set, 0);
    await query(db.url, 'CREATE TABLE secret (id int)');
    const role = await createRole('env_ro', 'LOGIN CONNECTION LIMIT 1');
    const client = new Client({ connectionString: role.urlFor(db.url) });
    await client.connect();
    try {
      const denied = await client.query('SELECT * FROM secret').catch((e: unknown) => e);
      expect((denied as { code?: string }).code).toBe('42501');
      expect(environmentProblem(denied)).toMatch(
        /permission denied for table secret \(the role lacks a right: see docs\/roles\.md/,
      );
      const second = new Client({ connectionString: role.urlFor(db.url) });
      const limit = await second.connect().then(
        () => undefined,
        (e: unknown) => e,
      );
      await second.end().catch(() => undefined);
      expect((limit as { code?: string }).code).toBe('53300');
      expect(asConfigurationError(limit)?.message).toMatch(/too many connections .*CONNECTION LIMIT is reached/);
      expect(asConfigurationError(new TypeError('x is undefined'))).toBeUndefined();
    } finally {
      await client.end();
    }
  });
});
