import * as core from '@actions/core';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerUrlSecrets } from '@db-migrate/core';
import {
  annotate,
  annotateAll,
  fitSummary,
  renderSummary,
  writeSummary,
  SUMMARY_BYTE_LIMIT,
  SUMMARY_CODE_LIMIT,
  type SummaryBlock,
} from '@db-migrate/action-kit';
import { parseFileCommands, parseWorkflowCommands } from '../../../test/support/run-action-bundle';

let dir: string;
const saved = { ...process.env };
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'action-kit-reporting-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  for (const key of ['GITHUB_STEP_SUMMARY', 'GITHUB_OUTPUT', 'GITHUB_ENV', 'GITHUB_WORKSPACE']) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});

/** What @actions/core writes to stdout while `fn` runs (workflow commands go there). */
function stdoutOf(fn: () => void): string {
  const write = process.stdout.write;
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    fn();
  } finally {
    process.stdout.write = write;
  }
  return out;
}

describe('job summary', () => {
  test('tables, code and details are escaped and redacted, and appended to GITHUB_STEP_SUMMARY', async () => {
    const url = registerUrlSecrets('postgres://app:s3cret-pw@db.internal:5432/acme');
    const file = join(dir, 'summary.md');
    writeFileSync(file, '<p>earlier step</p>\n');
    process.env.GITHUB_STEP_SUMMARY = file;

    const written = await writeSummary([
      { kind: 'heading', text: 'Fleet apply' },
      {
        kind: 'table',
        header: ['database', 'outcome'],
        rows: [
          ['acme', 'applied 3 -> 4'],
          ['beta', `failed: could not connect to ${url}`],
        ],
      },
      {
        kind: 'details',
        summary: 'Migration 0004',
        blocks: [{ kind: 'code', language: 'sql', code: 'alter table t add check (n > 0 and n < 10);' }],
      },
    ]);

    expect(written).toBe(true);
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith('<p>earlier step</p>\n<h2>Fleet apply</h2>')).toBe(true);
    expect(text).toContain(
      '<tr><th>database</th><th>outcome</th></tr><tr><td>acme</td><td>applied 3 -&gt; 4</td></tr>',
    );
    expect(text).toContain('<pre lang="sql"><code>alter table t add check (n &gt; 0 and n &lt; 10);</code></pre>');
    expect(text).toContain('<details><summary>Migration 0004</summary>\n\n<pre');
    expect(text).not.toContain('s3cret-pw');
    expect(text).toContain('db.internal');
  });

  test('without GITHUB_STEP_SUMMARY nothing is written and nothing fails', async () => {
    delete process.env.GITHUB_STEP_SUMMARY;
    expect(await writeSummary([{ kind: 'text', text: 'x' }])).toBe(false);
  });

  test('a huge code block is cut', () => {
    const html = renderSummary([{ kind: 'code', code: 'x'.repeat(SUMMARY_CODE_LIMIT + 5) }]);
    expect(html).toContain('… (5 more characters cut)</code></pre>');
    expect(html.length).toBeLessThan(SUMMARY_CODE_LIMIT + 100);
  });
});

describe("the runner's 1 MiB limit on a step's summary", () => {
  /** Twelve drifted databases, each with 90 KB of drift SQL full of characters that escaping makes longer. */
  const drifted: SummaryBlock[] = [
    { kind: 'heading', text: 'db-migrate drift' },
    {
      kind: 'table',
      header: ['database', 'status'],
      rows: Array.from({ length: 12 }, (_, i) => [`client_${i}`, 'drifted']),
    },
    ...Array.from(
      { length: 12 },
      (_, i): SummaryBlock => ({
        kind: 'details',
        summary: `client_${i}: drift`,
        blocks: [
          {
            kind: 'code',
            language: 'sql',
            code: `-- client_${i}\n` + "ALTER TABLE t ADD CHECK (a < b AND c > 'x&y');\n".repeat(1900),
          },
        ],
      }),
    ),
  ];

  test('a summary over the limit after escaping is cut below it, says so, and the whole one is kept in a file it names', async () => {
    process.env.GITHUB_STEP_SUMMARY = join(dir, 'summary.md');
    writeFileSync(process.env.GITHUB_STEP_SUMMARY, '');
    const whole = renderSummary(drifted);
    expect(Buffer.byteLength(whole)).toBeGreaterThan(1024 * 1024);
    process.env.RUNNER_TEMP = dir;
    await writeSummary(drifted);
    const written = readFileSync(process.env.GITHUB_STEP_SUMMARY, 'utf8');
    expect(Buffer.byteLength(written)).toBeLessThanOrEqual(SUMMARY_BYTE_LIMIT);
    const file = /The whole summary is in (\S+\.html) on the runner/.exec(written)?.[1];
    expect(file?.startsWith(dir)).toBe(true);
    expect(readFileSync(file!, 'utf8')).toBe(whole);
    // Whole blocks first: the heading, the table and the first databases' drift are all there.
    expect(written).toContain('<table><tr><th>database</th>');
    expect(written).toContain('<summary>client_0: drift</summary>');
    expect(written).toContain("ALTER TABLE t ADD CHECK (a &lt; b AND c &gt; 'x&amp;y');");
    expect(written).not.toContain('client_11: drift');
    // Every cut leaves whole entities and closed tags.
    expect(written).not.toMatch(/&[a-z]*(?![a-z;])/);
    expect((written.match(/<details>/g) ?? []).length).toBe((written.match(/<\/details>/g) ?? []).length);
    expect((written.match(/<pre/g) ?? []).length).toBe((written.match(/<\/pre>/g) ?? []).length);
    delete process.env.RUNNER_TEMP;
  });

  test('a summary that fits is written as it is, and no file is made', () => {
    const small = drifted.slice(0, 3);
    const fitted = fitSummary(small, join(dir, 'whole.html'));
    expect(fitted).toEqual({ html: renderSummary(small), cut: false });
    expect(() => readFileSync(join(dir, 'whole.html'))).toThrow(/ENOENT/);
  });
});

describe('annotations', () => {
  test("past GitHub's 10 per level, the 10th says how many more, and the rest reach the log", () => {
    const errors = Array.from({ length: 15 }, (_, i) => ({
      level: 'error' as const,
      message: `finding ${i + 1}`,
      file: 'migrations/0002_x.sql',
      line: i + 1,
    }));
    const warnings = Array.from({ length: 3 }, (_, i) => ({ level: 'warning' as const, message: `hazard ${i + 1}` }));
    const out = stdoutOf(() => annotateAll([...errors, ...warnings], { root: '/repo' }));
    const commands = parseWorkflowCommands(out).annotations;
    const errorAnnotations = commands.filter((c) => c.level === 'error');
    expect(errorAnnotations).toHaveLength(10);
    expect(errorAnnotations.slice(0, 9).map((a) => a.message)).toEqual(errors.slice(0, 9).map((e) => e.message));
    expect(errorAnnotations[9]!.message).toBe(
      '6 more errors are not shown as annotations (GitHub keeps 10 per step): see the log and the job summary',
    );
    expect(commands.filter((c) => c.level === 'warning').map((a) => a.message)).toEqual([
      'hazard 1',
      'hazard 2',
      'hazard 3',
    ]);
    for (let i = 10; i <= 15; i++) expect(out).toContain(`error: migrations/0002_x.sql:${i}: finding ${i}\n`);
  });

  test('an error on a migration file line, relative to the workspace, with newlines and secrets handled', () => {
    process.env.GITHUB_WORKSPACE = '/home/runner/work/app';
    registerUrlSecrets('postgres://u:hunter2-pw@h/db');
    const out = stdoutOf(() =>
      annotate({
        level: 'error',
        title: 'verify: consistency',
        message: 'column "email" missing\nfrom postgres://u:hunter2-pw@h/db',
        file: '/home/runner/work/app/migrations/0004_add_email.sql',
        line: 3,
        endLine: 5,
      }),
    );
    expect(out).not.toContain('hunter2-pw');
    expect(parseWorkflowCommands(out).annotations).toEqual([
      {
        level: 'error',
        title: 'verify: consistency',
        message: 'column "email" missing\nfrom postgres://***@h/db',
        file: 'migrations/0004_add_email.sql',
        line: 3,
        endLine: 5,
      },
    ]);
  });

  test('a file outside the workspace keeps its path; a warning without a file is a plain warning', () => {
    const out = stdoutOf(() => {
      annotate(
        { level: 'warning', message: 'w1', file: '/elsewhere/x.sql', line: 1 },
        { root: '/home/runner/work/app' },
      );
      annotate({ level: 'notice', message: 'n, with: punctuation' });
    });
    expect(parseWorkflowCommands(out).annotations).toEqual([
      { level: 'warning', message: 'w1', file: '/elsewhere/x.sql', line: 1 },
      { level: 'notice', message: 'n, with: punctuation' },
    ]);
  });
});

describe('the runner harness parses what @actions/core writes', () => {
  test('outputs (multi-line), exported variables and masks', () => {
    process.env.GITHUB_OUTPUT = join(dir, 'output');
    process.env.GITHUB_ENV = join(dir, 'env');
    writeFileSync(process.env.GITHUB_OUTPUT, '');
    writeFileSync(process.env.GITHUB_ENV, '');
    const out = stdoutOf(() => {
      core.setOutput('version', 4);
      core.setOutput('report', '{"a": 1}\nsecond line=with equals\n');
      core.setOutput('empty', '');
      core.exportVariable('DB_MIGRATE_X', 'y');
      core.setSecret('top%secret');
      core.startGroup('Applying');
      core.info('connecting with top%secret now');
      core.debug('hidden unless debugging');
      core.endGroup();
      core.warning('slow: top%secret');
    });
    expect(parseFileCommands(readFileSync(process.env.GITHUB_OUTPUT, 'utf8'))).toEqual({
      version: '4',
      report: '{"a": 1}\nsecond line=with equals\n',
      empty: '',
    });
    expect(parseFileCommands(readFileSync(process.env.GITHUB_ENV, 'utf8'))).toEqual({ DB_MIGRATE_X: 'y' });
    const parsed = parseWorkflowCommands(out);
    expect(parsed.masks).toEqual(['top%secret']);
    expect(parsed.log).toBe('Applying\nconnecting with *** now\nWarning: slow: ***\n');
  });
});
