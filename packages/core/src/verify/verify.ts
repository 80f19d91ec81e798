/**
 * verify: the pull-request check that the migrations are right, edited by hand or not. Five named
 * checks (numbering, consistency, reversibility, data, hazards), each a result in the report and each
 * one function here; a failed check never stops the others from running, and only a mistake in the
 * options themselves throws.
 *
 * Databases, all on one shadow server and all dropped at the end: the schema at goal, the migrations
 * applied from empty (later reverted for check 3), the schema the revert must land on, and the base
 * version with rows (check 4, data.ts, whose one pass also measures the destructive-change gate). The
 * four are built at the same time. With a base version, its migrations are replayed once, and the
 * databases that start there are template copies of that one.
 */
import { realpath } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { up, down } from '../applier/migrator';
import type { MigrationError } from '../applier/result';
import { ConfigurationError, errorMessage } from '../errors';
import { describeDatabase } from '../database-url';
import { type Remedy, repointRemedy } from '../remedy';
import { Git } from '../git';
import { type Logger, silentLogger, timed } from '../logger';
import type { MigrationRun } from '../applier/result';
import type { DiffOptions } from '../diff/types';
import type { MigrationSet } from '../migrations/store';
import { buildSchemaAt, schemaSourceChanges, warnUncommittedSchema } from '../schema-source/build';
import { type SchemaSource, validateSchemaSource } from '../schema-source/schema-source';
import type { ShadowServer, ShadowDatabase } from '../shadow/types';
import { listChanges, schemaDifference } from '../diff/difference';
import { ALLOW_EMPTY_GOAL, emptyGoalProblem } from '../schema-source/empty-goal';
import { inventoryTables, readDataInventoryAt } from '../data-loss/measure';
import { describeSchemaSource } from '../schema-source/schema-source';
import { type DataLossGate, gateDataLoss, measureWithoutRows } from './data-loss-gate';
import { copyAtVersion, versionBelow } from '../rehearsal/rehearsal';
import { settleAll, Tasks } from '../settle';
import { checkHazards, readColumnTypes } from './hazards';
import { type MigrationEntry, checkNumbering } from './numbering';
import type { Adoption } from '../migrations/adoption';
import { checkUserSeed, type UserSeed } from '../seed/user-seed';
import { type DataCheckOutcome, checkData } from './data';
import { CHECK_TITLES, type VerifyCheck, type VerifyFinding, type VerifyReport, overallResult } from './report';
import { type ReversibilityPlan, planReversibility } from './reversibility';

export interface VerifyOptions {
  /** How the schema is built (repository, directory, command or SQL files). */
  readonly source: SchemaSource;
  /** The migrations directory on disk (in a checkout of the pull request). */
  readonly migrationsDir: string;
  /**
   * The commit the pull request starts from, in the migrations' repository: migrations present there
   * are not new. Without it every migration counts as new (numbering, Down and lint cover them all).
   */
  readonly baseRef?: string;
  /**
   * The commit of the schema source the migrations must reach. Default: the goal_sha recorded in the
   * newest migration's metadata, else HEAD of the schema repository; with no migrations at all, nothing
   * is compared (they reach the empty database, and create writes the first one).
   */
  readonly goalRef?: string;
  /** Where the shadow databases are created; the caller opens and closes it. */
  readonly shadow: ShadowServer;
  /** Hazards fail the check instead of only warning (unacknowledged data losses always fail it). */
  readonly failOnHazards?: boolean;
  /** Accept a goal build without tables while the migrations at the base have some. */
  readonly allowEmptyGoal?: boolean;
  /** What the comparisons leave out (exclude-table, frameworks' bookkeeping tables). */
  readonly diff?: DiffOptions;
  /** Stops a schema build command running longer than this. */
  readonly buildTimeoutMs?: number;
  /** Rows for the data check (seed-sql files or a seed-command); without one, synthetic rows. */
  readonly seed?: UserSeed;
  /** false leaves the data check out (reported skipped): what the bench compares with. Default true. */
  readonly dataCheck?: boolean;
  readonly logger?: Logger;
}

interface Goal {
  readonly ref: string;
  readonly from: string;
  /** The metadata file it was read from, to point at when it cannot be resolved. */
  readonly entry?: MigrationEntry;
}

/** The newest goal_sha recorded in the migrations' metadata (or the adoption record), else HEAD. */
function chooseGoal(
  entries: readonly MigrationEntry[],
  goalRef: string | undefined,
  adoption: Adoption | undefined,
): Goal {
  if (goalRef) return { ref: goalRef, from: `given: ${goalRef}` };
  const recorded = [...entries].reverse().find((e) => e.metadata?.goal_sha || e.fileName === adoption?.adopted_through);
  if (recorded?.metadata?.goal_sha)
    return { ref: recorded.metadata.goal_sha, from: `goal_sha of ${recorded.fileName}`, entry: recorded };
  if (recorded && adoption)
    return { ref: adoption.goal_sha, from: `goal_sha of ${adoption.path} (the adopted history)` };
  return { ref: 'HEAD', from: 'HEAD of the schema repository (no migration records a goal_sha)' };
}

function migrationErrorFinding(error: MigrationError, set: MigrationSet): VerifyFinding {
  const migration = set.migrations.find((m) => m.fileName === error.fileName);
  return {
    level: 'error',
    message: error.message,
    ...(migration ? { file: migration.path, line: error.line ?? 1 } : {}),
    // A statement's failure begins with the file and line (executeMigration).
    ...(migration && error.kind === 'sql' ? { namesFile: true } : {}),
  };
}

function keyLine(entry: MigrationEntry | undefined, key: string): number | undefined {
  const index = entry?.metadataText?.search(new RegExp(`"${key}"\\s*:`)) ?? -1;
  return index < 0 ? undefined : entry!.metadataText!.slice(0, index).split('\n').length;
}

/** Runs a step that may fail for a reason to report (a broken build command, an unknown commit); bugs still throw. */
async function attempt<T>(
  step: () => Promise<T>,
): Promise<{ value?: T; error?: string; remedies?: readonly Remedy[] }> {
  try {
    return { value: await step() };
  } catch (error) {
    if (error instanceof ConfigurationError)
      return { error: errorMessage(error), ...(error.remedies.length > 0 ? { remedies: error.remedies } : {}) };
    throw error;
  }
}

const NEEDS_VALID_FILES = 'skipped: the migration files have problems (see Numbering)';

const skipped = (name: VerifyCheck['name'], summary: string, findings: readonly VerifyFinding[] = []): VerifyCheck => ({
  name,
  title: CHECK_TITLES[name],
  status: 'skipped',
  summary,
  findings,
});

const failed = (
  name: VerifyCheck['name'],
  summary: string,
  findings: readonly VerifyFinding[],
  difference?: string,
): VerifyCheck => ({
  name,
  title: CHECK_TITLES[name],
  status: 'failed',
  summary,
  findings,
  ...(difference ? { difference } : {}),
});

/** What every check reads: the options, the migrations as numbering found them, the goal and the revert plan. */
interface VerifyRun {
  readonly options: VerifyOptions;
  /** The migrations directory, resolved. */
  readonly dir: string;
  readonly logger: Logger;
  readonly source: SchemaSource;
  readonly schemaGit: Git;
  readonly baseSha?: string;
  readonly numbering: Awaited<ReturnType<typeof checkNumbering>>;
  readonly goal: Goal;
  readonly plan: ReversibilityPlan;
  readonly seed?: UserSeed;
  /** The data check's pass on its seeded database (absent when turned off). */
  readonly dataPass?: Promise<DataCheckOutcome>;
  /** The destructive-change gate, measured by that pass (else on a database of its own beside the others). */
  readonly dataLoss?: Promise<DataLossGate>;
  /** A shadow database on the shadow server, dropped when verify ends. */
  readonly newDatabase: () => Promise<ShadowDatabase>;
  /** One at the base version: a copy of the base replayed once (empty when there is no base, or it failed). */
  readonly baseDatabase: () => Promise<ShadowDatabase>;
}

interface GoalBuilt {
  readonly sha?: string;
  readonly db?: ShadowDatabase;
  readonly error?: string;
  readonly remedies?: readonly Remedy[];
}

interface AppliedFromEmpty {
  readonly db: ShadowDatabase;
  readonly run: MigrationRun;
}

interface DatabaseChecks {
  readonly consistency: VerifyCheck;
  readonly reversibility: VerifyCheck;
  readonly data: VerifyCheck;
  readonly goalSha?: string;
  readonly difference: string;
}

/** Verifies the migrations of a pull request. Throws only for bad options (ConfigurationError). */
export async function verifyMigrations(options: VerifyOptions): Promise<VerifyReport> {
  const started = performance.now();
  const logger = options.logger ?? silentLogger;
  const source = validateSchemaSource(options.source);
  const seed = checkUserSeed(options.seed);

  let dir: string;
  try {
    dir = await realpath(resolve(options.migrationsDir));
  } catch {
    throw new ConfigurationError(`migrations directory ${options.migrationsDir} does not exist`);
  }
  // Without a base ref git is not needed: a directory not committed yet (or in no repository) is all new.
  const git = options.baseRef ? await Git.open(dir) : undefined;
  const repoPath = git
    ? relative(await realpath(git.repoDir), dir)
        .split(sep)
        .join('/') || '.'
    : '.';
  const baseSha = git && options.baseRef ? await git.resolveCommit(options.baseRef) : undefined;
  const schemaGit = await Git.open(source.repoDir);
  await warnUncommittedSchema(source, logger, { migrationsDir: dir, git: schemaGit });

  const numbering = await checkNumbering({ dir, git, repoPath, baseSha });
  const { entries, newEntries, set } = numbering;
  logger.info(
    `new migrations: ${newEntries.map((e) => e.fileName).join(', ') || 'none'}${baseSha ? ` (base ${baseSha.slice(0, 7)})` : ''}`,
  );

  const databases: ShadowDatabase[] = [];
  const newDatabase = async (template?: ShadowDatabase) => {
    const db = await options.shadow.createDatabase(template ? { template } : {});
    databases.push(db);
    return db;
  };
  const dropDatabases = async () => {
    for (const db of databases)
      await db.drop().catch((error) => logger.warning(`could not drop ${db.name}: ${errorMessage(error)}`));
  };
  const plan: ReversibilityPlan = set
    ? planReversibility(newEntries)
    : { kind: 'skip', summary: NEEDS_VALID_FILES, findings: [] };
  // Started at once, awaited where needed; all settle before the databases are dropped.
  const tasks = new Tasks();
  // The migrations below the first new one are replayed once; every database that starts there (the data
  // check's, the gate's, the one the Up sections run on, the revert target) is a template copy of it.
  const baseVersion = set && newEntries.length > 0 ? versionBelow(set, newEntries[0]!.version) : 0;
  const base =
    baseVersion > 0
      ? tasks.start(
          timed(logger, `replay to the base version ${baseVersion}`, copyAtVersion(newDatabase, set!, baseVersion)),
        )
      : undefined;
  // The column types at the base, for the lint: read on the base itself before any copy of it is made
  // (a template cannot be copied while a session is connected to it).
  const columnTypes = base
    ? tasks.start(base.then((replayed) => (replayed.error ? undefined : readColumnTypes(replayed.db.url))))
    : undefined;
  const baseDatabase = async () => {
    const replayed = await base;
    await columnTypes?.catch(() => undefined);
    // A base that does not replay: each check replays on its own database and reports it as it did.
    return replayed && !replayed.error ? newDatabase(replayed.db) : newDatabase();
  };
  // The data check's one pass on the seeded base measures the gate's steps too; without it (or for what
  // a failure there left unmeasured) the gate runs on a database of its own, beside the others.
  const dataPass =
    set && options.dataCheck !== false && newEntries.length > 0
      ? tasks.start(
          timed(logger, 'data check', checkData({ set, newEntries, plan, seed, newDatabase: baseDatabase, logger })),
        )
      : undefined;
  const dataLoss = set
    ? tasks.start(timed(logger, 'destructive-change gate', gateOf(dataPass, set, newEntries, baseDatabase)))
    : undefined;
  const run: VerifyRun = {
    options,
    dir,
    logger,
    source,
    schemaGit,
    ...(baseSha ? { baseSha } : {}),
    numbering,
    goal: chooseGoal(entries, options.goalRef, numbering.adoption),
    plan,
    ...(seed ? { seed } : {}),
    ...(dataPass ? { dataPass } : {}),
    ...(dataLoss ? { dataLoss } : {}),
    newDatabase: () => newDatabase(),
    baseDatabase,
  };

  const checked = await tasks.finish(runDatabaseChecks(run), dropDatabases);
  const knownTypes = await columnTypes;
  const hazards = await timed(
    logger,
    'hazards',
    checkHazards(newEntries, {
      failOnHazards: options.failOnHazards,
      ...(dataLoss ? { dataLoss: await dataLoss } : {}),
      ...(knownTypes ? { columnTypes: knownTypes } : {}),
    }),
  );
  const checks = [numbering.check, checked.consistency, checked.reversibility, checked.data, hazards];
  const locks = (await dataPass)?.locks;
  for (const check of checks) logger.info(`${check.title}: ${check.status} - ${check.summary}`);
  return {
    result: overallResult(checks),
    checks,
    newMigrations: newEntries.map((e) => e.fileName),
    ...(baseSha ? { baseSha } : {}),
    ...(checked.goalSha ? { goal: { sha: checked.goalSha, from: run.goal.from } } : {}),
    difference: checked.difference,
    ...(locks ? { locks } : {}),
    durationMs: Math.round(performance.now() - started),
  };
}

/** Checks 2, 3 and 4: their databases are built at the same time, then each check reads its own. */
async function runDatabaseChecks(run: VerifyRun): Promise<DatabaseChecks> {
  const { set, entries } = run.numbering;
  if (!set) {
    return {
      consistency: skipped('consistency', NEEDS_VALID_FILES),
      reversibility: skipped('reversibility', NEEDS_VALID_FILES),
      data: skipped('data', NEEDS_VALID_FILES),
      difference: '',
    };
  }
  if (entries.length === 0 && !run.options.goalRef) {
    // No migrations claim to reach any schema yet (a repository adopting db-migrate): the pull request
    // that adds the empty directory must be able to merge, and create writes migration 1 after it.
    return {
      consistency: {
        name: 'consistency',
        title: CHECK_TITLES.consistency,
        status: 'passed',
        summary:
          'no migrations yet: nothing to compare with the schema (create writes the first migration, from the empty database)',
        findings: [],
      },
      reversibility: skipped('reversibility', 'no new migrations to revert'),
      data: skipped('data', 'no new migrations to run on rows'),
      difference: '',
    };
  }
  // Wait for all four before anything can throw: the caller drops what they created.
  const { logger } = run;
  const [goalBuilt, applied, target, data] = await settleAll([
    timed(logger, 'goal build', buildGoal(run)),
    timed(logger, 'migrations from empty', applyFromEmpty(run, set)),
    timed(logger, 'revert target', buildRevertTarget(run, set)),
    run.dataPass
      ? run.dataPass.then((outcome) => outcome.check)
      : skipped('data', run.options.dataCheck === false ? 'skipped: turned off' : 'no new migrations to run on rows'),
  ]);
  // A schema change committed without its migration: the goal came from the metadata, HEAD moved on.
  // Looked for while consistency compares (both only read the goal database).
  const [compared, ahead] = await settleAll([
    timed(logger, 'consistency comparison', checkConsistency(run, set, goalBuilt, applied)),
    !run.options.goalRef && goalBuilt.db && goalBuilt.sha
      ? timed(
          logger,
          'schema at HEAD',
          schemaAhead(
            run.source,
            run.schemaGit,
            run.dir,
            goalBuilt.sha,
            goalBuilt.db,
            run.newDatabase,
            (ref, db) => buildSchema(run, ref, db),
            run.options.diff,
          ),
        )
      : undefined,
  ]);
  let consistency = compared;
  if (ahead) {
    const check = consistency.consistency;
    consistency = {
      ...consistency,
      consistency: {
        ...check,
        status: check.status === 'passed' ? 'warning' : check.status,
        findings: [...check.findings, ahead],
      },
    };
  }
  // The Down sections run on the database consistency has just compared.
  const reversibility = await timed(logger, 'reversibility', checkReversibility(run, set, applied, target));
  return {
    ...consistency,
    reversibility,
    // A migration that fails on an empty database is consistency's failure, not a matter of rows.
    data: applied.run.error
      ? skipped('data', 'skipped: the Up sections did not all apply from empty (see Consistency)')
      : data,
    ...(goalBuilt.sha ? { goalSha: goalBuilt.sha } : {}),
  };
}

/**
 * The gate from the data check's pass; the new migrations that pass did not reach (it was turned off, or
 * stopped at a migration failing on rows) are measured without rows on a database of their own.
 */
async function gateOf(
  pass: Promise<DataCheckOutcome> | undefined,
  set: MigrationSet,
  newEntries: readonly MigrationEntry[],
  newDatabase: () => Promise<ShadowDatabase>,
): Promise<DataLossGate> {
  const outcome = await pass;
  const rest = outcome ? outcome.unmeasured : newEntries;
  if (rest.length === 0) return gateDataLoss(outcome?.measured ?? { steps: [], baseTables: [] });
  const measured = await measureWithoutRows(await newDatabase(), set, rest, outcome?.measured.baseTables);
  return gateDataLoss({ ...measured, steps: [...(outcome?.measured.steps ?? []), ...measured.steps] });
}

const buildSchema = (run: VerifyRun, ref: string | null, db: ShadowDatabase | Promise<ShadowDatabase>) =>
  buildSchemaAt(run.source, ref, db, { logger: run.logger, timeoutMs: run.options.buildTimeoutMs, git: run.schemaGit });

/** The schema source built at the goal commit. */
async function buildGoal(run: VerifyRun): Promise<GoalBuilt> {
  let sha: string | undefined;
  const built = await attempt(async () => {
    sha = await run.schemaGit.resolveCommit(run.goal.ref);
    // The source is copied while the database is created.
    const db = run.newDatabase();
    await buildSchema(run, sha, db);
    return db;
  });
  return {
    ...(sha ? { sha } : {}),
    ...(built.value ? { db: built.value } : {}),
    ...(built.error !== undefined ? { error: built.error } : {}),
    ...(built.remedies ? { remedies: built.remedies } : {}),
  };
}

/** Every migration applied from empty (those below the base on the base's copy). */
async function applyFromEmpty(run: VerifyRun, set: MigrationSet): Promise<AppliedFromEmpty> {
  const db = await run.baseDatabase();
  run.logger.info(`applying ${set.migrations.length} migration(s) from empty to ${describeDatabase(db.url)}`);
  return { db, run: await up(db.url, set, { logger: run.logger }) };
}

/** The schema the new migrations' Down sections must land on (none when nothing is reverted). */
async function buildRevertTarget(
  run: VerifyRun,
  set: MigrationSet,
): Promise<{ value?: ShadowDatabase; error?: string; remedies?: readonly Remedy[] } | undefined> {
  const { plan } = run;
  if (plan.kind !== 'run') return undefined;
  return attempt(async () => {
    if (plan.target.kind === 'schema') {
      const db = await run.newDatabase();
      await buildSchema(run, plan.target.ref, db);
      return db;
    } else {
      const db = await run.baseDatabase();
      const replay = await up(db.url, set, { to: plan.target.version, logger: silentLogger });
      if (replay.error)
        throw new ConfigurationError(
          `replaying the migrations up to version ${plan.target.version}: ${replay.error.message}`,
        );
      return db;
    }
  });
}

/** Check 2: the migrations, applied from empty, must build the schema at goal. */
async function checkConsistency(
  run: VerifyRun,
  set: MigrationSet,
  goalBuilt: GoalBuilt,
  applied: AppliedFromEmpty,
): Promise<{ consistency: VerifyCheck; difference: string }> {
  const { goal } = run;
  const upError = applied.run.error;
  if (goalBuilt.error !== undefined || upError) {
    const findings: VerifyFinding[] = [];
    const problems: string[] = [];
    if (goalBuilt.error !== undefined) {
      const at = goal.entry?.metadataPath
        ? { file: goal.entry.metadataPath, line: keyLine(goal.entry, 'goal_sha') ?? 1 }
        : {};
      // The goal commit is unknown (it did not resolve to a sha): amended or squashed away, maybe. Say how
      // to point the metadata at the commit that replaced it.
      const lost = goal.entry && goalBuilt.sha === undefined;
      findings.push({
        level: 'error',
        message:
          goalBuilt.error +
          (lost ? '; if it was amended, squashed or rebased away, point the metadata at its replacement' : ''),
        ...at,
        ...(lost || goalBuilt.remedies
          ? { remedies: [...(goalBuilt.remedies ?? []), ...(lost ? [repointRemedy(run.dir, goal.ref)] : [])] }
          : {}),
      });
      problems.push(`could not build the schema at ${goal.ref} (${goal.from})`);
    }
    if (upError) {
      findings.push(migrationErrorFinding(upError, set));
      problems.push('the migrations do not apply from empty');
    }
    return { consistency: failed('consistency', problems.join('; '), findings), difference: '' };
  }
  const short = goalBuilt.sha!.slice(0, 7);
  const emptyGoal = await emptyGoalOf(
    goalBuilt.db!.url,
    applied.db.url,
    run.dataLoss,
    { ...run.options, source: run.source },
    `${short} (${goal.from})`,
  );
  if (emptyGoal)
    return {
      consistency: failed('consistency', `the goal build at ${short} produced no tables`, [
        { level: 'error', message: emptyGoal, remedies: [ALLOW_EMPTY_GOAL] },
      ]),
      difference: '',
    };
  const found = await schemaDifference(applied.db.url, goalBuilt.db!.url, run.options.diff);
  const excluded: VerifyFinding[] = found.excludedTables.length
    ? [{ level: 'notice', message: `left out of the comparison: ${found.excludedTables.join(', ')}` }]
    : [];
  if (found.sql === '') {
    return {
      consistency: {
        name: 'consistency',
        title: CHECK_TITLES.consistency,
        status: 'passed',
        summary: `the migrations build exactly the schema at ${short} (${goal.from})`,
        findings: excluded,
      },
      difference: '',
    };
  }
  const { newEntries, entries } = run.numbering;
  const newest = newEntries[newEntries.length - 1] ?? entries[entries.length - 1];
  const at = newest ? { file: newest.path, line: newest.parsed?.up.line ?? 1 } : {};
  return {
    consistency: failed(
      'consistency',
      `the migrations do not build the schema at ${short} (${goal.from}): ${found.changes.length} difference(s)`,
      [
        {
          level: 'error',
          ...at,
          message: `the migrations do not build the schema at ${short}; they miss: ${listChanges(found.changes)}`,
        },
        ...excluded,
      ],
      found.sql,
    ),
    difference: found.sql,
  };
}

/** Check 3: the new migrations' Down sections must undo them. */
async function checkReversibility(
  run: VerifyRun,
  set: MigrationSet,
  applied: AppliedFromEmpty,
  target: Awaited<ReturnType<typeof buildRevertTarget>>,
): Promise<VerifyCheck> {
  const { plan } = run;
  if (plan.kind !== 'run')
    return plan.kind === 'skip'
      ? skipped('reversibility', plan.summary, plan.findings)
      : failed('reversibility', plan.summary, plan.findings);
  if (applied.run.error) return skipped('reversibility', 'skipped: the Up sections did not all apply', plan.findings);
  if (target!.error !== undefined) {
    const where =
      plan.target.kind === 'schema'
        ? `the schema at ${plan.target.ref ?? 'empty'} (${plan.target.from})`
        : `version ${plan.target.version}`;
    const oldest = plan.revert[plan.revert.length - 1];
    const at =
      plan.target.kind === 'schema' && oldest.metadataPath
        ? { file: oldest.metadataPath, line: keyLine(oldest, 'base_sha') ?? 1 }
        : {};
    return failed('reversibility', `could not build ${where} to compare with`, [
      { level: 'error', message: target!.error, ...at, ...(target!.remedies ? { remedies: target!.remedies } : {}) },
      ...plan.findings,
    ]);
  }
  return checkRevert(plan, set, applied.db, target!.value!, run.logger, run.options.diff);
}

/** The empty-goal refusal when the goal build has no tables while the migrations at the base have some. */
async function emptyGoalOf(
  goalUrl: string,
  appliedUrl: string,
  gate: Promise<DataLossGate> | undefined,
  options: VerifyOptions,
  commit: string,
): Promise<string | undefined> {
  if (options.allowEmptyGoal) return undefined;
  const goal = await readDataInventoryAt(goalUrl);
  if (goal.tables.size > 0) return undefined;
  const atBase = (await gate)?.baseTables ?? [];
  const tables = atBase.length > 0 ? atBase : inventoryTables(await readDataInventoryAt(appliedUrl));
  return emptyGoalProblem({
    goalTables: 0,
    tables,
    other: `the schema the migrations reach${atBase.length > 0 ? ' at the base' : ''}`,
    build: describeSchemaSource(options.source),
    commit,
  });
}

async function checkRevert(
  plan: Extract<ReversibilityPlan, { kind: 'run' }>,
  set: MigrationSet,
  db: ShadowDatabase,
  target: ShadowDatabase,
  logger: Logger,
  diffOptions: DiffOptions | undefined,
): Promise<VerifyCheck> {
  const names = plan.revert.map((e) => e.fileName).join(', ');
  logger.info(`reverting ${names} on ${describeDatabase(db.url)}`);
  const run = await down(db.url, set, { to: plan.toVersion, logger });
  if (run.error) {
    return failed('reversibility', `the Down sections do not run: ${run.error.fileName ?? 'reverting'} failed`, [
      migrationErrorFinding(run.error, set),
      ...plan.findings,
    ]);
  }
  const where =
    plan.target.kind === 'schema'
      ? plan.target.ref === null
        ? 'the empty database'
        : `the schema at ${plan.target.ref.slice(0, 7)} (${plan.target.from})`
      : `the migrations up to version ${plan.target.version}`;
  const found = await schemaDifference(db.url, target.url, diffOptions);
  if (found.sql !== '') {
    const newest = plan.revert[0];
    return failed(
      'reversibility',
      `reverting ${names} does not return to ${where}: ${found.changes.length} difference(s)`,
      [
        {
          level: 'error',
          file: newest.path,
          line: newest.parsed?.down?.line ?? 1,
          message: `the Down sections of ${names} leave the database different from ${where}: ${listChanges(found.changes)}`,
        },
        ...plan.findings,
      ],
      found.sql,
    );
  }
  const partial = plan.findings.length > 0 ? ' (reverting stops above the migration that opts out)' : '';
  return {
    name: 'reversibility',
    title: CHECK_TITLES.reversibility,
    status: 'passed',
    summary: `reverting ${names} returns to ${where}${partial}`,
    findings: plan.findings,
  };
}

/**
 * The schema at HEAD of the schema repository against the schema at goal: a warning when HEAD's differs
 * (a schema change no migration covers yet), undefined when they are the same or nothing changed there.
 */
async function schemaAhead(
  source: SchemaSource,
  git: Git,
  migrationsDir: string,
  goalSha: string,
  goalDb: ShadowDatabase,
  newDatabase: () => Promise<ShadowDatabase>,
  build: (ref: string | null, db: ShadowDatabase) => Promise<unknown>,
  diffOptions: DiffOptions | undefined,
): Promise<VerifyFinding | undefined> {
  const headSha = await git.headSha();
  if (headSha === goalSha) return undefined;
  // New migration files inside the schema directory are not schema changes.
  const migrations =
    relative(await realpath(git.repoDir), migrationsDir)
      .split(sep)
      .join('/') + '/';
  const changed = (await schemaSourceChanges(source, goalSha, headSha, git)).filter(
    (path) => !path.startsWith(migrations),
  );
  if (changed.length === 0) return undefined;
  const headDb = await newDatabase();
  const built = await attempt(() => build(headSha, headDb));
  if (built.error !== undefined)
    return {
      level: 'warning',
      message: `could not build the schema at HEAD ${headSha.slice(0, 7)} to compare with the goal: ${built.error}`,
    };
  const found = await schemaDifference(goalDb.url, headDb.url, diffOptions);
  if (found.sql === '') return undefined;
  return {
    level: 'warning',
    message:
      `the schema at HEAD ${headSha.slice(0, 7)} differs from the goal ${goalSha.slice(0, 7)} (${listChanges(found.changes)}) and no migration covers it yet: ` +
      'create writes it (the create action after the merge, or db-migrate create); a verify whose goal is HEAD requires it now',
  };
}
