/**
 * Writes each action's input and output tables into docs/actions.md, between the markers
 * `<!-- action-docs:<action>:inputs -->` ... `<!-- /action-docs -->`, from its action.yml: one source.
 * `--check` writes nothing and fails when the page is stale (scripts/test.sh runs it).
 *
 *   node -r ./scripts/register-ts.js scripts/update-action-docs.ts [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const PAGE = join(ROOT, 'docs/actions.md');
const ACTIONS = ['create', 'verify', 'apply'] as const;
// yaml is a dependency of the core package, not of the workspace root.
const YAML = require(require.resolve('yaml', { paths: [join(ROOT, 'packages/core')] })) as {
  parse(text: string): unknown;
};

interface ActionSpec {
  readonly inputs: Record<
    string,
    { readonly description: string; readonly required?: boolean; readonly default?: string }
  >;
  readonly outputs: Record<string, { readonly description: string }>;
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|');

/** The tables of one action, as markdown. */
export function actionTables(action: string): { inputs: string; outputs: string } {
  const spec = YAML.parse(readFileSync(join(ROOT, action, 'action.yml'), 'utf8')) as ActionSpec;
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
  return {
    inputs: ['| Input | Default | Description |', '| --- | --- | --- |', ...inputs].join('\n'),
    outputs: ['| Output | Description |', '| --- | --- |', ...outputs].join('\n'),
  };
}

/** The page with every marked table regenerated. */
export function updatedPage(text: string): string {
  let page = text;
  for (const action of ACTIONS) {
    const tables = actionTables(action);
    for (const kind of ['inputs', 'outputs'] as const) {
      const start = `<!-- action-docs:${action}:${kind} -->`;
      const end = '<!-- /action-docs -->';
      const from = page.indexOf(start);
      const to = page.indexOf(end, from);
      if (from < 0 || to < 0) throw new Error(`${PAGE}: no ${start} ... ${end} markers`);
      page = `${page.slice(0, from + start.length)}\n${tables[kind]}\n${page.slice(to)}`;
    }
  }
  return page;
}

if (require.main === module) {
  const text = readFileSync(PAGE, 'utf8');
  const updated = updatedPage(text);
  if (process.argv.includes('--check')) {
    if (updated !== text) {
      console.error(
        'docs/actions.md: the input/output tables differ from the action.yml files: run node -r ./scripts/register-ts.js scripts/update-action-docs.ts',
      );
      process.exit(1);
    }
  } else if (updated !== text) {
    writeFileSync(PAGE, updated);
    console.error('docs/actions.md updated');
  }
}
