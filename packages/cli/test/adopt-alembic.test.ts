/**
 * Adopting an Alembic-managed fleet as docs/adopting.md says: two client databases built by the real
 * `alembic upgrade head` from a hand-written revision, then the models-equal-production check
 * (`diff --exit-code`), the first migration from empty, a baseline, and a change created, verified,
 * applied and reverted; alembic_version and the clients' rows are never touched.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { adminUrl, createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';
import { makeTestRepo, type TestRepo } from '../../core/test/git-fixture';
import { cli, fleetArgs } from '../../../test/support/cli';

const PYTHON = '/usr/bin/python3';
const MODELS = (extra: string) => `from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Customer(Base):
    __tablename__ = "customers"
    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False)
${extra}`;
const CREATE_ALL =
  'import os\nfrom sqlalchemy import create_engine\nfrom models import Base\n\nBase.metadata.create_all(create_engine(os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)))\n';
const ENV_PY = `import os
from alembic import context
from sqlalchemy import create_engine

engine = create_engine(os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1))
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
`;
const REVISION = `from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("customers", sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(200), nullable=False))


def downgrade():
    op.drop_table("customers")
`;

let repo: TestRepo;
let cwd: string;
const clients: string[] = [];

function alembicUpgrade(url: string): void {
  const result = spawnSync(PYTHON, ['-m', 'alembic', '-c', 'alembic.ini', 'upgrade', 'head'], {
    cwd: repo.dir,
    env: { ...process.env, DATABASE_URL: url },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`alembic upgrade failed: ${result.stderr}`);
}

beforeAll(async () => {
  repo = makeTestRepo();
  repo.commit('an application on Alembic', {
    'app/models.py': MODELS(''),
    'app/create_all.py': CREATE_ALL,
    'alembic.ini': '[alembic]\nscript_location = alembic\n',
    'alembic/env.py': ENV_PY,
    'alembic/versions/0001_init.py': REVISION,
    'migrations/.gitkeep': '',
  });
  for (const name of ['alembic_a', 'alembic_b']) clients.push(await createTestDatabase(name));
  for (const url of clients) {
    alembicUpgrade(url);
    await query(url, "INSERT INTO customers (name) VALUES ('Ada'), ('Grace')");
  }
  cwd = process.cwd();
  process.chdir(repo.dir);
});
afterAll(async () => {
  process.chdir(cwd);
  for (const url of clients) await dropTestDatabase(url);
  repo.remove();
});

it('checks the models equal production, creates the first migration, baselines the fleet, then applies and reverts a change', async () => {
  const [a, b] = clients;
  const source = [
    '--schema-dir',
    'app',
    '--schema-command',
    `${PYTHON} create_all.py`,
    '--dir',
    'migrations',
    '--shadow',
    adminUrl(),
  ];
  const fleet = ['--dir', 'migrations', '--database', `a=${a}`, '--database', `b=${b}`, '--shadow', adminUrl()];

  // The models equal production: the models built into a scratch database, compared with each client.
  const scratch = await createTestDatabase('alembic_models');
  clients.push(scratch);
  expect(
    spawnSync(PYTHON, ['create_all.py'], { cwd: join(repo.dir, 'app'), env: { ...process.env, DATABASE_URL: scratch } })
      .status,
  ).toBe(0);
  for (const url of [a, b]) {
    const diff = await cli(['diff', '--exit-code', scratch, url]);
    expect(diff.stdout).toBe('');
    expect(diff.code).toBe(0);
    expect(diff.stderr).toContain('public.alembic_version'); // left out, and said so
  }

  // Before the baseline, up refuses to run the first migration over the existing tables, and says what to do.
  const created = await cli(['create', ...source]);
  expect(created.code).toBe(0);
  repo.git('add', '--all');
  repo.commit('migration 1 (the schema from empty)', {});
  const refused = await cli(['up', '--dir', 'migrations', '--database', a]);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain('adopt it with a baseline');
  expect(await query(a, "SELECT 1 FROM pg_namespace WHERE nspname = 'db_migrate'")).toHaveLength(0);

  const baselined = await cli(['baseline', ...fleet, '--to', '1']);
  expect(baselined.code).toBe(0);
  expect(baselined.stdout).toContain('2 targets: 2 baselined');

  // A change to the models: create, verify, apply to both, revert one.
  const base = repo.git('rev-parse', 'HEAD');
  repo.commit('customers get an email', { 'app/models.py': MODELS('    email = Column(String(320))\n') });
  expect((await cli(['create', ...source])).code).toBe(0);
  repo.git('add', '--all');
  repo.commit('migration 2', {});
  const verified = await cli(['verify', ...source, '--base-ref', base]);
  expect(verified.stdout).toMatch(/Consistency: passed/);
  expect(verified.code).toBe(0);
  const applied = await cli(['apply', ...fleet]);
  expect(applied.code).toBe(0);
  expect(applied.stdout).toContain('2 targets: 2 applied');
  const reverted = await cli(['apply', ...fleetArgs('migrations', { a }), '--to', '1']);
  expect(reverted.code).toBe(0);
  expect(reverted.stdout).toMatch(/^a +\S+ +reverted +2 → 1 /m);

  for (const url of [a, b]) {
    expect(await query(url, 'SELECT version_num FROM alembic_version')).toEqual([{ version_num: '0001' }]);
    expect(await query(url, 'SELECT name FROM customers ORDER BY id')).toEqual([{ name: 'Ada' }, { name: 'Grace' }]);
  }
  expect(
    await query(a, "SELECT 1 FROM information_schema.columns WHERE table_name = 'customers' AND column_name = 'email'"),
  ).toHaveLength(0);
  expect(
    await query(b, "SELECT 1 FROM information_schema.columns WHERE table_name = 'customers' AND column_name = 'email'"),
  ).toHaveLength(1);
});
