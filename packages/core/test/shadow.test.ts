import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  adminUrl,
  createTestDatabase,
  databaseUrl,
  dropTestDatabase,
  query,
  publicTables,
} from '../../../test/support/pg';
import { caught } from '../../../test/support/rejection';
import { ConfigurationError } from '../src/errors';
import { describeDatabase } from '../src/database-url';
import { silentLogger } from '../src/logger';
import { dockerEndpoint, openDockerServer } from '../src/shadow/docker';
import { openShadowServer, parseShadowSpec, SHADOW_DATABASE_PREFIX, type ShadowServer } from '../src/shadow';
import { openShadowDatabases } from '../src/shadow/shadow-databases';

const password = () => decodeURIComponent(new URL(adminUrl()).password);

async function databaseExists(name: string): Promise<boolean> {
  const rows = await query(adminUrl(), 'select 1 from pg_database where datname = $1', [name]);
  return rows.length === 1;
}

describe('parseShadowSpec', () => {
  it('reads embedded (the default), docker and postgres URLs, and refuses anything else without echoing secrets', () => {
    expect(parseShadowSpec(undefined)).toEqual({ kind: 'embedded' });
    expect(parseShadowSpec('  ')).toEqual({ kind: 'embedded' });
    expect(parseShadowSpec('Embedded')).toEqual({ kind: 'embedded' });
    expect(parseShadowSpec('docker')).toEqual({ kind: 'docker' });
    expect(parseShadowSpec('postgres://u:p@db:5432/x')).toEqual({ kind: 'url', url: 'postgres://u:p@db:5432/x' });
    expect(parseShadowSpec('postgresql://u@db/x')).toEqual({ kind: 'url', url: 'postgresql://u@db/x' });
    const error = (() => {
      try {
        parseShadowSpec('mysql://root:hunter22@db/x', '--shadow');
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error?.message).toMatch(/^--shadow: .* is not one of embedded, docker or a postgres:\/\/ URL/);
    expect(error?.message).not.toContain('hunter22');
  });
});

describe('the URL shadow provider (an existing server)', () => {
  let server: ShadowServer;
  beforeEach(async () => {
    server = await openShadowServer(adminUrl(), { postgresVersion: 15, logger: silentLogger });
  });
  afterEach(() => server.close());

  it('creates prefixed databases, drops them, and never touches other databases', async () => {
    const bystander = await createTestDatabase('bystander');
    try {
      expect(server.description).toBe(`PostgreSQL 15 at ${describeDatabase(adminUrl())}`);
      expect(server.description).not.toContain(password());
      expect(server.major).toBe(15);
      const a = await server.createDatabase();
      const b = await server.createDatabase();
      for (const db of [a, b]) {
        expect(db.name).toMatch(new RegExp(`^${SHADOW_DATABASE_PREFIX}[0-9a-f]{16}$`));
        expect(await databaseExists(db.name)).toBe(true);
        await query(db.url, 'create table t (id int)');
      }
      expect(a.name).not.toBe(b.name);
      expect(describeDatabase(a.url)).toBe(describeDatabase(databaseUrl(a.name)));

      // An open session does not stop the drop.
      const session = new Client({ connectionString: a.url });
      session.on('error', () => undefined);
      await session.connect();
      await a.drop();
      await a.drop();
      await session.end().catch(() => undefined);
      expect(await databaseExists(a.name)).toBe(false);
      expect(await databaseExists(b.name)).toBe(true);

      await server.close();
      await server.close();
      expect(await databaseExists(b.name)).toBe(false);
      expect(await databaseExists(decodeURIComponent(new URL(bystander).pathname.slice(1)))).toBe(true);
      await expect(server.createDatabase()).rejects.toThrow(/closed/);
    } finally {
      await dropTestDatabase(bystander);
    }
  });

  it('copies a template it created even while sessions are connected to it', async () => {
    const template = await server.createDatabase();
    await query(template.url, `create table t (id int primary key, name text); insert into t values (1, 'one')`);
    const session = new Client({ connectionString: template.url });
    session.on('error', () => undefined);
    await session.connect();
    try {
      const copies = await Promise.all([
        server.createDatabase({ template }),
        server.createDatabase({ template: template.name }),
      ]);
      for (const copy of copies) {
        expect(await query(copy.url, 'select id, name from t')).toEqual([{ id: 1, name: 'one' }]);
      }
      // The copies are independent of the template.
      await query(copies[0].url, `insert into t values (2, 'two')`);
      expect(await query(template.url, 'select count(*)::int as n from t')).toEqual([{ n: 1 }]);
    } finally {
      await session.end().catch(() => undefined);
    }
  });

  it("copies another database as a template, but never closes that database's sessions", async () => {
    const foreign = await createTestDatabase('foreign');
    const foreignName = decodeURIComponent(new URL(foreign).pathname.slice(1));
    try {
      await query(foreign, 'create table f (id int)');
      const copy = await server.createDatabase({ template: foreignName });
      expect(await publicTables(copy.url)).toEqual(['f']);

      const session = new Client({ connectionString: foreign });
      await session.connect();
      try {
        const error = await caught(server.createDatabase({ template: foreignName }));
        expect(error).toBeInstanceOf(ConfigurationError);
        expect(error.message).toContain(`cannot copy template database "${foreignName}"`);
        // The session is still alive: it was not terminated.
        expect((await session.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
      } finally {
        await session.end();
      }
      await expect(server.createDatabase({ template: 'no_such_database_x' })).rejects.toThrow(
        /template database "no_such_database_x" does not exist/,
      );
      await server.close();
      expect(await databaseExists(foreignName)).toBe(true);
    } finally {
      await dropTestDatabase(foreign);
    }
  });
});

describe('opening an existing server', () => {
  it('refuses a server whose major is not the requested one, naming it and both versions, never the password', async () => {
    const error = await caught(openShadowServer(adminUrl(), { postgresVersion: 16 }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain(describeDatabase(adminUrl()));
    expect(error.message).toMatch(/runs PostgreSQL 15 .*but PostgreSQL 16 was requested/);
    expect(error.message).not.toContain(password());
  });

  it('reports a server it cannot log in to as a configuration error without the password', async () => {
    const wrong = new URL(adminUrl());
    wrong.password = 'not-the-password-xyz';
    const error = await caught(openShadowServer(wrong.toString(), { postgresVersion: 15 }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(
      /^shadow database server: cannot connect to 127\.0\.0\.1:\d+\/postgres: password authentication failed/,
    );
    expect(error.message).not.toContain('not-the-password-xyz');
  });

  it('fails rather than reuse a database whose name is taken, and leaves that database alone', async () => {
    const taken = `${SHADOW_DATABASE_PREFIX}collision${Date.now()}`;
    await query(adminUrl(), `create database "${taken}"`);
    try {
      const databases = await openShadowDatabases(adminUrl(), {
        label: 'test server',
        logger: silentLogger,
        newName: () => taken,
      });
      await expect(databases.create()).rejects.toThrow(/could not create shadow database .* already exists/);
      await databases.close();
      expect(await databaseExists(taken)).toBe(true);
    } finally {
      await query(adminUrl(), `drop database if exists "${taken}" with (force)`);
    }
  });
});

describe('the embedded shadow provider', () => {
  it('starts a real server, creates truly empty databases, and removes everything on close', async () => {
    const server = await openShadowServer('embedded', { postgresVersion: 15 });
    let dataDir = '';
    try {
      expect(server.description).toMatch(/^embedded PostgreSQL 15 \(127\.0\.0\.1:\d+\)$/);
      const first = await server.createDatabase();
      const [row] = await query<{ dir: string; v: string }>(
        first.url,
        `select current_setting('data_directory') as dir, current_setting('server_version_num') as v`,
      );
      dataDir = row.dir;
      expect(Math.floor(Number(row.v) / 10000)).toBe(15);
      expect(existsSync(dataDir)).toBe(true);
      // Whatever the server's template1 holds, a new shadow database starts from template0: empty.
      const template1 = new URL(first.url);
      template1.pathname = '/template1';
      await query(template1.toString(), 'create table leftover (id int)');
      const second = await server.createDatabase();
      expect(await publicTables(second.url)).toEqual([]);
      expect(second.name.startsWith(SHADOW_DATABASE_PREFIX)).toBe(true);
    } finally {
      await server.close();
    }
    expect(dataDir).not.toBe('');
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe('the docker shadow provider without an engine (the real engine: docker.test.ts)', () => {
  const saved = process.env.DOCKER_HOST;
  afterEach(() => {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  });

  it('names the missing socket in a configuration error', async () => {
    const missing = join(tmpdir(), 'db-migrate-no-docker', 'docker.sock');
    process.env.DOCKER_HOST = `unix://${missing}`;
    const error = await caught(openShadowServer('docker', { postgresVersion: 15 }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toBe(
      `shadow-database "docker": no Docker engine socket at ${missing} (start Docker, or set shadow-database to "embedded" or a postgres URL)`,
    );

    const defaultSocket = dockerEndpoint({}).socketPath ?? '';
    if (!existsSync(defaultSocket)) {
      await expect(openDockerServer({ postgresVersion: 15, logger: silentLogger, env: {} })).rejects.toThrow(
        `no Docker engine socket at ${defaultSocket}`,
      );
    }
  });

  it('reports a socket path where no engine answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'db-migrate-test-docker-'));
    try {
      const notASocket = join(dir, 'docker.sock');
      writeFileSync(notASocket, '');
      const error = await caught(
        openDockerServer({ postgresVersion: 15, logger: silentLogger, env: { DOCKER_HOST: `unix://${notASocket}` } }),
      );
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error.message).toContain(`the Docker engine at DOCKER_HOST=unix://${notASocket} does not answer`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

interface ChildReport {
  readonly names: string[];
  readonly dataDir: string;
  readonly port: number;
}

/** Runs test/shadow-child.ts; resolves with its report once it has created its databases. */
function startChild(spec: string, mode: 'wait' | 'exit', options: { withoutPsql?: boolean } = {}) {
  // Without psql on PATH only the asynchronous signal cleanup can drop the databases: proves that path alone.
  const path = options.withoutPsql ? mkdtempSync(join(tmpdir(), 'db-migrate-test-empty-path-')) : process.env.PATH;
  const child = spawn(
    process.execPath,
    ['-r', join(__dirname, '../../../scripts/register-ts.js'), join(__dirname, 'shadow-child.ts'), spec, mode],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DOCKER_HOST: undefined, PATH: path },
    },
  );
  if (options.withoutPsql) child.on('exit', () => rmSync(path as string, { recursive: true, force: true }));
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const report = new Promise<ChildReport>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (stdout.includes('\n')) resolve(JSON.parse(stdout.split('\n')[0]) as ChildReport);
    });
    void exited.then(({ code }) => reject(new Error(`child exited (${code}) before reporting: ${stderr}`)));
  });
  return { child, report, exited };
}

async function portRefuses(port: number): Promise<boolean> {
  const client = new Client({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    database: 'postgres',
    connectionTimeoutMillis: 2000,
  });
  try {
    await client.connect();
    await client.end();
    return false;
  } catch (error) {
    return /ECONNREFUSED/.test(String(error));
  }
}

describe('cleanup when the process is killed', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('drops the databases it created on an existing server on %s', async (signal, exitCode) => {
    const { child, report, exited } = startChild(adminUrl(), 'wait', { withoutPsql: true });
    const { names } = await report;
    for (const name of names) expect(await databaseExists(name)).toBe(true);
    child.kill(signal);
    expect(await exited).toEqual({ code: exitCode, signal: null });
    for (const name of names) expect(await databaseExists(name)).toBe(false);
  });

  it('drops them on an exit that is not a signal (process.exit), through psql', async () => {
    const { report, exited } = startChild(adminUrl(), 'exit');
    const { names } = await report;
    expect((await exited).code).toBe(0);
    for (const name of names) expect(await databaseExists(name)).toBe(false);
  });

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('stops the embedded server and deletes its data directory on %s', async (signal, exitCode) => {
    const { child, report, exited } = startChild('embedded', 'wait');
    const { dataDir, port } = await report;
    expect(existsSync(dataDir)).toBe(true);
    child.kill(signal);
    expect(await exited).toEqual({ code: exitCode, signal: null });
    expect(existsSync(dataDir)).toBe(false);
    expect(await portRefuses(port)).toBe(true);
  });
});
