import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminUrl } from '../../../test/support/pg';
import { makeTestRepo, type TestRepo } from '../../core/test/git-fixture';
import { cli } from '../../../test/support/cli';
import { processStopped } from '../../../test/support/processes';
import { scaled } from '../../../test/support/time';

const password = () => decodeURIComponent(new URL(adminUrl()).password);

describe('db-migrate create', () => {
  let repo: TestRepo;
  let args: string[];
  beforeEach(() => {
    repo = makeTestRepo();
    repo.commit('schema', {
      'db/schema.sql': 'CREATE TABLE accounts (id int PRIMARY KEY);\n',
      'migrations/.gitkeep': '',
    });
    args = [
      'create',
      '--repo',
      repo.dir,
      '--schema-dir',
      'db',
      '--dir',
      join(repo.dir, 'migrations'),
      '--shadow',
      adminUrl(),
      '--postgres-version',
      '15',
    ];
  });
  afterEach(() => repo.remove());

  it('prints what it wrote, then says there is nothing to do', async () => {
    const first = await cli([...args, '--schema-sql', 'schema.sql']);
    expect(first.stderr).not.toContain(password());
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(
      `created migration 1 (create_accounts): base the empty database, goal ${repo.git('rev-parse', 'HEAD')}`,
    );
    expect(first.stdout).toContain(`  wrote ${join(repo.dir, 'migrations', '0001_create_accounts.sql')}`);
    expect(first.stdout).toContain('hazards: none found');
    expect(first.stdout).toMatch(/-- \+migrate Up\nCREATE TABLE "public"\."accounts"/);

    const again = await cli([...args, '--schema-sql', 'schema.sql']);
    expect(again).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^nothing to do: migration 1 already reaches the goal commit/),
    });

    repo.commit('add a column', { 'db/schema.sql': 'CREATE TABLE accounts (id int PRIMARY KEY, owner text);\n' });
    const named = await cli([...args, '--schema-sql', 'schema.sql', '--name', 'Account owners']);
    expect(named.code).toBe(0);
    expect(named.stdout).toContain('created migration 2 (account_owners)');
    expect(readdirSync(join(repo.dir, 'migrations')).sort()).toEqual([
      '.gitkeep',
      '0001.json',
      '0001_create_accounts.sql',
      '0002.json',
      '0002_account_owners.sql',
    ]);
  });

  it('--build-timeout stops a hanging build (sleep 100000) with its process group, naming the command, how long it ran and the limit', async () => {
    const pidFile = join(repo.dir, '..', `build-${Date.now()}.pid`);
    const hung = await cli([
      ...args,
      '--schema-command',
      `sleep 100000 & echo $! > '${pidFile}'; wait`,
      '--build-timeout',
      `${scaled(1)}s`, // room for the shell to start the sleep and write its pid first
    ]);
    expect(hung.code).toBe(1);
    expect(hung.stderr).toMatch(
      /^db-migrate create: schema build command timed out after [\d.]+ (ms|s) at commit [0-9a-f]{7}.*: sleep 100000 & echo.* \(raise --build-timeout\)$/m,
    );
    expect(hung.stderr).toContain(`its limit is ${scaled(1)} s; it was stopped with every process it started`);
    // The sleep the command started in the background is gone too (killed with the group; reaped or a zombie).
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    expect(['gone', 'Z']).toContain(await processStopped(pid));
    expect(readdirSync(join(repo.dir, 'migrations'))).toEqual(['.gitkeep']);

    const bad = await cli([...args, '--schema-sql', 'schema.sql', '--build-timeout', 'soon']);
    expect(bad).toMatchObject({
      code: 1,
      stderr: expect.stringContaining(
        '--build-timeout must be a duration such as 90s, 5m or 1h (a bare number is milliseconds), got "soon"',
      ),
    });
  });

  it('exits 1 with one clear line on a failing schema command, and on bad options', async () => {
    const failing = await cli([...args, '--schema-command', 'echo "cannot import models" >&2; exit 4']);
    expect(failing.code).toBe(1);
    expect(failing.stderr).toMatch(
      /^db-migrate create: schema build command failed with exit code 4 at commit [0-9a-f]{7}: echo/m,
    );
    expect(failing.stderr).toContain('cannot import models');
    expect(failing.stderr).not.toContain(password());
    expect(readdirSync(join(repo.dir, 'migrations'))).toEqual(['.gitkeep']);

    const both = await cli([...args, '--schema-command', 'true', '--schema-sql', 'schema.sql']);
    expect(both).toMatchObject({
      code: 1,
      stderr: 'db-migrate create: give either --schema-command or --schema-sql, not both\n',
    });
    const neither = await cli(args);
    expect(neither).toMatchObject({
      code: 1,
      stderr: 'db-migrate create: missing --schema-command "<cmd>" or --schema-sql <file>\n',
    });
    const badShadow = await cli([
      ...args.slice(0, -4),
      '--shadow',
      'mysql://root:hunter2@db/x',
      '--schema-sql',
      'schema.sql',
    ]);
    expect(badShadow.code).toBe(1);
    expect(badShadow.stderr).toMatch(
      /^db-migrate create: --shadow: .* is not one of embedded, docker or a postgres:\/\/ URL/,
    );
    expect(badShadow.stderr).not.toContain('hunter2');
  });
});
