import { caught } from '../../../test/support/rejection';
import { Git } from '../src/git';
import { resolveSqlFiles } from '../src/schema-source';
import { makeTestRepo, type TestRepo } from './git-fixture';

describe('--schema-sql entries resolved at a commit', () => {
  let repo: TestRepo;
  let v1: string;
  let v2: string;
  beforeAll(() => {
    repo = makeTestRepo();
    v1 = repo.commit('v1', {
      'db/10_b.sql': '',
      'db/02_a.sql': '',
      'db/types/enum.sql': '',
      'db/migrations/0001_x.sql': '',
      'db/README.md': '',
    });
    v2 = repo.commit('v2', { 'db/05_new.sql': '', 'db/types/z/deep.sql': '' });
  });
  afterAll(() => repo.remove());

  it('a directory: its own *.sql in path order, not its subdirectories; a glob; a file named twice once', async () => {
    const git = new Git(repo.dir);
    expect(await resolveSqlFiles(git, v1, 'db', ['.'])).toEqual({ files: ['02_a.sql', '10_b.sql'], absent: [] });
    expect((await resolveSqlFiles(git, v2, 'db', ['types/**/*.sql', '.'])).files).toEqual([
      'types/enum.sql',
      'types/z/deep.sql',
      '02_a.sql',
      '05_new.sql',
      '10_b.sql',
    ]);
    expect((await resolveSqlFiles(git, v2, 'db', ['10_b.sql', '*.sql'])).files).toEqual([
      '10_b.sql',
      '02_a.sql',
      '05_new.sql',
    ]);
    expect((await resolveSqlFiles(git, v2, '.', ['db/0[0-4]_*.sql'])).files).toEqual(['db/02_a.sql']);
  });

  it('a file added later is absent at an older commit; one that exists nowhere is a typo', async () => {
    const git = new Git(repo.dir);
    expect(await resolveSqlFiles(git, v1, 'db', ['02_a.sql', '05_new.sql'])).toEqual({
      files: ['02_a.sql'],
      absent: ['05_new.sql'],
    });
    const typo = await caught(resolveSqlFiles(git, v1, 'db', ['02_a.sql', '05_neww.sql']));
    expect(typo.message).toMatch(/^SQL file db\/05_neww\.sql does not exist at commit [0-9a-f]{7} nor at HEAD/);
  });
});
