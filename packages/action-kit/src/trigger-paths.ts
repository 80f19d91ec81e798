import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as core from '@actions/core';
import { triggerPathsProblem, workflowPathFromRef } from '@db-migrate/core';

/**
 * Warns when the workflow running this step would not start for a change in schema-dir: its paths
 * filter for this event misses it. Reads the workflow file from the checkout (GITHUB_WORKFLOW_REF names
 * it); says nothing when the file is not there (another repository's workflow, a sparse checkout).
 */
export function warnIfTriggerPathsMiss(schemaDir: string | undefined, schemaRepositoryPath = '.'): void {
  const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
  const workflowPath = workflowPathFromRef(process.env.GITHUB_WORKFLOW_REF);
  const event = process.env.GITHUB_EVENT_NAME;
  // Only a schema in the workflow's own checkout is under the workflow's paths.
  if (!schemaDir || !workflowPath || !event || resolve(workspace, schemaRepositoryPath) !== resolve(workspace)) return;
  let text: string;
  try {
    text = readFileSync(join(workspace, workflowPath), 'utf8');
  } catch {
    core.debug(`trigger paths not checked: ${workflowPath} is not in the checkout`);
    return;
  }
  const problem = triggerPathsProblem(text, workflowPath, event, schemaDir);
  if (problem) core.warning(problem, { file: workflowPath, title: 'trigger paths miss the schema' });
}
