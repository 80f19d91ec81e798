import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError } from '../src/errors';
import { blobHash, Git } from '../src/git';
import { makeTestRepo, type TestRepo } from './git-fixture';

describe('Git', () => {
  let repo: TestRepo;
  let git: Git;
  let first: string;
  let second: string;

  beforeEach(() => {
    repo = makeTestRepo();
    first = repo.commit('first', { 'db/schema.sql': 'create table a (id int);\n', 'README.md': 'hello\n' });
    second = repo.commit('second', {
      'db/schema.sql': 'create table a (id int, b text);\n',
      'app/main.py': 'print(1)\n',
    });
    git = new Git(repo.dir);
  });
  afterEach(() => repo.remove());

  it('resolves refs to commits, and names the ref and the repository when it cannot', async () => {
    expect(await git.resolveCommit('main')).toBe(second);
    expect(await git.resolveCommit('HEAD~1')).toBe(first);
    expect(await git.resolveCommit(first.slice(0, 10))).toBe(first);
    expect(await git.headSha()).toBe(second);
    expect(await git.revParse('no-such-branch')).toBeUndefined();
    const error = await git.resolveCommit('no-such-branch').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain('"no-such-branch"');
    expect((error as Error).message).toContain(repo.dir);
    // A tree is an object but not a commit.
    await expect(git.resolveCommit(`${second}^{tree}`)).rejects.toThrow(ConfigurationError);
    // Input that git would read as an option is refused, not passed on.
    await expect(git.resolveCommit('--all')).rejects.toThrow(/invalid git ref "--all"/);
  });

  it('mentions shallow clones when a commit is missing from one', async () => {
    const clone = mkdtempSync(join(tmpdir(), 'db-migrate-test-clone-'));
    try {
      execFileSync('git', ['clone', '--quiet', '--depth=1', `file://${repo.dir}`, clone]);
      const error = await new Git(clone).resolveCommit(first).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/shallow.*fetch-depth: 0/);
    } finally {
      rmSync(clone, { recursive: true, force: true });
    }
  });

  it('opens a repository from a subdirectory at its top level, and refuses a directory outside git', async () => {
    expect((await Git.open(join(repo.dir, 'db'))).repoDir).toBe(repo.dir);
    const outside = mkdtempSync(join(tmpdir(), 'db-migrate-test-nogit-'));
    try {
      await expect(Git.open(outside)).rejects.toThrow(new RegExp(`${outside} is not inside a git repository`));
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('lists the files that changed between two commits, under a path or everywhere', async () => {
    expect(await git.diffNames(first, second, 'db')).toEqual(['db/schema.sql']);
    expect(await git.diffNames(first, second)).toEqual(['app/main.py', 'db/schema.sql']);
    expect(await git.diffNames(first, second, 'docs')).toEqual([]);
    expect(await git.diffNames(undefined, first)).toEqual(['README.md', 'db/schema.sql']);
    expect(await git.diffNames(await git.emptyTree(), first, 'db')).toEqual(['db/schema.sql']);
  });

  it('reads history, files and directories at a commit', async () => {
    const log = await git.log('main');
    expect(log.map((entry) => entry.subject)).toEqual(['second', 'first']);
    expect(log[0]).toMatchObject({
      sha: second,
      authorName: repo.git('log', '-1', '--format=%an', second),
      authorEmail: repo.git('log', '-1', '--format=%ae', second),
    });
    expect(log[0].authorName).not.toBe('');
    expect(Number.isNaN(Date.parse(log[0].date))).toBe(false);
    expect((await git.log('main', { path: 'app' })).map((e) => e.sha)).toEqual([second]);
    expect((await git.log('main', { maxCount: 1 })).map((e) => e.sha)).toEqual([second]);

    expect(await git.pathType(first, 'db')).toBe('tree');
    expect(await git.pathType(first, 'db/schema.sql')).toBe('blob');
    expect(await git.pathType(first, 'app')).toBeUndefined();
    expect(await git.pathType(first, '.')).toBe('tree');
    expect(await git.showFile(first, 'db/schema.sql')).toBe('create table a (id int);\n');
    expect(await git.showFile(first, 'app/main.py')).toBeUndefined();
    expect(await git.listFiles(second, '.')).toEqual(['README.md']);
    expect(await git.listFiles(second, 'db')).toEqual(['schema.sql']);
    expect(await git.listFiles(first, 'app')).toEqual([]);
  });

  it('names a commit and the kind of a path in it at once, and hashes a file as git does', async () => {
    expect(await git.commitAndPathType('HEAD~1', 'db')).toEqual({ sha: first, type: 'tree' });
    expect(await git.commitAndPathType(second, 'app/main.py')).toEqual({ sha: second, type: 'blob' });
    expect(await git.commitAndPathType(first, '.')).toEqual({ sha: first, type: 'tree' });
    expect(await git.commitAndPathType(first, 'app')).toEqual({ sha: first });
    expect(await git.commitAndPathType('no-such-ref', 'db')).toEqual({});
    const [schema] = await git.listBlobs(second, 'db');
    expect(schema).toEqual({ name: 'schema.sql', sha: repo.git('rev-parse', `${second}:db/schema.sql`) });
    // The same bytes give the blob's name; one byte more does not.
    const text = 'create table a (id int, b text);\n';
    expect(blobHash(Buffer.from(text))).toBe(schema!.sha);
    expect(blobHash(Buffer.from(text + ' '))).not.toBe(schema!.sha);
    expect(blobHash(Buffer.from(text), 64)).toHaveLength(64);
  });

  it('stages, commits, branches and reports status', async () => {
    expect(await git.isClean()).toBe(true);
    expect(await git.currentBranch()).toBe('main');
    await git.createBranch('bot/migration');
    expect(await git.currentBranch()).toBe('bot/migration');
    mkdirSync(join(repo.dir, 'migrations'));
    execFileSync('sh', ['-c', `echo 'select 1;' > '${join(repo.dir, 'migrations', '0001_a.sql')}'`]);
    execFileSync('sh', ['-c', `echo changed >> '${join(repo.dir, 'README.md')}'`]);
    expect(await git.status()).toEqual([
      { code: ' M', path: 'README.md' },
      { code: '??', path: 'migrations/0001_a.sql' },
    ]);
    await git.add(['migrations/0001_a.sql']);
    const sha = await git.commit('migration 0001\n\nbody line', {
      author: { name: 'db-migrate bot', email: 'bot@example.com' },
    });
    expect(sha).toBe(await git.headSha());
    const [entry] = await git.log('HEAD', { maxCount: 1 });
    expect(entry).toMatchObject({
      subject: 'migration 0001',
      authorName: 'db-migrate bot',
      authorEmail: 'bot@example.com',
    });
    expect(await git.status()).toEqual([{ code: ' M', path: 'README.md' }]);
    await expect(git.commit('nothing staged')).rejects.toThrow(/git commit .* failed/);
    await git.checkout('main');
    expect(await git.currentBranch()).toBe('main');
    await git.checkout(first);
    expect(await git.currentBranch()).toBeUndefined();
  });

  it('pushes to and fetches from a real bare remote, and merges', async () => {
    const remote = makeTestRepo({ bare: true });
    const clone = mkdtempSync(join(tmpdir(), 'db-migrate-test-clone-'));
    try {
      repo.git('remote', 'add', 'origin', remote.dir);
      await git.push('origin', 'main');
      execFileSync('git', ['clone', '--quiet', remote.dir, clone]);
      execFileSync('git', ['-C', clone, 'config', 'user.name', 'Other']);
      execFileSync('git', ['-C', clone, 'config', 'user.email', 'other@example.com']);
      const other = new Git(clone);
      await other.createBranch('feature');
      execFileSync('sh', ['-c', `echo 'create table c (id int);' > '${join(clone, 'db', 'c.sql')}'`]);
      await other.add(['db/c.sql']);
      const featureSha = await other.commit('feature');
      await other.push('origin', 'feature');

      await git.fetch('origin', ['feature:refs/remotes/origin/feature']);
      expect(await git.resolveCommit('origin/feature')).toBe(featureSha);
      expect(await git.isAncestor('main', 'origin/feature')).toBe(true);
      expect(await git.mergeBase('main', 'origin/feature')).toBe(second);
      expect(await git.merge('origin/feature', { ffOnly: true })).toBe(true);
      expect(await git.headSha()).toBe(featureSha);

      // A conflicting merge returns false and leaves the checkout as it was.
      await other.checkout('main');
      execFileSync('sh', ['-c', `echo theirs > '${join(clone, 'README.md')}'`]);
      await other.add(['README.md']);
      await other.commit('theirs');
      await other.push('origin', 'main');
      repo.commit('ours', { 'README.md': 'ours\n' });
      await git.fetch('origin', ['main:refs/remotes/origin/main']);
      const before = await git.headSha();
      expect(await git.merge('origin/main', { message: 'merge' })).toBe(false);
      expect(await git.headSha()).toBe(before);
      expect(await git.isClean()).toBe(true);

      // Force-push moves a branch the bot owns.
      await git.push('origin', `${first}:refs/heads/feature`, { force: true });
      await git.fetch('origin', ['+feature:refs/remotes/origin/feature']);
      expect(await git.resolveCommit('origin/feature')).toBe(first);
    } finally {
      remote.remove();
      rmSync(clone, { recursive: true, force: true });
    }
  });

  it('exports a commit tree without touching the checkout, index, HEAD or worktrees', async () => {
    // Content that git archive would mishandle (export-ignore) or that must survive (modes, symlinks).
    mkdirSync(join(repo.dir, 'bin'));
    execFileSync('sh', ['-c', `printf '#!/bin/sh\\necho hi\\n' > '${join(repo.dir, 'bin', 'build.sh')}'`]);
    chmodSync(join(repo.dir, 'bin', 'build.sh'), 0o755);
    symlinkSync('../db/schema.sql', join(repo.dir, 'bin', 'schema-link.sql'));
    repo.git('add', 'bin');
    const third = repo.commit('third', { '.gitattributes': 'db/** export-ignore\n' });
    // Uncommitted work in the checkout must stay exactly as it is.
    execFileSync('sh', ['-c', `echo wip >> '${join(repo.dir, 'db', 'schema.sql')}'`]);
    const statusBefore = await git.status();
    const indexBefore = readFileSync(join(repo.dir, '.git', 'index'));

    const whole = mkdtempSync(join(tmpdir(), 'db-migrate-test-export-'));
    const partial = mkdtempSync(join(tmpdir(), 'db-migrate-test-export-'));
    const older = mkdtempSync(join(tmpdir(), 'db-migrate-test-export-'));
    try {
      await git.exportTree(third, whole);
      expect(readFileSync(join(whole, 'db', 'schema.sql'), 'utf8')).toBe('create table a (id int, b text);\n');
      expect(statSync(join(whole, 'bin', 'build.sh')).mode & 0o111).not.toBe(0);
      expect(lstatSync(join(whole, 'bin', 'schema-link.sql')).isSymbolicLink()).toBe(true);
      expect(readlinkSync(join(whole, 'bin', 'schema-link.sql'))).toBe('../db/schema.sql');

      await git.exportTree(third, partial, 'db/');
      expect(readFileSync(join(partial, 'db', 'schema.sql'), 'utf8')).toBe('create table a (id int, b text);\n');
      expect(existsSync(join(partial, 'README.md'))).toBe(false);
      expect(existsSync(join(partial, 'bin'))).toBe(false);

      await git.exportTree(first, older, 'db');
      expect(readFileSync(join(older, 'db', 'schema.sql'), 'utf8')).toBe('create table a (id int);\n');
    } finally {
      for (const dir of [whole, partial, older]) rmSync(dir, { recursive: true, force: true });
    }
    expect(await git.headSha()).toBe(third);
    expect(await git.status()).toEqual(statusBefore);
    expect(readFileSync(join(repo.dir, '.git', 'index')).equals(indexBefore)).toBe(true);
    expect(repo.git('worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
  });
});
