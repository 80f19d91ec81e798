import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigurationError } from './errors';
import { redact } from './redact';

/** What one git invocation did. */
export interface GitResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface GitExecOptions {
  /** Return a non-zero exit as a result instead of throwing. */
  readonly allowFailure?: boolean;
  readonly env?: Readonly<Record<string, string>>;
  readonly input?: string;
}

export interface GitStatusEntry {
  /** The two-letter porcelain code, e.g. ' M', '??', 'A '. */
  readonly code: string;
  readonly path: string;
}

export interface GitLogEntry {
  readonly sha: string;
  readonly subject: string;
  readonly authorName: string;
  readonly authorEmail: string;
  /** Committer date, ISO 8601. */
  readonly date: string;
}

export interface GitIdentity {
  readonly name: string;
  readonly email: string;
}

/**
 * The object name git gives a file's content (`git hash-object`): SHA-1, or SHA-256 in a repository that
 * uses it (told by the length of one of its object names).
 */
export function blobHash(content: Buffer, objectNameLength = 40): string {
  const hash = createHash(objectNameLength === 64 ? 'sha256' : 'sha1');
  hash.update(`blob ${content.length}\0`);
  hash.update(content);
  return hash.digest('hex');
}

/** Refs and paths never start with '-': rejecting them keeps user input from being read as an option. */
function checkArgument(kind: string, value: string): string {
  if (value === '' || value.startsWith('-')) throw new ConfigurationError(`invalid git ${kind} "${value}"`);
  return value;
}

/**
 * A small wrapper over the git CLI for one repository: one method per git verb, all over one exec that
 * returns {exitCode, stdout, stderr}. Failures throw an Error quoting git's stderr (redacted: remote URLs
 * may carry tokens); an unknown ref is the user's mistake, a ConfigurationError.
 */
export class Git {
  readonly repoDir: string;

  constructor(repoDir: string) {
    this.repoDir = resolve(repoDir);
  }

  /** Opens the repository containing dir, at its top level; ConfigurationError when dir is not in one. */
  static async open(dir: string): Promise<Git> {
    const result = await new Git(dir).exec(['rev-parse', '--show-toplevel'], { allowFailure: true });
    if (result.exitCode !== 0)
      throw new ConfigurationError(`${dir} is not inside a git repository: ${redact(result.stderr.trim())}`);
    return new Git(result.stdout.trim());
  }

  exec(args: readonly string[], options: GitExecOptions = {}): Promise<GitResult> {
    return this.execIn([], args, options);
  }

  /** exec() with git's own options (`-c key=value`, `--work-tree=...`) before the command. */
  private execIn(gitOptions: readonly string[], args: readonly string[], options: GitExecOptions): Promise<GitResult> {
    return new Promise((resolvePromise, reject) => {
      const child = spawn('git', ['-C', this.repoDir, ...gitOptions, ...args], {
        // Never wait on a credential prompt in CI; keep git's messages in English for matching.
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...options.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.on('error', reject);
      child.on('close', (code) => {
        const result = {
          exitCode: code ?? 1,
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
        };
        if (result.exitCode !== 0 && !options.allowFailure) {
          reject(
            new Error(
              `git ${redact(args.join(' '))} failed (exit ${result.exitCode}) in ${this.repoDir}: ${redact(result.stderr.trim())}`,
            ),
          );
        } else {
          resolvePromise(result);
        }
      });
      // git may exit before reading its input (EPIPE): its exit code tells what happened.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    });
  }

  /** The object name of a revision, or undefined when git does not know it. */
  async revParse(rev: string): Promise<string | undefined> {
    const result = await this.exec(['rev-parse', '--verify', '--quiet', checkArgument('revision', rev)], {
      allowFailure: true,
    });
    return result.exitCode === 0 ? result.stdout.trim() : undefined;
  }

  /** The commit sha a ref names; ConfigurationError naming the ref and the repository when it names none. */
  async resolveCommit(ref: string): Promise<string> {
    const sha = await this.revParse(`${checkArgument('ref', ref)}^{commit}`);
    if (sha) return sha;
    const shallow =
      (await this.exec(['rev-parse', '--is-shallow-repository'], { allowFailure: true })).stdout.trim() === 'true';
    throw new ConfigurationError(
      `unknown commit "${ref}" in ${this.repoDir}` +
        (shallow ? ' (the clone is shallow: fetch more history, e.g. actions/checkout with fetch-depth: 0)' : ''),
    );
  }

  async headSha(): Promise<string> {
    return this.resolveCommit('HEAD');
  }

  /** The checked-out branch, or undefined on a detached HEAD. */
  async currentBranch(): Promise<string | undefined> {
    const result = await this.exec(['symbolic-ref', '--quiet', '--short', 'HEAD'], { allowFailure: true });
    return result.exitCode === 0 ? result.stdout.trim() : undefined;
  }

  /** Uncommitted changes and untracked files (`git status --porcelain`). */
  async status(): Promise<readonly GitStatusEntry[]> {
    const { stdout } = await this.exec(['status', '--porcelain=v1', '-z', '--untracked-files=all']);
    const entries: GitStatusEntry[] = [];
    const fields = stdout.split('\0');
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i];
      if (field.length < 4) continue;
      const code = field.slice(0, 2);
      entries.push({ code, path: field.slice(3) });
      if (code[0] === 'R' || code[0] === 'C') i++; // the rename source follows as its own field
    }
    return entries;
  }

  async isClean(): Promise<boolean> {
    return (await this.status()).length === 0;
  }

  /**
   * Files that differ between two commits, optionally only under a path: did the schema source change?
   * base undefined means "from nothing" (every file at goal).
   */
  async diffNames(base: string | undefined, goal: string, path?: string): Promise<readonly string[]> {
    const args = [
      'diff',
      '--name-only',
      '--no-renames',
      '-z',
      base ? checkArgument('revision', base) : await this.emptyTree(),
      checkArgument('revision', goal),
    ];
    if (path !== undefined) args.push('--', path);
    const { stdout } = await this.exec(args);
    return stdout.split('\0').filter((name) => name !== '');
  }

  /** The empty tree's object name (git knows it without storing it): the base when there is no base commit. */
  async emptyTree(): Promise<string> {
    return (await this.exec(['hash-object', '-t', 'tree', '--stdin'], { input: '' })).stdout.trim();
  }

  /** Commits reachable from rev (newest first), optionally only those touching a path. */
  async log(rev: string, options: { maxCount?: number; path?: string } = {}): Promise<readonly GitLogEntry[]> {
    const args = ['log', '-z', '--format=%H%x1f%s%x1f%an%x1f%ae%x1f%cI'];
    if (options.maxCount !== undefined) args.push(`--max-count=${options.maxCount}`);
    args.push(checkArgument('revision', rev));
    if (options.path !== undefined) args.push('--', options.path);
    const { stdout } = await this.exec(args);
    return stdout
      .split('\0')
      .filter((record) => record.trim() !== '')
      .map((record) => {
        const [sha, subject, authorName, authorEmail, date] = record.replace(/^\n/, '').split('\x1f');
        return { sha, subject, authorName, authorEmail, date };
      });
  }

  /**
   * The values of the trailers named `key` in the commits after `base` up to `goal` (all of goal's history
   * when base is null), oldest commit first, each with the commit it came from. Read with git's own
   * trailer parsing (the last paragraph of the message, "Key: value" lines).
   */
  async trailers(
    key: string,
    base: string | null,
    goal: string,
  ): Promise<readonly { readonly sha: string; readonly value: string }[]> {
    const range =
      base === null
        ? checkArgument('revision', goal)
        : `${checkArgument('revision', base)}..${checkArgument('revision', goal)}`;
    const { stdout } = await this.exec([
      'log',
      '-z',
      '--reverse',
      `--format=%H%x1f%(trailers:key=${key},valueonly,unfold)`,
      range,
    ]);
    return stdout
      .split('\0')
      .filter((record) => record.trim() !== '')
      .flatMap((record) => {
        const [sha, values = ''] = record.replace(/^\n/, '').split('\x1f');
        return values
          .split('\n')
          .map((v) => v.trim())
          .filter((v) => v !== '')
          .map((value) => ({ sha: sha!, value }));
      });
  }

  /** What kind of object a path is at a commit: 'blob' (file), 'tree' (directory), or undefined (absent). */
  async pathType(ref: string, path: string): Promise<'blob' | 'tree' | undefined> {
    const spec =
      path === '.' || path === '' ? `${checkArgument('ref', ref)}^{tree}` : `${checkArgument('ref', ref)}:${path}`;
    const result = await this.exec(['cat-file', '-t', spec], { allowFailure: true });
    const type = result.stdout.trim();
    return type === 'blob' || type === 'tree' ? type : undefined;
  }

  /**
   * The commit a ref names and what kind of object a path is in it, from one git process (`cat-file
   * --batch-check`): undefined sha when the ref names no commit, undefined type when the path is absent.
   */
  async commitAndPathType(ref: string, path: string): Promise<{ sha?: string; type?: 'blob' | 'tree' }> {
    const commit = `${checkArgument('ref', ref)}^{commit}`;
    if (/[\n\r]/.test(ref + path)) return {};
    const spec = path === '.' || path === '' ? `${commit}^{tree}` : `${commit}:${path}`;
    const { stdout } = await this.exec(['cat-file', '--batch-check=%(objectname) %(objecttype)'], {
      input: `${commit}\n${spec}\n`,
    });
    const [first = '', second = ''] = stdout.split('\n');
    const [sha, kind] = first.split(' ');
    if (kind !== 'commit') return {};
    const type = second.split(' ')[1];
    return { sha, ...(type === 'blob' || type === 'tree' ? { type } : {}) };
  }

  /**
   * The files directly in a directory at a commit, each with its blob's object name (not recursive); []
   * when the directory is absent. Comparing a file with blobHash() tells whether it changed, without
   * reading the blob.
   */
  async listBlobs(ref: string, dir: string): Promise<readonly { readonly name: string; readonly sha: string }[]> {
    if ((await this.pathType(ref, dir)) !== 'tree') return [];
    const tree = dir === '.' || dir === '' ? `${ref}^{tree}` : `${ref}:${dir}`;
    const { stdout } = await this.exec(['ls-tree', '-z', '--full-tree', tree]);
    return stdout
      .split('\0')
      .filter((entry) => entry !== '')
      .map((entry) => {
        const [, type, sha] = entry.slice(0, entry.indexOf('\t')).split(' ');
        return { type, sha: sha!, name: entry.slice(entry.indexOf('\t') + 1) };
      })
      .filter((entry) => entry.type === 'blob')
      .map(({ name, sha }) => ({ name, sha }));
  }

  /** A file's content at a commit, or undefined when it does not exist there. */
  async showFile(ref: string, path: string): Promise<string | undefined> {
    if ((await this.pathType(ref, path)) !== 'blob') return undefined;
    return (await this.exec(['cat-file', 'blob', `${ref}:${path}`])).stdout;
  }

  /** Names of the files directly in a directory at a commit (not recursive); [] when the directory is absent. */
  async listFiles(ref: string, dir: string): Promise<readonly string[]> {
    return (await this.listBlobs(ref, dir)).map((entry) => entry.name);
  }

  /** Paths of every file under a directory at a commit (recursive, relative to dir); [] when the directory is absent. */
  async listTree(ref: string, dir: string): Promise<readonly string[]> {
    if ((await this.pathType(ref, dir)) !== 'tree') return [];
    const tree = dir === '.' || dir === '' ? `${ref}^{tree}` : `${ref}:${dir}`;
    const { stdout } = await this.exec(['ls-tree', '-r', '-z', '--full-tree', '--name-only', tree]);
    return stdout.split('\0').filter((name) => name !== '');
  }

  async add(paths: readonly string[]): Promise<void> {
    await this.exec(['add', '--', ...paths]);
  }

  /** Commits what is staged; returns the new commit's sha. */
  async commit(message: string, options: { author?: GitIdentity; allowEmpty?: boolean } = {}): Promise<string> {
    const identity = options.author
      ? ['-c', `user.name=${options.author.name}`, '-c', `user.email=${options.author.email}`]
      : [];
    await this.exec(
      [...identity, 'commit', '--quiet', '--no-verify', '--file=-', ...(options.allowEmpty ? ['--allow-empty'] : [])],
      { input: message },
    );
    return this.headSha();
  }

  /** `git checkout -b name [startPoint]` (`-B` with reset: true, to move an existing branch). */
  async createBranch(name: string, options: { startPoint?: string; reset?: boolean } = {}): Promise<void> {
    const args = ['checkout', '--quiet', options.reset ? '-B' : '-b', checkArgument('branch', name)];
    if (options.startPoint) args.push(checkArgument('revision', options.startPoint));
    await this.exec(args);
  }

  async checkout(ref: string): Promise<void> {
    await this.exec(['checkout', '--quiet', checkArgument('ref', ref), '--']);
  }

  async fetch(remote: string, refspecs: readonly string[] = [], options: { depth?: number } = {}): Promise<void> {
    const args = ['fetch', '--quiet', '--no-tags'];
    if (options.depth !== undefined) args.push(`--depth=${options.depth}`);
    await this.exec([...args, checkArgument('remote', remote), ...refspecs]);
  }

  async push(remote: string, refspec: string, options: { force?: boolean } = {}): Promise<void> {
    await this.exec([
      'push',
      '--quiet',
      ...(options.force ? ['--force'] : []),
      checkArgument('remote', remote),
      checkArgument('refspec', refspec),
    ]);
  }

  /** Merges rev into the current branch; returns false (and aborts) on a conflict instead of throwing. */
  async merge(
    rev: string,
    options: { message?: string; ffOnly?: boolean; author?: GitIdentity } = {},
  ): Promise<boolean> {
    const identity = options.author
      ? ['-c', `user.name=${options.author.name}`, '-c', `user.email=${options.author.email}`]
      : [];
    const args = [...identity, 'merge', '--quiet', '--no-edit', ...(options.ffOnly ? ['--ff-only'] : [])];
    if (options.message) args.push('-m', options.message);
    const result = await this.exec([...args, checkArgument('revision', rev)], { allowFailure: true });
    if (result.exitCode === 0) return true;
    if (options.ffOnly) return false;
    const aborted = await this.exec(['merge', '--abort'], { allowFailure: true });
    if (aborted.exitCode !== 0)
      throw new Error(
        `git merge ${rev} failed in ${this.repoDir}: ${redact(result.stderr.trim() || result.stdout.trim())}`,
      );
    return false;
  }

  async mergeBase(a: string, b: string): Promise<string | undefined> {
    const result = await this.exec(['merge-base', checkArgument('revision', a), checkArgument('revision', b)], {
      allowFailure: true,
    });
    return result.exitCode === 0 ? result.stdout.trim() : undefined;
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const result = await this.exec(
      ['merge-base', '--is-ancestor', checkArgument('revision', ancestor), checkArgument('revision', descendant)],
      { allowFailure: true },
    );
    return result.exitCode === 0;
  }

  /**
   * Writes the files of a commit (all of it, or only `path` within it, at the same relative place) into
   * destDir. Goes through a temporary index file, so the repository's own index, work tree, HEAD and
   * worktree list are never touched, and unlike `git archive` it ignores `export-ignore` attributes.
   */
  async exportTree(ref: string, destDir: string, path?: string): Promise<void> {
    const indexDir = await mkdtemp(join(tmpdir(), 'db-migrate-index-'));
    try {
      const env = { GIT_INDEX_FILE: join(indexDir, 'index') };
      const sub = path === undefined || path === '.' || path === '' ? undefined : path.replace(/\/+$/, '');
      const treeish = sub ? `${checkArgument('ref', ref)}:${sub}` : `${checkArgument('ref', ref)}^{tree}`;
      // One process: read-tree -u writes what it reads into destDir, as the work tree of the temporary index
      // (sparse checkout off: the copy is the whole tree, whatever the user's checkout leaves out).
      await this.execIn(
        ['-c', 'core.sparseCheckout=false', `--work-tree=${resolve(destDir)}`],
        ['read-tree', ...(sub ? [`--prefix=${sub}/`] : ['--reset']), '-u', treeish],
        { env },
      );
    } finally {
      await rm(indexDir, { recursive: true, force: true });
    }
  }
}
