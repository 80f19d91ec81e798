/**
 * sql-migrate's line rules, reproduced exactly (sqlparse.ParseMigration in rubenv/sql-migrate, the
 * version Debian ships). Both tools must cut a file into the same statements, so these functions are
 * the single place that knows how sql-migrate reads a line.
 */

/** Every marker starts with this, at column 0, with exactly one space before and after `+migrate`. */
export const MARKER_PREFIX = '-- +migrate ';
export const NO_TRANSACTION_OPTION = 'notransaction';
export const UP_MARKER = `${MARKER_PREFIX}Up`;
export const DOWN_MARKER = `${MARKER_PREFIX}Down`;
export const STATEMENT_BEGIN_MARKER = `${MARKER_PREFIX}StatementBegin`;
export const STATEMENT_END_MARKER = `${MARKER_PREFIX}StatementEnd`;

/**
 * Splits text into lines the way Go's bufio.Scanner (ScanLines) does: on "\n", dropping one "\r"
 * before it, and without an empty last line when the text ends with a newline.
 */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}

/** A `-- ` comment line, which sql-migrate drops before anything else (even inside a StatementBegin block). */
export function isDroppedCommentLine(line: string): boolean {
  return line.startsWith('-- ') && !line.startsWith('-- +');
}

/** Lines starting `-- +` are never part of a statement: markers, or annotations sql-migrate skips. */
export function isAnnotationLine(line: string): boolean {
  return line.startsWith('-- +');
}

// Go's unicode.IsSpace for the word splitter (bufio.ScanWords): not JavaScript's \s, which adds U+FEFF.
const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/**
 * True when sql-migrate ends a statement at this line: the last whitespace-separated word before
 * the first word starting with `--` ends in `;`. It knows nothing of quotes, `$$` or block comments.
 */
export function endsWithSemicolon(line: string): boolean {
  let previous = '';
  for (const word of line.split(GO_SPACE)) {
    if (word === '') continue;
    if (word.startsWith('--')) break;
    previous = word;
  }
  return previous.endsWith(';');
}

export interface MarkerCommand {
  readonly command: string;
  readonly options: readonly string[];
}

/** Reads a `-- +migrate <Command> [options]` line; undefined when the line is not one. */
export function parseMarker(line: string): MarkerCommand | undefined {
  if (!line.startsWith(MARKER_PREFIX)) return undefined;
  const fields = line
    .slice(MARKER_PREFIX.length)
    .split(GO_SPACE)
    .filter((f) => f !== '');
  return { command: fields[0] ?? '', options: fields.slice(1) };
}
