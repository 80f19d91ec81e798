/**
 * The migration file format: sql-migrate's `-- +migrate Up|Down [notransaction]` sections with
 * `StatementBegin/StatementEnd` blocks. The parser cuts statements exactly where sql-migrate does, so
 * both tools run the same SQL, and refuses (naming file and line) every file that sql-migrate would
 * read differently from what its author meant. The formatter only writes files both tools read alike.
 */
import { ConfigurationError } from '../errors';
import { type OpenTokenKind, scanSql } from './sql-scan';
import {
  DOWN_MARKER,
  MARKER_PREFIX,
  NO_TRANSACTION_OPTION,
  STATEMENT_BEGIN_MARKER,
  STATEMENT_END_MARKER,
  UP_MARKER,
  endsWithSemicolon,
  isAnnotationLine,
  isDroppedCommentLine,
  parseMarker,
  splitLines,
} from './sql-migrate-syntax';

export interface MigrationStatement {
  /** Exactly the text sql-migrate sends to the server for this statement (each line ends in "\n"). */
  readonly sql: string;
  /** 1-based line in the file of the statement's first non-blank line. */
  readonly line: number;
  /** The file line of each line of `sql` (the `-- ` comment lines sql-migrate drops are not in `sql`). */
  readonly lines: readonly number[];
  /** True when the statement was written between StatementBegin and StatementEnd. */
  readonly block: boolean;
}

export interface MigrationSection {
  readonly statements: readonly MigrationStatement[];
  /** `-- +migrate Up notransaction`: statements run one by one outside a transaction. */
  readonly noTransaction: boolean;
  /** Line of the section's marker. */
  readonly line: number;
}

export interface MigrationFile {
  /** How the file is named in messages (usually its path). */
  readonly source: string;
  readonly up: MigrationSection;
  /** Absent when the file has no `-- +migrate Down` marker; present and empty for an explicit no-op. */
  readonly down?: MigrationSection;
}

interface OpenSection {
  readonly direction: 'Up' | 'Down';
  readonly line: number;
  readonly noTransaction: boolean;
  readonly statements: MigrationStatement[];
}

const TEXT_TOKENS: ReadonlySet<OpenTokenKind> = new Set(['string', 'escape string', 'quoted identifier']);
const WRAP_HINT = `wrap the statement in "${STATEMENT_BEGIN_MARKER}" and "${STATEMENT_END_MARKER}" lines`;
// A line that was probably meant as a marker but is not one for sql-migrate (indented, no space, lower case...).
const MARKER_LOOKALIKE = /^\s*--\s*\+\s*migrate\b/i;
// Characters JavaScript's \s matches but sql-migrate does not: a no-break space, a BOM, zero-width ones.
const INVISIBLE_CHARACTER = /[\u00A0\u1680\u2000-\u200B\u2028\u2029\u202F\u205F\u3000\uFEFF]/;

/** Parses a migration file, or throws a ConfigurationError naming `source` and the line at fault. */
export function parseMigrationFile(source: string, text: string): MigrationFile {
  const fail = (line: number, message: string): never => {
    throw new ConfigurationError(`${source} line ${line}: ${message}`, { file: source, line });
  };
  // sql-migrate reads the marker behind a BOM as text before the first marker: it skips the section (and
  // applies a file with a Down section as if its Up were empty).
  if (text.startsWith('\uFEFF')) {
    fail(
      1,
      'the file starts with a UTF-8 byte-order mark (U+FEFF, invisible in most editors), which hides the marker on this line from sql-migrate: save the file as UTF-8 without BOM',
    );
  }
  const sections: Partial<Record<'Up' | 'Down', OpenSection>> = {};
  let current: OpenSection | undefined;
  let blockLine: number | undefined;
  let buffer: string[] = [];
  let bufferLines: number[] = [];

  const pendingText = () => buffer.some((l) => l.trim() !== '');
  const firstTextLine = () => bufferLines[buffer.findIndex((l) => l.trim() !== '')];
  const finishStatement = (block: boolean, endLine: number) => {
    const sql = buffer.map((l) => l + '\n').join('');
    const lines = bufferLines;
    buffer = [];
    bufferLines = [];
    if (sql.trim() === '') return; // an empty block: sql-migrate sends an empty query, which does nothing
    if (!block) {
      const open = scanSql(sql).open;
      if (open) {
        const openLine = lines[sql.slice(0, open.offset).split('\n').length - 1];
        fail(
          endLine,
          `sql-migrate ends the statement here (the line's last word ends in ";") but the ${open.kind} ` +
            `opened at line ${openLine} is still open, so the statement would be cut in two; ${WRAP_HINT}`,
        );
      }
    }
    const firstText = lines[sql.split('\n').findIndex((l) => l.trim() !== '')];
    current!.statements.push({ sql, line: firstText, lines, block });
  };
  const unterminated = (beforeLine: number, before: string) =>
    fail(
      firstTextLine(),
      `the statement starting here is not terminated before ${before} at line ${beforeLine}: ` +
        `end its last line with ";" or ${WRAP_HINT}`,
    );

  for (const [index, line] of splitLines(text).entries()) {
    const lineNo = index + 1;
    if (isDroppedCommentLine(line)) {
      // Harmless between statements or in a function body (where it is a comment anyway), but inside a
      // string it silently changes the data.
      const open = buffer.length > 0 ? scanSql(buffer.map((l) => l + '\n').join('')).open : undefined;
      if (open && TEXT_TOKENS.has(open.kind)) {
        const openLine = bufferLines[buffer.join('\n').slice(0, open.offset).split('\n').length - 1];
        fail(
          lineNo,
          `sql-migrate drops lines starting with "-- ", but this one is inside the ${open.kind} opened at line ${openLine}; indent it or start it differently`,
        );
      }
      continue;
    }
    const marker = parseMarker(line);
    if (!marker) {
      if (MARKER_LOOKALIKE.test(line)) {
        const invisible = INVISIBLE_CHARACTER.exec(line);
        if (invisible)
          fail(
            lineNo,
            `the marker holds an invisible character (U+${invisible[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) that sql-migrate does not take for a space: retype the line`,
          );
        fail(
          lineNo,
          `"${line.trim()}" is not a marker sql-migrate reads: write "${UP_MARKER}", "${DOWN_MARKER}", ` +
            `"${STATEMENT_BEGIN_MARKER}" or "${STATEMENT_END_MARKER}" at the start of the line`,
        );
      }
      if (!current) {
        if (line.trim() !== '' && !line.startsWith('--')) {
          fail(
            lineNo,
            `text before the first "${UP_MARKER}" marker is ignored by sql-migrate; move it into a section or make it a comment`,
          );
        }
        continue;
      }
      if (isAnnotationLine(line)) continue; // sql-migrate skips other `-- +` lines
      buffer.push(line);
      bufferLines.push(lineNo);
      if (blockLine === undefined && endsWithSemicolon(line)) finishStatement(false, lineNo);
      continue;
    }
    switch (marker.command) {
      case 'Up':
      case 'Down': {
        if (blockLine !== undefined)
          fail(
            lineNo,
            `"${MARKER_PREFIX}${marker.command}" inside the StatementBegin block opened at line ${blockLine}`,
          );
        if (pendingText()) unterminated(lineNo, `"${MARKER_PREFIX}${marker.command}"`);
        const unknown = marker.options.filter((o) => o !== NO_TRANSACTION_OPTION);
        if (unknown.length > 0)
          fail(lineNo, `unknown option "${unknown[0]}" (the only option is "${NO_TRANSACTION_OPTION}")`);
        const previous = sections[marker.command];
        if (previous)
          fail(lineNo, `a second "${MARKER_PREFIX}${marker.command}" section (the first is at line ${previous.line})`);
        current = {
          direction: marker.command,
          line: lineNo,
          noTransaction: marker.options.includes(NO_TRANSACTION_OPTION),
          statements: [],
        };
        sections[marker.command] = current;
        continue;
      }
      case 'StatementBegin':
        if (!current) fail(lineNo, `StatementBegin before the "${UP_MARKER}" or "${DOWN_MARKER}" marker`);
        if (blockLine !== undefined)
          fail(lineNo, `StatementBegin inside the block already opened at line ${blockLine}`);
        if (pendingText()) unterminated(lineNo, 'StatementBegin');
        blockLine = lineNo;
        continue;
      case 'StatementEnd':
        if (blockLine === undefined) fail(lineNo, 'StatementEnd without a StatementBegin before it');
        finishStatement(true, lineNo);
        blockLine = undefined;
        continue;
      case '':
        return fail(lineNo, `incomplete marker "${line.trim()}"`);
      default:
        return fail(
          lineNo,
          `unknown marker "${MARKER_PREFIX}${marker.command}" (sql-migrate ignores it): expected Up, Down, StatementBegin or StatementEnd`,
        );
    }
  }

  if (blockLine !== undefined) fail(blockLine, `StatementBegin without a matching "${STATEMENT_END_MARKER}"`);
  if (pendingText()) {
    fail(
      firstTextLine(),
      `the statement starting here is not terminated at the end of the file: end its last line with ";" or ${WRAP_HINT}`,
    );
  }
  const up = sections.Up;
  if (!up) throw new ConfigurationError(`${source}: no "${UP_MARKER}" section`, { file: source });
  const section = (s: OpenSection): MigrationSection => ({
    statements: s.statements,
    noTransaction: s.noTransaction,
    line: s.line,
  });
  return { source, up: section(up), ...(sections.Down ? { down: section(sections.Down) } : {}) };
}

export interface MigrationFileContent {
  /** Up statements, one SQL statement each (a trailing ";" is added when missing). */
  readonly up: readonly string[];
  /** Down statements; leave undefined to write no Down section, [] for an explicit empty one. */
  readonly down?: readonly string[];
  readonly upNoTransaction?: boolean;
  readonly downNoTransaction?: boolean;
  /** Lines written as `-- ` comments above the Up marker (hazards, provenance). */
  readonly header?: readonly string[];
}

/**
 * Writes a migration file that sql-migrate and parseMigrationFile cut into exactly the given
 * statements: any statement sql-migrate could split wrongly (a line ending in ";" before its end,
 * a dollar-quoted body, a trailing comment) goes between StatementBegin and StatementEnd.
 */
export function formatMigrationFile(content: MigrationFileContent): string {
  const out: string[] = [];
  for (const line of (content.header ?? []).flatMap((h) => h.split(/\r?\n/))) {
    // "-- +..." would be read as a marker: two spaces keep it an ordinary comment.
    out.push(line === '' ? '--' : line.startsWith('+') ? `--  ${line}` : `-- ${line}`);
  }
  if (out.length > 0) out.push('');
  const section = (marker: string, noTransaction: boolean | undefined, statements: readonly string[]) => {
    out.push(noTransaction ? `${marker} ${NO_TRANSACTION_OPTION}` : marker);
    for (const statement of statements) {
      const lines = formatStatement(statement);
      if (lines.length > 0) out.push(...lines, '');
    }
    if (out[out.length - 1] !== '') out.push('');
  };
  section(UP_MARKER, content.upNoTransaction, content.up);
  if (content.down) section(DOWN_MARKER, content.downNoTransaction, content.down);
  const text = out.join('\n').replace(/\n+$/, '') + '\n';
  checkFormatted(text, content);
  return text;
}

/** The formatter's promise, checked: the text parses into as many statements as were given. */
function checkFormatted(text: string, content: MigrationFileContent): void {
  const count = (statements: readonly string[] | undefined) => (statements ?? []).filter((s) => s.trim() !== '').length;
  let parsed: MigrationFile;
  try {
    parsed = parseMigrationFile('formatted migration', text);
  } catch (error) {
    throw new Error(`cannot write these statements so that sql-migrate reads them back: ${(error as Error).message}`);
  }
  if (
    parsed.up.statements.length !== count(content.up) ||
    (parsed.down?.statements.length ?? 0) !== count(content.down)
  ) {
    throw new Error('cannot write these statements so that sql-migrate reads them back one for one');
  }
}

function formatStatement(statement: string): string[] {
  let sql = statement.replace(/\r\n/g, '\n').trim();
  if (sql === '') return [];
  const markerLine = sql.split('\n').find((l) => isAnnotationLine(l) || MARKER_LOOKALIKE.test(l));
  if (markerLine !== undefined) {
    throw new Error(`a statement line must not look like a sql-migrate marker: "${markerLine}"`);
  }
  const scan = scanSql(sql);
  if (scan.open && scan.open.kind !== 'line comment') {
    throw new Error(`statement ends inside a ${scan.open.kind}: ${sql.slice(0, 80)}`);
  }
  if (scan.open)
    sql += '\n;'; // a ";" after a line comment would be part of the comment
  else if (!sql.endsWith(';')) sql += ';';
  const lines = sql.split('\n');
  const splitsAlike =
    !scan.hasDollarQuote &&
    lines.slice(0, -1).every((l) => !endsWithSemicolon(l)) &&
    endsWithSemicolon(lines[lines.length - 1]);
  return splitsAlike ? [sql] : [STATEMENT_BEGIN_MARKER, sql, STATEMENT_END_MARKER];
}
