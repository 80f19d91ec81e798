import { realpath, rm } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import { createPullRequest, findOpenPullRequest, type GitHubClient, updatePullRequest } from '@db-migrate/action-kit';
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
import { inspectMigrationBranch, originDefaultBranch, pushMigrationBranch } from './migration-branch';
import { commitMessage, type MigrationDescription, pullRequestBody, pullRequestTitle } from './pull-request-text';

export interface PullRequestRef {
  readonly number: number;
  readonly url: string;
}

export type CreateActionResult =
  | { readonly outcome: 'created'; readonly migration: CreatedMigration; readonly pullRequest: PullRequestRef; readonly description: MigrationDescription }
  /** Nothing done because a migration pull request is open, or another run is opening one. */
  | { readonly outcome: 'skipped'; readonly reason: string; readonly pullRequest?: PullRequestRef }
  | { readonly outcome: 'no-op'; readonly reason: string };

export interface CreateActionContext {
  readonly github: GitHubClient;
  readonly logger: Logger;
  readonly serverUrl: string;
  /** The default branch named by the event payload, when the migrations live in the repository of the event. */
  readonly eventDefaultBranch?: string;
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
    const open = await findOpenPullRequest(github, { owner, repo, head: inputs.branch, label: inputs.label });
    if (!open) return undefined;
    const reason = `migration pull request #${open.number} (${open.url}) is still open: merge or close it first; ` +
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
    throw new ConfigurationError(`input "migrations-dir": ${inputs.migrationsDir} is not inside the migrations repository ${git.repoDir}`);
  }
  const baseBranch = inputs.baseBranch ?? (await originDefaultBranch(git)) ?? context.eventDefaultBranch ?? 'main';
  const branchState = await inspectMigrationBranch(git, { branch: inputs.branch, baseBranch, migrationsPath, latestVersion: latest });
  if (branchState.kind === 'in-progress') {
    return {
      outcome: 'skipped',
      reason: `origin's ${inputs.branch} was pushed ${branchState.ageSeconds} s ago and no pull request is open from it yet: another run is opening one`,
    };
  }
  if (branchState.kind === 'stale') logger.info(`origin's ${inputs.branch} (${branchState.sha.slice(0, 7)}) is left over (${branchState.why}): it will be replaced`);

  const outcome = await logger.group('Writing the next migration', () =>
    createMigration({
      source: inputs.source,
      migrationsDir,
      goal: inputs.goalRef,
      shadow: inputs.shadow,
      postgresMajor: inputs.postgresMajor,
      diff: { concurrentIndexes: inputs.concurrentIndexes, ...inputs.tableFilter },
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
    return { outcome: 'skipped', reason: pushed.reason };
  }
  logger.info(`pushed ${pushed.sha.slice(0, 7)} to origin's ${inputs.branch}`);

  const title = pullRequestTitle(outcome);
  const body = pullRequestBody(description);
  const pull = await createPullRequest(github, { owner, repo, head: inputs.branch, base: baseBranch, title, body, labels: [inputs.label] });
  if (pull.outcome === 'already-open') {
    // One was open from the branch without our label: it now shows this migration, so say so in it.
    await updatePullRequest(github, { owner, repo, number: pull.number, title, body });
  }
  return { outcome: 'created', migration: outcome, pullRequest: { number: pull.number, url: pull.url }, description };
}
