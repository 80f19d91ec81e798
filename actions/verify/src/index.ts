import { realpathSync } from 'node:fs';
import { relative } from 'node:path';
import * as core from '@actions/core';
import {
  actionsLogger,
  annotateAll,
  createGitHubClient,
  GitHubApiError,
  readGitHubContext,
  runAction,
  setTextOutput,
  upsertComment,
  writeSummary,
} from '@db-migrate/action-kit';
import { errorMessage, slugify, verifyMigrations, withShadowServer } from '@db-migrate/core';
import { checkRefInputs, readVerifyInputs } from './inputs';
import { verifyAnnotations, verifyComment, verifySummary } from './report';

runAction(async () => {
  const context = readGitHubContext();
  const inputs = readVerifyInputs(context.workspace ?? process.cwd());
  await checkRefInputs(inputs);
  const report = await withShadowServer(
    inputs.shadow,
    { postgresVersion: inputs.postgresVersion, logger: actionsLogger },
    (shadow) =>
      verifyMigrations({
        source: inputs.source,
        migrationsDir: inputs.migrationsDir,
        baseRef: inputs.baseRef,
        goalRef: inputs.goalRef,
        failOnHazards: inputs.failOnHazards,
        ...(inputs.seed ? { seed: inputs.seed } : {}),
        allowEmptyGoal: inputs.allowEmptyGoal,
        buildTimeoutMs: inputs.buildTimeoutMs,
        diff: inputs.tableFilter,
        shadow,
        logger: actionsLogger,
      }),
  );

  // Paths in annotations and the comment are relative to the migrations' checkout, as the pull request shows them.
  const root = realpathSync(inputs.migrationsRepoDir);
  annotateAll(verifyAnnotations(report, root), { root });
  core.setOutput('result', report.result);
  setTextOutput('difference', report.difference);
  await writeSummary(verifySummary(report, root));

  if (inputs.comment && context.pullRequest && inputs.token) {
    // One comment per migrations directory, updated on every run.
    const marker = `verify.${slugify(relative(root, realpathSync(inputs.migrationsDir)) || 'migrations')}`;
    const runUrl = process.env.GITHUB_RUN_ID
      ? `${context.serverUrl}/${context.owner}/${context.repo}/actions/runs/${process.env.GITHUB_RUN_ID}`
      : undefined;
    try {
      const github = createGitHubClient({ token: inputs.token, apiUrl: context.apiUrl });
      const comment = await upsertComment(github, {
        owner: context.owner,
        repo: context.repo,
        issueNumber: context.pullRequest.number,
        marker,
        body: verifyComment(report, root, runUrl),
      });
      core.info(`pull request comment ${comment.outcome}: ${comment.url}`);
    } catch (error) {
      // A token that may not comment (a fork's pull request) must not hide the result: the check still stands.
      if (!(error instanceof GitHubApiError)) throw error;
      core.warning(`could not comment on pull request #${context.pullRequest.number}: ${errorMessage(error)}`);
    }
  }

  if (report.result === 'failed') {
    const failedChecks = report.checks.filter((c) => c.status === 'failed').map((c) => c.title.toLowerCase());
    core.setFailed(`verify failed: ${failedChecks.join(', ')} (see the annotations and the job summary)`);
  }
});
