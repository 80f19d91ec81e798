/** Real git repositories in temp dirs for tests: init, commit, branch, merge. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GitRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface TestRepo {
  readonly dir: string;
  /** Runs git in the repo; throws when it fails unless allowFailure. */
  git(args: string[], options?: { allowFailure?: boolean }): GitRun;
  /** Stages everything and commits; returns the new commit's sha. */
  commitAll(message: string): string;
  remove(): void;
}

export function createTestRepo(): TestRepo {
  const dir = mkdtempSync(join(tmpdir(), 'db-migrate-git-'));
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'Test',
    GIT_AUTHOR_EMAIL: 'test@example.com',
    GIT_COMMITTER_NAME: 'Test',
    GIT_COMMITTER_EMAIL: 'test@example.com',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
  };
  const git = (args: string[], options: { allowFailure?: boolean } = {}): GitRun => {
    const result = spawnSync('git', args, { cwd: dir, env, encoding: 'utf8' });
    const run = { exitCode: result.status ?? -1, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
    if (run.exitCode !== 0 && !options.allowFailure) {
      throw new Error(`git ${args.join(' ')} failed (${run.exitCode}): ${run.stderr || run.stdout}`);
    }
    return run;
  };
  git(['init', '--quiet', '--initial-branch=main']);
  return {
    dir,
    git,
    commitAll(message) {
      git(['add', '--all']);
      git(['commit', '--quiet', '--allow-empty', '-m', message]);
      return git(['rev-parse', 'HEAD']).stdout.trim();
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
