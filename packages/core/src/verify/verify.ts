/**
 * verify: the pull-request check that the migrations are right, edited by hand or not. Four named
 * checks (numbering, consistency, reversibility, hazards), each a result in the report; a failed check
 * never stops the others from running, and only a mistake in the options themselves throws.
 *
 * Databases, all on one shadow server and all dropped at the end: the schema at goal, the migrations
 * applied from empty (later reverted for check 3), and the schema the revert must land on. The three
 * are built at the same time.
 */
import { realpath } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { up, down } from '../applier/migrator';
import type { MigrationError } from '../applier/result';
import { ConfigurationError, describeDatabase, errorMessage } from '../errors';
import { Git } from '../git';
import { type Logger, silentLogger } from '../logger';
import type { MigrationSet } from '../migrations/store';
import { buildSchemaAt } from '../schema-source/build';
import { type SchemaSource, validateSchemaSource } from '../schema-source/schema-source';
import type { ShadowServer, ThrowawayDatabase } from '../shadow/types';
import { listObjects, schemaDifference } from './difference';
import { emptyGoalProblem } from '../intent/empty-goal';
import { inventoryTables, readDataInventoryAt } from '../intent/data-loss';
import { describeSchemaSource } from '../schema-source/schema-source';
import { type DataLossGate, checkDataLoss } from './data-loss-gate';
import { checkHazards } from './hazards';
import { type MigrationEntry, checkNumbering } from './numbering';
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
  /** Where the throwaway databases are created; the caller opens and closes it. */
  readonly shadow: ShadowServer;
  /** Hazards fail the check instead of only warning (unacknowledged data losses always fail it). */
  readonly failOnHazards?: boolean;
  /** Accept a goal build without tables while the migrations at the base have some. */
  readonly allowEmptyGoal?: boolean;
  /** Stops a schema build command running longer than this. */
  readonly buildTimeoutMs?: number;
  readonly logger?: Logger;
}

interface Goal {
  readonly ref: string;
  readonly from: string;
  /** The metadata file it was read from, to point at when it cannot be resolved. */
  readonly entry?: MigrationEntry;
}

/** The newest goal_sha recorded in the migrations' metadata, else HEAD. */
function chooseGoal(entries: readonly MigrationEntry[], goalRef: string | undefined): Goal {
  if (goalRef) return { ref: goalRef, from: `given: ${goalRef}` };
  const recorded = [...entries].reverse().find((e) => e.metadata?.goal_sha);
  if (recorded) return { ref: recorded.metadata!.goal_sha!, from: `goal_sha of ${recorded.fileName}`, entry: recorded };
  return { ref: 'HEAD', from: 'HEAD of the schema repository (no migration records a goal_sha)' };
}

function migrationErrorFinding(error: MigrationError, set: MigrationSet): VerifyFinding {
  const migration = set.migrations.find((m) => m.fileName === error.fileName);
  return { level: 'error', message: error.message, ...(migration ? { file: migration.path, line: error.line ?? 1 } : {}) };
}

function keyLine(entry: MigrationEntry | undefined, key: string): number | undefined {
  const index = entry?.metadataText?.search(new RegExp(`"${key}"\\s*:`)) ?? -1;
  return index < 0 ? undefined : entry!.metadataText!.slice(0, index).split('\n').length;
}

/** Runs a step that may fail for a reason to report (a broken build command, an unknown commit); bugs still throw. */
async function attempt<T>(step: () => Promise<T>): Promise<{ value?: T; error?: string }> {
  try {
    return { value: await step() };
  } catch (error) {
    if (error instanceof ConfigurationError) return { error: errorMessage(error) };
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

const failed = (name: VerifyCheck['name'], summary: string, findings: readonly VerifyFinding[], difference?: string): VerifyCheck => ({
  name,
  title: CHECK_TITLES[name],
  status: 'failed',
  summary,
  findings,
  ...(difference ? { difference } : {}),
});

/** Verifies the migrations of a pull request. Throws only for bad options (ConfigurationError). */
export async function verifyMigrations(options: VerifyOptions): Promise<VerifyReport> {
  const started = performance.now();
  const logger = options.logger ?? silentLogger;
  const source = validateSchemaSource(options.source);
  const { shadow } = options;

  let dir: string;
  try {
    dir = await realpath(resolve(options.migrationsDir));
  } catch {
    throw new ConfigurationError(`migrations directory ${options.migrationsDir} does not exist`);
  }
  const git = await Git.open(dir);
  const repoPath = relative(await realpath(git.repoDir), dir).split(sep).join('/') || '.';
  const baseSha = options.baseRef ? await git.resolveCommit(options.baseRef) : undefined;
  const schemaGit = await Git.open(source.repoDir);

  const numbering = await checkNumbering({ dir, git, repoPath, baseSha });
  const { entries, newEntries, set } = numbering;
  const newest = newEntries[newEntries.length - 1] ?? entries[entries.length - 1];
  logger.info(`new migrations: ${newEntries.map((e) => e.fileName).join(', ') || 'none'}${baseSha ? ` (base ${baseSha.slice(0, 7)})` : ''}`);

  const goal = chooseGoal(entries, options.goalRef);
  const plan: ReversibilityPlan = set ? planReversibility(newEntries) : { kind: 'skip', summary: NEEDS_VALID_FILES, findings: [] };
  const databases: ThrowawayDatabase[] = [];
  const newDatabase = async () => {
    const db = await shadow.createDatabase();
    databases.push(db);
    return db;
  };
  const build = (ref: string | null, db: ThrowawayDatabase) => buildSchemaAt(source, ref, db, { logger, timeoutMs: options.buildTimeoutMs });

  // The gate runs on a database of its own, beside the three below (it never throws for a bad migration).
  const dataLoss = set ? checkDataLoss({ shadow, set, newEntries, logger }) : undefined;
  dataLoss?.catch(() => undefined);
  let emptyGoal: string | undefined;
  let consistency: VerifyCheck;
  let reversibility: VerifyCheck;
  let goalSha: string | undefined;
  let difference = '';
  try {
    if (!set) {
      consistency = skipped('consistency', NEEDS_VALID_FILES);
      reversibility = skipped('reversibility', NEEDS_VALID_FILES);
    } else if (entries.length === 0 && !options.goalRef) {
      // No migrations claim to reach any schema yet (a repository adopting db-migrate): the pull request
      // that adds the empty directory must be able to merge, and create writes migration 1 after it.
      consistency = {
        name: 'consistency',
        title: CHECK_TITLES.consistency,
        status: 'passed',
        summary: 'no migrations yet: nothing to compare with the schema (create writes the first migration, from the empty database)',
        findings: [],
      };
      reversibility = skipped('reversibility', 'no new migrations to revert');
    } else {
      // The three databases are independent: build them at the same time.
      const goalStep = attempt(async () => {
        goalSha = await schemaGit.resolveCommit(goal.ref);
        const db = await newDatabase();
        await build(goalSha, db);
        return db;
      });
      const migrationsStep = (async () => {
        const db = await newDatabase();
        logger.info(`applying ${set.migrations.length} migration(s) from empty to ${describeDatabase(db.url)}`);
        return { db, run: await up(db.url, set, { logger }) };
      })();
      const targetStep =
        plan.kind === 'run'
          ? attempt(async () => {
              const db = await newDatabase();
              if (plan.target.kind === 'schema') {
                await build(plan.target.ref, db);
              } else {
                const replay = await up(db.url, set, { to: plan.target.version, logger: silentLogger });
                if (replay.error) throw new ConfigurationError(`replaying the migrations up to version ${plan.target.version}: ${replay.error.message}`);
              }
              return db;
            })
          : undefined;
      // Wait for all three before anything can throw: the finally below drops what they created.
      const settled = await Promise.allSettled([goalStep, migrationsStep, targetStep]);
      const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (rejected) throw rejected.reason;
      const [goalBuilt, applied, target] = settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as [
        Awaited<typeof goalStep>,
        Awaited<typeof migrationsStep>,
        Awaited<typeof targetStep>,
      ];

      // Check 2: the migrations, applied from empty, must build the schema at goal.
      const upError = applied.run.error;
      if (goalBuilt.error !== undefined || upError) {
        const findings: VerifyFinding[] = [];
        const problems: string[] = [];
        if (goalBuilt.error !== undefined) {
          const at = goal.entry?.metadataPath ? { file: goal.entry.metadataPath, line: keyLine(goal.entry, 'goal_sha') ?? 1 } : {};
          findings.push({ level: 'error', message: goalBuilt.error, ...at });
          problems.push(`could not build the schema at ${goal.ref} (${goal.from})`);
        }
        if (upError) {
          findings.push(migrationErrorFinding(upError, set));
          problems.push('the migrations do not apply from empty');
        }
        consistency = failed('consistency', problems.join('; '), findings);
      } else if ((emptyGoal = await emptyGoalOf(goalBuilt.value!.url, applied.db.url, dataLoss, { ...options, source }, `${goalSha!.slice(0, 7)} (${goal.from})`))) {
        consistency = failed('consistency', `the goal build at ${goalSha!.slice(0, 7)} produced no tables`, [{ level: 'error', message: emptyGoal }]);
      } else {
        const found = await schemaDifference(applied.db.url, goalBuilt.value!.url);
        difference = found.sql;
        const short = goalSha!.slice(0, 7);
        if (found.sql === '') {
          consistency = { name: 'consistency', title: CHECK_TITLES.consistency, status: 'passed', summary: `the migrations build exactly the schema at ${short} (${goal.from})`, findings: [] };
        } else {
          const at = newest ? { file: newest.path, line: newest.parsed?.up.line ?? 1 } : {};
          consistency = failed(
            'consistency',
            `the migrations do not build the schema at ${short} (${goal.from}): ${found.objects.length} difference(s)`,
            [{ level: 'error', ...at, message: `the migrations do not build the schema at ${short}; they miss: ${listObjects(found.objects)}` }],
            found.sql,
          );
        }
      }

      // Check 3: the new migrations' Down sections must undo them.
      if (plan.kind !== 'run') {
        reversibility = plan.kind === 'skip' ? skipped('reversibility', plan.summary, plan.findings) : failed('reversibility', plan.summary, plan.findings);
      } else if (upError) {
        reversibility = skipped('reversibility', 'skipped: the Up sections did not all apply', plan.findings);
      } else if (target!.error !== undefined) {
        const where = plan.target.kind === 'schema' ? `the schema at ${plan.target.ref ?? 'empty'} (${plan.target.from})` : `version ${plan.target.version}`;
        const oldest = plan.revert[plan.revert.length - 1];
        const at = plan.target.kind === 'schema' && oldest.metadataPath ? { file: oldest.metadataPath, line: keyLine(oldest, 'base_sha') ?? 1 } : {};
        reversibility = failed('reversibility', `could not build ${where} to compare with`, [{ level: 'error', message: target!.error, ...at }, ...plan.findings]);
      } else {
        reversibility = await checkRevert(plan, set, applied.db, target!.value!, logger);
      }
    }
  } finally {
    await dataLoss?.catch(() => undefined);
    for (const db of databases) await db.drop().catch((error) => logger.warning(`could not drop ${db.name}: ${errorMessage(error)}`));
  }

  const hazards = checkHazards(newEntries, { failOnHazards: options.failOnHazards, dataLoss: await dataLoss });
  const checks = [numbering.check, consistency, reversibility, hazards];
  for (const check of checks) logger.info(`${check.title}: ${check.status} - ${check.summary}`);
  return {
    result: overallResult(checks),
    checks,
    newMigrations: newEntries.map((e) => e.fileName),
    ...(baseSha ? { baseSha } : {}),
    ...(goalSha ? { goal: { sha: goalSha, from: goal.from } } : {}),
    difference,
    durationMs: Math.round(performance.now() - started),
  };
}

/** The empty-goal refusal when the goal build has no tables while the migrations at the base have some. */
async function emptyGoalOf(goalUrl: string, appliedUrl: string, gate: Promise<DataLossGate> | undefined, options: VerifyOptions, commit: string): Promise<string | undefined> {
  if (options.allowEmptyGoal) return undefined;
  const goal = await readDataInventoryAt(goalUrl);
  if (goal.tables.size > 0) return undefined;
  const atBase = (await gate)?.baseTables ?? [];
  const tables = atBase.length > 0 ? atBase : inventoryTables(await readDataInventoryAt(appliedUrl));
  return emptyGoalProblem({ goalTables: 0, tables, other: `the schema the migrations reach${atBase.length > 0 ? ' at the base' : ''}`, build: describeSchemaSource(options.source), commit });
}

async function checkRevert(
  plan: Extract<ReversibilityPlan, { kind: 'run' }>,
  set: MigrationSet,
  db: ThrowawayDatabase,
  target: ThrowawayDatabase,
  logger: Logger,
): Promise<VerifyCheck> {
  const names = plan.revert.map((e) => e.fileName).join(', ');
  logger.info(`reverting ${names} on ${describeDatabase(db.url)}`);
  const run = await down(db.url, set, { to: plan.toVersion, logger });
  if (run.error) {
    return failed('reversibility', `the Down sections do not run: ${run.error.fileName ?? 'reverting'} failed`, [migrationErrorFinding(run.error, set), ...plan.findings]);
  }
  const where = plan.target.kind === 'schema' ? (plan.target.ref === null ? 'the empty database' : `the schema at ${plan.target.ref.slice(0, 7)} (${plan.target.from})`) : `the migrations up to version ${plan.target.version}`;
  const found = await schemaDifference(db.url, target.url);
  if (found.sql !== '') {
    const newest = plan.revert[0];
    return failed(
      'reversibility',
      `reverting ${names} does not return to ${where}: ${found.objects.length} difference(s)`,
      [
        {
          level: 'error',
          file: newest.path,
          line: newest.parsed?.down?.line ?? 1,
          message: `the Down sections of ${names} leave the database different from ${where}: ${listObjects(found.objects)}`,
        },
        ...plan.findings,
      ],
      found.sql,
    );
  }
  const partial = plan.findings.length > 0 ? ' (reverting stops above the migration that opts out)' : '';
  return { name: 'reversibility', title: CHECK_TITLES.reversibility, status: 'passed', summary: `reverting ${names} returns to ${where}${partial}`, findings: plan.findings };
}
