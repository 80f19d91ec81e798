/**
 * The core returns what would fix a refusal as data (Remedy); each front end words it as its own flag or
 * input. This test holds the core to that: no string or template literal in packages/core/src may name a
 * CLI option as a flag (`--` and an option name any command takes), except the table of names in remedy.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { GLOBAL_OPTIONS, JSON_OPTION } from '../src/command';
import { commands } from '../src/commands';

const CORE_SRC = join(__dirname, '..', '..', 'core', 'src');
const TABLE_FILE = 'remedy.ts';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The text of every string and template literal of a file (comments are not literals). */
function literals(path: string): { text: string; line: number; node: ts.Node }[] {
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: { text: string; line: number; node: ts.Node }[] = [];
  const visit = (node: ts.Node) => {
    if (
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    )
      found.push({ text: node.text, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1, node });
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/**
 * Arguments of other programs, not words to a user: git, initdb, tar and docker take flags of their own,
 * some spelt like ours (`--format`, `--depth`), always in an argument array or pushed onto one.
 */
function isOtherProgramArgument(node: ts.Node, text: string): boolean {
  if (!/^--[a-z-]+(=\S*)?$/.test(text)) return false; // one argument, not a sentence
  let parent = node.parent;
  while (parent && (ts.isTemplateExpression(parent) || ts.isTemplateSpan(parent))) parent = parent.parent;
  if (!parent) return false;
  if (ts.isArrayLiteralExpression(parent)) return true;
  return (
    ts.isCallExpression(parent) &&
    ts.isPropertyAccessExpression(parent.expression) &&
    parent.expression.name.text === 'push'
  );
}

test('no literal in packages/core/src names a CLI flag outside the table of option names', () => {
  // --version and --help are every program's own (`postgres --version`), never a remedy.
  const options = new Set(
    [GLOBAL_OPTIONS, JSON_OPTION, ...commands.map((c) => c.options)]
      .flatMap((table) => Object.keys(table))
      .filter((name) => name !== 'version' && name !== 'help'),
  );
  expect(options.has('max-failures')).toBe(true);
  const flag = new RegExp(`(^|[^\\w-])--(${[...options].join('|')})(?![\\w-])`);
  const offending: string[] = [];
  for (const path of sourceFiles(CORE_SRC)) {
    if (relative(CORE_SRC, path) === TABLE_FILE) continue;
    for (const { text, line, node } of literals(path)) {
      if (isOtherProgramArgument(node, text)) continue;
      const match = flag.exec(text);
      if (match) offending.push(`${relative(CORE_SRC, path)}:${line}: --${match[2]} in ${JSON.stringify(text)}`);
    }
  }
  expect(offending).toEqual([]);
});
