/** The lint of migration SQL that feeds verify's hazards check: pure, on files our parser reads, with PostgreSQL's parser. */
import { lintMigrations, type LintFinding } from '../src/lint';
import { formatMigrationFile, parseMigrationFile } from '../src/migrations/format';
import { sha256Checksum } from '../src/migrations/metadata';
import { checkHazards, type MigrationEntry } from '../src/verify';

function lint(...files: string[]): Promise<LintFinding[]> {
  return lintMigrations(
    files.map((text, i) => ({ path: `m${i + 1}.sql`, parsed: parseMigrationFile(`m${i + 1}.sql`, text) })),
  );
}

const codes = (findings: readonly LintFinding[]) =>
  findings.filter((f) => f.level !== 'notice').map((f) => `${f.section}:${f.code}@${f.line}`);

// Each statement kind the lint must catch, on an existing table, with the code it must get and the object it
// names (what an acknowledgement matches on; undefined: no one object).
const CASES: readonly (readonly [string, string, string | undefined])[] = [
  ['DROP TABLE users;', 'drops-data', 'users'],
  ['ALTER TABLE users DROP COLUMN email;', 'drops-data', 'users.email'],
  ['DROP SCHEMA billing CASCADE;', 'drops-data', 'billing'],
  ['DROP SCHEMA billing;', 'drops-object', 'billing'],
  ['ALTER TABLE users ADD COLUMN age int NOT NULL;', 'fails-on-existing-rows', 'users.age'],
  ['ALTER TABLE users ADD COLUMN seen timestamptz NOT NULL DEFAULT clock_timestamp();', 'rewrites-table', 'users.seen'],
  ['ALTER TABLE users ADD COLUMN r float8 DEFAULT random();', 'rewrites-table', 'users.r'],
  ['ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();', 'rewrites-table', 'users.token'],
  ["ALTER TABLE users ADD COLUMN n bigint DEFAULT nextval('users_n_seq');", 'rewrites-table', 'users.n'],
  ['ALTER TABLE users ADD COLUMN n bigserial;', 'rewrites-table', 'users.n'],
  ['ALTER TABLE users ADD COLUMN id2 bigint GENERATED ALWAYS AS IDENTITY;', 'rewrites-table', 'users.id2'],
  [
    'ALTER TABLE users ADD COLUMN total numeric GENERATED ALWAYS AS (price * qty) STORED;',
    'rewrites-table',
    'users.total',
  ],
  ['ALTER TABLE users ALTER COLUMN name TYPE varchar(20);', 'rewrites-table', 'users.name'],
  ['ALTER TABLE users ALTER COLUMN email SET NOT NULL;', 'scans-table', 'users.email'],
  ['ALTER TABLE users SET LOGGED;', 'rewrites-table', 'users'],
  ['ALTER TABLE users SET UNLOGGED;', 'rewrites-table', 'users'],
  ['TRUNCATE users;', 'drops-data', 'users'],
  ['CLUSTER users USING users_pkey;', 'rewrites-table', 'users'],
  ['CREATE INDEX users_email_idx ON users (email);', 'blocks-writes', 'users_email_idx'],
  [
    'ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);',
    'validates-rows',
    'orders.orders_user_fk',
  ],
  [
    'ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0);',
    'validates-rows',
    'orders.orders_total_check',
  ],
  ['ALTER TABLE orders ADD CONSTRAINT orders_code_key UNIQUE (code);', 'blocks-writes', 'orders.orders_code_key'],
  ['ALTER TABLE users RENAME COLUMN name TO full_name;', 'renames-object', 'users.name'],
  ['ALTER TABLE users RENAME TO customers;', 'renames-object', 'users'],
  ['ALTER VIEW active_users RENAME TO users_active;', 'renames-object', 'active_users'],
  ['DELETE FROM users;', 'drops-data', 'users'],
  ['UPDATE users SET name = upper(name);', 'updates-every-row', 'users'],
  ["ALTER DOMAIN email ADD CONSTRAINT email_at CHECK (VALUE LIKE '%@%');", 'validates-rows', 'email'],
  ['DROP VIEW active_users;', 'drops-object', 'active_users'],
  ['GRANT SELECT ON users TO PUBLIC;', 'changes-access', 'users'],
  ['REVOKE INSERT, UPDATE ON TABLE users FROM app;', 'changes-access', 'users'],
  ['GRANT USAGE ON SCHEMA billing TO app;', 'changes-access', 'billing'],
  ['ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO app;', 'changes-access', undefined],
  ['GRANT admin TO app;', 'changes-access', 'admin'],
  ['ALTER TABLE users ENABLE ROW LEVEL SECURITY;', 'changes-access', 'users'],
  ['ALTER TABLE users DISABLE ROW LEVEL SECURITY;', 'changes-access', 'users'],
  ['ALTER TABLE users FORCE ROW LEVEL SECURITY;', 'changes-access', 'users'],
  ['ALTER TABLE users NO FORCE ROW LEVEL SECURITY;', 'changes-access', 'users'],
  ['CREATE POLICY own_rows ON users USING (tenant = 1);', 'changes-access', 'users.own_rows'],
  ['ALTER POLICY own_rows ON users USING (tenant = 2);', 'changes-access', 'users.own_rows'],
  ['DROP POLICY own_rows ON users;', 'changes-access', 'users.own_rows'],
  ['DROP INDEX users_email_idx;', 'drops-index', 'users_email_idx'],
  ['ALTER TABLE users REPLICA IDENTITY FULL;', 'replica-identity', 'users'],
  ['ALTER TABLE users REPLICA IDENTITY USING INDEX users_pkey;', 'replica-identity', 'users'],
];

describe.each(['Up', 'Down'] as const)('in a %s section', (direction) => {
  test.each(CASES)('%s is %s about %s, at its line in the file', async (sql, code, object) => {
    // A header, a blank line and a harmless statement first, so the line is not the section's first.
    const text =
      direction === 'Up'
        ? `-- header\n-- +migrate Up\nSELECT 1;\n\n${sql}\n-- +migrate Down\nSELECT 1;\n`
        : `-- header\n-- +migrate Up\nSELECT 1;\n-- +migrate Down\nSELECT 2;\n\n${sql}\n`;
    const findings = await lint(text);
    const line = text.split('\n').indexOf(sql) + 1;
    const section = direction === 'Up' ? 'up' : 'down';
    expect(findings.filter((f) => f.level === 'warning')).toEqual([
      expect.objectContaining({ code, file: 'm1.sql', line, section }),
    ]);
    expect(findings.find((f) => f.level === 'warning')?.object).toBe(object);
  });
});

test("the differ's wording: a hazard reads the same whether the differ or the lint found it", async () => {
  const findings = await lint(`-- +migrate Up
ALTER TABLE "Orders" DROP COLUMN note, ADD COLUMN seen timestamptz DEFAULT clock_timestamp();
DROP TABLE IF EXISTS old_things, app."Older";
`);
  expect(findings.filter((f) => f.level === 'warning').map((f) => f.message)).toEqual([
    'drops column Orders.note: the data it holds is lost',
    'adds column Orders.seen with a volatile default: rewrites the table under an ACCESS EXCLUSIVE lock',
    'drops table old_things: the data it holds is lost',
    'drops table app.Older: the data it holds is lost',
  ]);
  // One note per section about lock_timeout, at the first statement that locks an existing table.
  expect(findings.filter((f) => f.level === 'notice')).toEqual([
    expect.objectContaining({ code: 'missing-lock-timeout', line: 2, file: 'm1.sql', section: 'up' }),
  ]);
});

test('access and replication hazards read as the differ words them; row-level security counts on a table created here too', async () => {
  const findings = await lint(`-- +migrate Up
CREATE TABLE notes (id int, tenant int);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY, REPLICA IDENTITY FULL;
REVOKE ALL ON TABLE notes, app."Docs" FROM PUBLIC;
DROP POLICY p ON app.docs;
DROP INDEX CONCURRENTLY app.docs_idx;
DROP INDEX app.other_idx;
`);
  expect(
    findings.filter((f) => f.level !== 'notice').map((f) => `${f.code}@${f.line} ${f.message.split(':')[0]}`),
  ).toEqual([
    'changes-access@3 enable row level security on notes',
    'changes-access@4 revokes ALL on table notes, app.Docs from PUBLIC',
    'changes-access@5 drops policy p on app.docs',
    'not-in-transaction@6 DROP INDEX CONCURRENTLY cannot run inside a transaction block, and this section runs in one',
    'drops-index@7 drops index app.other_idx',
  ]);
});

test('each action of a multi-line ALTER TABLE is reported at its own line', async () => {
  const findings = await lint(`-- +migrate Up
SET lock_timeout = '2s';

ALTER TABLE public.users
  ADD COLUMN age int NOT NULL,
  ALTER COLUMN name TYPE varchar(20),
-- sql-migrate drops this comment line; the line numbers still point into the file
  ALTER email SET NOT NULL,
  ADD COLUMN note text DEFAULT 'a, b';
`);
  expect(codes(findings)).toEqual(['up:fails-on-existing-rows@5', 'up:rewrites-table@6', 'up:scans-table@8']);
  expect(findings.filter((f) => f.level === 'notice')).toEqual([]); // lock_timeout is set
});

test('the safe forms pass: CONCURRENTLY, NOT VALID, stable defaults, tables created by the same change, USING INDEX', async () => {
  const findings = await lint(
    `-- +migrate Up
SET lock_timeout = '5s';
CREATE TABLE items (id int PRIMARY KEY, name text);
CREATE INDEX items_name_idx ON items (name);
ALTER TABLE items ADD COLUMN price int NOT NULL, ALTER COLUMN name TYPE varchar(10), ADD COLUMN n bigserial;
ALTER TABLE items RENAME COLUMN price TO cost;
ALTER INDEX users_email_idx RENAME TO users_mail_idx;
DELETE FROM items;
ALTER TABLE users ADD COLUMN flag boolean NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
ALTER TABLE orders ADD CONSTRAINT orders_code_key UNIQUE USING INDEX orders_code_idx;
UPDATE users SET flag = true WHERE id < 10;
ANALYZE users;
`,
    // The next migration of the same change: items is still new; a notransaction index on users is safe.
    `-- +migrate Up notransaction
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_idx ON users (name);
VACUUM users;
DROP TABLE items;
`,
  );
  expect(findings).toEqual([]);
});

test('a default calling a function the migrations create VOLATILE (the default) rewrites; one created STABLE does not', async () => {
  const findings = await lint(`-- +migrate Up
-- +migrate StatementBegin
CREATE FUNCTION next_code() RETURNS text LANGUAGE sql AS $$ SELECT md5(random()::text) $$;
-- +migrate StatementEnd
CREATE FUNCTION today_code() RETURNS text LANGUAGE sql STABLE AS 'SELECT current_date::text';
ALTER TABLE users ADD COLUMN code text DEFAULT next_code();
ALTER TABLE users ADD COLUMN day text DEFAULT today_code();
`);
  expect(codes(findings)).toEqual(['up:rewrites-table@6']);
});

test('words inside strings, comments and function bodies are not statements', async () => {
  const findings = await lint(`-- +migrate Up
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

test('a statement the parser refuses is an error at its line; later statements are still linted', async () => {
  const findings = await lint(`-- +migrate Up
SELECT 1;
ALTER TABLE users ADD COLUMN x int NOT NULL DEFAULT;
DROP TABLE users;
-- +migrate Down
-- +migrate StatementBegin
SELECT 1;
SELEC 2;
-- +migrate StatementEnd
`);
  expect(codes(findings)).toEqual(['up:syntax-error@3', 'up:drops-data@4', 'down:syntax-error@8']);
  expect(findings[0]).toMatchObject({
    level: 'error',
    message: expect.stringContaining('syntax error at or near ";"'),
  });
});

test('statements PostgreSQL refuses in a transaction are errors in a transactional section, fine in a notransaction one', async () => {
  const body =
    "CREATE INDEX CONCURRENTLY a_idx ON a (x);\nVACUUM a;\nREINDEX TABLE CONCURRENTLY a;\nDROP INDEX CONCURRENTLY a_idx;\nALTER SYSTEM SET work_mem = '8MB';\n";
  expect(codes(await lint(`-- +migrate Up\n${body}`))).toEqual([
    'up:not-in-transaction@2',
    'up:not-in-transaction@3',
    'up:not-in-transaction@4',
    'up:not-in-transaction@5',
    'up:not-in-transaction@6',
  ]);
  expect(codes(await lint(`-- +migrate Up notransaction\n${body}`))).toEqual([]);
});

test('an enum value added and used in the same transactional section is flagged at the ADD VALUE, naming the use', async () => {
  const findings = await lint(`-- +migrate Up
ALTER TYPE status ADD VALUE 'shipped';
ALTER TABLE orders ALTER COLUMN state SET DEFAULT 'shipped';
-- +migrate Down
SELECT 1;
`);
  expect(codes(findings)).toEqual(['up:enum-value-added@2']);
  expect(findings[0]!.message).toContain(
    "adds value 'shipped' to enum status, and the statement at line 3 uses it in the same transaction",
  );
  // Added but not used: fine in a transaction (PostgreSQL 12+). Added in notransaction and used: fine.
  expect(codes(await lint(`-- +migrate Up\nALTER TYPE status ADD VALUE 'shipped';\nSELECT 1;\n`))).toEqual([]);
  expect(
    codes(
      await lint(
        `-- +migrate Up notransaction\nALTER TYPE status ADD VALUE 'shipped';\nALTER TABLE orders ALTER COLUMN state SET DEFAULT 'shipped';\n`,
      ),
    ),
  ).toEqual([]);
});

test("in Down, losing what the same file's Up created is a note; re-adding a NOT NULL column is a hazard", async () => {
  const findings = await lint(`-- +migrate Up
CREATE TABLE items (id int);
ALTER TABLE users ADD COLUMN nick text;
ALTER TABLE users DROP COLUMN legacy;
-- +migrate Down
ALTER TABLE users ADD COLUMN legacy text NOT NULL;
ALTER TABLE users DROP COLUMN nick;
DROP TABLE items;
`);
  expect(codes(findings)).toEqual(['up:drops-data@4', 'down:fails-on-existing-rows@6']);
  expect(findings.filter((f) => f.level === 'notice' && f.code === 'drops-data').map((f) => f.line)).toEqual([7, 8]);
});

describe('the hazards check', () => {
  const generated = formatMigrationFile({
    header: [
      'Hazards (2):',
      '  enum-recreated: recreates enum public.status to remove or reorder values',
      '  blocks-writes: builds index public.orders_at_idx without CONCURRENTLY',
    ],
    up: [
      'ALTER TYPE status RENAME TO status_old',
      "CREATE TYPE status AS ENUM ('new')",
      'CREATE INDEX orders_at_idx ON orders (at)',
    ],
    down: ['DROP INDEX orders_at_idx', 'ALTER TABLE orders DROP COLUMN note'],
  });
  const entry = (fileText: string): MigrationEntry => ({
    version: 3,
    fileName: '0003_status.sql',
    path: '/m/0003_status.sql',
    text: fileText,
    parsed: parseMigrationFile('/m/0003_status.sql', fileText),
    metadata: {
      version: 3,
      name: 'status',
      checksum: sha256Checksum(generated),
      hazards: [
        { code: 'enum-recreated', message: 'recreates enum public.status to remove or reorder values' },
        {
          code: 'blocks-writes',
          message: 'builds index public.orders_at_idx without CONCURRENTLY: blocks writes to the table while it builds',
        },
      ],
    },
    metadataPath: '/m/0003.json',
    isNew: true,
  });
  const lineOf = (text: string, part: string) => text.split('\n').findIndex((l) => l.includes(part)) + 1;

  test("the differ's recorded hazards count while the file is as generated; Down findings are labelled Down", async () => {
    const result = await checkHazards([entry(generated)]);
    expect(result.status).toBe('warning');
    const warnings = result.findings.filter((f) => f.level === 'warning');
    expect(warnings).toEqual([
      expect.objectContaining({
        code: 'enum-recreated',
        line: lineOf(generated, 'enum-recreated:'),
        message: 'recreates enum public.status to remove or reorder values (recorded by the differ)',
      }),
      expect.objectContaining({ code: 'blocks-writes', line: lineOf(generated, 'CREATE INDEX orders_at_idx') }),
      expect.objectContaining({
        code: 'drops-data',
        line: lineOf(generated, 'DROP COLUMN note'),
        message: 'Down: drops column orders.note: the data it holds is lost',
      }),
    ]);
    expect(await checkHazards([entry(generated)], { failOnHazards: true })).toMatchObject({
      status: 'failed',
      findings: expect.arrayContaining([expect.objectContaining({ level: 'error' })]),
    });
  });

  test('a hand-edited file keeps its hazards: the lint reads the edit, the record keeps what only the differ can know', async () => {
    // The edit adds a value and a backfill: the enum recreation and the index build are still there.
    const edited = generated
      .replace("('new')", "('new', 'paid')")
      .replace(
        'CREATE INDEX orders_at_idx ON orders (at);',
        "CREATE INDEX orders_at_idx ON orders (at);\nUPDATE orders SET state = 'new';",
      );
    const result = await checkHazards([entry(edited)]);
    expect(result.findings.filter((f) => f.level === 'warning').map((f) => `${f.code}@${f.line}`)).toEqual([
      `enum-recreated@${lineOf(edited, 'enum-recreated:')}`,
      `blocks-writes@${lineOf(edited, 'CREATE INDEX orders_at_idx')}`,
      `updates-every-row@${lineOf(edited, 'UPDATE orders')}`,
      `drops-data@${lineOf(edited, 'DROP COLUMN note')}`,
    ]);
    expect(result.findings.find((f) => f.code === 'enum-recreated')!.message).toContain('the file was edited since');
  });

  test('an edit that removes a hazard the lint understands removes its warning', async () => {
    const edited = generated
      .replace('-- +migrate Up\n', '-- +migrate Up notransaction\n')
      .replace('CREATE INDEX orders_at_idx', 'CREATE INDEX CONCURRENTLY orders_at_idx');
    const result = await checkHazards([entry(edited)]);
    expect(result.findings.filter((f) => f.level === 'warning').map((f) => f.code)).toEqual([
      'enum-recreated',
      'drops-data',
    ]);
    expect(result.findings).toContainEqual(
      expect.objectContaining({
        level: 'notice',
        line: 1,
        message: expect.stringContaining(
          'was edited after it was generated, and the lint, reading it as it is now, no longer finds what 0003.json recorded: blocks-writes',
        ),
      }),
    );
  });

  test('a statement the parser refuses fails the check without fail-on-hazards', async () => {
    const broken = generated.replace("CREATE TYPE status AS ENUM ('new');", "CREATE TYPE status AS ENUM ('new';");
    const result = await checkHazards([entry(broken)]);
    expect(result.status).toBe('failed');
    expect(result.findings).toContainEqual(
      expect.objectContaining({
        level: 'error',
        code: 'syntax-error',
        file: '/m/0003_status.sql',
        line: lineOf(broken, "('new';"),
      }),
    );
  });
});

describe('type changes that keep the values as they are: no rewrite when the old type is known', () => {
  const file = (sql: string) => `-- +migrate Up\n${sql}\n-- +migrate Down\nSELECT 1;\n`;
  const lintWith = (sql: string, columnTypes: ReadonlyMap<string, string>) =>
    lintMigrations([{ path: 'm1.sql', parsed: parseMigrationFile('m1.sql', file(sql)) }], { columnTypes });
  const known = new Map([
    ['public.users.name', 'character varying(64)'],
    ['public.users.n', 'integer'],
    ['public.users.note', 'text'],
  ]);

  test.each([
    ['ALTER TABLE users ALTER COLUMN name TYPE text;', []],
    ['ALTER TABLE users ALTER COLUMN name SET DATA TYPE text USING "name"::text;', []],
    ['ALTER TABLE users ALTER COLUMN name TYPE varchar;', []],
    ['ALTER TABLE users ALTER COLUMN name TYPE varchar(100);', []],
    ['ALTER TABLE users ALTER COLUMN note TYPE varchar;', []],
    ['ALTER TABLE users ALTER COLUMN name TYPE varchar(32);', ['up:rewrites-table@2']],
    ['ALTER TABLE users ALTER COLUMN n TYPE bigint;', ['up:rewrites-table@2']],
    ['ALTER TABLE users ALTER COLUMN name TYPE text USING upper(name);', ['up:rewrites-table@2']],
    ['ALTER TABLE users ALTER COLUMN nick TYPE text;', ['up:rewrites-table@2']],
  ])('%s: %j', async (sql, expected) => {
    expect(codes(await lintWith(sql, known))).toEqual(expected);
  });

  test('types set by an earlier statement of the section count, and without them the lint keeps the hazard', async () => {
    const sql = 'ALTER TABLE users ADD COLUMN code varchar(10);\nALTER TABLE users ALTER COLUMN code TYPE text;';
    expect(codes(await lintWith(sql, new Map()))).toEqual([]);
    expect(codes(await lint(file('ALTER TABLE users ALTER COLUMN name TYPE text;')))).toEqual(['up:rewrites-table@2']);
  });
});

test('SET NOT NULL after a validated CHECK (col IS NOT NULL), in this migration or an earlier one, scans nothing', async () => {
  const first =
    '-- +migrate Up\nALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;\n-- +migrate Down\nALTER TABLE users DROP CONSTRAINT email_nn;\n';
  const second =
    '-- +migrate Up\nALTER TABLE users VALIDATE CONSTRAINT email_nn;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\nALTER TABLE users ALTER COLUMN name SET NOT NULL;\n-- +migrate Down\nSELECT 1;\n';
  expect(codes(await lint(first, second))).toEqual(['up:validates-rows@2', 'up:scans-table@4']);
  // Not validated: the SET NOT NULL still scans.
  const unvalidated =
    '-- +migrate Up\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\n-- +migrate Down\nSELECT 1;\n';
  expect(codes(await lint(first, unvalidated))).toEqual(['up:scans-table@2']);
});
