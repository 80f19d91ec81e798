import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createTestRepo } from '../../../test/support/git';

/** A real repository (test/support/git.ts) with helpers the git, schema-source and shadow tests share. */
export interface TestRepo {
  readonly dir: string;
  /** Runs git in the repository and returns its trimmed stdout; throws when git fails. */
  git(...args: string[]): string;
  /** Writes files (path -> content; null deletes), commits them, and returns the new sha. */
  commit(message: string, files: Record<string, string | null>): string;
  remove(): void;
}

export function makeTestRepo(options: { bare?: boolean } = {}): TestRepo {
  const repo = createTestRepo();
  const git = (...args: string[]) => repo.git(args).stdout.trim();
  if (options.bare) {
    git('config', 'core.bare', 'true');
  } else {
    // Identity in the repository's own config, for commits made through the Git class under test.
    git('config', 'user.name', 'Test Author');
    git('config', 'user.email', 'author@example.com');
  }
  return {
    dir: repo.dir,
    git,
    commit(message, files) {
      for (const [path, content] of Object.entries(files)) {
        if (content === null) {
          git('rm', '--quiet', '--', path);
          continue;
        }
        mkdirSync(dirname(join(repo.dir, path)), { recursive: true });
        writeFileSync(join(repo.dir, path), content);
        git('add', '--', path);
      }
      git('commit', '--quiet', '--allow-empty', '-m', message);
      return git('rev-parse', 'HEAD');
    },
    remove: () => repo.remove(),
  };
}
