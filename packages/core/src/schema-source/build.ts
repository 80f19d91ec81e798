import { performance } from 'node:perf_hooks';
import { describeDatabase } from '../errors';
import { Git } from '../git';
import type { Logger } from '../logger';
import { runBuildCommand } from './build-command';
import { describeCommit, materializeSchemaSource } from './materialize';
import { describeSchemaSource, isEmptySchemaRef, validateSchemaSource, type SchemaSource } from './schema-source';
import { loadSqlFiles } from './sql-files';

export interface SchemaBuild {
  /** The commit built, or null for the empty schema. */
  readonly sha: string | null;
  readonly durationMs: number;
}

export interface BuildSchemaOptions {
  readonly logger: Logger;
  /** Stops a build command running longer than this (DEFAULT_BUILD_TIMEOUT_MS). */
  readonly timeoutMs?: number;
}

/**
 * Builds the schema as it was at `ref` into an empty database. `ref` null or "empty" means the empty
 * schema: the database is left as it is. The user's checkout is never touched; the temporary copy is
 * removed whatever happens. On failure the database may hold a partial schema: the caller drops it.
 *
 * A build command runs by `sh -c` in the copied schema directory with DATABASE_URL, PGHOST, PGPORT,
 * PGUSER, PGPASSWORD, PGDATABASE naming the database, plus DB_MIGRATE_COMMIT (the sha) and
 * DB_MIGRATE_REPO_ROOT (the copied repository root, e.g. for PYTHONPATH).
 */
export async function buildSchemaAt(
  source: SchemaSource,
  ref: string | null,
  db: { readonly url: string },
  options: BuildSchemaOptions,
): Promise<SchemaBuild> {
  const { logger } = options;
  const checked = validateSchemaSource(source);
  if (isEmptySchemaRef(ref)) {
    logger.info(`schema at "empty": nothing to build into ${describeDatabase(db.url)}`);
    return { sha: null, durationMs: 0 };
  }
  const started = performance.now();
  const copy = await materializeSchemaSource(checked, ref);
  try {
    const commitLabel = describeCommit(copy.sha, ref);
    logger.info(`building the schema at ${commitLabel} into ${describeDatabase(db.url)}: ${describeSchemaSource(checked)}`);
    if (checked.command) {
      await runBuildCommand({
        command: checked.command,
        cwd: copy.dir,
        databaseUrl: db.url,
        commitLabel,
        schemaDir: checked.schemaDir,
        extraEnv: { DB_MIGRATE_COMMIT: copy.sha, DB_MIGRATE_REPO_ROOT: copy.root },
        timeoutMs: options.timeoutMs,
        logger,
      });
    } else {
      await loadSqlFiles({ dir: copy.dir, files: checked.sqlFiles ?? [], databaseUrl: db.url, displayDir: checked.schemaDir, commitLabel, logger });
    }
  } finally {
    await copy.cleanup();
  }
  return { sha: copy.sha, durationMs: Math.round(performance.now() - started) };
}

/**
 * The files of the schema source that changed between two commits (base null: everything at goal).
 * Empty means nothing under schemaDir changed. A build command that imports code from outside schemaDir
 * can change the schema without a change here: point schemaDir at everything the build reads.
 */
export async function schemaSourceChanges(source: SchemaSource, base: string | null, goal: string): Promise<readonly string[]> {
  const checked = validateSchemaSource(source);
  const git = await Git.open(checked.repoDir);
  const baseSha = isEmptySchemaRef(base) ? undefined : await git.resolveCommit(base);
  return git.diffNames(baseSha, await git.resolveCommit(goal), checked.schemaDir);
}
