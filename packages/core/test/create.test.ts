/**
 * `create` end to end on real parts: a git repository holding the schema source, the test PostgreSQL
 * server as the shadow server, the real differ, our applier and the real sql-migrate binary.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminUrl, createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';
import { down, up } from '../src/applier/migrator';
import { createMigration, type CreatedMigration, type CreateOutcome, formatCreateReport } from '../src/create';
import { diff, renderSql } from '../src/diff';
import { ConfigurationError } from '../src/errors';
import { silentLogger } from '../src/logger';
import { memoryLogger } from '../../../test/support/logger';
import { createAllScript, sqlalchemyModels } from '../../../test/support/sqlalchemy';
import { parseMigrationFile } from '../src/migrations/format';
import { parseMetadata, sha256Checksum } from '../src/migrations/metadata';
import { readMigrationDir } from '../src/migrations/store';
import { buildSchemaAt, type SchemaSource } from '../src/schema-source';
import { makeTestRepo, type TestRepo } from './git-fixture';

const SQL_MIGRATE = '/usr/bin/sql-migrate';

const TYPES_V1 = `CREATE TYPE status AS ENUM ('new', 'paid');\n`;
const TABLES_V1 = `CREATE TABLE users (
  id bigserial PRIMARY KEY,
  email text NOT NULL UNIQUE,
  nickname text
);
`;
const TYPES_V2 = `CREATE TYPE status AS ENUM ('new', 'paid', 'shipped');\n`;
// v2: a column dropped and one added, an index on an existing table, a new table using the enum, a
// function whose $$ body sql-migrate could only read between StatementBegin and StatementEnd.
const TABLES_V2 = `CREATE TABLE users (
  id bigserial PRIMARY KEY,
  email text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_created_at_idx ON users (created_at);
CREATE TABLE orders (
  id bigserial PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id),
  state status NOT NULL DEFAULT 'new'
);
CREATE FUNCTION order_count(uid bigint) RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM orders WHERE user_id = uid;
$$;
`;

const MODELS_V1 = sqlalchemyModels();
const MODELS_V2 = sqlalchemyModels({ second: { className: 'Invoice', table: 'invoices' } });
const CREATE_ALL = createAllScript('models');

function sqlSource(repo: TestRepo): SchemaSource {
  return { repoDir: repo.dir, schemaDir: 'schema', sqlFiles: ['01_types.sql', '02_tables.sql'] };
}

function created(outcome: CreateOutcome): CreatedMigration {
  if (outcome.outcome !== 'created') throw new Error(`expected a migration, got no-op: ${outcome.reason}`);
  return outcome;
}

/** A fresh database holding the schema of the source at a commit. */
async function schemaAt(source: SchemaSource, ref: string | null, databases: string[]): Promise<string> {
  const url = await createTestDatabase('create_ref');
  databases.push(url);
  await buildSchemaAt(source, ref, { url }, { logger: silentLogger });
  return url;
}

/** Fails with the SQL that still differs, so a mismatch explains itself. */
async function expectSameSchema(actualUrl: string, expectedUrl: string): Promise<void> {
  const { statements } = await diff(actualUrl, expectedUrl);
  expect(renderSql(statements)).toBe('');
}

function sqlMigrateUp(migrationsDir: string, url: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'db-migrate-create-sqlmigrate-'));
  try {
    writeFileSync(
      join(dir, 'dbconfig.yml'),
      `test:\n  dialect: postgres\n  datasource: \${DSN}\n  dir: ${migrationsDir}\n`,
    );
    const result = spawnSync(SQL_MIGRATE, ['up', `-config=${join(dir, 'dbconfig.yml')}`, '-env=test'], {
      env: { ...process.env, DSN: `${url}?sslmode=disable` },
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`sql-migrate up failed: ${result.stderr}${result.stdout}`);
    return result.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const shadow = () => ({ shadow: adminUrl(), postgresVersion: 15 });

describe('create from SQL files', () => {
  let repo: TestRepo;
  let migrationsDir: string;
  let v1: string;
  let v2: string;
  let first: CreatedMigration;
  let second: CreatedMigration;
  const databases: string[] = [];

  beforeAll(async () => {
    repo = makeTestRepo();
    v1 = repo.commit('schema v1', {
      'schema/01_types.sql': TYPES_V1,
      'schema/02_tables.sql': TABLES_V1,
      'migrations/.gitkeep': '',
    });
    migrationsDir = join(repo.dir, 'migrations');
    first = created(
      await createMigration({ source: sqlSource(repo), migrationsDir, ...shadow(), logger: silentLogger }),
    );
    v2 = repo.commit('schema v2', { 'schema/01_types.sql': TYPES_V2, 'schema/02_tables.sql': TABLES_V2 });
    // The plain forms (--blocking-ddl): one file, whose hazards say what blocks (create-online.test.ts has the default).
    second = created(
      await createMigration({
        source: sqlSource(repo),
        migrationsDir,
        ...shadow(),
        diff: { online: false },
        logger: silentLogger,
      }),
    );
  });
  afterAll(async () => {
    for (const url of databases) await dropTestDatabase(url);
    repo.remove();
  });

  it('writes the first migration from the empty database', async () => {
    expect(first).toMatchObject({ version: 1, name: 'create_users', baseSha: null, goalSha: v1, hazards: [] });
    expect(first.files).toEqual([join(migrationsDir, '0001_create_users.sql'), join(migrationsDir, '0001.json')]);
    expect(first.upSql).toMatch(/CREATE TYPE "public"\."status" AS ENUM/);
    expect(first.upSql).toMatch(/CREATE TABLE "public"\."users"/);
    expect(first.downSql).toMatch(/DROP TABLE "public"\."users"/);
    const metadata = parseMetadata(first.files[1]!, readFileSync(first.files[1]!, 'utf8'));
    // No base_sha: the first migration starts from the empty database.
    expect(metadata).toMatchObject({
      version: 1,
      name: 'create_users',
      goal_sha: v1,
      generator: expect.stringMatching(/^db-migrate \d/),
    });
    expect(metadata.base_sha).toBeUndefined();
    expect(metadata.schema_source).toBe('sql files: 01_types.sql, 02_tables.sql (dir schema)');
    expect(metadata.checksum).toBe(sha256Checksum(readFileSync(first.files[0]!, 'utf8')));
    expect(Date.parse(metadata.created_at!)).not.toBeNaN();
  });

  it('writes the next migration from the goal the latest one reached, with hazards in the header and metadata', async () => {
    expect(second).toMatchObject({ version: 2, name: 'create_orders', baseSha: v1, goalSha: v2 });
    expect(second.files).toEqual([join(migrationsDir, '0002_create_orders.sql'), join(migrationsDir, '0002.json')]);
    const codes = second.hazards.map((h) => h.code);
    expect(codes).toEqual(expect.arrayContaining(['drops-data', 'blocks-writes', 'enum-value-added']));
    expect(second.hazards.find((h) => h.code === 'drops-data')!.message).toMatch(/nickname/);
    const metadata = parseMetadata(second.files[1]!, readFileSync(second.files[1]!, 'utf8'));
    expect(metadata).toMatchObject({ version: 2, base_sha: v1, goal_sha: v2 });
    expect(metadata.hazards).toEqual(second.hazards);
    const header = second.text.slice(0, second.text.indexOf('-- +migrate Up'));
    for (const hazard of second.hazards) expect(header).toContain(`--   ${hazard.code}: ${hazard.message}`);
    expect(header).toContain(`-- base: ${v1}`);
    expect(header).toContain(`-- goal: ${v2}`);
  });

  it('keeps a section that adds an enum value (not used by the migration) in its transaction', () => {
    expect(second.upNoTransaction).toBe(false);
    expect(second.text).toMatch(/^-- \+migrate Up$/m);
    expect(second.text).not.toContain('runs without a transaction');
    expect(second.upSql).toContain(`ALTER TYPE "public"."status" ADD VALUE 'shipped'`);
    expect(second.downNoTransaction).toBe(false);
    expect(second.text).toMatch(/^-- \+migrate Down$/m);
    expect(first.upNoTransaction).toBe(false);
  });

  it('writes files our parser reads back into the statements of the diff, the $$ body inside a block', async () => {
    const set = await readMigrationDir(migrationsDir);
    expect(set.migrations.map((m) => m.fileName)).toEqual(['0001_create_users.sql', '0002_create_orders.sql']);
    expect(set.warnings).toEqual([]);
    const parsed = parseMigrationFile('0002', second.text);
    expect(parsed.up.statements.map((s) => s.sql.trim()).join('\n\n') + '\n').toBe(second.upSql);
    expect(parsed.down!.statements.map((s) => s.sql.trim()).join('\n\n') + '\n').toBe(second.downSql);
    expect(parsed.up.statements.find((s) => s.sql.includes('$'))?.block).toBe(true);
  });

  it('migrations applied by our applier reach the goal schema, and Down returns to the base schema', async () => {
    const set = await readMigrationDir(migrationsDir);
    const url = await createTestDatabase('create_apply');
    databases.push(url);
    const applied = await up(url, set, { logger: silentLogger });
    expect(applied.error).toBeUndefined();
    expect(applied.version).toBe(2);
    await expectSameSchema(url, await schemaAt(sqlSource(repo), v2, databases));

    const reverted = await down(url, set, { to: 1, logger: silentLogger });
    expect(reverted.error).toBeUndefined();
    await expectSameSchema(url, await schemaAt(sqlSource(repo), v1, databases));
    const back = await down(url, set, { to: 0, logger: silentLogger });
    expect(back.error).toBeUndefined();
    await expectSameSchema(url, await schemaAt(sqlSource(repo), null, databases));
  });

  it('the real sql-migrate applies the generated files and reaches the goal schema', async () => {
    const url = await createTestDatabase('create_sqlmigrate');
    databases.push(url);
    const output = sqlMigrateUp(migrationsDir, url);
    expect(output).toMatch(/Applied 2 migrations/);
    await expectSameSchema(url, await schemaAt(sqlSource(repo), v2, databases));
    const recorded = await query<{ id: string }>(url, 'SELECT id FROM gorp_migrations ORDER BY id');
    expect(recorded.map((r) => r.id)).toEqual(['0001_create_users.sql', '0002_create_orders.sql']);
  });

  it('is a no-op, writing nothing, when the goal is the commit the latest migration reached', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'db-migrate-create-noop-'));
    try {
      // A copy of the migrations, so that the files the other tests read stay as they are.
      for (const file of readdirSync(migrationsDir))
        writeFileSync(join(scratch, file), readFileSync(join(migrationsDir, file)));
      const logger = memoryLogger();
      const outcome = await createMigration({
        source: sqlSource(repo),
        migrationsDir: scratch,
        goal: v2,
        ...shadow(),
        logger,
      });
      expect(outcome).toEqual({
        outcome: 'no-op',
        reason: expect.stringMatching(/^migration 2 already reaches the goal commit/),
        baseSha: v2,
        goalSha: v2,
      });
      expect(logger.lines.join('\n')).toMatch(/nothing to do: migration 2 already reaches/);
      expect(formatCreateReport(outcome)).toMatch(/^nothing to do: /);

      // A commit that touches nothing under the schema directory: nothing to build.
      const docs = repo.commit('docs only', { 'README.md': 'hello\n' });
      const untouched = await createMigration({
        source: sqlSource(repo),
        migrationsDir: scratch,
        goal: docs,
        ...shadow(),
        logger,
      });
      expect(untouched).toMatchObject({
        outcome: 'no-op',
        reason: expect.stringMatching(/^no file under schema changed between/),
      });

      // A goal older than what the migrations already reach never migrates backwards.
      const older = await createMigration({
        source: sqlSource(repo),
        migrationsDir: scratch,
        goal: v1,
        ...shadow(),
        logger,
      });
      expect(older).toMatchObject({
        outcome: 'no-op',
        reason: expect.stringMatching(/^the goal commit .* is older than/),
      });
      expect(readdirSync(scratch).sort()).toEqual([
        '.gitkeep',
        '0001.json',
        '0001_create_users.sql',
        '0002.json',
        '0002_create_orders.sql',
      ]);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('the report prints the files, the hazards and the migration', () => {
    const report = formatCreateReport(second);
    expect(report).toContain(`created migration 2 (create_orders): base ${v1}, goal ${v2}`);
    expect(report).toContain(`  wrote ${second.files[0]}`);
    expect(report).toContain(`  wrote ${second.files[1]}`);
    expect(report).toMatch(/hazards \(\d+\):\n {2}- /);
    expect(report).toContain('-- +migrate Up\n'); // transactional: the enum value it adds is not used by it
    expect(report.endsWith(second.text)).toBe(true);
  });
});

describe('create with online forms (the default)', () => {
  it('builds an index on an existing table CONCURRENTLY in a notransaction Up that sql-migrate applies', async () => {
    const repo = makeTestRepo();
    const databases: string[] = [];
    try {
      const source: SchemaSource = { repoDir: repo.dir, schemaDir: 'schema', sqlFiles: ['schema.sql'] };
      repo.commit('v1', {
        'schema/schema.sql': 'CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz NOT NULL);\n',
        'migrations/.gitkeep': '',
      });
      const migrationsDir = join(repo.dir, 'migrations');
      created(await createMigration({ source, migrationsDir, ...shadow() }));
      const v2 = repo.commit('index', {
        'schema/schema.sql':
          'CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz NOT NULL);\nCREATE INDEX events_at_idx ON events (at);\n',
      });
      const migration = created(await createMigration({ source, migrationsDir, ...shadow() }));

      expect(migration).toMatchObject({ version: 2, upNoTransaction: true, downNoTransaction: true, hazards: [] });
      expect(migration.upSql).toBe(
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS events_at_idx ON public.events USING btree (at);\n',
      );
      expect(migration.downSql).toBe('DROP INDEX CONCURRENTLY IF EXISTS "public"."events_at_idx";\n');
      expect(migration.text).toMatch(/^-- \+migrate Up notransaction$/m);
      expect(migration.text).toContain(
        '-- Up runs without a transaction (notransaction): CREATE INDEX CONCURRENTLY IF NOT EXISTS events_at_idx ON public.events USING btree (at) cannot run inside a transaction.',
      );

      const url = await createTestDatabase('create_concurrent');
      databases.push(url);
      expect(sqlMigrateUp(migrationsDir, url)).toMatch(/Applied 2 migrations/);
      await expectSameSchema(url, await schemaAt(source, v2, databases));
    } finally {
      for (const url of databases) await dropTestDatabase(url);
      repo.remove();
    }
  });
});

describe('create from a build command (SQLAlchemy)', () => {
  let repo: TestRepo;
  let migrationsDir: string;
  const source = (r: TestRepo): SchemaSource => ({
    repoDir: r.dir,
    schemaDir: 'db',
    command: '/usr/bin/python3 create_all.py',
  });

  beforeEach(() => {
    repo = makeTestRepo();
    repo.commit('models v1', { 'db/models.py': MODELS_V1, 'db/create_all.py': CREATE_ALL, 'migrations/.gitkeep': '' });
    migrationsDir = join(repo.dir, 'migrations');
  });
  afterEach(() => repo.remove());

  it('creates the first and the next migration, and a change that leaves the schema alone is a no-op', async () => {
    const one = created(await createMigration({ source: source(repo), migrationsDir, ...shadow() }));
    expect(one).toMatchObject({ version: 1, name: 'create_users' });
    const v2 = repo.commit('models v2', { 'db/models.py': MODELS_V2 });
    const two = created(await createMigration({ source: source(repo), migrationsDir, ...shadow(), name: 'Invoices!' }));
    expect(two).toMatchObject({ version: 2, name: 'invoices', baseSha: one.goalSha, goalSha: v2 });
    expect(two.files[0]).toBe(join(migrationsDir, '0002_invoices.sql'));
    expect(two.upSql).toMatch(/CREATE TABLE "public"\."invoices"/);
    expect(two.upSql).toMatch(/CREATE INDEX ix_invoices_user_id ON public\.invoices/);
    expect(two.hazards).toEqual([]); // an index on a new table blocks nobody

    repo.commit('a comment in the models', { 'db/models.py': `# the billing models\n${MODELS_V2}` });
    const same = await createMigration({ source: source(repo), migrationsDir, ...shadow() });
    expect(same).toMatchObject({
      outcome: 'no-op',
      reason: expect.stringMatching(/^the schema at .* is the same as at /),
    });
    expect(readdirSync(migrationsDir).sort()).toEqual([
      '.gitkeep',
      '0001.json',
      '0001_create_users.sql',
      '0002.json',
      '0002_invoices.sql',
    ]);
  });

  it('a failing build command is a ConfigurationError naming the command, the commit and the output; nothing is left behind', async () => {
    created(await createMigration({ source: source(repo), migrationsDir, ...shadow() }));
    const broken = repo.commit('broken models', {
      'db/models.py': `${MODELS_V2}\nraise RuntimeError("models are broken here")\n`,
    });
    const logger = memoryLogger();
    const error = await createMigration({ source: source(repo), migrationsDir, ...shadow(), logger }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    const message = (error as Error).message;
    expect(message).toContain(
      `schema build command failed with exit code 1 at commit ${broken.slice(0, 7)}: /usr/bin/python3 create_all.py`,
    );
    expect(message).toContain('RuntimeError: models are broken here');
    expect(message).not.toContain(new URL(adminUrl()).password);
    expect(readdirSync(migrationsDir).sort()).toEqual(['.gitkeep', '0001.json', '0001_create_users.sql']);
    // Both shadow databases are gone: the shadow server was closed.
    const names = [...logger.lines.join('\n').matchAll(/into [^/\s]+\/(db_migrate_tmp_\w+)/g)].map((m) => m[1]!);
    expect(names.length).toBe(2);
    const left = await query(adminUrl(), 'SELECT datname FROM pg_database WHERE datname = ANY($1)', [names]);
    expect(left).toEqual([]);
  });
});

describe('create refuses what it cannot work from', () => {
  let repo: TestRepo;
  beforeEach(() => {
    repo = makeTestRepo();
    repo.commit('schema', { 'schema/01_types.sql': TYPES_V1, 'schema/02_tables.sql': TABLES_V1 });
  });
  afterEach(() => repo.remove());

  const attempt = (migrationsDir: string, extra: object = {}): Promise<Error> =>
    createMigration({ source: sqlSource(repo), migrationsDir, ...shadow(), ...extra }).then(
      (outcome) => {
        throw new Error(`expected a refusal, got ${outcome.outcome}`);
      },
      (error: unknown) => error as Error,
    );

  it('a missing migrations directory', async () => {
    const error = await attempt(join(repo.dir, 'nope'));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toBe(`migrations directory ${join(repo.dir, 'nope')} does not exist`);
  });

  it('a migration file sql-migrate would misread, named with its line', async () => {
    const dir = join(repo.dir, 'migrations');
    mkdirSync(dir);
    writeFileSync(join(dir, '0001_bad.sql'), '-- +migrate Up\nCREATE TABLE t (id int)\n');
    const error = await attempt(dir);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(/0001_bad\.sql line 2: the statement starting here is not terminated/);
  });

  it('a latest migration without a goal_sha, and a goal_sha the repository does not have', async () => {
    const dir = join(repo.dir, 'migrations');
    mkdirSync(dir);
    writeFileSync(join(dir, '0001_by_hand.sql'), '-- +migrate Up\nCREATE TABLE t (id int);\n');
    const noMetadata = await attempt(dir);
    expect(noMetadata).toBeInstanceOf(ConfigurationError);
    expect(noMetadata.message).toMatch(
      /0001_by_hand\.sql is the latest migration but it has no metadata file 0001\.json.*adopt them as they are.*"goal_sha": "<sha>"/,
    );
    // What would fix it, as data: the CLI words it as `db-migrate adopt --dir ...`, an action as its own step.
    expect((noMetadata as ConfigurationError).remedies).toEqual([
      expect.objectContaining({ kind: 'command', command: 'adopt' }),
    ]);

    writeFileSync(join(dir, '0001.json'), JSON.stringify({ version: 1, name: 'by_hand', goal_sha: 'a'.repeat(40) }));
    const unknown = await attempt(dir);
    expect(unknown).toBeInstanceOf(ConfigurationError);
    expect(unknown.message).toMatch(/^goal_sha of .*0001\.json: unknown commit "a{40}"/);
    expect(existsSync(join(dir, '0002.json'))).toBe(false);
  });

  it('an unknown goal ref', async () => {
    mkdirSync(join(repo.dir, 'migrations'));
    const error = await attempt(join(repo.dir, 'migrations'), { goal: 'no-such-branch' });
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(/unknown commit "no-such-branch"/);
  });
});
