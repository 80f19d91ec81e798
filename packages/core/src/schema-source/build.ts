import { existsSync } from 'node:fs';
import { realpath, symlink } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describeDatabase } from '../database-url';
import { Git } from '../git';
import { type Logger, timed } from '../logger';
import { runBuildCommand } from './build-command';
import { describeCommit, materializeSchemaSource } from './materialize';
import { describeSchemaSource, isEmptySchemaRef, validateSchemaSource, type SchemaSource } from './schema-source';
import { resolveSqlFiles } from './sql-file-list';
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
  /** The schema repository, when the caller has it open already (each git process counts on a busy machine). */
  readonly git?: Git;
}

/**
 * Builds the schema as it was at `ref` into an empty database. `ref` null or "empty" means the empty
 * schema: the database is left as it is. The user's checkout is never touched; the temporary copy is
 * removed whatever happens. On failure the database may hold a partial schema: the caller drops it.
 *
 * A build command runs by `sh -c` in the copied schema directory with DATABASE_URL, PGHOST, PGPORT,
 * PGUSER, PGPASSWORD, PGDATABASE naming the database, plus DB_MIGRATE_COMMIT (the sha),
 * DB_MIGRATE_REPO_ROOT (the copied repository root, e.g. for PYTHONPATH) and DB_MIGRATE_CHECKOUT (the
 * user's checkout, e.g. for tools installed there). The checkout's node_modules (root and schema
 * directory) are linked into the copy, so `npx <tool>` and require() find what `npm ci` installed.
 * `db` may still be in the making: the source is copied meanwhile.
 */
export async function buildSchemaAt(
  source: SchemaSource,
  ref: string | null,
  target: { readonly url: string } | Promise<{ readonly url: string }>,
  options: BuildSchemaOptions,
): Promise<SchemaBuild> {
  const { logger } = options;
  const checked = validateSchemaSource(source);
  if (isEmptySchemaRef(ref)) {
    logger.info(`schema at "empty": nothing to build into ${describeDatabase((await target).url)}`);
    return { sha: null, durationMs: 0 };
  }
  const started = performance.now();
  const git = options.git ?? (await Git.open(checked.repoDir));
  const [copied, created] = await Promise.allSettled([
    timed(logger, `copy the schema source at ${ref}`, materializeSchemaSource(checked, ref, git)),
    Promise.resolve(target),
  ]);
  if (copied.status === 'rejected') throw copied.reason;
  const copy = copied.value;
  try {
    if (created.status === 'rejected') throw created.reason;
    const db = created.value;
    const commitLabel = describeCommit(copy.sha, ref);
    logger.info(
      `building the schema at ${commitLabel} into ${describeDatabase(db.url)}: ${describeSchemaSource(checked)}`,
    );
    if (checked.command) {
      const checkout = git.repoDir;
      await linkNodeModules(checkout, copy.root, checked.schemaDir);
      await timed(
        logger,
        `run the build command at ${commitLabel}`,
        runBuildCommand({
          command: checked.command,
          cwd: copy.dir,
          databaseUrl: db.url,
          commitLabel,
          schemaDir: checked.schemaDir,
          extraEnv: { DB_MIGRATE_COMMIT: copy.sha, DB_MIGRATE_REPO_ROOT: copy.root, DB_MIGRATE_CHECKOUT: checkout },
          timeoutMs: options.timeoutMs,
          logger,
        }),
      );
    } else {
      const list = await resolveSqlFiles(git, copy.sha, checked.schemaDir, checked.sqlFiles ?? []);
      for (const entry of list.absent)
        logger.info(`schema SQL ${entry} names no file at commit ${commitLabel}: treated as absent`);
      await loadSqlFiles({
        dir: copy.dir,
        files: list.files,
        databaseUrl: db.url,
        displayDir: checked.schemaDir,
        commitLabel,
        logger,
      });
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
export async function schemaSourceChanges(
  source: SchemaSource,
  base: string | null,
  goal: string,
  repository?: Git,
): Promise<readonly string[]> {
  const checked = validateSchemaSource(source);
  const git = repository ?? (await Git.open(checked.repoDir));
  const baseSha = isEmptySchemaRef(base) ? undefined : await git.resolveCommit(base);
  return git.diffNames(baseSha, await git.resolveCommit(goal), checked.schemaDir);
}

/**
 * Builds read commits, never the working tree: uncommitted edits under the schema directory would be
 * silently left out, so say so.
 */
export async function warnUncommittedSchema(
  source: SchemaSource,
  logger: Logger,
  options: { readonly migrationsDir?: string; readonly git?: Git } = {},
): Promise<void> {
  const checked = validateSchemaSource(source);
  const git = options.git ?? (await Git.open(checked.repoDir));
  const prefix = checked.schemaDir === '.' ? '' : `${checked.schemaDir}/`;
  // The migrations directory may sit inside the schema directory: its new files are not schema edits.
  const top = await realpath(git.repoDir);
  const migrations = options.migrationsDir
    ? relative(top, await realpath(options.migrationsDir).catch(() => resolve(options.migrationsDir!)))
        .split(sep)
        .join('/') + '/'
    : undefined;
  const changed = (await git.status())
    .filter(
      (e) =>
        (e.path.startsWith(prefix) || e.path === checked.schemaDir) && !(migrations && e.path.startsWith(migrations)),
    )
    .map((e) => e.path);
  if (changed.length === 0) return;
  const shown = changed.slice(0, 5).join(', ') + (changed.length > 5 ? ` and ${changed.length - 5} more` : '');
  logger.warning(
    `${checked.schemaDir}/ has uncommitted changes (${shown}); only committed commits are built: commit them to include them`,
  );
}

/**
 * Links the checkout's node_modules into the copy (at the root and in the schema directory, where they
 * exist and the copy has none): node_modules is never committed, so a copy of a commit has none, and a
 * Node build (npx drizzle-kit, a TypeScript script) could not run. The packages are the checkout's
 * installed ones, not the commit's: keep the tool's version stable across the commits you build.
 */
async function linkNodeModules(checkout: string, copyRoot: string, schemaDir: string): Promise<void> {
  for (const dir of new Set(['.', schemaDir])) {
    const installed = resolve(checkout, dir, 'node_modules');
    const link = resolve(copyRoot, dir, 'node_modules');
    if (existsSync(installed) && !existsSync(link)) await symlink(installed, link, 'dir');
  }
}
