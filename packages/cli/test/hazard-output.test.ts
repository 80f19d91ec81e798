/**
 * Hazards a person can read: on a real diff with many hazards of a few kinds, the CLI prints one line per
 * kind with a count and the first objects; --verbose prints each hazard, and --json keeps every one with
 * its statement.
 */
import { formatVerifyReport, type VerifyReport } from '@db-migrate/core';
import { wordRemedy } from '../src/remedy-wording';
import { cli } from '../../../test/support/cli';
import { createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';

let from: string;
let to: string;
const TABLES = ['a', 'b', 'c', 'd', 'e'];

beforeAll(async () => {
  [from, to] = await Promise.all([createTestDatabase('hazards_from'), createTestDatabase('hazards_to')]);
  // Five type changes (rewrites-table), five dropped columns (drops-data), one NOT NULL (validates-rows: its
  // online form validates a check before SET NOT NULL, docs/online.md).
  await query(
    from,
    TABLES.map((t) => `create table ${t} (id int primary key, qty int, legacy text, note text);`).join('\n'),
  );
  await query(
    to,
    TABLES.map(
      (t) => `create table ${t} (id int primary key, qty bigint, note text${t === 'a' ? ' not null' : ''});`,
    ).join('\n'),
  );
});
afterAll(async () => {
  await Promise.all([dropTestDatabase(from), dropTestDatabase(to)]);
});

const hazardLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('warning: hazard '));

describe('hazards of db-migrate diff', () => {
  it('one line per kind on a terminal: the count and the first three objects', async () => {
    const { code, stderr } = await cli(['diff', from, to]);
    expect(code).toBe(0);
    const lines = hazardLines(stderr);
    expect(lines).toHaveLength(3);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^warning: hazard rewrites-table: 5 statements \(public\.\w\.qty, public\.\w\.qty, public\.\w\.qty, … \+2\)$/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^warning: hazard drops-data: 5 statements \(public\.\w\.legacy, public\.\w\.legacy, public\.\w\.legacy, … \+2\)$/,
      ),
    );
    // Alone of its kind: the hazard's own line, message included.
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^warning: hazard validates-rows \(statement \d+, column public\.a\.note\): validates that column public\.a\.note holds no NULL/,
      ),
    );
    expect(stderr).toContain('11 hazards of 3 kinds: --verbose prints each one, --json each with its statement');
  });

  it('--verbose prints every hazard with its statement, and --json keeps them all', async () => {
    const verbose = await cli(['diff', from, to, '--verbose']);
    const lines = hazardLines(verbose.stderr);
    expect(lines).toHaveLength(11);
    expect(
      lines.filter((l) => /^warning: hazard rewrites-table \(statement \d+, column public\.\w\.qty\): /.test(l)),
    ).toHaveLength(5);
    expect(verbose.stderr).not.toContain('--verbose prints each one');

    const json = await cli(['diff', from, to, '--json', '-']);
    const { statements } = JSON.parse(json.stdout) as { statements: { hazards: { code: string }[] }[] };
    expect(statements.flatMap((s) => s.hazards.map((h) => h.code)).sort()).toEqual([
      ...Array(5).fill('drops-data'),
      ...Array(5).fill('rewrites-table'),
      'validates-rows',
    ]);
  });
});

describe("hazards in verify's report", () => {
  const report: VerifyReport = {
    result: 'passed',
    newMigrations: ['0002_wide.sql'],
    difference: '',
    durationMs: 1,
    checks: [
      {
        name: 'hazards',
        title: 'Hazards',
        status: 'warning',
        summary: '5 warnings',
        findings: [
          ...[3, 4, 5, 6].map((line) => ({
            level: 'warning' as const,
            file: '/repo/migrations/0002_wide.sql',
            line,
            code: 'rewrites-table',
            message: `changes the type of column ${line}`,
          })),
          {
            level: 'warning',
            file: '/repo/migrations/0002_wide.sql',
            line: 7,
            code: 'blocks-writes',
            message: 'builds index i without CONCURRENTLY',
          },
        ],
      },
    ],
  };

  it('groups the warnings of one code, naming file and line; every line when not grouped', () => {
    const grouped = formatVerifyReport(report, {
      groupHazards: true,
      expandHint: '--verbose prints each hazard',
      word: wordRemedy,
    });
    expect(grouped).toContain(
      '  warning: rewrites-table: 4 warnings (0002_wide.sql:3, 0002_wide.sql:4, 0002_wide.sql:5, … +1)\n',
    );
    expect(grouped).toContain(
      '  warning: /repo/migrations/0002_wide.sql:7: builds index i without CONCURRENTLY [blocks-writes]\n',
    );
    expect(grouped).toContain('(--verbose prints each hazard)');
    const each = formatVerifyReport(report, { word: wordRemedy });
    expect(each.match(/\[rewrites-table\]/g)).toHaveLength(4);
  });
});
