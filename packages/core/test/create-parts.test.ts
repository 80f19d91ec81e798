/**
 * create's parts are rehearsed by the applier itself (executeMigration under the migration lock), as the
 * files will run: a part that fails says which part and which statement, rolled back as a migration is,
 * and a part that runs leaves the copy recorded at its version, so the next part is the only one to run.
 */
import { Client } from 'pg';
import { adminUrl, query } from '../../../test/support/pg';
import { partChanges } from '../src/create/part-schemas';
import { readDataInventoryAt } from '../src/data-loss/measure';
import type { DiffStatement } from '../src/diff/types';
import { silentLogger } from '../src/logger';
import { openShadowServer, type ShadowServer } from '../src/shadow';

let server: ShadowServer;
beforeAll(async () => {
  server = await openShadowServer(adminUrl(), { postgresVersion: 15, logger: silentLogger });
});
afterAll(async () => {
  await server?.close();
});

const statement = (sql: string, transactional = true): DiffStatement => ({
  sql,
  object: { kind: 'index', name: 'public.t_a_idx' },
  action: 'create',
  destructive: false,
  hazards: [],
  transactional,
  step: 0,
});

async function databases(goalSql: string) {
  const base = await server.createDatabase();
  const goal = await server.createDatabase();
  await query(base.url, 'CREATE TABLE t (a int, b int)');
  await query(goal.url, `CREATE TABLE t (a int, b int); ${goalSql}`);
  return { base, goal, before: await readDataInventoryAt(base.url) };
}

test('a part that fails names its part and statement, and is rolled back as a migration is', async () => {
  const { base, goal, before } = await databases('CREATE TABLE u (id int); CREATE INDEX t_a_idx ON t (a)');
  const result = await partChanges({
    server,
    base,
    goal,
    before,
    renamesBack: [],
    parts: [
      {
        up: [statement('CREATE TABLE u (id int)'), statement('CREATE INDEX t_a_idx ON t (missing)')],
        outside: false,
        commitsEnumValues: false,
      },
      { up: [statement('CREATE INDEX CONCURRENTLY t_b_idx ON t (b)', false)], outside: true, commitsEnumValues: false },
    ],
  });
  expect(result).toEqual({
    failed: expect.stringMatching(
      /^part 1 of 2 did not run on a copy of the schema before it: .*part_1\.sql line \d+ \(up\) on .*: statement "CREATE INDEX t_a_idx ON t \(missing\);" failed: column "missing" does not exist; the migration was rolled back$/,
    ),
  });
});

test('parts that run reach the goal; each copy runs only its own part, recorded at its version', async () => {
  const { base, goal, before } = await databases('CREATE TABLE u (id int); CREATE INDEX t_b_idx ON t (b)');
  const result = await partChanges({
    server,
    base,
    goal,
    before,
    renamesBack: [],
    parts: [
      { up: [statement('CREATE TABLE u (id int)')], outside: false, commitsEnumValues: false },
      { up: [statement('CREATE INDEX CONCURRENTLY t_b_idx ON t (b)', false)], outside: true, commitsEnumValues: false },
    ],
  });
  if (!('parts' in result)) throw new Error(result.failed);
  expect(result.parts.map((p) => p.down.map((s) => s.sql.split(' ').slice(0, 2).join(' ')))).toEqual([
    ['DROP TABLE'],
    ['DROP INDEX'],
  ]);
  // The base itself is never migrated: the parts run on copies of it.
  const client = new Client({ connectionString: base.url });
  await client.connect();
  try {
    const { rows } = await client.query(
      "SELECT to_regclass('public.u') AS u, to_regclass('public.gorp_migrations') AS tracking",
    );
    expect(rows[0]).toEqual({ u: null, tracking: null });
  } finally {
    await client.end();
  }
});
