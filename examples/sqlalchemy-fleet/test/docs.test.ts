/**
 * The documentation a user copies from must match what the actions and the CLI accept: docs/actions.md's
 * input and output tables are the action.yml files (scripts/update-action-docs.ts writes them), the
 * example workflows only pass inputs that exist (and every required one), docs/cli.md lists every CLI
 * command, and the README stays short with the contributors' two commands first.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { commands } from '../../../packages/cli/src/commands';

const root = resolve(__dirname, '../../..');
const workflowsDir = resolve(__dirname, '../workflows');
const ACTIONS = ['create', 'verify', 'apply'] as const;

// yaml is a dependency of the core package, not of the workspace root.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const YAML = require(require.resolve('yaml', { paths: [join(root, 'packages/core')] })) as {
  parse(text: string): unknown;
};

interface ActionInput {
  readonly description: string;
  readonly required?: boolean;
  readonly default?: string;
}
interface ActionSpec {
  readonly inputs: Record<string, ActionInput>;
  readonly outputs: Record<string, { readonly description: string }>;
}

function actionSpec(name: string): ActionSpec {
  return YAML.parse(readFileSync(join(root, name, 'action.yml'), 'utf8')) as ActionSpec;
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|');

/** The rows the README's tables must hold, as the action.yml says them. */
function expectedRows(spec: ActionSpec): { inputs: string[]; outputs: string[] } {
  const inputs = Object.entries(spec.inputs).map(([name, input]) => {
    const fallback = input.required
      ? '(required)'
      : input.default !== undefined && input.default !== ''
        ? `\`${input.default}\``
        : '';
    return `| \`${name}\` | ${fallback} | ${oneLine(input.description)} |`;
  });
  const outputs = Object.entries(spec.outputs).map(
    ([name, output]) => `| \`${name}\` | ${oneLine(output.description)} |`,
  );
  return { inputs, outputs };
}

/** The body rows of the first table whose header starts with `| <first column>` after the heading. */
function tableAfter(lines: readonly string[], heading: string, firstColumn: string): string[] {
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start < 0) throw new Error(`no heading "${heading}"`);
  const header = lines.findIndex((l, i) => i > start && l.startsWith(`| ${firstColumn} `));
  if (header < 0) throw new Error(`no "| ${firstColumn}" table after "${heading}"`);
  const rows: string[] = [];
  for (let i = header + 2; i < lines.length && lines[i]!.startsWith('|'); i++) rows.push(lines[i]!.trim());
  return rows;
}

describe('README.md', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const lines = readme.split('\n');

  it('starts with the two commands for a fresh machine, which the scripts really run', () => {
    const top = lines.slice(0, 12).join('\n');
    expect(top).toContain('bash scripts/setup.sh && pnpm --silent example');
    expect(top).toContain('bash scripts/test.sh');
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.example).toBe('bash examples/sqlalchemy-fleet/run.sh');
    expect(readFileSync(join(root, '.ci/run'), 'utf8')).toMatch(/^exec bash scripts\/test\.sh$/m);
  });

  it('is at most 300 lines, and every page it links to exists', () => {
    expect(lines.length).toBeLessThanOrEqual(300);
    const links = [
      ...readme.matchAll(/\]\(((?:docs|examples|packages|actions|bench)\/[^)#]+|CONTRIBUTING\.md)[)#]/g),
    ].map((m) => m[1]);
    // Pages other changes write in parallel (docs/safety.md...) are checked once they are merged.
    const parallel = [
      'docs/safety.md',
      'docs/online.md',
      'docs/locks.md',
      'docs/prechecks.md',
      'docs/troubleshooting.md',
    ];
    expect(links.filter((link) => !parallel.includes(link) && !existsSync(join(root, link)))).toEqual([]);
  });
});

describe('docs/actions.md and docs/cli.md', () => {
  const lines = readFileSync(join(root, 'docs/actions.md'), 'utf8').split('\n');
  const cliLines = readFileSync(join(root, 'docs/cli.md'), 'utf8').split('\n');

  it.each(ACTIONS)('has the inputs and outputs of %s exactly as its action.yml says', (name) => {
    const expected = expectedRows(actionSpec(name));
    const heading = `## ${name}`;
    const show = (rows: string[]) => '\n' + rows.join('\n') + '\n';
    // On a mismatch: node -r ./scripts/register-ts.js scripts/update-action-docs.ts
    expect(show(tableAfter(lines, heading, 'Input'))).toBe(show(expected.inputs));
    expect(show(tableAfter(lines, heading, 'Output'))).toBe(show(expected.outputs));
  });

  it('lists every CLI command', () => {
    const listed = tableAfter(cliLines, '# The CLI', 'Command').map(
      (row) => /^\| `db-migrate ([a-z-]+)`/.exec(row)?.[1],
    );
    expect(listed).toEqual(commands.map((c) => c.name));
  });
});

describe('examples/sqlalchemy-fleet/workflows', () => {
  const files = readdirSync(workflowsDir).filter((f) => f.endsWith('.yml'));
  const specs = new Map(ACTIONS.map((name) => [name, actionSpec(name)]));

  it('has the workflows the README promises', () => {
    expect(files.sort()).toEqual([
      'apply-production-matrix.yml',
      'apply-production.yml',
      'create-migration.yml',
      'drift-report.yml',
      'sync-staging.yml',
      'verify-migrations.yml',
    ]);
  });

  it.each(files)('%s passes only inputs the action has, and every required one', (file) => {
    const workflow = YAML.parse(readFileSync(join(workflowsDir, file), 'utf8')) as {
      on: unknown;
      jobs: Record<string, { steps: { uses?: string; with?: Record<string, unknown> }[] }>;
    };
    expect(workflow.on).toBeDefined();
    const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
    const ours = steps.filter((s) => s.uses?.startsWith('your-org/db-migrate/'));
    expect(ours.length).toBeGreaterThan(0);
    for (const step of ours) {
      const match = /^your-org\/db-migrate\/(create|verify|apply)@v1$/.exec(step.uses!);
      expect(match).not.toBeNull();
      const spec = specs.get(match![1] as (typeof ACTIONS)[number])!;
      const given = Object.keys(step.with ?? {});
      expect(given.filter((input) => !(input in spec.inputs))).toEqual([]);
      const required = Object.entries(spec.inputs)
        .filter(([, input]) => input.required)
        .map(([name]) => name);
      expect(required.filter((input) => !given.includes(input))).toEqual([]);
    }
  });
});
