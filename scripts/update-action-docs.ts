/**
 * Writes each action's input and output tables into docs/actions.md, between the markers
 * `<!-- action-docs:<action>:inputs -->` ... `<!-- /action-docs -->`, from its action.yml: one source.
 * `--check` writes nothing and fails when the page is stale, when another page repeats a table (the
 * READMEs link to docs/actions.md), or when an action's code reads an input its action.yml does not
 * declare, or declares one its code never reads (scripts/test.sh runs it).
 *
 *   node -r ./scripts/register-ts.js scripts/update-action-docs.ts [--check]
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

const sourceFiles = (dir: string) =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(join(ROOT, dir, f), 'utf8'));

/** The input names read by literal in `text`: `getOptionalInput('mode')`, `repositoryInput('schema-repository', ...)`. */
const literalInputs = (text: string) => [...text.matchAll(/\b\w*Input\(\s*'([a-z][a-z0-9-]*)'/g)].map((m) => m[1]!);

/** The inputs each exported helper of packages/action-kit reads (`getSchemaSourceInputs` -> schema-dir...). */
function helperInputs(): Map<string, string[]> {
  const helpers = new Map<string, string[]>();
  for (const text of sourceFiles('packages/action-kit/src')) {
    const starts = [...text.matchAll(/^export (?:async )?function (\w+)/gm)];
    starts.forEach((m, i) => {
      const body = text.slice(m.index, starts[i + 1]?.index ?? text.length);
      const read = literalInputs(body);
      if (read.length) helpers.set(m[1]!, read);
    });
  }
  return helpers;
}

/** The inputs an action's code reads: literal names in actions/<action>/src, and those of the helpers it calls. */
export function inputsRead(action: string): Set<string> {
  const helpers = helperInputs();
  const read = new Set<string>();
  for (const text of sourceFiles(`actions/${action}/src`)) {
    for (const name of literalInputs(text)) read.add(name);
    for (const [helper, names] of helpers)
      if (new RegExp(`\\b${helper}\\(`).test(text)) for (const name of names) read.add(name);
  }
  return read;
}

/** What disagrees between an action's action.yml and its code, one line each. */
export function inputProblems(action: string): string[] {
  const spec = YAML.parse(readFileSync(join(ROOT, action, 'action.yml'), 'utf8')) as ActionSpec;
  const declared = new Set(Object.keys(spec.inputs));
  const read = inputsRead(action);
  return [
    ...[...read]
      .filter((n) => !declared.has(n))
      .map((n) => `${action}: actions/${action}/src reads input "${n}", not declared in ${action}/action.yml`),
    ...[...declared]
      .filter((n) => !read.has(n))
      .map((n) => `${action}: ${action}/action.yml declares input "${n}", never read by actions/${action}/src`),
  ];
}

/** Pages other than docs/actions.md that repeat an input or output table (they should link to it). */
export function repeatedTables(): string[] {
  const pages = ACTIONS.flatMap((a) => [`${a}/README.md`, `actions/${a}/README.md`, `packages/action-kit/README.md`]);
  return [...new Set(pages)].filter((page) => {
    try {
      return /^\| (Input|Output) \|/m.test(readFileSync(join(ROOT, page), 'utf8'));
    } catch {
      return false;
    }
  });
}

if (require.main === module) {
  const text = readFileSync(PAGE, 'utf8');
  const updated = updatedPage(text);
  if (process.argv.includes('--check')) {
    const problems = [
      ...(updated !== text
        ? [
            'docs/actions.md: the input/output tables differ from the action.yml files: run node -r ./scripts/register-ts.js scripts/update-action-docs.ts',
          ]
        : []),
      ...ACTIONS.flatMap(inputProblems),
      ...repeatedTables().map((page) => `${page}: repeats an input/output table; link to docs/actions.md instead`),
    ];
    if (problems.length) {
      for (const problem of problems) console.error(problem);
      process.exit(1);
    }
  } else if (updated !== text) {
    writeFileSync(PAGE, updated);
    console.error('docs/actions.md updated');
  }
}
