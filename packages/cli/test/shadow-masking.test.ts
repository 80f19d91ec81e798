import { join } from 'node:path';
import { adminUrl } from '../../../test/support/pg';
import { makeTestRepo, type TestRepo } from '../../core/test/git-fixture';
import { cli } from '../../../test/support/cli';

describe('--shadow and masking', () => {
  let repo: TestRepo;
  beforeEach(() => {
    repo = makeTestRepo();
    repo.commit('schema', {
      'db/schema.sql': 'CREATE TABLE docker_hosts (id int PRIMARY KEY);\n',
      'migrations/.gitkeep': '',
    });
  });
  afterEach(() => repo.remove());

  const create = (shadow: string, name: string) =>
    cli([
      'create',
      '--repo',
      repo.dir,
      '--schema-dir',
      'db',
      '--schema-sql',
      'schema.sql',
      '--dir',
      join(repo.dir, 'migrations'),
      '--shadow',
      shadow,
      '--name',
      name,
    ]);

  it('never masks the words embedded and docker, only URLs', async () => {
    const run = await create('embedded', 'embedded docker hosts');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`wrote ${join(repo.dir, 'migrations', '0001_embedded_docker_hosts.sql')}`);
    expect(run.stdout).toContain('CREATE TABLE "public"."docker_hosts"');
    expect(run.stdout + run.stderr).not.toContain('***');
  });

  it('masks a shadow URL and its password', async () => {
    const password = decodeURIComponent(new URL(adminUrl()).password);
    const run = await create(adminUrl(), 'hosts');
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).not.toContain(password);
  });
});
