import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminUrl, query, publicTables } from '../../../test/support/pg';
import { caught } from '../../../test/support/rejection';
import { ConfigurationError } from '../src/errors';
import { silentLogger } from '../src/logger';
import { memoryLogger } from '../../../test/support/logger';
import { processStopped } from '../../../test/support/processes';
import { scaled } from '../../../test/support/time';
import { createAllScript, sqlalchemyModels } from '../../../test/support/sqlalchemy';
import {
  buildSchemaAt,
  describeSchemaSource,
  materializeSchemaSource,
  schemaSourceChanges,
  validateSchemaSource,
  type SchemaSource,
} from '../src/schema-source';
import { lineAtPosition } from '../src/schema-source/sql-files';
import { openShadowServer, type ShadowServer } from '../src/shadow';
import { makeTestRepo, type TestRepo } from './git-fixture';

const PYTHON = '/usr/bin/python3';

// A SQLAlchemy project: models in a package at the repository root, the build script in db/.
const modelsV1 = sqlalchemyModels({ uniqueEmail: true });
const modelsV2 = sqlalchemyModels({ uniqueEmail: true, second: { className: 'Order', table: 'orders' } });
const createAll = createAllScript('app.models', true);

async function columns(url: string, table: string): Promise<string[]> {
  const rows = await query<{ c: string }>(
    url,
    `select column_name as c from information_schema.columns where table_name = $1 order by ordinal_position`,
    [table],
  );
  return rows.map((row) => row.c);
}

describe('building the schema at a commit', () => {
  let repo: TestRepo;
  let server: ShadowServer;
  let v1: string;
  let v2: string;
  let scratch: string;

  beforeAll(async () => {
    server = await openShadowServer(adminUrl(), { postgresVersion: 15, logger: silentLogger });
    repo = makeTestRepo();
    v1 = repo.commit('v1', {
      'app/__init__.py': '',
      'app/models.py': modelsV1,
      'db/create_all.py': createAll,
      'sql/schema.sql': 'create table accounts (id int primary key);\n',
      'sql/seed.sql': 'insert into accounts values (1);\n',
    });
    v2 = repo.commit('v2', {
      'app/models.py': modelsV2,
      'sql/schema.sql':
        'create table accounts (id int primary key, name text);\n\ncreate index accounts_name on accounts (name);\n',
      'sql/broken.sql': 'create table ok1 (id int);\ncreate table ok2 (id int);\ncreate tabel nope (id int);\n',
    });
    // Uncommitted work in the user's checkout, which no build may disturb.
    writeFileSync(join(repo.dir, 'app', 'models.py'), modelsV2 + '\n# work in progress\n');
    writeFileSync(join(repo.dir, 'notes.txt'), 'untracked\n');
  });
  afterAll(async () => {
    await server.close();
    repo.remove();
  });
  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'db-migrate-test-scratch-'));
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  const checkoutState = () => ({
    head: repo.git('rev-parse', 'HEAD'),
    branch: repo.git('branch', '--show-current'),
    status: repo.git('status', '--porcelain'),
    worktrees: repo.git('worktree', 'list'),
  });

  it('runs a SQLAlchemy create_all at two commits, from a copy, leaving the checkout untouched', async () => {
    const before = checkoutState();
    const record = join(scratch, 'where');
    const source: SchemaSource = {
      repoDir: repo.dir,
      schemaDir: 'db',
      command: `pwd > '${record}' && ${PYTHON} create_all.py`,
    };
    const base = await server.createDatabase();
    const goal = await server.createDatabase();
    const logger = memoryLogger();

    const builtBase = await buildSchemaAt(source, v1, base, { logger });
    const copyDir = readFileSync(record, 'utf8').trim();
    const builtGoal = await buildSchemaAt(source, 'main', goal, { logger });

    expect(builtBase.sha).toBe(v1);
    expect(builtGoal.sha).toBe(v2);
    expect(builtGoal.durationMs).toEqual(expect.any(Number));
    expect(await publicTables(base.url)).toEqual(['users']);
    expect(await publicTables(goal.url)).toEqual(['orders', 'users']);
    expect(await columns(goal.url, 'users')).toEqual(['id', 'email']);
    // The command ran in the copied schema directory, which is gone afterwards.
    expect(copyDir.endsWith('/db')).toBe(true);
    expect(copyDir.startsWith(repo.dir)).toBe(false);
    expect(existsSync(copyDir)).toBe(false);
    expect(checkoutState()).toEqual(before);
    expect(logger.lines.join('\n')).toContain(`building the schema at ${v2.slice(0, 7)} (main) into`);
  });

  it('gives the command DATABASE_URL and libpq variables for the shadow database only', async () => {
    const db = await server.createDatabase();
    const saved = { PGDATABASE: process.env.PGDATABASE, INPUT_TOKEN: process.env['INPUT_GITHUB-TOKEN'] };
    process.env.PGDATABASE = 'postgres';
    process.env['INPUT_GITHUB-TOKEN'] = 'ghs_secret_token';
    try {
      const record = join(scratch, 'env');
      // psql reads PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE; `env` shows what else leaked in.
      const command = `env > '${record}' && psql -X -q -v ON_ERROR_STOP=1 -f schema.sql`;
      await buildSchemaAt({ repoDir: repo.dir, schemaDir: 'sql', command }, v1, db, { logger: silentLogger });
      expect(await publicTables(db.url)).toEqual(['accounts']);
      const env = readFileSync(record, 'utf8');
      expect(env).toContain(`PGDATABASE=${db.name}\n`);
      expect(env).toContain(`DB_MIGRATE_COMMIT=${v1}\n`);
      expect(env).toMatch(/^DATABASE_URL=postgresql:\/\//m);
      expect(env).not.toContain('ghs_secret_token');
    } finally {
      for (const [key, value] of Object.entries({
        PGDATABASE: saved.PGDATABASE,
        'INPUT_GITHUB-TOKEN': saved.INPUT_TOKEN,
      })) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it("keeps the runner's tokens and workflow-command files from the command: it may be a pull request's code", async () => {
    // A JavaScript action's environment holds the runner's tokens (cache, OIDC) and the files through which a
    // step sets outputs and later steps' environment; the schema build needs none of them.
    const db = await server.createDatabase();
    const runner = {
      ACTIONS_RUNTIME_TOKEN: 'runtime_secret',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc_secret',
      ACTIONS_ID_TOKEN_REQUEST_URL: 'https://oidc.example/token',
      GITHUB_TOKEN: 'ghs_env_token',
      GITHUB_ENV: join(scratch, 'github_env'),
      GITHUB_OUTPUT: join(scratch, 'github_output'),
      GITHUB_PATH: join(scratch, 'github_path'),
      GITHUB_STATE: join(scratch, 'github_state'),
      GITHUB_STEP_SUMMARY: join(scratch, 'github_summary'),
    };
    const saved = Object.fromEntries(Object.keys(runner).map((key) => [key, process.env[key]]));
    Object.assign(process.env, runner);
    try {
      const record = join(scratch, 'env');
      await buildSchemaAt({ repoDir: repo.dir, schemaDir: 'sql', command: `env > '${record}'` }, v1, db, {
        logger: silentLogger,
      });
      const env = readFileSync(record, 'utf8');
      for (const [key, value] of Object.entries(runner)) {
        expect(env).not.toContain(`${key}=`);
        expect(env).not.toContain(value);
      }
      expect(env).toMatch(/^PATH=/m);
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('hands SQLAlchemy a postgresql:// URL even when the database URL says postgres://', async () => {
    const db = await server.createDatabase();
    const legacy = { url: db.url.replace(/^postgresql:/, 'postgres:') };
    await buildSchemaAt({ repoDir: repo.dir, schemaDir: 'db', command: `${PYTHON} create_all.py` }, v1, legacy, {
      logger: silentLogger,
    });
    expect(await publicTables(db.url)).toEqual(['users']);
  });

  it('loads SQL files in order at each commit', async () => {
    const base = await server.createDatabase();
    const goal = await server.createDatabase();
    const source: SchemaSource = { repoDir: repo.dir, schemaDir: 'sql', sqlFiles: ['schema.sql', 'seed.sql'] };
    expect((await buildSchemaAt(source, v1, base, { logger: silentLogger })).sha).toBe(v1);
    expect((await buildSchemaAt(source, v2, goal, { logger: silentLogger })).sha).toBe(v2);
    expect(await columns(base.url, 'accounts')).toEqual(['id']);
    expect(await columns(goal.url, 'accounts')).toEqual(['id', 'name']);
    expect(await query(goal.url, 'select id from accounts')).toEqual([{ id: 1 }]);
    const indexes = await query(goal.url, `select indexname from pg_indexes where tablename = 'accounts' order by 1`);
    expect(indexes).toEqual([{ indexname: 'accounts_name' }, { indexname: 'accounts_pkey' }]);
  });

  it('names the file, line and commit of a failing SQL file, and a file missing at the commit', async () => {
    const db = await server.createDatabase();
    const error = await caught(
      buildSchemaAt({ repoDir: repo.dir, schemaDir: 'sql', sqlFiles: ['broken.sql'] }, 'main', db, {
        logger: silentLogger,
      }),
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toBe(`sql/broken.sql:3 (commit ${v2.slice(0, 7)} (main)): syntax error at or near "tabel"`);
    // The file is one query: nothing of it stays.
    expect(await publicTables(db.url)).toEqual([]);

    // A file added after the commit is absent there (#15): the rest builds, and a notice says so.
    const older = await server.createDatabase();
    const logger = memoryLogger();
    await buildSchemaAt({ repoDir: repo.dir, schemaDir: 'sql', sqlFiles: ['schema.sql', 'broken.sql'] }, v1, older, {
      logger,
    });
    expect(logger.lines).toContain(
      `schema SQL broken.sql names no file at commit ${v1.slice(0, 7)}: treated as absent`,
    );
    expect(await publicTables(older.url)).not.toEqual([]);
    // One that exists at no commit built nor at HEAD is a typo.
    const typo = await caught(
      buildSchemaAt({ repoDir: repo.dir, schemaDir: 'sql', sqlFiles: ['schema.sql', 'brokn.sql'] }, v1, db, {
        logger: silentLogger,
      }),
    );
    expect(typo).toBeInstanceOf(ConfigurationError);
    expect(typo.message).toMatch(/^SQL file sql\/brokn\.sql does not exist at commit [0-9a-f]{7} nor at HEAD/);
  });

  it('reports a failing build command with the command, the commit, the exit code and the tail of its output', async () => {
    const db = await server.createDatabase();
    const password = decodeURIComponent(new URL(db.url).password);
    const record = join(scratch, 'where');
    const command = `pwd > '${record}'; for i in $(seq 1 60); do echo "line $i"; done; echo "url $DATABASE_URL pw $PGPASSWORD" >&2; exit 3`;
    const error = await caught(
      buildSchemaAt({ repoDir: repo.dir, schemaDir: 'db', command }, 'main', db, { logger: silentLogger }),
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    const message = error.message;
    expect(message.split('\n')[0]).toBe(
      `schema build command failed with exit code 3 at commit ${v2.slice(0, 7)} (main): ${command}`,
    );
    expect(message).toContain('last 40 lines of its output:');
    expect(message).toContain('line 60');
    expect(message).toContain('line 22\n');
    expect(message).not.toContain('line 21\n');
    expect(message).toMatch(/url postgresql:\/\/\*\*\*@127\.0\.0\.1:\d+\/db_migrate_tmp_[0-9a-f]+ pw \*\*\*/);
    expect(message).not.toContain(password);
    expect(existsSync(readFileSync(record, 'utf8').trim())).toBe(false);
  });

  it('stops a build command that runs too long, with everything it started', async () => {
    const db = await server.createDatabase();
    const pidFile = join(scratch, 'pid');
    const command = `sleep 100000 & echo $! > '${pidFile}'; wait`;
    const limitMs = scaled(700); // room for the shell to start the sleep and write its pid first
    const error = await caught(
      buildSchemaAt({ repoDir: repo.dir, schemaDir: 'db', command }, v1, db, {
        logger: silentLogger,
        timeoutMs: limitMs,
      }),
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(
      /^schema build command timed out after [\d.]+ (ms|s) at commit [0-9a-f]{7}.*: sleep 100000 & echo .*\nits limit is [\d.]+ (ms|s); it was stopped with every process it started/,
    );
    expect((error as ConfigurationError).remedies).toEqual([
      { kind: 'option', option: 'buildTimeout', change: 'raise' },
    ]);
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    expect(['gone', 'Z']).toContain(await processStopped(pid));
  });

  it('a Python build that cannot import from the repository root is told how: PYTHONPATH="$DB_MIGRATE_REPO_ROOT"', async () => {
    // The command runs in a copy of db/ at the commit; the models live in app/ at the repository root.
    const db = await server.createDatabase();
    const importModels = `${PYTHON} -c "from app.models import Base"`;
    const error = await caught(
      buildSchemaAt({ repoDir: repo.dir, schemaDir: 'db', command: importModels }, v1, db, { logger: silentLogger }),
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain("No module named 'app'");
    expect(error.message).toContain(
      'the command runs in a copy of db at the commit; to import from the repository root, set PYTHONPATH="$DB_MIGRATE_REPO_ROOT"',
    );
    // Following the hint works.
    await buildSchemaAt(
      { repoDir: repo.dir, schemaDir: 'db', command: `PYTHONPATH="$DB_MIGRATE_REPO_ROOT" ${importModels}` },
      v1,
      db,
      { logger: silentLogger },
    );
  });

  it(
    'finishes when the command exits, stopping what it left running in the background',
    async () => {
      // A build that starts a helper (a log shipper, a dev server) and exits: the helper holds the output
      // pipes open and never ends, so waiting for the pipes would last until the build timeout rejects.
      const db = await server.createDatabase();
      const pidFile = join(scratch, 'background-pid');
      const command = `sleep 100000 & echo $! > '${pidFile}'; echo built`;
      const logger = memoryLogger();
      await expect(
        buildSchemaAt({ repoDir: repo.dir, schemaDir: 'db', command }, v1, db, { logger, timeoutMs: scaled(20_000) }),
      ).resolves.toBeDefined();
      expect(logger.lines).toContain(
        `warning: the schema build command at commit ${v1.slice(0, 7)} left processes running in the background: they were stopped`,
      );
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      expect(['gone', 'Z']).toContain(await processStopped(pid));
    },
    scaled(60_000),
  );

  it('builds nothing for the empty schema', async () => {
    const db = await server.createDatabase();
    const source: SchemaSource = { repoDir: repo.dir, schemaDir: 'sql', sqlFiles: ['schema.sql'] };
    expect(await buildSchemaAt(source, null, db, { logger: silentLogger })).toEqual({ sha: null, durationMs: 0 });
    expect(await buildSchemaAt(source, 'empty', db, { logger: silentLogger })).toEqual({ sha: null, durationMs: 0 });
    expect(await publicTables(db.url)).toEqual([]);
  });

  it('refuses unknown commits, a schema directory absent at the commit, and bad sources', async () => {
    const db = await server.createDatabase();
    const unknown = await caught(
      buildSchemaAt({ repoDir: repo.dir, schemaDir: 'db', command: 'true' }, 'no-such-ref', db, {
        logger: silentLogger,
      }),
    );
    expect(unknown).toBeInstanceOf(ConfigurationError);
    expect(unknown.message).toBe(`unknown commit "no-such-ref" in ${repo.dir}`);
    const absent = await caught(
      buildSchemaAt({ repoDir: repo.dir, schemaDir: 'schema', command: 'true' }, v1, db, { logger: silentLogger }),
    );
    expect(absent.message).toBe(`schema directory "schema" does not exist at commit ${v1.slice(0, 7)} in ${repo.dir}`);

    expect(() => validateSchemaSource({ repoDir: repo.dir, schemaDir: '../elsewhere', command: 'true' })).toThrow(
      /schema directory "..\/elsewhere" must be a relative path inside the repository/,
    );
    expect(() =>
      validateSchemaSource({ repoDir: repo.dir, schemaDir: 'db', command: 'true', sqlFiles: ['a.sql'] }),
    ).toThrow(/not both/);
    expect(() => validateSchemaSource({ repoDir: repo.dir, schemaDir: 'db', sqlFiles: [] })).toThrow(
      /give a build command or a list of SQL files/,
    );
    expect(validateSchemaSource({ repoDir: repo.dir, schemaDir: './db/', command: ' make ' })).toEqual({
      repoDir: repo.dir,
      schemaDir: 'db',
      command: 'make',
    });
  });

  it('copies the whole tree for a command, only the schema directory for SQL files', async () => {
    const forCommand = await materializeSchemaSource({ repoDir: repo.dir, schemaDir: 'db', command: 'true' }, v2);
    const forFiles = await materializeSchemaSource(
      { repoDir: repo.dir, schemaDir: 'sql', sqlFiles: ['schema.sql'] },
      v2,
    );
    try {
      expect(forCommand.dir).toBe(join(forCommand.root, 'db'));
      expect(readFileSync(join(forCommand.root, 'app', 'models.py'), 'utf8')).toBe(modelsV2);
      expect(existsSync(join(forFiles.dir, 'schema.sql'))).toBe(true);
      expect(existsSync(join(forFiles.root, 'app'))).toBe(false);
    } finally {
      await forCommand.cleanup();
      await forFiles.cleanup();
    }
    expect(existsSync(forCommand.root)).toBe(false);
    expect(existsSync(forFiles.root)).toBe(false);
  });

  it('tells whether the schema source changed between two commits', async () => {
    const sqlSource: SchemaSource = { repoDir: repo.dir, schemaDir: 'sql', sqlFiles: ['schema.sql'] };
    expect(await schemaSourceChanges(sqlSource, v1, v2)).toEqual(['sql/broken.sql', 'sql/schema.sql']);
    expect(await schemaSourceChanges({ repoDir: repo.dir, schemaDir: 'db', command: 'x' }, v1, v2)).toEqual([]);
    expect(await schemaSourceChanges(sqlSource, null, v1)).toEqual(['sql/schema.sql', 'sql/seed.sql']);
  });

  it('describes a source in one line', () => {
    expect(describeSchemaSource({ repoDir: repo.dir, schemaDir: 'db', command: 'python -m db.create_all' })).toBe(
      'command: python -m db.create_all (dir db)',
    );
    expect(describeSchemaSource({ repoDir: repo.dir, schemaDir: 'sql', sqlFiles: ['a.sql', 'b.sql'] })).toBe(
      'sql files: a.sql, b.sql (dir sql)',
    );
  });

  it('finds the line of a character position', () => {
    expect(lineAtPosition('a\nb\nc', 1)).toBe(1);
    expect(lineAtPosition('a\nb\nc', 3)).toBe(2);
    expect(lineAtPosition('a\nb\nc', 5)).toBe(3);
  });
});
