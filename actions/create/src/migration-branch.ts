import { ConfigurationError, type Git, type GitIdentity, parseMetadataFileName, redact } from '@db-migrate/core';

/**
 * The migration branch on origin. One fixed branch name is what keeps two runs from opening two pull
 * requests: every push to it is a compare-and-swap (`--force-with-lease` against the value read before
 * the schemas were built), so of two runs on the same base exactly one pushes, and the other is told.
 */

/** A branch pushed this recently, with no pull request yet, is taken to belong to a run still opening it. */
export const STALE_BRANCH_AGE_MS = 10 * 60_000;

export type MigrationBranchState =
  | { readonly kind: 'absent' }
  /** Left over (its migration merged, or a run that died before opening its pull request): overwritten. */
  | { readonly kind: 'stale'; readonly sha: string; readonly why: string }
  /** Pushed moments ago by another run that has not opened its pull request yet. */
  | { readonly kind: 'in-progress'; readonly sha: string; readonly ageSeconds: number };

/** The branch's tip on origin, read without fetching; undefined when origin has no such branch. */
export async function remoteBranchSha(git: Git, branch: string): Promise<string | undefined> {
  const result = await git.exec(['ls-remote', '--heads', 'origin', `refs/heads/${branch}`], { allowFailure: true });
  if (result.exitCode !== 0) {
    throw new ConfigurationError(
      `cannot read the branches of origin in ${git.repoDir}: ${redact(result.stderr.trim())}`,
    );
  }
  const line = result.stdout.split('\n').find((l) => l.endsWith(`\trefs/heads/${branch}`));
  return line?.split('\t')[0];
}

export interface InspectBranchOptions {
  readonly branch: string;
  readonly baseBranch: string;
  /** The migrations directory relative to the repository root. */
  readonly migrationsPath: string;
  /** The latest version in the migrations directory of the checkout (the base). */
  readonly latestVersion: number;
  readonly now?: Date;
}

/**
 * What the migration branch on origin is, when no migration pull request is open: absent, stale (safe
 * to overwrite), or another run's work in progress (leave it alone).
 */
export async function inspectMigrationBranch(git: Git, options: InspectBranchOptions): Promise<MigrationBranchState> {
  const { branch, baseBranch } = options;
  const sha = await remoteBranchSha(git, branch);
  if (!sha) return { kind: 'absent' };
  await git.fetch('origin', [
    `+refs/heads/${branch}:refs/remotes/origin/${branch}`,
    `+refs/heads/${baseBranch}:refs/remotes/origin/${baseBranch}`,
  ]);
  if (await git.isAncestor(sha, `refs/remotes/origin/${baseBranch}`))
    return { kind: 'stale', sha, why: `it is merged into ${baseBranch}` };
  const versions = (await git.listFiles(sha, options.migrationsPath))
    .map(parseMetadataFileName)
    .filter((v): v is number => v !== undefined);
  const branchVersion = Math.max(0, ...versions);
  if (branchVersion <= options.latestVersion) {
    return {
      kind: 'stale',
      sha,
      why: `its migration ${branchVersion} is not newer than the latest one here (${options.latestVersion})`,
    };
  }
  const [tip] = await git.log(sha, { maxCount: 1 });
  const ageMs = (options.now ?? new Date()).getTime() - Date.parse(tip!.date);
  if (ageMs > STALE_BRANCH_AGE_MS)
    return {
      kind: 'stale',
      sha,
      why: `it was pushed ${Math.round(ageMs / 60_000)} minutes ago and no pull request is open from it`,
    };
  return { kind: 'in-progress', sha, ageSeconds: Math.max(0, Math.round(ageMs / 1000)) };
}

/** The branch origin's HEAD names (a plain clone has it; actions/checkout does not), or undefined. */
export async function originDefaultBranch(git: Git): Promise<string | undefined> {
  const result = await git.exec(['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD'], {
    allowFailure: true,
  });
  return result.exitCode === 0 ? result.stdout.trim().replace(/^origin\//, '') || undefined : undefined;
}

export interface PushMigrationOptions {
  readonly branch: string;
  /** Absolute paths of the files to commit. */
  readonly files: readonly string[];
  readonly message: string;
  readonly author: GitIdentity;
  /** The branch's tip on origin when it was inspected; undefined: it must still not exist. */
  readonly expectedSha: string | undefined;
}

export type PushOutcome =
  | { readonly pushed: true; readonly sha: string }
  | { readonly pushed: false; readonly reason: string };

/**
 * Commits the files on the migration branch (started from the checkout's HEAD) and pushes it, only if
 * origin's branch is still what it was when inspected. The checkout is put back where it was, so later
 * steps of the job see what they saw before. The push uses the checkout's credentials.
 */
export async function pushMigrationBranch(git: Git, options: PushMigrationOptions): Promise<PushOutcome> {
  const { branch } = options;
  const original = (await git.currentBranch()) ?? (await git.headSha());
  let sha: string;
  let result: Awaited<ReturnType<Git['exec']>>;
  await git.createBranch(branch, { reset: true });
  try {
    await git.add(options.files);
    sha = await git.commit(options.message, { author: options.author });
    // Git's Push verb knows no lease; the compare-and-swap is the point here, so it is spelt out.
    result = await git.exec(
      [
        'push',
        '--porcelain',
        `--force-with-lease=refs/heads/${branch}:${options.expectedSha ?? ''}`,
        'origin',
        `HEAD:refs/heads/${branch}`,
      ],
      { allowFailure: true },
    );
  } finally {
    await git.checkout(original);
  }
  if (result.exitCode === 0) return { pushed: true, sha };
  // A lost race shows as a stale lease, or, when both pushes reach origin at once, as a ref origin could
  // not lock: either way origin's branch is no longer what it was. Anything else is a real failure.
  const now = await remoteBranchSha(git, branch);
  if (now !== options.expectedSha) {
    const what = options.expectedSha ? `moved from ${options.expectedSha.slice(0, 7)}` : 'was created';
    return {
      pushed: false,
      reason: `origin's ${branch} ${what} while this run built the migration: another run pushed first`,
    };
  }
  throw new ConfigurationError(
    `pushing ${branch} to origin failed: ${redact(result.stderr.trim() || result.stdout.trim())} ` +
      "(the push uses the checkout's credentials: check out the migrations repository with a token that may push there, " +
      "e.g. actions/checkout with `token:` and the job's `permissions: contents: write`)",
  );
}
