/** The lint of migration SQL that feeds verify's hazards check: pure, on files our parser reads. */
import { lintMigrations, type LintFinding } from '../src/lint';
import { parseMigrationFile } from '../src/migrations/format';
import { sha256Checksum } from '../src/migrations/metadata';
import { checkHazards, type MigrationEntry } from '../src/verify';

function lint(...files: string[]): LintFinding[] {
  return lintMigrations(files.map((text, i) => ({ path: `m${i + 1}.sql`, parsed: parseMigrationFile(`m${i + 1}.sql`, text) })));
}

const codes = (findings: readonly LintFinding[]) => findings.filter((f) => f.level === 'warning').map((f) => `${f.code}@${f.line}`);

test('each risky operation on an existing table is found at its line, with the differ\'s hazard codes', () => {
  const findings = lint(`-- a header comment
-- +migrate Up
CREATE INDEX users_email_idx ON users (email);
ALTER TABLE public.users
  ADD COLUMN age int NOT NULL,
  ALTER COLUMN name TYPE varchar(20),
  ALTER COLUMN email SET NOT NULL;
ALTER TABLE "Orders" DROP COLUMN note;
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE orders ADD CONSTRAINT orders_code_key UNIQUE (code);
DROP TABLE IF EXISTS old_things, "Older";
-- +migrate Down
DROP INDEX users_email_idx;
ALTER TABLE users DROP COLUMN age;
`);
  expect(codes(findings)).toEqual([
    'blocks-writes@3',
    'fails-on-existing-rows@5',
    'rewrites-table@6',
    'scans-table@7',
    'drops-data@8',
    'validates-rows@9',
    'blocks-writes@10',
    'drops-data@11',
    'drops-data@11',
  ]);
  expect(findings.find((f) => f.code === 'drops-data')!.message).toBe('drops column Orders.note: the data it holds is lost');
  expect(findings.filter((f) => f.code === 'drops-data').map((f) => f.message)).toContain('drops table Older: the data it holds is lost');
  // One note per file about lock_timeout, at the first statement that locks an existing table.
  expect(findings.filter((f) => f.level === 'notice')).toEqual([expect.objectContaining({ code: 'missing-lock-timeout', line: 3, file: 'm1.sql' })]);
});

test('the safe forms pass: CONCURRENTLY, NOT VALID, defaults, tables created by the same change, a lock_timeout', () => {
  const findings = lint(
    `-- +migrate Up
SET lock_timeout = '5s';
CREATE TABLE items (id int PRIMARY KEY, name text);
CREATE INDEX items_name_idx ON items (name);
ALTER TABLE items ADD COLUMN price int NOT NULL, ALTER COLUMN name TYPE varchar(10);
ALTER TABLE users ADD COLUMN flag boolean NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN id2 bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
ALTER TABLE orders ADD CONSTRAINT orders_code_key UNIQUE USING INDEX orders_code_idx;
`,
    // The next migration of the same change: items is still new; a notransaction index on users is safe.
    `-- +migrate Up notransaction
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_idx ON users (name);
DROP TABLE items;
`,
  );
  expect(findings).toEqual([]);
});

test('words inside strings, comments and function bodies are not statements', () => {
  const findings = lint(`-- +migrate Up
INSERT INTO audit (note) VALUES ('ALTER TABLE users DROP COLUMN email; and more');
-- +migrate StatementBegin
CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $body$
BEGIN
  EXECUTE 'DROP TABLE users';
  DROP TABLE users;
END
$body$;
-- +migrate StatementEnd
/* DROP TABLE users; */ SELECT 1;
`);
  expect(findings).toEqual([]);
});

test('a statement written over several lines is reported at the line of the action', () => {
  const findings = lint(`-- +migrate Up
SET lock_timeout = '2s';

ALTER TABLE users
  RENAME COLUMN a TO b;

ALTER TABLE users
-- the type change below rewrites
  ALTER COLUMN b
    TYPE bigint USING b::bigint;
`);
  // sql-migrate drops the "-- " comment line; the line numbers still point into the file.
  expect(codes(findings)).toEqual(['rewrites-table@9']);
});

describe('the hazards check', () => {
  const text = `-- Hazards (1):
--   enum-recreated: recreates type public.status to remove a value
-- +migrate Up
ALTER TYPE status RENAME TO status_old;
CREATE TYPE status AS ENUM ('new');
`;
  const entry = (fileText: string): MigrationEntry => ({
    version: 3,
    fileName: '0003_status.sql',
    path: '/m/0003_status.sql',
    text: fileText,
    parsed: parseMigrationFile('/m/0003_status.sql', fileText),
    metadata: { version: 3, name: 'status', checksum: sha256Checksum(text), hazards: [{ code: 'enum-recreated', message: 'recreates type public.status to remove a value' }] },
    metadataPath: '/m/0003.json',
    isNew: true,
  });

  test("the differ's recorded hazards count while the file is as generated, at the header line naming them", () => {
    const result = checkHazards([entry(text)]);
    expect(result.status).toBe('warning');
    expect(result.findings).toEqual([
      { level: 'warning', file: '/m/0003_status.sql', line: 2, code: 'enum-recreated', message: 'recreates type public.status to remove a value (recorded by the differ)' },
    ]);
    expect(checkHazards([entry(text)], { failOnHazards: true })).toMatchObject({ status: 'failed', findings: [expect.objectContaining({ level: 'error' })] });
  });

  test('after a hand edit they are not repeated, and a note says so', () => {
    const result = checkHazards([entry(text.replace("('new')", "('new', 'paid')"))]);
    expect(result.status).toBe('passed');
    expect(result.findings).toEqual([expect.objectContaining({ level: 'notice', message: expect.stringContaining('edited after it was generated') })]);
  });
});
