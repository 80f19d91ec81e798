import * as core from '@actions/core';
import {
  actionsLogger,
  createGitHubClient,
  readGitHubContext,
  runAction,
  warnIfTriggerPathsMiss,
  writeSummary,
} from '@db-migrate/action-kit';
import { readCreateInputs } from './inputs';
import { runCreate } from './run-create';
import { createSummary } from './summary';

runAction(async () => {
  const context = readGitHubContext();
  const inputs = readCreateInputs(context);
  warnIfTriggerPathsMiss(core.getInput('schema-dir'), core.getInput('schema-repository-path') || '.');
  const github = createGitHubClient({ token: inputs.token, apiUrl: context.apiUrl });
  const sameRepository =
    inputs.migrationsRepository.owner === context.owner && inputs.migrationsRepository.repo === context.repo;

  const result = await runCreate(inputs, {
    github,
    logger: actionsLogger,
    serverUrl: context.serverUrl,
    eventDefaultBranch: sameRepository ? context.defaultBranch : undefined,
  });

  core.setOutput('outcome', result.outcome);
  core.setOutput('skipped', String(result.outcome === 'skipped'));
  if (result.outcome === 'created') {
    core.setOutput('version', String(result.migration.migrations.at(-1)!.version));
    core.info(`opened pull request #${result.pullRequest.number}: ${result.pullRequest.url}`);
  } else {
    core.info(`${result.outcome === 'skipped' ? 'skipped' : 'nothing to do'}: ${result.reason}`);
  }
  const pullRequest = result.outcome === 'no-op' ? undefined : result.pullRequest;
  if (pullRequest) {
    core.setOutput('pr-number', String(pullRequest.number));
    core.setOutput('pr-url', pullRequest.url);
  }
  await writeSummary(createSummary(result));
});
