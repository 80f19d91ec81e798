import { ConfigurationError } from '../src/errors';
import { formatMigrationFile, parseMigrationFile } from '../src/migrations/format';

const sqls = (statements: readonly { sql: string }[]) => statements.map((s) => s.sql.trim());

function parseError(text: string): string {
  try {
    parseMigrationFile('migrations/0007_x.sql', text);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected a parse error');
}

const FUNCTION_BODY = [
  'CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$',
  'BEGIN',
  '  NEW.updated_at := now();',
  '  RETURN NEW;',
  'END',
  '$$;',
].join('\n');

describe('parseMigrationFile', () => {
  it('cuts statements where sql-migrate does and keeps their file lines', () => {
    const text = [
      '-- header comment, ignored',
      '',
      '-- +migrate Up',
      'CREATE TABLE a (',
      '  id int -- a comment; with a semicolon',
      ');',
      '-- a dropped comment line;',
      "INSERT INTO a VALUES (1); SELECT 'x';",
      '-- +migrate StatementBegin',
      FUNCTION_BODY,
      '-- +migrate StatementEnd',
      '',
      '-- +migrate Down notransaction',
      'DROP FUNCTION touch();',
      'DROP TABLE a;',
    ].join('\r\n');
    const parsed = parseMigrationFile('m.sql', text);
    expect(parsed.up.noTransaction).toBe(false);
    expect(parsed.up.line).toBe(3);
    expect(sqls(parsed.up.statements)).toEqual([
      'CREATE TABLE a (\n  id int -- a comment; with a semicolon\n);',
      "INSERT INTO a VALUES (1); SELECT 'x';",
      FUNCTION_BODY,
    ]);
    expect(parsed.up.statements.map((s) => s.line)).toEqual([4, 8, 10]);
    expect(parsed.up.statements[0].lines).toEqual([4, 5, 6]);
    expect(parsed.up.statements[2].block).toBe(true);
    // sql-migrate sends each line followed by "\n" (carriage returns dropped), nothing else
    expect(parsed.up.statements[1].sql).toBe("INSERT INTO a VALUES (1); SELECT 'x';\n");
    expect(parsed.down?.noTransaction).toBe(true);
    expect(parsed.down?.statements.map((s) => [s.sql.trim(), s.line])).toEqual([
      ['DROP FUNCTION touch();', 19],
      ['DROP TABLE a;', 20],
    ]);
  });

  it('keeps a missing Down apart from an explicit empty one', () => {
    expect(parseMigrationFile('m.sql', '-- +migrate Up\nSELECT 1;\n').down).toBeUndefined();
    const empty = parseMigrationFile('m.sql', '-- +migrate Up\nSELECT 1;\n-- +migrate Down\n-- nothing to undo\n');
    expect(empty.down?.statements).toEqual([]);
  });

  it('accepts a dollar-quoted body that sql-migrate cuts correctly (no line ends in ";" inside it)', () => {
    const text = '-- +migrate Up\nCREATE FUNCTION one() RETURNS int AS $$\n  SELECT 1\n$$ LANGUAGE sql;\n';
    expect(parseMigrationFile('m.sql', text).up.statements).toHaveLength(1);
  });

  it.each([
    [
      'a $$ body with a line ending in ";" outside StatementBegin/End',
      FUNCTION_BODY,
      4,
      /dollar-quoted body opened at line 2 .*StatementBegin/,
    ],
    ['a multi-line string with ";" at a line end', "INSERT INTO t VALUES ('a;\nb');", 2, /string opened at line 2/],
    ['a quoted identifier cut in two', 'CREATE TABLE "odd;\nname" (id int);', 2, /quoted identifier opened at line 2/],
    ['a block comment cut in two', 'SELECT 1 /* note;\nmore */;', 2, /block comment opened at line 2/],
  ])('refuses %s, naming file and line', (_label, body, line, pattern) => {
    const message = parseError(`-- +migrate Up\n${body}\n`);
    expect(message).toContain(`migrations/0007_x.sql line ${line}:`);
    expect(message).toMatch(pattern);
  });

  it.each([
    ['no Up section', '-- +migrate Down\nDROP TABLE a;\n', /0007_x\.sql: no "-- \+migrate Up" section/],
    [
      'no marker at all',
      'CREATE TABLE a (id int);\n',
      /line 1: text before the first "-- \+migrate Up" marker is ignored/,
    ],
    [
      'an unterminated StatementBegin',
      '-- +migrate Up\n-- +migrate StatementBegin\nSELECT 1;\n',
      /line 2: StatementBegin without a matching/,
    ],
    [
      'StatementEnd without StatementBegin',
      '-- +migrate Up\nSELECT 1;\n-- +migrate StatementEnd\n',
      /line 3: StatementEnd without a StatementBegin/,
    ],
    [
      'a nested StatementBegin',
      '-- +migrate Up\n-- +migrate StatementBegin\n-- +migrate StatementBegin\n',
      /line 3: StatementBegin inside the block already opened at line 2/,
    ],
    [
      'a statement without ";" at the end of the file',
      '-- +migrate Up\nSELECT 1;\n\nSELECT 2\n',
      /line 4: the statement starting here is not terminated at the end of the file/,
    ],
    [
      'a statement without ";" before Down',
      '-- +migrate Up\nSELECT 1\n-- +migrate Down\n',
      /line 2: the statement starting here is not terminated before "-- \+migrate Down" at line 3/,
    ],
    [
      'a second Up section',
      '-- +migrate Up\nSELECT 1;\n-- +migrate Up\n',
      /line 3: a second "-- \+migrate Up" section \(the first is at line 1\)/,
    ],
    ['an unknown option', '-- +migrate Up notransactions\n', /line 1: unknown option "notransactions"/],
    ['an unknown marker', '-- +migrate Up\n-- +migrate up\n', /line 2: unknown marker "-- \+migrate up"/],
    [
      'an indented marker',
      '-- +migrate Up\nSELECT 1;\n  -- +migrate Down\n',
      /line 3: .* is not a marker sql-migrate reads/,
    ],
    ['a marker without its space', '--+migrate Up\nSELECT 1;\n', /line 1: .* is not a marker sql-migrate reads/],
    [
      'a "-- " line inside a string',
      "-- +migrate Up\nINSERT INTO t VALUES ('a\n-- b');\n",
      /line 3: sql-migrate drops lines starting with "-- ", but this one is inside the string opened at line 2/,
    ],
  ])('refuses %s, naming file and line', (_label, text, pattern) => {
    expect(parseError(text)).toMatch(pattern);
  });
});

describe('formatMigrationFile', () => {
  it('round-trips statements and wraps only those sql-migrate could cut wrongly', () => {
    const up = [
      'CREATE TABLE a (\n  id int PRIMARY KEY,\n  note text\n)',
      FUNCTION_BODY,
      "CREATE VIEW v AS SELECT 'x;' AS s;\n",
      "COMMENT ON TABLE a IS 'two;\nlines'",
      'SELECT 1 -- trailing comment',
      "DO 'BEGIN PERFORM 1; END'",
    ];
    const text = formatMigrationFile({
      up,
      down: ['DROP VIEW v', 'DROP TABLE a'],
      downNoTransaction: true,
      header: ['hazard: drops a table', '+migrate Up must stay a comment'],
    });
    const parsed = parseMigrationFile('out.sql', text);
    expect(sqls(parsed.up.statements)).toEqual([
      'CREATE TABLE a (\n  id int PRIMARY KEY,\n  note text\n);',
      FUNCTION_BODY,
      "CREATE VIEW v AS SELECT 'x;' AS s;",
      "COMMENT ON TABLE a IS 'two;\nlines';",
      'SELECT 1 -- trailing comment\n;',
      "DO 'BEGIN PERFORM 1; END';",
    ]);
    expect(parsed.up.statements.map((s) => s.block)).toEqual([false, true, false, true, false, false]);
    expect(sqls(parsed.down!.statements)).toEqual(['DROP VIEW v;', 'DROP TABLE a;']);
    expect(parsed.down!.noTransaction).toBe(true);
    expect(parsed.up.noTransaction).toBe(false);
    expect(text.startsWith('-- hazard: drops a table\n--  +migrate Up must stay a comment\n\n-- +migrate Up\n')).toBe(
      true,
    );
  });

  it('writes notransaction and leaves Down out when there is none', () => {
    const text = formatMigrationFile({ up: ['CREATE INDEX CONCURRENTLY i ON a (id)'], upNoTransaction: true });
    expect(text).toBe('-- +migrate Up notransaction\nCREATE INDEX CONCURRENTLY i ON a (id);\n');
    expect(parseMigrationFile('x.sql', text).down).toBeUndefined();
  });

  it('refuses statements it cannot write so that sql-migrate reads them back', () => {
    expect(() => formatMigrationFile({ up: ['SELECT 1\n-- +migrate Down\n'] })).toThrow(
      /must not look like a sql-migrate marker/,
    );
    expect(() => formatMigrationFile({ up: ["COMMENT ON TABLE t IS 'a\n-- b'"] })).toThrow(
      /sql-migrate drops lines starting with "-- "/,
    );
  });
});
