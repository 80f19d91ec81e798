/**
 * A small PostgreSQL lexer that only tracks where quoted text and comments begin and end. It tells
 * whether a piece of SQL stops in the middle of a string, a quoted identifier, a dollar-quoted body
 * or a comment: exactly the places where sql-migrate's line-based splitting goes wrong.
 */

export type OpenTokenKind =
  | 'string'
  | 'escape string'
  | 'quoted identifier'
  | 'dollar-quoted body'
  | 'block comment'
  | 'line comment';

export interface OpenToken {
  readonly kind: OpenTokenKind;
  /** Offset in the scanned text where the token starts. */
  readonly offset: number;
  /** The dollar-quote tag, `$$` or `$name$`. */
  readonly tag?: string;
}

export interface SqlScan {
  /** The token still open at the end of the text, if any. */
  readonly open?: OpenToken;
  /** True when the text contains a dollar-quoted body (`$$...$$` or `$tag$...$tag$`). */
  readonly hasDollarQuote: boolean;
}

const IDENTIFIER_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

function continuesIdentifier(text: string, index: number): boolean {
  return index > 0 && IDENTIFIER_CHAR.test(text[index - 1]);
}

/**
 * A stretch of quoted text or comment: `start`..`end` is all of it (quotes, tags and comment markers
 * included), `contentStart`..`contentEnd` what lies between its delimiters. `closed` is false for the
 * one the text ends inside, which is then the last.
 */
export interface QuotedSpan {
  readonly kind: OpenTokenKind;
  readonly start: number;
  readonly end: number;
  readonly contentStart: number;
  readonly contentEnd: number;
  readonly closed: boolean;
  /** The dollar-quote tag, `$$` or `$name$`. */
  readonly tag?: string;
}

/** The strings, quoted identifiers, dollar-quoted bodies and comments of a piece of SQL, in order. */
export function* quotedSpans(text: string): Generator<QuotedSpan> {
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '-' && next === '-') {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? n : end;
      yield { kind: 'line comment', start: i, end: stop, contentStart: i, contentEnd: stop, closed: end >= 0 };
      if (end < 0) return;
      i = end + 1;
    } else if (c === '/' && next === '*') {
      // Postgres block comments nest.
      const start = i;
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (text[i] === '/' && text[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (text[i] === '*' && text[i + 1] === '/') {
          depth--;
          i += 2;
        } else i++;
      }
      yield { kind: 'block comment', start, end: i, contentStart: start, contentEnd: i, closed: depth === 0 };
      if (depth > 0) return;
    } else if (c === "'" || c === '"') {
      const escaped = c === "'" && i > 0 && /[eE]/.test(text[i - 1]) && !continuesIdentifier(text, i - 1);
      const start = escaped ? i - 1 : i;
      const contentStart = i + 1;
      i++;
      let closed = false;
      while (i < n) {
        if (escaped && text[i] === '\\') i += 2;
        else if (text[i] === c) {
          if (text[i + 1] === c) i += 2;
          else {
            closed = true;
            break;
          }
        } else i++;
      }
      const contentEnd = Math.min(i, n);
      const kind: OpenTokenKind = c === '"' ? 'quoted identifier' : escaped ? 'escape string' : 'string';
      yield { kind, start, end: closed ? contentEnd + 1 : n, contentStart, contentEnd, closed };
      if (!closed) return;
      i = contentEnd + 1;
    } else if (c === '$' && !continuesIdentifier(text, i)) {
      const match = DOLLAR_TAG.exec(text.slice(i, i + 200));
      if (!match) {
        i++;
        continue;
      }
      const tag = match[0];
      const close = text.indexOf(tag, i + tag.length);
      const contentEnd = close < 0 ? n : close;
      yield {
        kind: 'dollar-quoted body',
        start: i,
        end: close < 0 ? n : close + tag.length,
        contentStart: i + tag.length,
        contentEnd,
        closed: close >= 0,
        tag,
      };
      if (close < 0) return;
      i = close + tag.length;
    } else i++;
  }
}

export function scanSql(text: string): SqlScan {
  let hasDollarQuote = false;
  for (const span of quotedSpans(text)) {
    if (span.kind === 'dollar-quoted body') hasDollarQuote = true;
    if (!span.closed)
      return { open: { kind: span.kind, offset: span.start, ...(span.tag ? { tag: span.tag } : {}) }, hasDollarQuote };
  }
  return { hasDollarQuote };
}
