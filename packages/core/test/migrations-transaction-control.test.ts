/**
 * Transaction control in migration files is refused when the file is read (readMigrationDir, which
 * create and apply use, and verify's reading of the directory), naming file and line, before anything
 * runs. In a notransaction section, balanced BEGIN ... COMMIT groups are allowed, and run on a real server.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';
import { up } from '../src/applier/migrator';
import { ConfigurationError } from '../src/errors';
import { formatMigrationFile } from '../src/migrations/format';
import { readMigrationDir } from '../src/migrations/store';
import { createTestRepo } from '../../../test/support/git';
import { Git } from '../src/git';
import { checkNumbering } from '../src/verify/numbering';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'db-migrate-txn-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(files: Record<string, string>): string {
  const m = join(dir, 'm');
  mkdirSync(m, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(m, name), text);
  return m;
}

const FIRST = formatMigrationFile({ up: ['CREATE TABLE a (id int)'], down: ['DROP TABLE a'] });

describe('in a transactional section every kind of transaction control is refused at its line', () => {
  it.each([
    ['COMMIT;', 'COMMIT'],
    ['END;', 'COMMIT'],
    ['BEGIN;', 'BEGIN'],
    ['START TRANSACTION ISOLATION LEVEL SERIALIZABLE;', 'START TRANSACTION'],
    ['ROLLBACK;', 'ROLLBACK'],
    ['ABORT;', 'ROLLBACK'],
    ['SAVEPOINT before_backfill;', 'SAVEPOINT'],
    ['RELEASE SAVEPOINT before_backfill;', 'RELEASE SAVEPOINT'],
    ["PREPARE TRANSACTION 'x';", 'PREPARE TRANSACTION'],
    ["COMMIT PREPARED 'x';", 'COMMIT PREPARED'],
  ])('%s', async (statement, word) => {
    const m = write({
      '0001_a.sql': FIRST,
      '0002_b.sql': `-- +migrate Up\nCREATE TABLE b (id int);\n${statement}\nCREATE TABLE c (id int);\n`,
    });
    const path = join(m, '0002_b.sql');
    const error = await readMigrationDir(m).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} line 3: ${word} in the Up section: db-migrate runs the section and its tracking record in one transaction`,
      ),
    );
  });

  it('also inside a StatementBegin block holding several statements, and in Down', async () => {
    const m = write({
      '0001_a.sql': `-- +migrate Up\nCREATE TABLE a (id int);\n-- +migrate Down\n-- +migrate StatementBegin\nDROP TABLE a;\nCOMMIT;\n-- +migrate StatementEnd\n`,
    });
    await expect(readMigrationDir(m)).rejects.toThrow(/0001_a\.sql line 6: COMMIT in the Down section/);
  });

  it('words in strings, comments and function bodies are not transaction control', async () => {
    const m = write({
      '0001_a.sql': `-- +migrate Up
CREATE TABLE a (note text DEFAULT 'COMMIT;');
/* ROLLBACK; */ SELECT 1;
-- +migrate StatementBegin
CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1;
END
$$;
-- +migrate StatementEnd
`,
    });
    expect((await readMigrationDir(m)).migrations).toHaveLength(1);
  });

  it("verify's reading of the directory reports it as an error finding with file and line", async () => {
    const repo = createTestRepo();
    try {
      const m = join(repo.dir, 'migrations');
      mkdirSync(m);
      writeFileSync(join(m, '0001_a.sql'), FIRST);
      writeFileSync(join(m, '0002_b.sql'), `-- +migrate Up\nCREATE TABLE b (id int);\nCOMMIT;\n`);
      const { check, entries } = await checkNumbering({
        dir: m,
        git: await Git.open(repo.dir),
        repoPath: 'migrations',
      });
      expect(check.status).toBe('failed');
      expect(check.findings).toContainEqual(
        expect.objectContaining({
          level: 'error',
          file: join(m, '0002_b.sql'),
          line: 3,
          message: expect.stringContaining('COMMIT in the Up section'),
        }),
      );
      expect(entries.find((e) => e.fileName === '0002_b.sql')?.parsed).toBeUndefined();
    } finally {
      repo.remove();
    }
  });
});

describe('in a notransaction section', () => {
  it.each([
    ['COMMIT;\n', /line 2: COMMIT in the Up section: no transaction is open here/],
    ['SAVEPOINT s;\n', /line 2: SAVEPOINT in the Up section: savepoints exist only inside a transaction/],
    ['BEGIN;\nBEGIN;\nCOMMIT;\n', /line 3: BEGIN in the Up section: a transaction is already open \(from line 2\)/],
    ['BEGIN;\nSELECT 1;\n', /line 2: the transaction opened here in the Up section is never closed/],
    [
      "BEGIN;\nPREPARE TRANSACTION 'x';\n",
      /line 3: PREPARE TRANSACTION in the Up section: a prepared \(two-phase\) transaction outlives the migration/,
    ],
  ])('unbalanced or two-phase transaction control is refused: %j', async (body, message) => {
    const m = write({ '0001_a.sql': `-- +migrate Up notransaction\n${body}` });
    await expect(readMigrationDir(m)).rejects.toThrow(message);
  });

  describe('on a real server', () => {
    let url: string;
    beforeEach(async () => {
      url = await createTestDatabase('txn');
    });
    afterEach(() => dropTestDatabase(url));

    it('a BEGIN ... COMMIT group is atomic: a failure inside it rolls the group back, the statements before it stay', async () => {
      const m = write({
        '0001_a.sql': FIRST,
        '0002_group.sql': `-- +migrate Up notransaction
CREATE INDEX CONCURRENTLY a_id ON a (id);
BEGIN;
CREATE TABLE b (id int);
SELECT 1/0;
COMMIT;
-- +migrate Down
DROP TABLE b;
`,
      });
      const run = await up(url, await readMigrationDir(m));
      expect(run.error?.message).toMatch(
        /0002_group\.sql line 5 \(up\).*division by zero; notransaction: the 3 statement\(s\) before it stay applied/,
      );
      // The index built outside the group stays; the table created inside the group is gone.
      expect(await query(url, `SELECT indexname FROM pg_indexes WHERE indexname = 'a_id'`)).toHaveLength(1);
      expect(await query(url, `SELECT 1 FROM pg_tables WHERE tablename = 'b'`)).toEqual([]);
      expect((await query<{ id: string }>(url, 'SELECT id FROM gorp_migrations')).map((r) => r.id)).toEqual([
        '0001_a.sql',
      ]);

      // Fixed, the same section applies whole and is recorded.
      writeFileSync(
        join(m, '0002_group.sql'),
        `-- +migrate Up notransaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS a_id ON a (id);\nBEGIN;\nCREATE TABLE b (id int);\nINSERT INTO b VALUES (1);\nCOMMIT;\n-- +migrate Down\nDROP TABLE b;\n`,
      );
      const fixed = await up(url, await readMigrationDir(m));
      expect(fixed.error).toBeUndefined();
      expect(await query(url, 'SELECT id FROM b')).toEqual([{ id: 1 }]);
    });
  });
});
