import { realpath, rm } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import {
  type CreatedPullRequest,
  createPullRequest,
  findOpenPullRequest,
  type GitHubClient,
  type PullRequestInfo,
  updatePullRequest,
} from '@db-migrate/action-kit';
import {
  ConfigurationError,
  type CreatedMigration,
  createMigration,
  describeSchemaSource,
  formatCreateReport,
  Git,
  type Logger,
  readMigrationDir,
} from '@db-migrate/core';
import type { CreateActionInputs } from './inputs';
import { inspectMigrationBranch, originDefaultBranch, pushMigrationBranch, remoteBranchSha } from './migration-branch';
import { commitMessage, type MigrationDescription, pullRequestBody, pullRequestTitle } from './pull-request-text';

export interface PullRequestRef {
  readonly number: number;
  readonly url: string;
}

export type CreateActionResult =
  | {
      readonly outcome: 'created';
      readonly migration: CreatedMigration;
      readonly pullRequest: PullRequestRef;
      readonly description: MigrationDescription;
    }
  /**
   * No new migration because one is pending review: its pull request was open, or this run opened it for
   * the branch another run pushed (a run that lost the push race, or one that died before opening it).
   * Never without a pull request.
   */
  | { readonly outcome: 'skipped'; readonly reason: string; readonly pullRequest: PullRequestRef }
  | { readonly outcome: 'no-op'; readonly reason: string };

export interface CreateActionContext {
  readonly github: GitHubClient;
  readonly logger: Logger;
  readonly serverUrl: string;
  /** The default branch named by the event payload, when the migrations live in the repository of the event. */
  readonly eventDefaultBranch?: string;
}

/** The title every migration pull request starts with (pullRequestTitle). */
const TITLE_PREFIX = 'db-migrate: migration ';

/**
 * Which open pull request from the migration branch is ours: one with the label, or, because labelling
 * needs `issues: write` and may have failed, one a bot opened or titled as create titles them.
 */
export function isMigrationPullRequest(pull: PullRequestInfo, label: string): boolean {
  return pull.labels.includes(label) || pull.authorIsBot || pull.title.startsWith(TITLE_PREFIX);
}

/**
 * The create action: unless a migration pull request is open (checked before the schemas are built, and
 * again before anything is pushed), writes the next migration, pushes it to the fixed branch and opens a
 * labelled pull request for it. Races with another run end with one pushed branch and one pull request.
 */
export async function runCreate(inputs: CreateActionInputs, context: CreateActionContext): Promise<CreateActionResult> {
  const { github, logger } = context;
  const { owner, repo } = inputs.migrationsRepository;
  const openPullRequest = async (): Promise<CreateActionResult | undefined> => {
    const open = await findOpenPullRequest(github, { owner, repo, head: inputs.branch });
    if (!open || !isMigrationPullRequest(open, inputs.label)) return undefined;
    const reason =
      `migration pull request #${open.number} (${open.url}) is still open: merge or close it first; ` +
      'the schema changes made meanwhile become the next migration after it';
    return { outcome: 'skipped', reason, pullRequest: { number: open.number, url: open.url } };
  };

  const skippedEarly = await openPullRequest();
  if (skippedEarly) return skippedEarly;

  const git = await Git.open(inputs.migrationsRepoDir);
  const latest = (await readMigrationDir(inputs.migrationsDir)).migrations.at(-1)?.version ?? 0;
  // git names the repository by its real path; so must the files committed in it.
  const migrationsDir = await realpath(inputs.migrationsDir);
  const migrationsPath = relative(git.repoDir, migrationsDir) || '.';
  if (migrationsPath.startsWith('..') || isAbsolute(migrationsPath)) {
    throw new ConfigurationError(
      `input "migrations-dir": ${inputs.migrationsDir} is not inside the migrations repository ${git.repoDir}`,
    );
  }
  const baseBranch = inputs.baseBranch ?? (await originDefaultBranch(git)) ?? context.eventDefaultBranch ?? 'main';
  const label = (pull: CreatedPullRequest) => {
    if (pull.unlabelled)
      logger.warning(
        `pull request #${pull.number} is not labelled "${inputs.label}" (it still counts as the migration pull request): ${pull.unlabelled}`,
      );
  };
  /**
   * Opens the pull request for a migration branch another run pushed (or this one, on a lost race): that
   * run may have died, or failed to open it. If it is opening it right now, GitHub's 422 for a second one
   * makes this the same pull request: never two, never none.
   */
  const resume = async (sha: string, why: string): Promise<CreateActionResult> => {
    const [tip] = await git.log(sha, { maxCount: 1 });
    const { stdout: message } = await git.exec(['log', '-1', '--format=%b', sha]);
    const title = tip!.subject.startsWith(TITLE_PREFIX) ? tip!.subject : `${TITLE_PREFIX}on ${inputs.branch}`;
    const body = [
      `The migration on \`${inputs.branch}\` (commit ${sha}), pushed by an earlier run of db-migrate create that did not open ` +
        'its pull request (it failed or was cancelled after the push, or is opening it right now).',
      '',
      '```',
      message.trim(),
      '```',
      '',
      'The next schema change becomes the next migration once this one is merged or closed.',
    ].join('\n');
    const pull = await createPullRequest(github, {
      owner,
      repo,
      head: inputs.branch,
      base: baseBranch,
      title,
      body,
      labels: [inputs.label],
    });
    label(pull);
    const opened = pull.outcome === 'created' ? `opened #${pull.number} for it` : `#${pull.number} is open for it`;
    return { outcome: 'skipped', reason: `${why}: ${opened}`, pullRequest: { number: pull.number, url: pull.url } };
  };
  const branchState = await inspectMigrationBranch(git, {
    branch: inputs.branch,
    baseBranch,
    migrationsPath,
    latestVersion: latest,
  });
  if (branchState.kind === 'in-progress') {
    return resume(
      branchState.sha,
      `origin's ${inputs.branch} holds a migration pushed ${branchState.ageSeconds} s ago with no pull request open from it`,
    );
  }
  if (branchState.kind === 'stale')
    logger.info(
      `origin's ${inputs.branch} (${branchState.sha.slice(0, 7)}) is left over (${branchState.why}): it will be replaced`,
    );

  const outcome = await logger.group('Writing the next migration', () =>
    createMigration({
      source: inputs.source,
      migrationsDir,
      goal: inputs.goalRef,
      shadow: inputs.shadow,
      postgresVersion: inputs.postgresVersion,
      diff: { ...(inputs.blockingDdl ? { online: false } : {}), ...inputs.tableFilter },
      renames: inputs.renames,
      allowEmptyGoal: inputs.allowEmptyGoal,
      buildTimeoutMs: inputs.buildTimeoutMs,
      logger,
    }),
  );
  logger.info(formatCreateReport(outcome));
  if (outcome.outcome === 'no-op') return { outcome: 'no-op', reason: outcome.reason };

  const description: MigrationDescription = {
    migration: outcome,
    schemaSource: describeSchemaSource(inputs.source),
    schemaRepository: inputs.schemaRepository,
    serverUrl: context.serverUrl,
    migrationsRepoDir: git.repoDir,
    branch: inputs.branch,
  };
  const discard = () => Promise.all(outcome.files.map((file) => rm(file, { force: true })));
  const skippedLate = await openPullRequest();
  if (skippedLate) {
    await discard();
    return skippedLate;
  }

  const pushed = await pushMigrationBranch(git, {
    branch: inputs.branch,
    files: outcome.files,
    message: commitMessage(description),
    author: inputs.author,
    expectedSha: branchState.kind === 'stale' ? branchState.sha : undefined,
  });
  if (!pushed.pushed) {
    await discard();
    const sha = await remoteBranchSha(git, inputs.branch);
    const skipped = await openPullRequest();
    if (skipped) return skipped;
    if (!sha) throw new ConfigurationError(`${pushed.reason}, and that branch is gone again: re-run the job`);
    await git.fetch('origin', [`+refs/heads/${inputs.branch}:refs/remotes/origin/${inputs.branch}`]);
    return resume(sha, pushed.reason);
  }
  logger.info(`pushed ${pushed.sha.slice(0, 7)} to origin's ${inputs.branch}`);

  const title = pullRequestTitle(outcome);
  const body = pullRequestBody(description);
  const pull = await createPullRequest(github, {
    owner,
    repo,
    head: inputs.branch,
    base: baseBranch,
    title,
    body,
    labels: [inputs.label],
  });
  label(pull);
  if (pull.outcome === 'already-open') {
    // One was open from the branch without our label: it now shows this migration, so say so in it.
    await updatePullRequest(github, { owner, repo, number: pull.number, title, body });
  }
  return { outcome: 'created', migration: outcome, pullRequest: { number: pull.number, url: pull.url }, description };
}
