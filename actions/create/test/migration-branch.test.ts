/**
 * The migration branch on a real bare origin: when a left-over branch may be replaced, when it belongs to
 * another run, and the compare-and-swap push that lets exactly one of two racing runs through.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigurationError, Git } from '@db-migrate/core';
import {
  inspectMigrationBranch,
  originDefaultBranch,
  pushMigrationBranch,
  remoteBranchSha,
  STALE_BRANCH_AGE_MS,
} from '../src/migration-branch';

const BRANCH = 'db-migrate/next-migration';
const BOT = { name: 'github-actions[bot]', email: '41898283+github-actions[bot]@users.noreply.github.com' };

function git(cwd: string, ...args: string[]): string {
  const result = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Dev',
      GIT_AUTHOR_EMAIL: 'd@example.com',
      GIT_COMMITTER_NAME: 'Dev',
      GIT_COMMITTER_EMAIL: 'd@example.com',
      GIT_CONFIG_GLOBAL: '/dev/null',
    },
  });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout.trim();
}

function write(dir: string, files: Record<string, string>): string[] {
  return Object.entries(files).map(([path, content]) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
    return join(dir, path);
  });
}

let root: string;
let origin: string;
let other: string;
let workspace: string;
let main: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'db-migrate-branch-'));
  origin = join(root, 'origin.git');
  git(root, 'init', '--quiet', '--bare', '--initial-branch=main', origin);
  git(root, 'clone', '--quiet', origin, 'other');
  other = join(root, 'other');
  write(other, { 'migrations/0001.json': '{"version":1,"name":"a"}\n', 'migrations/0001_a.sql': '-- +migrate Up\n' });
  git(other, 'add', '--all');
  git(other, 'commit', '--quiet', '-m', 'migration 1');
  git(other, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');
  main = git(other, 'rev-parse', 'HEAD');
  git(root, 'clone', '--quiet', origin, 'workspace');
  workspace = join(root, 'workspace');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

let otherRuns = 0;
/** Another run's push of migration 2 to the branch, `ago` ms in the past; each push is a new commit. */
function pushFromOtherRun(ago = 0): string {
  otherRuns++;
  git(other, 'checkout', '--quiet', '-B', BRANCH, main);
  write(other, { 'migrations/0002.json': '{"version":2,"name":"b"}\n', 'migrations/0002_b.sql': '-- +migrate Up\n' });
  git(other, 'add', '--all');
  const date = new Date(Date.now() - ago).toISOString();
  spawnSync('git', ['commit', '--quiet', '-m', `migration 2, run ${otherRuns}`], {
    cwd: other,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Bot',
      GIT_AUTHOR_EMAIL: 'b@example.com',
      GIT_COMMITTER_NAME: 'Bot',
      GIT_COMMITTER_EMAIL: 'b@example.com',
      GIT_COMMITTER_DATE: date,
      GIT_AUTHOR_DATE: date,
    },
  });
  git(other, 'push', '--quiet', '--force', 'origin', `HEAD:refs/heads/${BRANCH}`);
  return git(other, 'rev-parse', 'HEAD');
}

const inspect = (latestVersion = 1, now?: Date) =>
  inspectMigrationBranch(new Git(workspace), {
    branch: BRANCH,
    baseBranch: 'main',
    migrationsPath: 'migrations',
    latestVersion,
    now,
  });

describe('inspecting the migration branch', () => {
  it("absent, then another run's work in progress", async () => {
    expect(await inspect()).toEqual({ kind: 'absent' });
    const sha = pushFromOtherRun();
    expect(await inspect()).toEqual({ kind: 'in-progress', sha, ageSeconds: expect.any(Number) });
    expect(await originDefaultBranch(new Git(workspace))).toBe('main');
  });

  it('stale once its migration is on the base branch, once merged, or once old enough', async () => {
    const sha = pushFromOtherRun();
    expect(await inspect(2)).toEqual({
      kind: 'stale',
      sha,
      why: 'its migration 2 is not newer than the latest one here (2)',
    });
    expect(await inspect(1, new Date(Date.now() + STALE_BRANCH_AGE_MS + 60_000))).toMatchObject({
      kind: 'stale',
      why: expect.stringMatching(/^it was pushed 1[01] minutes ago/),
    });

    git(other, 'checkout', '--quiet', 'main');
    git(other, 'merge', '--quiet', '--no-ff', '-m', 'merge', BRANCH);
    git(other, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');
    expect(await inspect()).toEqual({ kind: 'stale', sha, why: 'it is merged into main' });
  });
});

describe('pushing the migration branch', () => {
  const files = () =>
    write(workspace, {
      'migrations/0002.json': '{"version":2,"name":"mine"}\n',
      'migrations/0002_mine.sql': '-- +migrate Up\n',
    });

  it('pushes when origin is as inspected, and puts the checkout back', async () => {
    const result = await pushMigrationBranch(new Git(workspace), {
      branch: BRANCH,
      files: files(),
      message: 'migration 2\n',
      author: BOT,
      expectedSha: undefined,
    });
    expect(result).toEqual({ pushed: true, sha: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(await remoteBranchSha(new Git(workspace), BRANCH)).toBe((result as { sha: string }).sha);
    expect(git(workspace, 'symbolic-ref', '--short', 'HEAD')).toBe('main');
    expect(git(workspace, 'status', '--porcelain')).toBe('');
    expect(git(origin, 'log', '-1', '--format=%an <%ae>', BRANCH)).toBe(`${BOT.name} <${BOT.email}>`);
  });

  it('loses, without touching origin, when another run pushed after the inspection', async () => {
    const theirs = pushFromOtherRun(); // the inspection saw no branch; then another run pushed
    const result = await pushMigrationBranch(new Git(workspace), {
      branch: BRANCH,
      files: files(),
      message: 'm\n',
      author: BOT,
      expectedSha: undefined,
    });
    expect(result).toEqual({
      pushed: false,
      reason: `origin's ${BRANCH} was created while this run built the migration: another run pushed first`,
    });
    expect(await remoteBranchSha(new Git(workspace), BRANCH)).toBe(theirs);

    // Replacing a stale branch: only the tip that was inspected may be replaced.
    const moved = pushFromOtherRun(1000);
    const stale = await pushMigrationBranch(new Git(workspace), {
      branch: BRANCH,
      files: files(),
      message: 'm\n',
      author: BOT,
      expectedSha: theirs,
    });
    expect(stale).toEqual({
      pushed: false,
      reason: `origin's ${BRANCH} moved from ${theirs.slice(0, 7)} while this run built the migration: another run pushed first`,
    });
    expect(await remoteBranchSha(new Git(workspace), BRANCH)).toBe(moved);
    const replaced = await pushMigrationBranch(new Git(workspace), {
      branch: BRANCH,
      files: files(),
      message: 'm\n',
      author: BOT,
      expectedSha: moved,
    });
    expect(replaced.pushed).toBe(true);
  });

  it("a push origin refuses for another reason is a ConfigurationError about the checkout's credentials", async () => {
    const hook = join(origin, 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\necho "permission denied to github-actions[bot]" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    const error = await pushMigrationBranch(new Git(workspace), {
      branch: BRANCH,
      files: files(),
      message: 'm\n',
      author: BOT,
      expectedSha: undefined,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(
      /^pushing db-migrate\/next-migration to origin failed: .*permission denied to github-actions\[bot\].*the push uses the checkout's credentials/s,
    );
    expect(git(workspace, 'symbolic-ref', '--short', 'HEAD')).toBe('main');
  });
});
