/**
 * `db-migrate init`'s detection on repositories laid out unlike the example: Alembic in a monorepo
 * subdirectory with Poetry, uv with a src/ package, Django with requirements/base.txt, a directory of SQL
 * files, a package.json script, the default branch from origin's HEAD; and what it cannot detect becomes
 * a TODO in the workflows (a schema build that fails the job, saying what to set), never a silent guess.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';
import { sqlalchemyModels } from '../../../test/support/sqlalchemy';
import { detectLayout, initRepository, SCHEMA_TODO_COMMAND } from '../src/init';
import { makeTestRepo, type TestRepo } from './git-fixture';

const repos: TestRepo[] = [];
const urls: string[] = [];
afterAll(async () => {
  for (const repo of repos) repo.remove();
  await Promise.all(urls.map(dropTestDatabase));
});

function repoWith(files: Record<string, string>): TestRepo {
  const repo = makeTestRepo();
  repos.push(repo);
  repo.commit('the application', files);
  return repo;
}

const ALEMBIC_ENV = `from logging.config import fileConfig

from alembic import context
from sqlalchemy import engine_from_config, pool

from app.db.base import Base  # noqa: every model is imported there

config = context.config
target_metadata = Base.metadata


def run_migrations_online():
    pass
`;

it('Alembic in a monorepo subdirectory with Poetry: the models env.py names, built from where they import, installed by Poetry', async () => {
  const repo = repoWith({
    'services/api/alembic.ini': '[alembic]\nscript_location = alembic\n',
    'services/api/alembic/env.py': ALEMBIC_ENV,
    'services/api/alembic/versions/0001_init.py': '"""init"""\n',
    'services/api/app/__init__.py': '',
    'services/api/app/db/__init__.py': '',
    'services/api/app/db/base.py': sqlalchemyModels({ second: { className: 'Order', table: 'orders' } }),
    'services/api/pyproject.toml': '[tool.poetry]\nname = "api"\n\n[tool.poetry.dependencies]\nsqlalchemy = "^1.4"\n',
    'services/api/poetry.lock': '',
    'web/package.json': '{"name": "web"}',
  });
  const layout = await detectLayout(repo.dir);
  expect(layout).toMatchObject({
    schemaDir: 'services/api',
    runtime: 'python',
    install: {
      command:
        'cd services/api && pipx install poetry && poetry config virtualenvs.create false && poetry install --no-root',
    },
    todos: [],
  });
  expect(layout.schemaCommand).toBe(
    `python3 -c "import os, sqlalchemy; from app.db.base import Base; Base.metadata.create_all(sqlalchemy.create_engine(os.environ['DATABASE_URL']))"`,
  );
  expect(layout.findings).toContainEqual(
    expect.stringContaining('services/api/alembic/env.py (Alembic: target_metadata = Base.metadata, from app.db.base)'),
  );
  // The command builds what Alembic's autogenerate compares against, run where the workflow runs it.
  const url = await createTestDatabase('init_alembic');
  urls.push(url);
  execFileSync('sh', ['-c', layout.schemaCommand!.replace(/^python3 /, '/usr/bin/python3 ')], {
    cwd: join(repo.dir, layout.schemaDir),
    env: { ...process.env, DATABASE_URL: url.replace(/^postgres:/, 'postgresql:') },
  });
  const tables = await query<{ t: string }>(
    url,
    "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
  );
  expect(tables.map((r) => r.t)).toEqual(['orders', 'users']);
});

it('uv with a src/ package, Django with requirements/base.txt, SQL files in a directory, a package.json script', async () => {
  const uv = await detectLayout(
    repoWith({
      'pyproject.toml': '[project]\nname = "shop"\ndependencies = ["sqlalchemy"]\n',
      'uv.lock': 'version = 1\n',
      'src/shop/__init__.py': sqlalchemyModels(),
      'src/shop/create_all.py': 'pass\n',
    }).dir,
  );
  expect(uv).toMatchObject({
    schemaDir: 'src',
    schemaCommand: 'python3 -m shop.create_all',
    install: {
      command:
        'pip install uv && uv export --frozen --no-hashes --no-emit-project -o /tmp/requirements.txt && uv pip install --system -r /tmp/requirements.txt',
    },
  });

  const django = await detectLayout(
    repoWith({
      'backend/manage.py': 'import django\n',
      'backend/requirements/base.txt': 'django\npsycopg2-binary\n',
      'backend/shop/migrations/0001_initial.py': '',
      'frontend/package.json': '{"name": "frontend", "scripts": {"build": "vite build"}}',
    }).dir,
  );
  expect(django).toMatchObject({
    schemaDir: 'backend',
    schemaCommand: 'python3 manage.py migrate --no-input -v 0',
    install: { command: 'pip install -r backend/requirements/base.txt' },
    // Django's own migrations are Python: not taken for the SQL migrations directory.
    migrationsDir: 'migrations',
  });

  const sqlDir = await detectLayout(
    repoWith({
      'database/sql/010_tables.sql': 'CREATE TABLE t (id int);\n',
      'database/sql/020_views.sql': 'CREATE VIEW v AS SELECT id FROM t;\n',
      'database/migrations/0001_init.sql': '-- +migrate Up\nCREATE TABLE t (id int);\n',
    }).dir,
  );
  expect(sqlDir).toMatchObject({
    schemaDir: 'database/sql',
    schemaSql: ['010_tables.sql', '020_views.sql'],
    migrationsDir: 'database/migrations',
    todos: [],
  });
  expect(sqlDir.findings).toContain('dependencies: none needed (the schema is SQL)');

  const script = await detectLayout(
    repoWith({
      'pnpm-lock.yaml': 'lockfileVersion: 9.0\n',
      'packages/db/package.json': JSON.stringify({
        name: 'db',
        scripts: { 'db:schema': 'psql "$DATABASE_URL" -f tables.sql' },
      }),
      'packages/db/tables.sql': 'CREATE TABLE t (id int);\n',
    }).dir,
  );
  expect(script).toMatchObject({
    schemaDir: 'packages/db',
    schemaCommand: 'npm run --silent db:schema',
    runtime: 'node',
    install: { command: 'corepack enable && pnpm install --frozen-lockfile' },
  });
});

it("the default branch is origin's HEAD", async () => {
  const origin = repoWith({ 'schema.sql': 'CREATE TABLE t (id int);\n' });
  origin.git('branch', '-m', 'trunk');
  const root = mkdtempSync(join(tmpdir(), 'db-migrate-init-clone-'));
  try {
    execFileSync('git', ['clone', '--quiet', origin.dir, join(root, 'clone')]);
    execFileSync('git', ['-C', join(root, 'clone'), 'checkout', '--quiet', '-b', 'feature']);
    const layout = await detectLayout(join(root, 'clone'));
    expect([layout.defaultBranch, layout.todos]).toEqual(['trunk', []]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

it('what it cannot detect is a TODO in the workflows, and the schema build it writes fails the job saying what to set', async () => {
  const repo = repoWith({ 'README.md': '# an application\n', 'app/models.py': 'from sqlalchemy import Column\n' });
  repo.git('checkout', '--quiet', '--detach');
  repo.git('branch', '-m', 'main', 'old-main');
  const result = await initRepository(repo.dir, {}, { actions: 'acme/db-migrate', version: 'v1', dryRun: true });
  expect(result.layout.todos.map((t) => t.about)).toEqual(['schema', 'branch']);
  expect(result.layout.schemaCommand).toBe(SCHEMA_TODO_COMMAND);
  const create = result.files.find((f) => f.path.endsWith('db-migrate-create.yml'))!.text;
  expect(create).toMatch(/^# TODO\(db-migrate init\): the schema build: none found/m);
  expect(create).toMatch(
    /^ {10}# TODO\(db-migrate init\): the schema build: none found.*\n {10}schema-dir: \.\n {10}schema-command: /m,
  );
  expect(create).toMatch(/^# TODO\(db-migrate init\): the default branch: none found/m);
  // The command the workflow runs, run: it fails, and says why.
  let failure: { status?: number; stderr?: Buffer } = {};
  try {
    execFileSync('sh', ['-c', SCHEMA_TODO_COMMAND], { stdio: 'pipe' });
  } catch (error) {
    failure = error as typeof failure;
  }
  expect(failure.status).toBe(1);
  expect(String(failure.stderr)).toContain('db-migrate init found no schema build: set schema-dir and schema-command');
});

it('a Python build with no dependency file found is a TODO, never assumed installed', async () => {
  const repo = repoWith({ 'models/shop/__init__.py': sqlalchemyModels(), 'models/shop/create_all.py': 'pass\n' });
  const layout = await detectLayout(repo.dir);
  expect(layout.todos).toEqual([expect.objectContaining({ about: 'dependencies' })]);
  const result = await initRepository(repo.dir, {}, { actions: 'acme/db-migrate', version: 'v1', dryRun: true });
  const verify = result.files.find((f) => f.path.endsWith('db-migrate-verify.yml'))!.text;
  expect(verify).toMatch(
    /^ {6}# TODO\(db-migrate init\): the install of what the schema build needs: no requirements\.txt/m,
  );
});
