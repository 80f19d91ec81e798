import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError } from '../errors';
import { Git } from '../git';
import { onExitCleanup } from '../process/cleanup';
import { validateSchemaSource, type SchemaSource } from './schema-source';

export interface MaterializedSchemaSource {
  /** The schema directory as it was at the commit, in a temporary directory. */
  readonly dir: string;
  /** The temporary copy of the repository's tree that contains dir. */
  readonly root: string;
  /** The commit the ref resolved to. */
  readonly sha: string;
  /** Removes the temporary copy. */
  cleanup(): Promise<void>;
}

/** "abc1234 (main)", or just the short sha when the ref was the sha itself. */
export function describeCommit(sha: string, ref: string): string {
  const short = sha.slice(0, 7);
  const isShaPrefix = /^[0-9a-f]{7,40}$/i.test(ref) && sha.startsWith(ref.toLowerCase());
  return isShaPrefix ? short : `${short} (${ref})`;
}

/**
 * Copies the schema source as it was at a commit into a temporary directory, never touching the user's
 * checkout (no checkout, no worktree: files come through a temporary index, see Git.exportTree).
 *
 * With a build command the whole tree of the commit is copied and the command runs in <copy>/<schemaDir>:
 * build scripts routinely import from the repository root (a Python package next to the schema module,
 * a shared config file), and a partial copy would break them in ways that are hard to diagnose. SQL files
 * need only the schema directory, so only that is copied.
 */
export async function materializeSchemaSource(
  source: SchemaSource,
  ref: string,
  repository?: Git,
): Promise<MaterializedSchemaSource> {
  const checked = validateSchemaSource(source);
  const git = repository ?? (await Git.open(checked.repoDir));
  // The commit and its schema directory from one git process; an unknown ref is said as resolveCommit says it.
  const found = await git.commitAndPathType(ref, checked.schemaDir);
  const sha = found.sha ?? (await git.resolveCommit(ref));
  if (found.type !== 'tree') {
    throw new ConfigurationError(
      `schema directory "${checked.schemaDir}" does not exist at commit ${describeCommit(sha, ref)} in ${git.repoDir}`,
    );
  }
  const root = await mkdtemp(join(tmpdir(), 'db-migrate-schema-'));
  const unregister = onExitCleanup(() => rmSync(root, { recursive: true, force: true }));
  const cleanup = async () => {
    await rm(root, { recursive: true, force: true });
    unregister();
  };
  try {
    await git.exportTree(sha, root, checked.command ? undefined : checked.schemaDir);
    const dir = join(root, checked.schemaDir);
    await mkdir(dir, { recursive: true });
    return { dir, root, sha, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
