/**
 * Findings and errors are data (code, file, line, object, remedy): no logic in packages/core/src may read
 * a fact back out of a message's wording, since rewording a message would then change behaviour. This
 * test parses every core file with the TypeScript compiler and fails on a message (`x.message`,
 * `String(error)`, `errorMessage(error)`) that is searched (includes, startsWith, endsWith, match, test,
 * indexOf, search, a regex's exec or test) or compared (===, !==), except in the named functions below:
 * each isolates the one place where an external library says a fact only in English.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const CORE_SRC = join(__dirname, '..', 'src');

/** file:function -> why it may read a message (each is tested against the real library's real error). */
const ALLOWED: Readonly<Record<string, string>> = {
  'pg/closed-connection.ts:connectionClosed':
    'node-postgres ends a query on a broken or closed connection with an Error that has no code: its English is the only sign (test/closed-connection.test.ts)',
  'pg/ssl.ts:serverHasNoTls':
    'node-postgres says a server has no TLS ("does not support SSL connections") with no code: its English is the only sign (test/ssl-modes.test.ts)',
};

/** Calls that search a string (the receiver or the argument is a message). */
const SEARCHES = new Set([
  'includes',
  'startsWith',
  'endsWith',
  'match',
  'matchAll',
  'test',
  'exec',
  'indexOf',
  'search',
]);

/** Names a caught or wrapped value goes by. */
const THROWN = /^(e|err|error|cause|reason|failure|thrown|\w+Error)$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Whether an expression is a message: `x.message`, `x?.message`, `String(x)` or `errorMessage(x)` (through parentheses, `??` and casts). */
function isMessage(node: ts.Expression): boolean {
  if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isNonNullExpression(node))
    return isMessage(node.expression);
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken)
    return isMessage(node.left) || isMessage(node.right);
  if (ts.isPropertyAccessExpression(node)) return node.name.text === 'message';
  if (ts.isElementAccessExpression(node))
    return ts.isStringLiteral(node.argumentExpression) && node.argumentExpression.text === 'message';
  if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.arguments.length > 0) {
    if (node.expression.text === 'errorMessage') return true;
    // String(error) words a thrown value; String(x.code) or String(count) is no message.
    const [argument] = node.arguments;
    return node.expression.text === 'String' && ts.isIdentifier(argument!) && THROWN.test(argument.text);
  }
  return false;
}

/**
 * The names of message variables: `const message = error.message` (or String(error), errorMessage(error)),
 * `const { message } = error`.
 */
function messageVariables(source: ts.SourceFile): Set<string> {
  const found = new Set<string>();
  const visit = (node: ts.Node) => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && isMessage(node.initializer))
      found.add(node.name.text);
    // const { message } = error
    if (ts.isBindingElement(node) && ts.isIdentifier(node.name)) {
      const property =
        node.propertyName && ts.isIdentifier(node.propertyName) ? node.propertyName.text : node.name.text;
      if (property === 'message') found.add(node.name.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The name of the function (declaration, or a const holding an arrow) a node sits in, innermost named one. */
function enclosingFunction(node: ts.Node): string | undefined {
  for (let at: ts.Node | undefined = node.parent; at; at = at.parent) {
    if ((ts.isFunctionDeclaration(at) || ts.isMethodDeclaration(at)) && at.name) return at.name.getText();
    if (
      ts.isVariableDeclaration(at) &&
      ts.isIdentifier(at.name) &&
      at.initializer &&
      ts.isArrowFunction(at.initializer)
    )
      return at.name.text;
  }
  return undefined;
}

/** Every read of a message's wording in one file's text, as `file:line: code (in function)`. */
export function messageReads(fileName: string, text: string): { where: string; fn?: string }[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const names = messageVariables(source);
  const message = (node: ts.Expression): boolean => {
    if (isMessage(node)) return true;
    const bare = ts.isParenthesizedExpression(node) || ts.isAsExpression(node) ? node.expression : node;
    return ts.isIdentifier(bare) && names.has(bare.text);
  };
  const reads: { where: string; fn?: string }[] = [];
  const report = (node: ts.Node) => {
    const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
    reads.push({ where: `${fileName}:${line}: ${node.getText().slice(0, 100)}`, fn: enclosingFunction(node) });
  };
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text;
      if (SEARCHES.has(method) && (message(node.expression.expression) || node.arguments.some((a) => message(a))))
        report(node);
    }
    if (ts.isBinaryExpression(node)) {
      const op = node.operatorToken.kind;
      const compares =
        op === ts.SyntaxKind.EqualsEqualsEqualsToken ||
        op === ts.SyntaxKind.ExclamationEqualsEqualsToken ||
        op === ts.SyntaxKind.EqualsEqualsToken ||
        op === ts.SyntaxKind.ExclamationEqualsToken;
      // `typeof x.message === 'string'` checks a type, not the wording.
      const typeCheck = (side: ts.Expression) => ts.isTypeOfExpression(side);
      if (compares && !typeCheck(node.left) && !typeCheck(node.right) && (message(node.left) || message(node.right)))
        report(node);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return reads;
}

test('no logic in packages/core/src reads a message, outside the named functions that isolate a library', () => {
  const offending: string[] = [];
  const used = new Set<string>();
  for (const path of sourceFiles(CORE_SRC)) {
    const file = relative(CORE_SRC, path);
    for (const read of messageReads(file, readFileSync(path, 'utf8'))) {
      const key = `${file}:${read.fn}`;
      if (ALLOWED[key]) used.add(key);
      else offending.push(read.where);
    }
  }
  expect(offending).toEqual([]);
  // Every allowed function still exists and still reads (else its entry is stale).
  expect([...used].sort()).toEqual(Object.keys(ALLOWED).sort());
});

test('the check finds each way of reading a message', () => {
  const reads = (body: string) => messageReads('probe.ts', body).map((r) => r.where.replace(/^probe\.ts:\d+: /, ''));
  expect(reads('if (error.message.includes("x")) f();')).toHaveLength(1);
  expect(reads('if (/x/.test(error.message)) f();')).toHaveLength(1);
  expect(reads('if (String(error).startsWith("x")) f();')).toHaveLength(1);
  expect(reads('const m = errorMessage(e); if (m.endsWith("x")) f();')).toHaveLength(1);
  expect(reads('const message = (e as Error).message; if (/x/i.test(message)) f();')).toHaveLength(1);
  expect(reads('if (e.message === "x") f();')).toHaveLength(1);
  expect(reads('const { message: said } = e; if (said.includes("x")) f();')).toHaveLength(1);
  expect(reads('if (finding.message.indexOf(file) === 0) f();')).toHaveLength(1);
  // Not reads: wording a message, checking its type.
  expect(reads('const m = `${e.message} (hint)`; if (typeof e.message === "string") f();')).toEqual([]);
  expect(reads('const code = errorCode(e); if (code.startsWith("22")) f();')).toEqual([]);
});
