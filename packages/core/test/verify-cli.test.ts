/** `db-migrate verify` in-process: the exit code is the check, the report (and difference) goes to stdout. */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminUrl } from '../../../test/support/pg';
import { cli } from '../../../test/support/cli';
import { makeTestRepo, type TestRepo } from './git-fixture';

const password = () => decodeURIComponent(new URL(adminUrl()).password);

describe('db-migrate verify', () => {
  let repo: TestRepo;
  let common: string[];
  let base: string;

  beforeAll(async () => {
    repo = makeTestRepo();
    repo.commit('schema v1', {
      'db/schema.sql': 'CREATE TABLE accounts (id int PRIMARY KEY);\n',
      'migrations/.gitkeep': '',
    });
    common = [
      '--repo',
      repo.dir,
      '--schema-dir',
      'db',
      '--schema-sql',
      'schema.sql',
      '--dir',
      join(repo.dir, 'migrations'),
      '--shadow',
      adminUrl(),
      '--postgres-version',
      '15',
    ];
    expect((await cli(['create', ...common])).code).toBe(0);
    repo.git('add', '--all');
    base = repo.commit('migration 1', {});
    repo.commit('schema v2', {
      'db/schema.sql': "CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL DEFAULT 'me');\n",
    });
    expect((await cli(['create', ...common])).code).toBe(0);
    repo.git('add', '--all');
    repo.commit('migration 2', {});
  });
  afterAll(() => repo.remove());

  test('exit 0 when the migrations match, with each check on stdout; exit 1 with the difference when they do not', async () => {
    const passed = await cli(['verify', ...common, '--base-ref', base]);
    expect(passed.stderr).not.toContain(password());
    expect(passed.code).toBe(0);
    expect(passed.stdout).toContain('new migrations: 0002_');
    expect(passed.stdout).toMatch(/^Numbering: passed - new: 0002_\S+\.sql after version 1$/m);
    expect(passed.stdout).toMatch(/^Consistency: passed - the migrations build exactly the schema at [0-9a-f]{7}/m);
    expect(passed.stdout).toMatch(/^Reversibility: passed - reverting 0002_\S+ returns to the schema at [0-9a-f]{7}/m);
    expect(passed.stdout).toMatch(/verify passed\n$/);

    const file = join(
      repo.dir,
      'migrations',
      readdirSync(join(repo.dir, 'migrations')).find((f) => /^0002_.*\.sql$/.test(f))!,
    );
    writeFileSync(file, readFileSync(file, 'utf8').replace(/DEFAULT 'me'/, "DEFAULT 'you'"));
    const failed = await cli(['verify', ...common, '--base-ref', base]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^Consistency: FAILED - the migrations do not build the schema at [0-9a-f]{7}/m);
    expect(failed.stdout).toContain(`ALTER TABLE "public"."accounts" ALTER COLUMN "owner" SET DEFAULT 'me'`);
    expect(failed.stdout).toMatch(/verify failed\n$/);
    expect(failed.stdout + failed.stderr).not.toContain(password());
    repo.git('checkout', '--', '.');
  });

  test('bad options: one line naming the option, exit 1', async () => {
    const both = await cli(['verify', ...common, '--schema-command', 'true']);
    expect(both).toMatchObject({
      code: 1,
      stderr: 'db-migrate verify: give either --schema-command or --schema-sql, not both\n',
    });
    const noDir = await cli(['verify', '--schema-dir', 'db', '--schema-sql', 'schema.sql', '--repo', repo.dir]);
    expect(noDir).toMatchObject({ code: 1, stderr: 'db-migrate verify: missing required option --dir\n' });
    const badRef = await cli(['verify', ...common, '--base-ref', 'nope']);
    expect(badRef.code).toBe(1);
    expect(badRef.stderr).toContain('db-migrate verify: unknown commit "nope"');
  });
});
