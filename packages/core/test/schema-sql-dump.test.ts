import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { compareSchemas } from '../../../test/support/schema-oracle';
import { createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';
import { caught } from '../../../test/support/rejection';
import { ConfigurationError } from '../src/errors';
import { silentLogger } from '../src/logger';
import { loadSqlFiles, withoutPsqlMetaCommands } from '../src/schema-source/sql-files';

/**
 * A schema dump is the most common SQL schema source: what pg_dump writes (15.14+ fences it with
 * `\restrict <key>` ... `\unrestrict <key>`) must load as a schema-sql file, and build the same schema.
 */
async function pgDumpSchema(url: string): Promise<string> {
  const u = new URL(url);
  const { stdout } = await promisify(execFile)(
    process.env.DB_MIGRATE_TEST_PG_BIN ? join(process.env.DB_MIGRATE_TEST_PG_BIN, 'pg_dump') : 'pg_dump',
    ['--schema-only', '--no-owner'],
    {
      env: {
        ...process.env,
        PGHOST: u.hostname,
        PGPORT: u.port,
        PGUSER: decodeURIComponent(u.username),
        PGPASSWORD: decodeURIComponent(u.password),
        PGDATABASE: u.pathname.slice(1),
      },
    },
  );
  return stdout;
}

test('a pg_dump of a schema loads as a schema-sql file and builds the same schema', async () => {
  const [source, built] = await Promise.all([createTestDatabase('dump_src'), createTestDatabase('dump_built')]);
  const dir = mkdtempSync(join(tmpdir(), 'db-migrate-dump-'));
  try {
    await query(
      source,
      `
      CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, note text DEFAULT E'a\\\\b');
      CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT '
\\not a meta-command inside a body'::text $$;
      COMMENT ON TABLE items IS '\\restrict is text here';`,
    );
    const dump = await pgDumpSchema(source);
    writeFileSync(join(dir, 'schema.sql'), dump);
    await loadSqlFiles({
      dir,
      files: ['schema.sql'],
      databaseUrl: built,
      displayDir: 'db',
      commitLabel: 'abc1234',
      logger: silentLogger,
    });
    const verdict = await compareSchemas(source, built);
    expect(verdict).toEqual({ equal: true, onlyInFirst: [], onlyInSecond: [] });
    // The dump really carries the fence (pg_dump 15.14 and later, as here), so the test proves what it says.
    expect(dump).toMatch(/^\\restrict \S+$/m);
    expect(dump).toMatch(/^\\unrestrict \S+$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await Promise.all([dropTestDatabase(source), dropTestDatabase(built)]);
  }
});

test('another psql meta-command is refused with its file and line, and nothing of the file is run', async () => {
  const db = await createTestDatabase('dump_meta');
  const dir = mkdtempSync(join(tmpdir(), 'db-migrate-dump-'));
  try {
    writeFileSync(
      join(dir, 'schema.sql'),
      `\\restrict abc\nCREATE TABLE t (id int);\n-- \\connect in a comment is text\n\\connect other\n`,
    );
    const error = await caught(
      loadSqlFiles({
        dir,
        files: ['schema.sql'],
        databaseUrl: db,
        displayDir: 'db',
        commitLabel: 'abc1234',
        logger: silentLogger,
      }),
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(
      /^db\/schema\.sql \(commit abc1234\):4: the psql meta-command \\connect is not SQL/,
    );
    expect(await query(db, `SELECT 1 FROM pg_class WHERE relname = 't'`)).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await dropTestDatabase(db);
  }
});

test('the \\restrict lines are blanked, keeping every other line where it was', () => {
  const text = '\\restrict K1\nSELECT 1;\n\n\\unrestrict K1\n';
  expect(withoutPsqlMetaCommands(text, 'f.sql')).toBe('\nSELECT 1;\n\n\n');
});
