/**
 * verify end to end on real parts: a git repository with a schema source and its migrations (generated
 * by the real `create`), the test PostgreSQL server as the shadow server, the real differ and applier.
 * Each test clones the repository (same commits), edits the pull request's migrations the way a person
 * would, commits, and verifies against the base commit.
 */
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminUrl, query } from '../../../test/support/pg';
import { createMigration } from '../src/create';
import { Git } from '../src/git';
import { silentLogger } from '../src/logger';
import { memoryLogger } from '../../../test/support/logger';
import { openShadowServer, type ShadowServer } from '../src/shadow';
import {
  checkNumbering,
  formatVerifyReport,
  verifyMigrations,
  type VerifyCheck,
  type VerifyCheckName,
  type VerifyReport,
} from '../src/verify';
import { wordRemedy } from '../../cli/src/remedy-wording';
import { makeTestRepo, type TestRepo } from './git-fixture';

const MIGRATIONS = 'db/migrations';
const SCHEMA_V1 = `CREATE TABLE users (
  id bigint PRIMARY KEY,
  email text NOT NULL
);
`;
// v2: a column with a default on an existing table, an index on an existing table (a write-blocking
// hazard), and a new table with a foreign key and its own index.
const SCHEMA_V2 = `CREATE TABLE users (
  id bigint PRIMARY KEY,
  email text NOT NULL,
  nickname text NOT NULL DEFAULT 'anon'
);
CREATE INDEX users_email_idx ON users (email);
CREATE TABLE orders (
  id bigint PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id),
  total numeric(12, 2) NOT NULL DEFAULT 0
);
CREATE INDEX orders_user_id_idx ON orders (user_id);
`;

let shadow: ShadowServer;
let origin: TestRepo;
/** The main branch: migration 0001 (empty -> v1). */
let baseSha: string;
/** The schema commits the migrations reach. */
let schemaV1: string;
let schemaV2: string;
const clones: TestRepo[] = [];

async function generate(repo: TestRepo, goal: string): Promise<void> {
  const outcome = await createMigration({
    source: { repoDir: repo.dir, schemaDir: 'schema', sqlFiles: ['schema.sql'] },
    migrationsDir: join(repo.dir, MIGRATIONS),
    goal,
    shadow: adminUrl(),
    postgresVersion: 15,
    // The plain forms: one file per change, with a write-blocking index for the hazard checks below
    // (create-online.test.ts verifies the files of the online forms).
    diff: { online: false },
    logger: silentLogger,
  });
  if (outcome.outcome !== 'created') throw new Error(`expected a migration: ${outcome.reason}`);
}

beforeAll(async () => {
  shadow = await openShadowServer(adminUrl(), { postgresVersion: 15, logger: silentLogger });
  origin = makeTestRepo();
  schemaV1 = origin.commit('schema v1', { 'schema/schema.sql': SCHEMA_V1, [`${MIGRATIONS}/.keep`]: '' });
  await generate(origin, schemaV1);
  origin.git('add', '--all');
  baseSha = origin.commit('migration 0001', {});
  // The pull request: the schema changes, and `create` writes 0002 (v1 -> v2).
  origin.git('checkout', '--quiet', '-b', 'pr');
  schemaV2 = origin.commit('schema v2', { 'schema/schema.sql': SCHEMA_V2 });
  await generate(origin, schemaV2);
  origin.git('add', '--all');
  origin.commit('migration 0002', {});
});

afterAll(async () => {
  await shadow?.close();
  origin?.remove();
  for (const clone of clones) clone.remove();
});

/** A clone of the pull request branch to edit: same commits, own working tree. */
function clonePullRequest(): TestRepo {
  const clone = makeTestRepo();
  clones.push(clone);
  clone.git('fetch', '--quiet', origin.dir, 'pr:pr');
  clone.git('checkout', '--quiet', 'pr');
  return clone;
}

function migrationFile(repo: TestRepo, version: number): string {
  const prefix = String(version).padStart(4, '0') + '_';
  const name = readdirSync(join(repo.dir, MIGRATIONS)).find((f) => f.startsWith(prefix) && f.endsWith('.sql'));
  if (!name) throw new Error(`no migration ${version}`);
  return join(repo.dir, MIGRATIONS, name);
}

/** Rewrites a migration file with fn (in the working tree). */
function editMigration(repo: TestRepo, version: number, fn: (text: string) => string): string {
  const path = migrationFile(repo, version);
  const before = readFileSync(path, 'utf8');
  const after = fn(before);
  if (after === before) throw new Error('the edit changed nothing');
  writeFileSync(path, after);
  return path;
}

/** A clone of the pull request whose migration 2 is rewritten with fn and committed, and its verify report. */
async function verifyEdit(message: string, fn: (text: string) => string) {
  const repo = clonePullRequest();
  const path = editMigration(repo, 2, fn);
  repo.git('add', '--all');
  repo.commit(message, {});
  return { repo, path, report: await verify(repo) };
}

/** Removes every statement that matches: the formatter writes one statement per paragraph, markers and comments first. */
function withoutStatements(text: string, pattern: RegExp): string {
  return text
    .split(/\n\n/)
    .map((paragraph) => {
      const lines = paragraph.split('\n');
      const comments = lines.filter((l) => l.startsWith('-- '));
      const statement = lines.filter((l) => !l.startsWith('-- ')).join('\n');
      return pattern.test(statement) ? comments.join('\n') : paragraph;
    })
    .filter((paragraph) => paragraph !== '')
    .join('\n\n');
}

async function verify(
  repo: TestRepo,
  options: { failOnHazards?: boolean; baseRef?: string } = {},
): Promise<VerifyReport> {
  return verifyMigrations({
    source: { repoDir: repo.dir, schemaDir: 'schema', sqlFiles: ['schema.sql'] },
    migrationsDir: join(repo.dir, MIGRATIONS),
    baseRef: options.baseRef ?? baseSha,
    shadow,
    failOnHazards: options.failOnHazards,
    logger: memoryLogger(),
  });
}

function check(report: VerifyReport, name: VerifyCheckName): VerifyCheck {
  return report.checks.find((c) => c.name === name)!;
}

const statuses = (report: VerifyReport) => Object.fromEntries(report.checks.map((c) => [c.name, c.status]));

test('a generated migration passes every check; its write-blocking index is a warning, or a failure when asked', async () => {
  const repo = clonePullRequest();
  const report = await verify(repo);

  expect(report.result).toBe('passed');
  expect(statuses(report)).toEqual({
    numbering: 'passed',
    consistency: 'passed',
    reversibility: 'passed',
    data: 'passed',
    hazards: 'warning',
  });
  expect(report.newMigrations).toEqual([expect.stringMatching(/^0002_.*\.sql$/)]);
  expect(report.goal).toEqual({ sha: schemaV2, from: expect.stringMatching(/^goal_sha of 0002_/) });
  expect(report.difference).toBe('');
  expect(check(report, 'reversibility').summary).toContain(`the schema at ${schemaV1.slice(0, 7)}`);
  // The differ recorded the same hazard in 0002.json: it is reported once, at the statement's line.
  expect(check(report, 'hazards').findings.filter((f) => f.code === 'blocks-writes')).toHaveLength(1);
  const hazard = check(report, 'hazards').findings.find((f) => f.code === 'blocks-writes')!;
  expect(hazard).toMatchObject({ level: 'warning', file: migrationFile(repo, 2) });
  expect(hazard.message).toContain('users');
  // The index on the new table orders blocks nobody: no hazard names it.
  expect(
    check(report, 'hazards')
      .findings.filter((f) => f.level !== 'notice')
      .some((f) => f.message.includes('orders')),
  ).toBe(false);

  const strict = await verify(repo, { failOnHazards: true });
  expect(strict.result).toBe('failed');
  expect(statuses(strict)).toMatchObject({ consistency: 'passed', hazards: 'failed' });
  expect(check(strict, 'hazards').findings.find((f) => f.code === 'blocks-writes')!.level).toBe('error');
});

test('a hand edit that stays consistent passes: the index made CONCURRENTLY in a notransaction migration', async () => {
  const repo = clonePullRequest();
  editMigration(repo, 2, (text) => withoutStatements(text, /users_email_idx/));
  writeFileSync(
    join(repo.dir, MIGRATIONS, '0003_users_email_concurrently.sql'),
    [
      '-- +migrate Up notransaction',
      "SET lock_timeout = '5s';",
      'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);',
      '',
      '-- +migrate Down notransaction',
      'DROP INDEX CONCURRENTLY users_email_idx;',
      '',
    ].join('\n'),
  );
  repo.git('add', '--all');
  repo.commit('build the users index concurrently', {});

  const report = await verify(repo);

  expect(statuses(report)).toEqual({
    numbering: 'passed',
    consistency: 'passed',
    reversibility: 'passed',
    data: 'passed',
    hazards: 'passed',
  });
  expect(report.result).toBe('passed');
  expect(report.newMigrations).toEqual([expect.stringMatching(/^0002_/), '0003_users_email_concurrently.sql']);
  // 0003 has no metadata: the goal is still 0002's, and the check says why base_sha is not checked.
  expect(report.goal?.sha).toBe(schemaV2);
  expect(check(report, 'numbering').findings).toEqual([
    expect.objectContaining({
      level: 'notice',
      message: expect.stringContaining('0003_users_email_concurrently.sql has no metadata file 0003.json'),
    }),
    // The hand edit is named, with the command that accepts it (#15) as data.
    expect.objectContaining({
      level: 'notice',
      message: expect.stringContaining(
        '0002_create_orders.sql was edited after it was generated (checksum differs from 0002.json); if the edit is intended, record it',
      ),
      remedies: [
        expect.objectContaining({
          kind: 'command',
          command: 'accept-edit',
          options: [{ option: 'reason', value: '...' }],
        }),
      ],
    }),
  ]);
  // The differ's recorded hazard no longer holds for the edited file: it is not repeated.
  expect(check(report, 'hazards').findings.some((f) => f.code === 'blocks-writes')).toBe(false);
  expect(check(report, 'hazards').findings.some((f) => f.message.includes('edited after it was generated'))).toBe(true);
});

test('a column dropped from the SQL fails consistency, with the missing column shown as SQL', async () => {
  const { path, report } = await verifyEdit('forget the column', (text) => withoutStatements(text, /nickname/));

  expect(report.result).toBe('failed');
  expect(statuses(report)).toMatchObject({ numbering: 'passed', consistency: 'failed' });
  const consistency = check(report, 'consistency');
  expect(consistency.difference).toMatch(/ALTER TABLE "public"\."users" ADD COLUMN "nickname" text/i);
  expect(report.difference).toBe(consistency.difference);
  expect(consistency.findings[0]).toMatchObject({ level: 'error', file: path, line: expect.any(Number) });
  expect(consistency.findings[0].message).toContain('column public.users.nickname');
  expect(formatVerifyReport(report, { word: wordRemedy })).toContain('ADD COLUMN "nickname"');
});

test('a wrong default fails consistency, the difference setting the right one', async () => {
  const { report } = await verifyEdit('wrong default', (text) => text.replace(/DEFAULT 'anon'/, "DEFAULT 'nobody'"));

  expect(report.result).toBe('failed');
  expect(check(report, 'consistency').status).toBe('failed');
  expect(report.difference).toMatch(/ALTER COLUMN "nickname" SET DEFAULT 'anon'/);
});

test('a gap and a duplicate version fail numbering, naming the file; the database checks are skipped', async () => {
  const gap = clonePullRequest();
  const second = migrationFile(gap, 2);
  renameSync(second, second.replace('/0002_', '/0003_'));
  const metadata = readFileSync(join(gap.dir, MIGRATIONS, '0002.json'), 'utf8');
  rmSync(join(gap.dir, MIGRATIONS, '0002.json'));
  writeFileSync(join(gap.dir, MIGRATIONS, '0003.json'), metadata.replace('"version": 2', '"version": 3'));
  gap.git('add', '--all');
  gap.commit('renumber', {});

  const gapReport = await verify(gap);
  expect(gapReport.result).toBe('failed');
  expect(statuses(gapReport)).toMatchObject({ numbering: 'failed', consistency: 'skipped', reversibility: 'skipped' });
  const gapError = check(gapReport, 'numbering').findings.find((f) => f.level === 'error')!;
  expect(gapError.file).toBe(migrationFile(gap, 3));
  expect(gapError.message).toMatch(/^version 2 is missing: 0003_.*\.sql follows 0001_.*\.sql/);

  const duplicate = clonePullRequest();
  writeFileSync(
    join(duplicate.dir, MIGRATIONS, '0001_also_first.sql'),
    '-- +migrate Up\nCREATE TABLE t (id int);\n-- +migrate Down\nDROP TABLE t;\n',
  );
  duplicate.git('add', '--all');
  duplicate.commit('a second version 1', {});

  const duplicateReport = await verify(duplicate);
  expect(check(duplicateReport, 'numbering').status).toBe('failed');
  const duplicateError = check(duplicateReport, 'numbering').findings.find((f) => f.level === 'error')!;
  expect(duplicateError.file).toBe(join(duplicate.dir, MIGRATIONS, '0001_also_first.sql'));
  expect(duplicateError.message).toMatch(
    /^duplicate version 1: 0001_also_first\.sql and 0001_.*\.sql \(already merged at the base commit/,
  );
});

test("a base_sha that is not the previous migration's goal_sha fails numbering at that line", async () => {
  const repo = clonePullRequest();
  const path = join(repo.dir, MIGRATIONS, '0002.json');
  const text = readFileSync(path, 'utf8');
  writeFileSync(path, text.replace(schemaV1, baseSha));
  repo.git('add', '--all');
  repo.commit('wrong base', {});

  const report = await verify(repo);
  const error = check(report, 'numbering').findings.find((f) => f.level === 'error')!;
  expect(error.file).toBe(path);
  expect(error.line).toBe(text.split('\n').findIndex((l) => l.includes('"base_sha"')) + 1);
  expect(error.message).toContain(`base_sha is ${baseSha} but the previous migration 0001_`);
});

test('a Down that leaves a table behind fails reversibility with what it fails to undo', async () => {
  const { path, report } = await verifyEdit('keep orders on the way down', (text) => {
    const [up, down] = text.split('-- +migrate Down');
    return `${up}-- +migrate Down${withoutStatements(down, /DROP TABLE "public"\."orders"/)}`;
  });

  expect(report.result).toBe('failed');
  expect(statuses(report)).toMatchObject({ consistency: 'passed', reversibility: 'failed' });
  const reversibility = check(report, 'reversibility');
  expect(reversibility.difference).toMatch(/DROP TABLE "public"\."orders"/);
  expect(reversibility.findings[0]).toMatchObject({ level: 'error', file: path });
  const downLine = readFileSync(path, 'utf8').split('\n').indexOf('-- +migrate Down') + 1;
  expect(reversibility.findings[0].line).toBe(downLine);
});

test('a Down statement that fails is reported at its file and line', async () => {
  const { path, report } = await verifyEdit('broken down', (text) =>
    text.replace('-- +migrate Down\n', '-- +migrate Down\nDROP TABLE no_such_table;\n'),
  );
  const reversibility = check(report, 'reversibility');
  expect(reversibility.status).toBe('failed');
  const line = readFileSync(path, 'utf8').split('\n').indexOf('DROP TABLE no_such_table;') + 1;
  expect(reversibility.findings[0]).toMatchObject({ level: 'error', file: path, line });
  expect(reversibility.findings[0].message).toContain('no_such_table');
});

test('a migration marked irreversible is reported as skipped, by name and reason', async () => {
  const repo = clonePullRequest();
  editMigration(repo, 2, (text) => text.slice(0, text.indexOf('-- +migrate Down')));
  const metadataPath = join(repo.dir, MIGRATIONS, '0002.json');
  const metadata = JSON.parse(readFileSync(metadataPath, 'utf8'));
  writeFileSync(
    metadataPath,
    JSON.stringify({ ...metadata, reversible: false, irreversible_reason: 'backfills data' }, null, 2) + '\n',
  );
  repo.git('add', '--all');
  repo.commit('irreversible', {});

  const report = await verify(repo);

  expect(report.result).toBe('passed');
  const reversibility = check(report, 'reversibility');
  expect(reversibility.status).toBe('skipped');
  expect(reversibility.summary).toMatch(/^skipped: 0002_.*\.sql is marked irreversible$/);
  expect(reversibility.findings[0]).toMatchObject({ level: 'notice', file: metadataPath });
  expect(reversibility.findings[0].message).toContain('backfills data');
});

test('a new migration without a Down section and without the opt-out fails reversibility', async () => {
  const { path, report } = await verifyEdit('no down', (text) => text.slice(0, text.indexOf('-- +migrate Down')));
  const reversibility = check(report, 'reversibility');
  expect(reversibility.status).toBe('failed');
  expect(reversibility.findings[0]).toMatchObject({ level: 'error', file: path });
  expect(reversibility.findings[0].message).toContain('"reversible": false');
});

test('an opt-out below newer migrations stops the revert above it; the rest is compared with the replayed migrations', async () => {
  const repo = clonePullRequest();
  writeFileSync(
    join(repo.dir, MIGRATIONS, '0003_users_email_lower.sql'),
    '-- +migrate Up\nCREATE INDEX users_email_lower_idx ON users (lower(email));\n\n-- +migrate Down\nDROP INDEX users_email_lower_idx;\n',
  );
  const metadataPath = join(repo.dir, MIGRATIONS, '0002.json');
  const metadata = JSON.parse(readFileSync(metadataPath, 'utf8'));
  writeFileSync(
    metadataPath,
    JSON.stringify({ ...metadata, reversible: false, irreversible_reason: 'drops a backfill' }, null, 2) + '\n',
  );
  writeFileSync(
    join(repo.dir, 'schema/schema.sql'),
    SCHEMA_V2 + 'CREATE INDEX users_email_lower_idx ON users (lower(email));\n',
  );
  repo.git('add', '--all');
  const goal = repo.commit('an expression index, by hand', {});

  const report = await verify(repo);
  // 0003 has no metadata: the newest goal_sha is 0002's, which lacks the new index...
  expect(check(report, 'consistency').status).toBe('failed');
  expect(report.difference).toMatch(/DROP INDEX CONCURRENTLY IF EXISTS "public"\."users_email_lower_idx"/);
  // ...and the revert of 0003 lands on the migrations up to 0002, replayed from empty.
  const reversibility = check(report, 'reversibility');
  expect(reversibility.status).toBe('passed');
  expect(reversibility.summary).toBe(
    'reverting 0003_users_email_lower.sql returns to the migrations up to version 2 (reverting stops above the migration that opts out)',
  );
  expect(reversibility.findings).toEqual([
    expect.objectContaining({
      level: 'notice',
      file: metadataPath,
      message: expect.stringContaining('drops a backfill'),
    }),
  ]);

  // Given the commit that has the index as the goal, the migrations match it.
  const withGoal = await verifyMigrations({
    source: { repoDir: repo.dir, schemaDir: 'schema', sqlFiles: ['schema.sql'] },
    migrationsDir: join(repo.dir, MIGRATIONS),
    baseRef: baseSha,
    goalRef: goal,
    shadow,
  });
  expect(statuses(withGoal)).toMatchObject({ consistency: 'passed', reversibility: 'passed' });
  expect(withGoal.goal).toEqual({ sha: goal, from: `given: ${goal}` });
});

test('without a base ref every migration is new: the whole chain is checked and reverted to the empty database', async () => {
  const repo = clonePullRequest();
  const report = await verifyMigrations({
    source: { repoDir: repo.dir, schemaDir: 'schema', sqlFiles: ['schema.sql'] },
    migrationsDir: join(repo.dir, MIGRATIONS),
    shadow,
  });
  expect(report.result).toBe('passed');
  expect(report.newMigrations).toHaveLength(2);
  expect(report.baseSha).toBeUndefined();
  expect(check(report, 'reversibility').summary).toMatch(
    /^reverting 0002_.*\.sql, 0001_.*\.sql returns to the empty database$/,
  );
});

test('bad options throw one clear ConfigurationError; a schema that does not build fails its check; no database is left behind', async () => {
  const repo = clonePullRequest();
  // The shadow server as verify sees it, recording the databases it asks for.
  const created: string[] = [];
  const recording: ShadowServer = {
    description: shadow.description,
    major: shadow.major,
    close: async () => undefined,
    createDatabase: async (createOptions) => {
      const db = await shadow.createDatabase(createOptions);
      created.push(db.name);
      return db;
    },
  };
  const options = {
    source: { repoDir: repo.dir, schemaDir: 'schema', sqlFiles: ['schema.sql'] },
    migrationsDir: join(repo.dir, MIGRATIONS),
    shadow: recording,
  };
  await expect(verifyMigrations({ ...options, baseRef: 'no-such-branch' })).rejects.toThrow(
    `unknown commit "no-such-branch" in ${repo.dir}`,
  );
  await expect(verifyMigrations({ ...options, migrationsDir: join(repo.dir, 'nowhere') })).rejects.toThrow(
    `migrations directory ${join(repo.dir, 'nowhere')} does not exist`,
  );
  // A goal that does not build fails the consistency check, named, instead of throwing.
  const report = await verifyMigrations({
    ...options,
    source: { ...options.source, sqlFiles: ['missing.sql'] },
    baseRef: baseSha,
  });
  expect(check(report, 'consistency')).toMatchObject({
    status: 'failed',
    findings: [expect.objectContaining({ message: expect.stringContaining('missing.sql') })],
  });
  expect(created.length).toBeGreaterThanOrEqual(2);
  const leftover = await query(adminUrl(), `SELECT datname FROM pg_database WHERE datname = ANY($1)`, [created]);
  expect(leftover).toEqual([]);
});

test('a merged migration edited is a warning; an upper-case .SQL file and a merged migration deleted are errors, each naming the file', async () => {
  const repo = clonePullRequest();
  const first = migrationFile(repo, 1);
  writeFileSync(first, readFileSync(first, 'utf8') + '\n-- a late comment\n');
  const git = await Git.open(repo.dir);
  const edited = await checkNumbering({ dir: join(repo.dir, MIGRATIONS), git, repoPath: MIGRATIONS, baseSha });
  expect(edited.check.status).toBe('warning');
  expect(edited.check.findings).toEqual([
    expect.objectContaining({
      level: 'warning',
      file: first,
      line: 1,
      message: expect.stringMatching(/^0001_\S+\.sql was changed after it was merged \(base [0-9a-f]{7}\)/),
    }),
  ]);
  const shouting = join(repo.dir, MIGRATIONS, '0003_shouting.SQL');
  writeFileSync(shouting, '-- +migrate Up\nSELECT 1;\n');
  const upper = await checkNumbering({ dir: join(repo.dir, MIGRATIONS), git, repoPath: MIGRATIONS, baseSha });
  expect(upper.check.status).toBe('failed');
  expect(upper.check.findings).toContainEqual(
    expect.objectContaining({
      level: 'error',
      file: shouting,
      message: expect.stringContaining(
        'sql-migrate reads only names ending in lower-case ".sql" and would never run it: rename it to 0003_shouting.sql',
      ),
    }),
  );
  rmSync(shouting);

  rmSync(first);
  const deleted = await checkNumbering({ dir: join(repo.dir, MIGRATIONS), git, repoPath: MIGRATIONS, baseSha });
  expect(deleted.check.status).toBe('failed');
  expect(deleted.set).toBeUndefined();
  expect(deleted.check.findings).toContainEqual(
    expect.objectContaining({
      level: 'error',
      file: first,
      message: expect.stringContaining('exists at the base commit'),
    }),
  );
});

test('an Up statement that fails is reported at its file and line; the Down check is skipped', async () => {
  const { path, report } = await verifyEdit('broken up', (text) =>
    text.replace('-- +migrate Up\n', '-- +migrate Up\nALTER TABLE no_such_table ADD COLUMN x int;\n'),
  );
  expect(statuses(report)).toMatchObject({ numbering: 'passed', consistency: 'failed', reversibility: 'skipped' });
  const line = readFileSync(path, 'utf8').split('\n').indexOf('ALTER TABLE no_such_table ADD COLUMN x int;') + 1;
  expect(check(report, 'consistency').findings).toEqual([
    expect.objectContaining({
      level: 'error',
      file: path,
      line,
      message: expect.stringContaining('"no_such_table" does not exist'),
    }),
  ]);
  expect(check(report, 'reversibility').summary).toBe('skipped: the Up sections did not all apply');
});

test('before the first migration (adopting db-migrate) a pull request passes: there is nothing to check yet, and it says so', async () => {
  // The adoption pull request adds the workflows and an empty migrations directory to a repository whose
  // schema already exists; create writes migration 1 after it merges. Failing here would block it.
  const repo = makeTestRepo();
  clones.push(repo);
  const base = repo.commit('schema, no migrations yet', {
    'schema/schema.sql': SCHEMA_V1,
    [`${MIGRATIONS}/.gitkeep`]: '',
    [`${MIGRATIONS}/README.md`]: 'Generated by db-migrate.\n',
  });
  repo.commit('docs', { 'README.md': 'hello\n' });
  const report = await verifyMigrations({
    source: { repoDir: repo.dir, schemaDir: 'schema', sqlFiles: ['schema.sql'] },
    migrationsDir: join(repo.dir, MIGRATIONS),
    baseRef: base,
    shadow,
  });
  expect(statuses(report)).toEqual({
    numbering: 'passed',
    consistency: 'passed',
    reversibility: 'skipped',
    data: 'skipped',
    hazards: 'passed',
  });
  expect(report.result).toBe('passed');
  expect(check(report, 'consistency').summary).toMatch(/^no migrations yet: nothing to compare with the schema/);
  // Asked for explicitly, the goal is still enforced: the schema at HEAD has no migration.
  const required = await verifyMigrations({
    source: { repoDir: repo.dir, schemaDir: 'schema', sqlFiles: ['schema.sql'] },
    migrationsDir: join(repo.dir, MIGRATIONS),
    baseRef: base,
    goalRef: 'HEAD',
    shadow,
  });
  expect(check(required, 'consistency').status).toBe('failed');
});

test('a migration saved with Windows line endings, next to unrelated files, verifies like the original', async () => {
  const repo = clonePullRequest();
  editMigration(repo, 2, (text) => text.replace(/\n/g, '\r\n'));
  writeFileSync(join(repo.dir, MIGRATIONS, 'README.md'), 'Migrations, generated by db-migrate.\r\n');
  writeFileSync(join(repo.dir, MIGRATIONS, 'notes.txt'), 'scratch\n');
  repo.git('add', '--all');
  repo.commit('CRLF', {});
  const report = await verify(repo);
  expect(statuses(report)).toEqual({
    numbering: 'passed',
    consistency: 'passed',
    reversibility: 'passed',
    data: 'passed',
    hazards: 'warning',
  });
  // The hazard still points at its statement's line in the CRLF file.
  const hazard = check(report, 'hazards').findings.find((f) => f.code === 'blocks-writes')!;
  const lines = readFileSync(migrationFile(repo, 2), 'utf8').split('\r\n');
  expect(lines[hazard.line! - 1]).toMatch(/CREATE INDEX .*users_email_idx/);
});
