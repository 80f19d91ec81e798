/**
 * A workflow whose `paths:` filter misses the schema directory never runs for a schema change: no
 * migration pull request, ever, and nothing says why. The actions read their own workflow file (named
 * by GITHUB_WORKFLOW_REF) and warn when the event's paths filter does not cover the schema-dir input.
 */
import { parse } from 'yaml';
import { globMatches } from '../glob';

/** The workflow file a run comes from, from GITHUB_WORKFLOW_REF (`owner/repo/.github/workflows/x.yml@refs/heads/main`). */
export function workflowPathFromRef(workflowRef: string | undefined): string | undefined {
  const match = /^[^/]+\/[^/]+\/(.+?)@/.exec(workflowRef ?? '');
  return match?.[1];
}

/**
 * Why the workflow's paths filter for `event` would not start it for a change in `schemaDir` (relative to
 * the repository root), or undefined when it would (or has no filter, or the schema is the whole repository).
 */
export function triggerPathsProblem(
  workflowText: string,
  workflowPath: string,
  event: string,
  schemaDir: string,
): string | undefined {
  const dir = schemaDir.replace(/^\.\/+/, '').replace(/\/+$/, '');
  if (dir === '' || dir === '.' || dir.startsWith('/') || dir.startsWith('..')) return undefined;
  let workflow: unknown;
  try {
    workflow = parse(workflowText);
  } catch {
    return undefined;
  }
  const on = (workflow as Record<string, unknown> | null)?.on ?? (workflow as Record<string, unknown> | null)?.true;
  const trigger =
    typeof on === 'object' && on !== null && !Array.isArray(on) ? (on as Record<string, unknown>)[event] : undefined;
  const paths =
    typeof trigger === 'object' && trigger !== null ? (trigger as Record<string, unknown>).paths : undefined;
  if (!Array.isArray(paths) || paths.length === 0) return undefined;
  const probe = `${dir}/any-file`;
  // Later patterns win: a `!` pattern excludes what earlier ones included. GitHub's globs read as ours (docs/globs.md).
  let covered = false;
  for (const raw of paths.map(String)) {
    const negated = raw.startsWith('!');
    if (globMatches(negated ? raw.slice(1) : raw, probe)) covered = !negated;
  }
  if (covered) return undefined;
  return (
    `${workflowPath}: on.${event}.paths (${paths.join(', ')}) does not cover schema-dir ${dir}: a change to the schema ` +
    `there never starts this workflow. Add '${dir}/**' to the paths (db-migrate init writes workflows whose paths match the schema)`
  );
}
