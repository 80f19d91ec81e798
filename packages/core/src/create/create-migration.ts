import { diffCatalogs, excludedTables, introspect, renderSql } from '../diff';
import { type RenameDeclaration, diffWithRenames } from '../diff/renames';
import type { DiffOptions, DiffStatement } from '../diff/types';
import { ConfigurationError } from '../errors';
import { repointRemedy } from '../remedy';
import { Git } from '../git';
import { type Logger, silentLogger, timed } from '../logger';
import type { MigrationHazard } from '../migrations/metadata';
import { migrationFileName } from '../migrations/naming';
import { nextVersion, readMigrationDir, writeMigration } from '../migrations/store';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { buildSchemaAt, schemaSourceChanges, warnUncommittedSchema } from '../schema-source/build';
import { describeCommit } from '../schema-source/materialize';
import { describeSchemaSource, type SchemaSource, validateSchemaSource } from '../schema-source/schema-source';
import { openShadowServerEarly } from '../shadow/shadow-server';
import type { ShadowSpec } from '../shadow/spec';
import { type Acknowledgement, acknowledgementText, unacknowledged } from '../intent/acknowledgements';
import {
  type DataInventory,
  type DataLoss,
  dataLosses,
  inventoryTables,
  readDataInventoryAt,
} from '../data-loss/measure';
import { type DeclaredIntent, readDeclaredIntent } from '../intent/declared';
import { refuseEmptyGoal } from '../schema-source/empty-goal';
import { type RenameCandidate, renameCandidates } from '../data-loss/rename-candidates';
import { rehearse } from '../rehearsal/rehearsal';
import { settleAll } from '../settle';
import { baseOfNextMigration } from './base-commit';
import { DB_MIGRATE_GENERATOR } from './generator';
import { type MigrationFileInput, type RenderedMigration, renderMigrationFile } from './migration-file';
import { type LintFinding, lintMigrations } from '../lint';
import { parseMigrationFile } from '../migrations/format';
import { migrationNameFor } from './migration-name';
import { type PartChange, partChanges } from './part-schemas';
import { splitCandidates } from './split';

export interface CreateMigrationOptions {
  /** Where the goal schema comes from (and, at the base commit, the base schema). */
  readonly source: SchemaSource;
  /** The migrations directory; it must exist (an empty one for the first migration). */
  readonly migrationsDir: string;
  /** The commit of the schema source to migrate to (default HEAD). */
  readonly goal?: string;
  /** Where the shadow databases live: `embedded` (default), `docker`, or a postgres URL. */
  readonly shadow?: string | ShadowSpec;
  /** PostgreSQL major of the shadow server (DEFAULT_POSTGRES_VERSION unless given). */
  readonly postgresVersion?: number;
  /** The migration's name; derived from the change when left out. */
  readonly name?: string;
  /** Passed to the differ, e.g. `online: false` for the plain forms that block a table (docs/online.md). */
  readonly diff?: DiffOptions;
  /** Stops a schema build command running longer than this. */
  readonly buildTimeoutMs?: number;
  /** Renames besides the DB-Migrate-Rename trailers, e.g. `public.products.title -> name`. */
  readonly renames?: readonly string[];
  /** Write the migration even when the goal build has no tables while the base has some. */
  readonly allowEmptyGoal?: boolean;
  readonly logger?: Logger;
}

/** What create wrote, for one file or (CreatedMigration) for all of a change's files. */
export interface WrittenSql {
  /** The .sql text as written (a change's files one after the other). */
  readonly text: string;
  /** The Up statements, in the order they run. */
  readonly upSql: string;
  /** The Down statements, in the order they run back to the base (the last file's first). */
  readonly downSql: string;
  /** The Up hazards, each once. */
  readonly hazards: readonly MigrationHazard[];
  /** True when an Up section runs without a transaction. */
  readonly upNoTransaction: boolean;
  /** True when a Down section runs without a transaction. */
  readonly downNoTransaction: boolean;
}

/** One migration file create wrote (with its NNNN.json metadata). */
export interface CreatedMigrationFile extends WrittenSql {
  readonly version: number;
  /** The name part of the file name, e.g. `create_orders`. */
  readonly name: string;
  readonly sqlPath: string;
  readonly metadataPath: string;
}

/**
 * What create wrote for one schema change: usually one migration; several, numbered on, when statements
 * PostgreSQL refuses in a transaction were split into files of their own (create/split.ts). The fields
 * besides `migrations` describe the change as a whole.
 */
export interface CreatedMigration extends WrittenSql {
  readonly outcome: 'created';
  /** The first file's version. */
  readonly version: number;
  /** The name part of the main file's name, e.g. `create_orders`: with several files, the one holding most of the change. */
  readonly name: string;
  /** The files written, in the order they run: one, or more when the change was split. */
  readonly migrations: readonly CreatedMigrationFile[];
  /** Paths written: each .sql file, then its NNNN.json metadata. */
  readonly files: readonly string[];
  /** What Up loses of the data a client database holds (measured on the base schema). */
  readonly dataLosses: readonly DataLoss[];
  /** The losses no DB-Migrate-Allow trailer acknowledges: verify fails until they are. */
  readonly unacknowledged: readonly DataLoss[];
  /** The acknowledgements copied from the trailers into the files. */
  readonly allow: readonly Acknowledgement[];
  /** The renames Up runs (declared, and the names derived from them), as `public.products.title -> name`. */
  readonly renames: readonly string[];
  /** Undeclared drops and adds that may be renames. */
  readonly renameCandidates: readonly RenameCandidate[];
  /** null: the migration starts from the empty database. */
  readonly baseSha: string | null;
  readonly goalSha: string;
}

export interface NothingToCreate {
  readonly outcome: 'no-op';
  /** One sentence saying why nothing was written. */
  readonly reason: string;
  readonly baseSha: string | null;
  readonly goalSha: string;
}

export type CreateOutcome = CreatedMigration | NothingToCreate;

/**
 * Writes the next migration: builds the schema at the commit the latest migration reached (base) and at
 * the goal commit into two shadow databases on one shadow server, diffs base -> goal into the Up
 * section and goal -> base into the Down section, and writes version latest+1 with its metadata.
 * Nothing to migrate is a named outcome, not an error; the user's mistakes (a failing build command, a
 * broken migrations directory, an unknown ref) are ConfigurationErrors. The shadow server is always closed.
 */
export async function createMigration(options: CreateMigrationOptions): Promise<CreateOutcome> {
  const logger = options.logger ?? silentLogger;
  const source = validateSchemaSource(options.source);
  const set = await readMigrationDir(options.migrationsDir);
  for (const warning of set.warnings) logger.warning(warning);
  const base = baseOfNextMigration(set);

  const git = await Git.open(source.repoDir);
  await warnUncommittedSchema(source, logger, { migrationsDir: options.migrationsDir, git });
  const goalRef = options.goal ?? 'HEAD';
  const goalSha = await git.resolveCommit(goalRef);
  const baseSha = base.sha === null ? null : await resolveBase(git, base.sha, base.recordPath!);
  const goalLabel = describeCommit(goalSha, goalRef);
  const baseLabel =
    baseSha === null ? 'the empty database' : `${baseSha.slice(0, 7)} (migration ${base.migration!.version})`;
  logger.info(`base: ${baseLabel}; goal: ${goalLabel}`);

  const noOp = (reason: string): NothingToCreate => {
    logger.info(`nothing to do: ${reason}`);
    return { outcome: 'no-op', reason, baseSha, goalSha };
  };
  if (baseSha === goalSha)
    return noOp(`migration ${base.migration!.version} already reaches the goal commit ${goalLabel}`);
  /** What git says before anything is built: nothing to do, or the intent the commits declare. */
  async function checkHistory(): Promise<DeclaredIntent | NothingToCreate> {
    if (baseSha !== null && !(await git.isAncestor(baseSha, goalSha))) {
      if (await git.isAncestor(goalSha, baseSha)) {
        return noOp(
          `the goal commit ${goalLabel} is older than ${baseSha.slice(0, 7)}, which migration ${base.migration!.version} already reaches`,
        );
      }
      logger.warning(
        `the goal commit ${goalLabel} does not descend from the base ${baseSha.slice(0, 7)} (history diverged): migrating from the schema at base to the schema at goal all the same`,
      );
    }
    // SQL files are all inside the schema directory: no change there means no change to the schema, so
    // the builds can be skipped. A build command may read files elsewhere, so it is always run.
    if (source.sqlFiles && (await schemaSourceChanges(source, baseSha, goalSha, git)).length === 0) {
      return noOp(
        `no file under ${source.schemaDir} changed between ${baseSha?.slice(0, 7) ?? 'the empty database'} and ${goalLabel}`,
      );
    }

    return readDeclaredIntent(git, baseSha, goalSha);
  }
  // A build command always runs: its shadow server opens (an embedded one starts) while git is read below.
  const openShadow = () => openShadowServerEarly(options.shadow, { postgresVersion: options.postgresVersion, logger });
  let shadow = source.command ? openShadow() : undefined;
  let intent: DeclaredIntent | NothingToCreate;
  try {
    intent = await checkHistory();
  } catch (error) {
    await shadow?.close();
    throw error;
  }
  if ('outcome' in intent) {
    await shadow?.close();
    return intent;
  }
  shadow ??= openShadow();
  const declaredRenames: RenameDeclaration[] = [
    ...intent.renames,
    ...(options.renames ?? []).map((text) => ({ text, source: 'the rename option' })),
  ];
  const schemaSource = describeSchemaSource(source);

  const changes = await timed(
    logger,
    'shadow work (open, build, diff, measure, close)',
    shadow.use(async (server) => {
      // Each build copies its commit's source while its database is created.
      const databases = [server.createDatabase(), server.createDatabase()] as const;
      for (const db of databases) db.catch(() => undefined); // awaited below, after both builds settle
      const build = { logger, timeoutMs: options.buildTimeoutMs, git };
      // Both builds settle (none still writing to a database being dropped), then the first failure throws.
      await settleAll([
        timed(logger, 'build base', buildSchemaAt(source, baseSha, databases[0], build)),
        timed(logger, 'build goal', buildSchemaAt(source, goalSha, databases[1], build)),
      ]);
      const [baseDb, goalDb] = await Promise.all(databases);
      const [before, goal] = await timed(
        logger,
        'read what holds data (base and goal)',
        Promise.all([readDataInventoryAt(baseDb.url), readDataInventoryAt(goalDb.url)]),
      );
      refuseEmptyGoal({
        goalTables: goal.tables.size,
        tables: inventoryTables(before),
        other: `the base (${baseLabel})`,
        build: schemaSource,
        commit: goalLabel,
        allowEmptyGoal: options.allowEmptyGoal,
      });
      let diffs: { up: readonly DiffStatement[]; down: readonly DiffStatement[]; renames: readonly string[] };
      if (declaredRenames.length > 0) {
        const renamed = await timed(
          logger,
          'diff (with renames)',
          diffWithRenames(baseDb.url, goalDb.url, declaredRenames, options.diff),
        );
        diffs = { up: renamed.up, down: renamed.down, renames: renamed.renames.map((r) => r.text) };
      } else {
        // Each catalog read once, compared both ways.
        const [baseCatalog, goalCatalog] = await timed(
          logger,
          'read the base and goal catalogs',
          Promise.all([introspect(baseDb.url), introspect(goalDb.url)]),
        );
        const excluded = [
          ...new Set([
            ...excludedTables(baseCatalog, options.diff ?? {}),
            ...excludedTables(goalCatalog, options.diff ?? {}),
          ]),
        ].sort();
        if (excluded.length > 0)
          logger.info(
            `left out of the migration: ${excluded.join(', ')} (include-framework-tables / exclude-table to change)`,
          );
        diffs = {
          up: diffCatalogs(baseCatalog, goalCatalog, options.diff),
          down: diffCatalogs(goalCatalog, baseCatalog, options.diff),
          renames: [],
        };
      }
      // Drops and adds left after the declared renames may be renames too.
      const candidates = renameCandidates(
        declaredRenames.length > 0 ? await readDataInventoryAt(baseDb.url) : before,
        goal,
      );
      // Statements PostgreSQL refuses in a transaction get files of their own, so the rest keeps one.
      const renamesBack = diffs.down.filter((s) => s.action === 'rename');
      const cuts = splitCandidates(diffs.up).filter((c) => c.length > 1);
      for (const [i, parts] of cuts.entries()) {
        const split = await timed(
          logger,
          `try a split into ${parts.length} migrations`,
          partChanges({
            server,
            base: baseDb,
            goal: goalDb,
            before,
            parts,
            renamesBack,
            diff: options.diff,
          }),
        );
        if ('parts' in split) return { ...diffs, candidates, parts: split.parts };
        if (i < cuts.length - 1) logger.info(`not split into ${parts.length} migrations: ${split.failed}`);
        else logger.warning(`kept in one migration, its Up without a transaction: ${split.failed}`);
      }
      // What Up loses, measured by running it on the base (a shadow database, renames already run).
      const losses = await timed(
        logger,
        'measure what Up loses (on the base)',
        measureLosses(
          baseDb.url,
          diffs.up.filter((s) => s.action !== 'rename'),
          before,
          logger,
        ),
      );
      const whole: PartChange = { up: diffs.up, down: diffs.down, outside: false, commitsEnumValues: false, losses };
      return { ...diffs, candidates, parts: [whole] };
    }),
  );
  const { up, parts } = changes;
  if (up.length === 0) return noOp(`the schema at ${goalLabel} is the same as at ${baseLabel}`);

  const losses = parts.flatMap((p) => p.losses);
  const open = unacknowledged(losses, intent.allow);
  const first = nextVersion(set);
  const given =
    options.name?.trim() ||
    (changes.candidates.length > 0
      ? `rename_or_replace_${changes.candidates[0]!.rename.split(' -> ')[0]!.replace(/^public\./, '')}`
      : undefined);
  // Each file is named after its own statements; a given name (or a possible rename's) goes to the main
  // file: the one with the most statements among those split for no reason of their own, the first on ties.
  const ordinary = parts.map((_p, i) => i).filter((i) => !parts[i]!.outside && !parts[i]!.commitsEnumValues);
  const main = (ordinary.length > 0 ? ordinary : parts.map((_, i) => i)).reduce((best, i) =>
    parts[i]!.up.length > parts[best]!.up.length ? i : best,
  );
  const partNames = parts.map((p, i) => (i === main && given ? given : migrationNameFor(p.up)));
  const fileNames = partNames.map((n, i) => migrationFileName(first + i, n));
  // An acknowledgement goes to the file whose loss it names (verify reads it there), else to the main one.
  const names = (list: readonly Acknowledgement[]) => new Set(list.map(acknowledgementText));
  const allowFor = (i: number) =>
    intent.allow.filter(
      (a) =>
        names(parts[i]!.losses).has(acknowledgementText(a)) ||
        (i === main && !names(losses).has(acknowledgementText(a))),
    );
  const renamesOf = (part: PartChange) => (part.up.some((s) => s.action === 'rename') ? changes.renames : []);

  const written: CreatedMigrationFile[] = [];
  try {
    for (const [i, part] of parts.entries()) {
      const allow = allowFor(i);
      const renames = renamesOf(part);
      const rendered = await renderLintedMigrationFile(fileNames[i]!, {
        up: part.up,
        down: part.down,
        baseSha,
        goalSha,
        schemaSource,
        generator: DB_MIGRATE_GENERATOR,
        intent: {
          allow,
          renames,
          losses: part.losses,
          unacknowledged: unacknowledged(part.losses, intent.allow),
          candidates: i === main ? changes.candidates : [],
        },
        ...(parts.length > 1
          ? { part: { index: i, files: fileNames, commitsEnumValues: part.commitsEnumValues } }
          : {}),
      });
      const file = await writeMigration(options.migrationsDir, {
        version: first + i,
        name: partNames[i]!,
        sql: rendered.text,
        metadata: {
          ...(baseSha !== null ? { base_sha: baseSha } : {}),
          goal_sha: goalSha,
          schema_source: schemaSource,
          generator: DB_MIGRATE_GENERATOR,
          ...(rendered.hazards.length > 0 ? { hazards: rendered.hazards } : {}),
          ...(allow.length > 0 ? { allow: allow.map(acknowledgementText) } : {}),
          ...(renames.length > 0 ? { renames } : {}),
        },
      });
      logger.info(`wrote ${file.sqlPath} and ${file.metadataPath}`);
      written.push({
        version: first + i,
        name: file.metadata.name,
        sqlPath: file.sqlPath,
        metadataPath: file.metadataPath,
        text: rendered.text,
        upSql: renderSql(part.up),
        downSql: renderSql(part.down),
        hazards: rendered.hazards,
        upNoTransaction: rendered.upNoTransaction,
        downNoTransaction: rendered.downNoTransaction,
      });
    }
  } catch (error) {
    // All the change's files or none: a half-written split would be a migration that stops half way.
    await Promise.all(written.flatMap((f) => [f.sqlPath, f.metadataPath]).map((path) => rm(path, { force: true })));
    throw error;
  }
  return {
    outcome: 'created',
    version: first,
    name: written[main]!.name,
    migrations: written,
    files: written.flatMap((f) => [f.sqlPath, f.metadataPath]),
    text: written.map((f) => f.text).join('\n'),
    upSql: renderSql(parts.flatMap((p) => p.up)),
    downSql: renderSql([...parts].reverse().flatMap((p) => p.down)),
    hazards: uniqueHazards(written.flatMap((f) => f.hazards)),
    upNoTransaction: written.some((f) => f.upNoTransaction),
    downNoTransaction: written.some((f) => f.downNoTransaction),
    dataLosses: losses,
    unacknowledged: open,
    allow: intent.allow,
    renames: changes.renames,
    renameCandidates: changes.candidates,
    baseSha,
    goalSha,
  };
}

/** Each hazard once, in order (the same code and message in two files is one risk to read about). */
function uniqueHazards(hazards: readonly MigrationHazard[]): MigrationHazard[] {
  const seen = new Set<string>();
  return hazards.filter((h) => {
    const key = `${h.code}\0${h.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The base commit must exist in the schema repository: name the metadata that recorded it when it does not. */
async function resolveBase(git: Git, sha: string, metadataPath: string): Promise<string> {
  try {
    return await git.resolveCommit(sha);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    throw new ConfigurationError(
      `goal_sha of ${metadataPath}: ${error.message}. If that commit was amended, squashed or rebased away, point the migration at the ` +
        `commit that replaced it (or edit "goal_sha" in ${metadataPath} and "base_sha" in the next migration's metadata)`,
      { file: metadataPath, remedies: [repointRemedy(dirname(metadataPath), sha)] },
    );
  }
}

/**
 * Runs the Up statements on the shadow base database, one by one (as a notransaction section would),
 * and compares what holds data before and after. When a statement fails there, the losses cannot be
 * measured: verify measures them on the file, and fails on the statement.
 */
async function measureLosses(
  url: string,
  statements: readonly DiffStatement[],
  before: DataInventory,
  logger: Logger,
): Promise<DataLoss[]> {
  return rehearse(url, async (rehearsal) => {
    const failed = await rehearsal.statements(
      statements.map((s) => s.sql),
      false,
    );
    if (failed === undefined) return dataLosses(before, await rehearsal.inventory());
    logger.warning(
      `could not run the Up statements on the base schema to find what they lose (verify will): ${failed}`,
    );
    return [];
  });
}

/** Each hazard once, by code and message. */
function uniqueByMessage(findings: readonly LintFinding[]): MigrationHazard[] {
  const seen = new Map<string, MigrationHazard>();
  for (const f of findings) seen.set(`${f.code}\0${f.message}`, { code: f.code, message: f.message });
  return [...seen.values()];
}

/**
 * Renders the file, reads it back and lints it as verify will, then renders it again with what the lint
 * found: the header names every hazard verify raises on it (the lint's advice notices aside).
 */
export async function renderLintedMigrationFile(
  fileName: string,
  input: MigrationFileInput,
): Promise<RenderedMigration> {
  const first = renderMigrationFile(input);
  const parsed = parseMigrationFile(fileName, first.text);
  const findings = (await lintMigrations([{ path: fileName, parsed }])).filter((f) => f.level === 'warning');
  const linted = {
    up: uniqueByMessage(findings.filter((f) => f.section === 'up')),
    down: uniqueByMessage(findings.filter((f) => f.section === 'down')),
  };
  if (linted.up.length === 0 && linted.down.length === 0) return first;
  return renderMigrationFile({ ...input, linted });
}
