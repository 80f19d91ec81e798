/**
 * Adopting a sql-migrate history as it is: timestamped files applied by the real sql-migrate binary to
 * two client databases, then db-migrate status, adopt, create, verify, apply and revert a change, with no
 * edit of any database's bookkeeping; and sql-migrate still reads and applies db-migrate's new file.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminUrl, createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';
import { makeTestRepo, type TestRepo } from '../../core/test/git-fixture';
import { cli, fleetArgs } from '../../../test/support/cli';

const SQL_MIGRATE = '/usr/bin/sql-migrate';
const DIR = 'db/migrations';

const HISTORY: Record<string, string> = {
  // What `sql-migrate new` writes: a timestamp, a dash, the name.
  '20240110093000-init.sql':
    '-- +migrate Up\nCREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL);\n\n-- +migrate Down\nDROP TABLE customers;\n',
  '20240125120000-add_email.sql':
    '-- +migrate Up\nALTER TABLE customers ADD COLUMN email text;\n\n-- +migrate Down\nALTER TABLE customers DROP COLUMN email;\n',
  '20240214100000-orders.sql':
    '-- +migrate Up\nCREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers (id), total numeric(12,2) NOT NULL);\n\n' +
    '-- +migrate Down\nDROP TABLE orders;\n',
};
const SCHEMA_V1 =
  'CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL, email text);\n' +
  'CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers (id), total numeric(12,2) NOT NULL);\n';

let repo: TestRepo;
let cwd: string;
let clients: string[] = [];

function sqlMigrate(url: string, ...args: string[]): string {
  const [command, ...rest] = args;
  const result = spawnSync(SQL_MIGRATE, [command, `-config=${join(repo.dir, 'dbconfig.yml')}`, '-env=test', ...rest], {
    // The datasource comes from the environment (sql-migrate expands it): no password on disk.
    env: { ...process.env, DB_MIGRATE_TEST_DSN: `${url}?sslmode=disable` },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`sql-migrate ${args.join(' ')} failed: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

async function gorpRows(url: string): Promise<{ id: string; applied_at: string }[]> {
  return query(url, 'SELECT id, applied_at::text AS applied_at FROM gorp_migrations ORDER BY id');
}

beforeEach(async () => {
  repo = makeTestRepo();
  writeFileSync(
    join(repo.dir, 'dbconfig.yml'),
    `test:\n  dialect: postgres\n  datasource: \${DB_MIGRATE_TEST_DSN}\n  dir: ${join(repo.dir, DIR)}\n`,
  );
  repo.commit('schema and its sql-migrate history', {
    'schema/schema.sql': SCHEMA_V1,
    ...Object.fromEntries(Object.entries(HISTORY).map(([name, text]) => [`${DIR}/${name}`, text])),
  });
  clients = [await createTestDatabase('adopt_a'), await createTestDatabase('adopt_b')];
  cwd = process.cwd();
  process.chdir(repo.dir);
});
afterEach(async () => {
  process.chdir(cwd);
  for (const url of clients) await dropTestDatabase(url);
  repo.remove();
});

it('adopts a timestamped sql-migrate history as it is, then create, verify, apply and revert a change; sql-migrate still applies the new file', async () => {
  const [a, b] = clients;
  // sql-migrate built the fleet: client a at the latest file, client b one file behind.
  sqlMigrate(a, 'up');
  sqlMigrate(b, 'up', '-limit=2');
  const before = { a: await gorpRows(a), b: await gorpRows(b) };
  expect(before.a.map((r) => r.id)).toEqual(Object.keys(HISTORY));

  // Before adoption: the gaps between timestamps are refused, with the way out.
  const refused = await cli(['status', '--dir', DIR, '--database', a]);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain('db-migrate adopt --dir db/migrations --commit');

  const adopted = await cli(['adopt', '--dir', DIR, '--commit', 'HEAD', '--from', 'sql-migrate']);
  expect(adopted.stderr).toBe('');
  expect(adopted.code).toBe(0);
  expect(adopted.stdout).toContain('adopted 3 migrations (20240110093000-init.sql to 20240214100000-orders.sql)');
  const record = JSON.parse(readFileSync(join(DIR, 'db-migrate.json'), 'utf8'));
  expect(record).toMatchObject({
    adopted_through: '20240214100000-orders.sql',
    goal_sha: repo.git('rev-parse', 'HEAD'),
    from: 'sql-migrate',
  });
  // A second adopt is refused, the record left as it was.
  expect(await cli(['adopt', '--dir', DIR, '--commit', 'HEAD'])).toMatchObject({
    code: 1,
    stderr: expect.stringContaining('already adopted'),
  });
  repo.git('add', '--all');
  const adoptionCommit = repo.commit('adopt the sql-migrate history', {});

  const statusA = await cli(['status', '--dir', DIR, '--database', a]);
  expect(statusA.code).toBe(0);
  expect(statusA.stdout).toContain('at version 20240214100000, 0 pending');
  expect(statusA.stderr).not.toMatch(/metadata/);
  const statusB = await cli(['status', '--dir', DIR, '--database', b]);
  expect(statusB.stdout).toContain('at version 20240125120000, 1 pending');

  // A schema change: create continues at the latest number + 1, from the adopted commit.
  repo.commit('customers get a phone', {
    'schema/schema.sql': SCHEMA_V1.replace('email text', 'email text, phone text'),
  });
  const source = ['--schema-dir', 'schema', '--schema-sql', 'schema.sql', '--dir', DIR, '--shadow', adminUrl()];
  const created = await cli(['create', ...source]);
  expect(created.stderr).not.toMatch(/^error/m);
  expect(created.code).toBe(0);
  const newFiles = readdirSync(DIR).filter((f) => f.startsWith('20240214100001'));
  expect(newFiles.sort()).toEqual(['20240214100001.json', '20240214100001_add_customers_phone.sql']);
  const metadata = JSON.parse(readFileSync(join(DIR, '20240214100001.json'), 'utf8'));
  expect(metadata.base_sha).toBe(record.goal_sha);
  repo.git('add', '--all');
  repo.commit('the migration', {});

  const verified = await cli(['verify', ...source, '--base-ref', adoptionCommit]);
  expect(verified.stdout).toMatch(/Numbering: passed/);
  expect(verified.stdout).toMatch(/Consistency: passed/);
  expect(verified.code).toBe(0);

  // The fleet: b gets the adopted file it lacked and the new one; a gets the new one.
  const applied = await cli(['apply', ...fleetArgs(DIR, { a, b })]);
  expect(applied.stderr).not.toMatch(/^error/m);
  expect(applied.code).toBe(0);
  for (const url of [a, b]) {
    expect((await gorpRows(url)).map((r) => r.id)).toEqual([
      ...Object.keys(HISTORY),
      '20240214100001_add_customers_phone.sql',
    ]);
    expect(
      await query(
        url,
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'customers' AND column_name = 'phone'",
      ),
    ).toHaveLength(1);
  }
  // The rows sql-migrate wrote are untouched.
  expect((await gorpRows(a)).slice(0, 3)).toEqual(before.a);
  expect((await gorpRows(b)).slice(0, 2)).toEqual(before.b);

  // Revert the change on a through the fleet command.
  const reverted = await cli(['apply', ...fleetArgs(DIR, { a }), '--to', '20240214100000']);
  expect(reverted.code).toBe(0);
  expect(reverted.stdout).toMatch(/^a +\S+ +reverted +20240214100001 → 20240214100000 +reverted /m);
  expect((await gorpRows(a)).map((r) => r.id)).toEqual(Object.keys(HISTORY));
  expect(
    await query(a, "SELECT 1 FROM information_schema.columns WHERE table_name = 'customers' AND column_name = 'phone'"),
  ).toHaveLength(0);

  // The other direction: sql-migrate reads db-migrate's new file in the same order and applies it.
  expect(sqlMigrate(a, 'up')).toContain('Applied 1 migration');
  expect((await gorpRows(a)).map((r) => r.id)).toEqual((await gorpRows(b)).map((r) => r.id));
  expect(await cli(['status', '--dir', DIR, '--database', a])).toMatchObject({
    code: 0,
    stdout: expect.stringContaining('at version 20240214100001, 0 pending'),
  });
});

it('a new file after the adopted history must be numbered latest+1, and the message says so', async () => {
  expect((await cli(['adopt', '--dir', DIR, '--commit', 'HEAD'])).code).toBe(0);
  // What `sql-migrate new` would name it: a later timestamp.
  writeFileSync(
    join(DIR, '20240301080000-notes.sql'),
    '-- +migrate Up\nCREATE TABLE notes (id int);\n-- +migrate Down\nDROP TABLE notes;\n',
  );
  const refused = await cli(['status', '--dir', DIR, '--database', clients[0]]);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain('rename it 20240214100001_notes.sql');
});

it('a hand-written history without metadata: create explains goal_sha and how to adopt instead', async () => {
  repo.commit('hand-numbered', {
    [`${DIR}/20240110093000-init.sql`]: null,
    [`${DIR}/20240125120000-add_email.sql`]: null,
    [`${DIR}/20240214100000-orders.sql`]: null,
    [`${DIR}/0001_init.sql`]: HISTORY['20240110093000-init.sql'],
  });
  const created = await cli([
    'create',
    '--schema-dir',
    'schema',
    '--schema-sql',
    'schema.sql',
    '--dir',
    DIR,
    '--shadow',
    adminUrl(),
  ]);
  expect(created.code).toBe(1);
  expect(created.stderr).toContain(
    'goal_sha names the commit whose schema (models or SQL) equals what the migrations up to 0001_init.sql build',
  );
  expect(created.stderr).toContain('db-migrate adopt --dir db/migrations --commit');
  expect(created.stderr).toContain('{"version": 1, "name": "init", "goal_sha": "<sha>"}');
});
