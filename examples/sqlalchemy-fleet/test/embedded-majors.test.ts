/**
 * The example's create and verify on the embedded default (no --shadow) with PostgreSQL majors other than
 * the test server's 15: the server binaries are the installed devDependencies pg16-bin and pg17-bin (the
 * pinned packages), named by DB_MIGRATE_PG_BIN, so nothing is downloaded (postgres-binaries.test.ts tests
 * the download against a local registry stand-in).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cli } from '../../../test/support/cli';
import { embeddedPostgresBinDir } from '../../../test/support/postgres-majors';
import { scaled } from '../../../test/support/time';

const exampleDir = resolve(__dirname, '..');
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const git = (repo: string, ...args: string[]) =>
  execFileSync(
    'git',
    ['-C', repo, '-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', '-c', 'commit.gpgsign=false', ...args],
    { encoding: 'utf8' },
  ).trim();

describe.each([16, 17] as const)('the example on embedded PostgreSQL %i', (major) => {
  const work = mkdtempSync(join(tmpdir(), `db-migrate-example-pg${major}-`));
  const repo = join(work, 'schema-repo');
  beforeAll(() => {
    process.env.DB_MIGRATE_PG_BIN = embeddedPostgresBinDir(major);
  });
  afterAll(() => {
    delete process.env.DB_MIGRATE_PG_BIN;
    rmSync(work, { recursive: true, force: true });
  });

  it(
    'creates the first two migrations and verifies the second on its branch',
    async () => {
      const common = [
        '--repo',
        repo,
        '--schema-dir',
        'schema',
        '--schema-command',
        `${PYTHON} -m db_schema.create_all`,
        '--dir',
        join(repo, 'migrations'),
        '--postgres-version',
        String(major),
      ];
      execFileSync(join(exampleDir, 'replay-history.sh'), [repo, '01']);
      mkdirSync(join(repo, 'migrations'));

      const first = await cli(['create', ...common]);
      expect({ code: first.code, stdout: first.stdout }).toMatchObject({
        code: 0,
        stdout: expect.stringContaining('created migration 1 ('),
      });
      git(repo, 'add', 'migrations');
      git(repo, 'commit', '-q', '-m', 'Migration 1');

      git(repo, 'switch', '-q', '-c', 'db-migrate/next-migration');
      execFileSync(join(exampleDir, 'replay-history.sh'), [repo, '02']);
      const second = await cli(['create', ...common]);
      expect(second.code).toBe(0);
      expect(second.stdout).toContain('created migration 2 (');
      git(repo, 'add', 'migrations');
      git(repo, 'commit', '-q', '-m', 'Migration 2');
      expect(readdirSync(join(repo, 'migrations')).filter((f) => f.endsWith('.sql'))).toHaveLength(2);

      const verified = await cli(['verify', ...common, '--base-ref', 'main']);
      if (verified.code !== 0)
        throw new Error(`verify failed on PostgreSQL ${major}:\n${verified.stdout}\n${verified.stderr}`);
      expect(verified.stdout).toMatch(/verify passed/);
      // Three commands, each building schemas with SQLAlchemy on a fresh embedded server.
    },
    scaled(300_000),
  );
});
