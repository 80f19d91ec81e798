import * as core from '@actions/core';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerUrlSecrets } from '@db-migrate/core';
import { annotate, renderSummary, writeSummary, SUMMARY_CODE_LIMIT } from '@db-migrate/action-kit';
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
      { kind: 'table', header: ['database', 'outcome'], rows: [['acme', 'applied 3 -> 4'], ['beta', `failed: could not connect to ${url}`]] },
      { kind: 'details', summary: 'Migration 0004', blocks: [{ kind: 'code', language: 'sql', code: 'alter table t add check (n > 0 and n < 10);' }] },
    ]);

    expect(written).toBe(true);
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith('<p>earlier step</p>\n<h2>Fleet apply</h2>')).toBe(true);
    expect(text).toContain('<tr><th>database</th><th>outcome</th></tr><tr><td>acme</td><td>applied 3 -&gt; 4</td></tr>');
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

describe('annotations', () => {
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
      annotate({ level: 'warning', message: 'w1', file: '/elsewhere/x.sql', line: 1 }, { root: '/home/runner/work/app' });
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
