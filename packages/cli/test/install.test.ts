/**
 * The CLI as a user installs it: the package packed by npm, installed globally into an empty prefix with
 * npm, run from that prefix's bin/ (no repository, no node_modules of ours). It must need nothing else.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';
import { SUPPORTED_POSTGRES_VERSIONS } from '@db-migrate/core';

const run = promisify(execFile);
const cliDir = resolve(__dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'db-migrate-test-install-'));
const prefix = join(work, 'prefix');
// Nothing of the repository's module resolution may leak into the installed command.
const env = {
  ...process.env,
  NODE_PATH: '',
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
};
const installed = (args: string[]) => run(join(prefix, 'bin', 'db-migrate'), args, { env, cwd: work });

beforeAll(async () => {
  if (!existsSync(join(cliDir, 'dist', 'index.js')))
    throw new Error('packages/cli/dist/index.js is missing: run pnpm build first');
  // pnpm pack, as the release workflow: it writes the workspace: versions out.
  await run('pnpm', ['pack', '--pack-destination', work], { cwd: cliDir, env });
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
  await run('npm', ['install', '--global', '--offline', '--prefix', prefix, join(work, tarball)], { env, cwd: work });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed CLI installed with npm i -g', () => {
  it('holds only the bundle, declares no runtime dependency, and installs none', () => {
    const packageDir = join(prefix, 'lib', 'node_modules', '@db-migrate', 'cli');
    const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.dependencies).toBeUndefined();
    expect(readdirSync(packageDir).sort()).toEqual(['README.md', 'dist', 'package.json']);
    expect(readdirSync(join(packageDir, 'dist')).sort()).toEqual([
      'cli.js',
      'index.js',
      'libpg-query.wasm',
      'licenses.txt',
    ]);
    expect(existsSync(join(packageDir, 'node_modules'))).toBe(false);
  });

  it('prints its version and the PostgreSQL majors it supports, for --version, -V and version', async () => {
    const { version } = JSON.parse(readFileSync(join(cliDir, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V', 'version']) {
      const { stdout } = await installed([flag]);
      expect(stdout).toBe(
        `db-migrate ${version} (PostgreSQL ${SUPPORTED_POSTGRES_VERSIONS.join(', ')}; Node ${process.versions.node})\n`,
      );
    }
  });

  it('installs into a project too (npm install --prefix, offline) and runs from node_modules/.bin', async () => {
    const project = join(work, 'project');
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
    await run('npm', ['install', '--offline', '--prefix', project, join(work, tarball)], { env, cwd: work });
    const { stdout } = await run(join(project, 'node_modules', '.bin', 'db-migrate'), ['--version'], {
      env,
      cwd: work,
    });
    expect(stdout).toMatch(/^db-migrate \d+\.\d+\.\d+ /);
  });

  it('does real work: diffs two databases', async () => {
    const [from, to] = [await createTestDatabase('install_from'), await createTestDatabase('install_to')];
    try {
      await query(to, 'create table accounts (id int primary key)');
      const { stdout, stderr } = await installed(['diff', from, to]);
      expect(stdout).toMatch(/^CREATE TABLE "public"\."accounts"/m);
      expect(stderr).not.toContain(decodeURIComponent(new URL(from).password));
    } finally {
      await dropTestDatabase(from);
      await dropTestDatabase(to);
    }
  });
});
