/**
 * Interop with the real sql-migrate binary: it cuts our files into the same statements, applies files
 * our formatter writes, and shares gorp_migrations with our applier in both directions.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';
import { down, status, up } from '../src/applier/migrator';
import { formatMigrationFile, parseMigrationFile } from '../src/migrations/format';
import { readMigrationDir } from '../src/migrations/store';

const SQL_MIGRATE = '/usr/bin/sql-migrate';

let dir: string;
let url: string;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'db-migrate-interop-'));
  url = await createTestDatabase('interop');
  // The datasource comes from the environment (sql-migrate expands it), so no password is written to disk.
  writeFileSync(
    join(dir, 'dbconfig.yml'),
    `test:\n  dialect: postgres\n  datasource: \${DB_MIGRATE_TEST_DSN}\n  dir: ${join(dir, 'migrations')}\n`,
  );
});
afterEach(async () => {
  await dropTestDatabase(url);
  rmSync(dir, { recursive: true, force: true });
});

function sqlMigrate(...args: string[]): string {
  const result = runSqlMigrate(...args);
  if (result.status !== 0) throw new Error(`sql-migrate ${args.join(' ')} failed: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

function runSqlMigrate(...args: string[]) {
  const [command, ...rest] = args;
  return spawnSync(SQL_MIGRATE, [command, `-config=${join(dir, 'dbconfig.yml')}`, '-env=test', ...rest], {
    env: { ...process.env, DB_MIGRATE_TEST_DSN: `${url}?sslmode=disable` },
    encoding: 'utf8',
  });
}

/** sql-migrate status as {file: applied?}. */
function sqlMigrateStatus(): Record<string, boolean> {
  const rows: Record<string, boolean> = {};
  for (const line of sqlMigrate('status').split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length === 4 && cells[1].endsWith('.sql')) rows[cells[1]] = cells[2] !== 'no';
  }
  return rows;
}

function writeMigrations(files: Record<string, string>): void {
  const migrations = join(dir, 'migrations');
  spawnSync('mkdir', ['-p', migrations]);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(migrations, name), text);
}

const TOUCH_FUNCTION = [
  'CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$',
  'BEGIN',
  '  NEW.updated_at := now();',
  '  RETURN NEW;',
  'END',
  '$$',
].join('\n');

const FILES = {
  '0001_accounts.sql': formatMigrationFile({
    header: ['hazards: none'],
    up: [
      'CREATE TABLE accounts (\n  id bigint PRIMARY KEY,\n  name text NOT NULL,\n  updated_at timestamptz\n)',
      TOUCH_FUNCTION,
      'CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION touch()',
      "COMMENT ON TABLE accounts IS 'one row per account;\nnever deleted'",
    ],
    down: ['DROP TABLE accounts', 'DROP FUNCTION touch()'],
  }),
  '0002_accounts_name_index.sql': formatMigrationFile({
    up: ['CREATE INDEX CONCURRENTLY accounts_name ON accounts (name)'],
    upNoTransaction: true,
    down: ['DROP INDEX CONCURRENTLY accounts_name'],
    downNoTransaction: true,
  }),
  '0003_orders.sql': formatMigrationFile({
    up: [
      'CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts)',
      "INSERT INTO accounts (id, name) VALUES (1, 'first')",
    ],
    down: ['DROP TABLE orders', 'DELETE FROM accounts WHERE id = 1'],
  }),
};

describe('sql-migrate interop', () => {
  it('sql-migrate cuts files into the statements our parser reports (dry run)', async () => {
    const handWritten = [
      '-- a hand-written file with the awkward cases sql-migrate accepts',
      '-- +migrate Up',
      'CREATE TABLE t (',
      '  id int, -- inline comment; not an end',
      '  note text',
      ');',
      '-- dropped comment line;',
      '',
      "INSERT INTO t VALUES (1, 'a'); INSERT INTO t VALUES (2, 'b');",
      '--no space after the dashes, kept',
      'SELECT 1',
      '  ;',
      'CREATE FUNCTION one() RETURNS int AS $$',
      '  SELECT 1',
      '$$ LANGUAGE sql;',
      '-- +migrate StatementBegin',
      'DO $$ BEGIN',
      '  -- indented, so kept;',
      '  PERFORM 1;',
      'END $$;',
      '-- +migrate StatementEnd',
      '-- +migrate Down',
      'DROP TABLE t;',
    ].join('\r\n');
    writeMigrations({ ...FILES, '0004_hand.sql': handWritten });
    const set = await readMigrationDir(join(dir, 'migrations'));
    const expected = set.migrations
      .map(
        (m) =>
          `==> Would apply migration ${m.fileName} (up)\n` + m.parsed.up.statements.map((s) => s.sql + '\n').join(''),
      )
      .join('');
    expect(sqlMigrate('up', '-dryrun')).toBe(expected);
    // Five statements, starting at these lines (the column-0 "-- " comment is dropped, the rest kept).
    const hand = parseMigrationFile('0004_hand.sql', handWritten).up.statements;
    expect(hand.map((s) => s.line)).toEqual([3, 9, 10, 13, 17]);
    expect(hand.some((s) => s.sql.includes('dropped comment line'))).toBe(false);
  });

  it('refuses a file that sql-migrate really does cut inside a $$ body', async () => {
    writeMigrations({ '0001_fn.sql': `-- +migrate Up\n${TOUCH_FUNCTION};\n` });
    const result = runSqlMigrate('up');
    expect(result.status).not.toBe(0);
    expect(result.stderr + result.stdout).toMatch(/unterminated dollar-quoted string/);
    await expect(readMigrationDir(join(dir, 'migrations'))).rejects.toThrow(
      /0001_fn\.sql line 4: sql-migrate ends the statement here .* dollar-quoted body opened at line 2 .*StatementBegin/,
    );
  });

  it('sql-migrate applies formatted files; our status sees them, and our down reverts them', async () => {
    writeMigrations(FILES);
    expect(sqlMigrate('up')).toContain('Applied 3 migrations');
    const set = await readMigrationDir(join(dir, 'migrations'));
    const seen = await status(url, set);
    expect(seen.migrations.map((m) => [m.fileName, m.applied, m.changedSinceApplied])).toEqual([
      ['0001_accounts.sql', true, undefined],
      ['0002_accounts_name_index.sql', true, undefined],
      ['0003_orders.sql', true, undefined],
    ]);
    expect(seen).toMatchObject({ currentVersion: 3, consistent: true, pending: [] });
    // The function body arrived whole: the trigger works.
    await query(url, `UPDATE accounts SET name = 'renamed' WHERE id = 1`);
    expect(
      (await query<{ touched: boolean }>(url, 'SELECT updated_at IS NOT NULL AS touched FROM accounts'))[0].touched,
    ).toBe(true);

    const reverted = await down(url, set, { to: 1 });
    expect(reverted.error).toBeUndefined();
    expect(reverted.results.map((r) => [r.fileName, r.status, r.noTransaction])).toEqual([
      ['0003_orders.sql', 'applied', false],
      ['0002_accounts_name_index.sql', 'applied', true],
    ]);
    expect(sqlMigrateStatus()).toEqual({
      '0001_accounts.sql': true,
      '0002_accounts_name_index.sql': false,
      '0003_orders.sql': false,
    });
  });

  it('our up finishes a database half-migrated by sql-migrate, and sql-migrate can take it back', async () => {
    writeMigrations(FILES);
    expect(sqlMigrate('up', '-limit=1')).toContain('Applied 1 migration');
    const set = await readMigrationDir(join(dir, 'migrations'));
    const run = await up(url, set);
    expect(run.error).toBeUndefined();
    expect(run.results.map((r) => [r.fileName, r.status])).toEqual([
      ['0002_accounts_name_index.sql', 'applied'],
      ['0003_orders.sql', 'applied'],
    ]);
    expect(run.version).toBe(3);
    const indexes = await query<{ indexname: string }>(
      url,
      `SELECT indexname FROM pg_indexes WHERE tablename = 'accounts' ORDER BY 1`,
    );
    expect(indexes.map((i) => i.indexname)).toEqual(['accounts_name', 'accounts_pkey']);
    expect(sqlMigrateStatus()).toEqual({
      '0001_accounts.sql': true,
      '0002_accounts_name_index.sql': true,
      '0003_orders.sql': true,
    });

    expect(sqlMigrate('down', '-limit=1')).toContain('Applied 1 migration');
    expect(await status(url, set)).toMatchObject({ currentVersion: 2, pending: ['0003_orders.sql'], consistent: true });
    expect(await query(url, `SELECT to_regclass('orders') AS t`)).toEqual([{ t: null }]);
  });
});

describe('a UTF-8 byte-order mark', () => {
  it('hides the Up marker from sql-migrate, which then applies the file without its Up: refused, naming the invisible character', async () => {
    writeMigrations({
      '1_bom.sql': '\ufeff-- +migrate Up\nCREATE TABLE bom_t (id int);\n\n-- +migrate Down\nDROP TABLE bom_t;\n',
    });
    // What sql-migrate does: "Applied 1 migration", recorded, and the table never created.
    expect(sqlMigrate('up')).toContain('Applied 1 migration');
    expect(sqlMigrateStatus()).toEqual({ '1_bom.sql': true });
    expect(await query(url, `SELECT to_regclass('public.bom_t') AS t`)).toEqual([{ t: null }]);
    // Ours refuses the file before anything runs.
    await expect(readMigrationDir(join(dir, 'migrations'))).rejects.toThrow(
      /1_bom\.sql line 1: the file starts with a UTF-8 byte-order mark \(U\+FEFF, invisible in most editors\), which hides the marker on this line from sql-migrate: save the file as UTF-8 without BOM/,
    );
    // A no-break space inside a marker is named too, not quoted back as if it read right.
    expect(() => parseMigrationFile('x.sql', '-- +migrate Up\nSELECT 1;\n--\u00a0+migrate Down\n')).toThrow(
      /x\.sql line 3: the marker holds an invisible character \(U\+00A0\)/,
    );
  });
});
