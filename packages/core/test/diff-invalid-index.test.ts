import { diff } from '../src/diff';
import { createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';

/**
 * A failed CREATE INDEX CONCURRENTLY leaves an index that exists but is invalid (never used, and for a
 * unique index, never enforced). It is not the index the schema wants: the diff rebuilds it, and a fleet
 * consistency check sees it as drift rather than as the real index.
 */
describe('an invalid index left by a failed CREATE INDEX CONCURRENTLY', () => {
  let live: string;
  let goal: string;

  beforeAll(async () => {
    [live, goal] = await Promise.all([createTestDatabase('invalid_idx_live'), createTestDatabase('invalid_idx_goal')]);
    await query(
      live,
      `CREATE TABLE users (id int PRIMARY KEY, email text); INSERT INTO users VALUES (1, 'a'), (2, 'a')`,
    );
    await expect(query(live, 'CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email)')).rejects.toThrow(
      /could not create unique index/,
    );
    await query(live, `DELETE FROM users WHERE id = 2`);
    await query(
      goal,
      `CREATE TABLE users (id int PRIMARY KEY, email text); CREATE UNIQUE INDEX users_email_key ON users (email)`,
    );
  });

  afterAll(async () => {
    await Promise.all([dropTestDatabase(live), dropTestDatabase(goal)]);
  });

  it('is dropped and built again, after which nothing differs', async () => {
    const [valid] = await query<{ indisvalid: boolean }>(
      live,
      `SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email_key'::regclass`,
    );
    expect(valid.indisvalid).toBe(false);

    const { statements } = await diff(live, goal);
    expect(statements.map((s) => s.sql)).toEqual([
      'DROP INDEX CONCURRENTLY IF EXISTS "public"."users_email_key"',
      'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_key ON public.users USING btree (email)',
    ]);
    for (const statement of statements) await query(live, statement.sql);

    const [rebuilt] = await query<{ indisvalid: boolean }>(
      live,
      `SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email_key'::regclass`,
    );
    expect(rebuilt.indisvalid).toBe(true);
    expect((await diff(live, goal)).statements).toEqual([]);
  });
});
