/**
 * A small PostgreSQL lexer that only tracks where quoted text and comments begin and end. It tells
 * whether a piece of SQL stops in the middle of a string, a quoted identifier, a dollar-quoted body
 * or a comment: exactly the places where sql-migrate's line-based splitting goes wrong.
 */

export type OpenTokenKind = 'string' | 'escape string' | 'quoted identifier' | 'dollar-quoted body' | 'block comment' | 'line comment';

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

export function scanSql(text: string): SqlScan {
  let hasDollarQuote = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '-' && next === '-') {
      const end = text.indexOf('\n', i);
      if (end < 0) return { open: { kind: 'line comment', offset: i }, hasDollarQuote };
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
      if (depth > 0) return { open: { kind: 'block comment', offset: start }, hasDollarQuote };
    } else if (c === "'") {
      const escaped = i > 0 && /[eE]/.test(text[i - 1]) && !continuesIdentifier(text, i - 1);
      const start = escaped ? i - 1 : i;
      i++;
      let closed = false;
      while (i < n) {
        if (escaped && text[i] === '\\') i += 2;
        else if (text[i] === "'") {
          if (text[i + 1] === "'") i += 2;
          else {
            i++;
            closed = true;
            break;
          }
        } else i++;
      }
      if (!closed) return { open: { kind: escaped ? 'escape string' : 'string', offset: start }, hasDollarQuote };
    } else if (c === '"') {
      const start = i;
      i++;
      let closed = false;
      while (i < n) {
        if (text[i] === '"') {
          if (text[i + 1] === '"') i += 2;
          else {
            i++;
            closed = true;
            break;
          }
        } else i++;
      }
      if (!closed) return { open: { kind: 'quoted identifier', offset: start }, hasDollarQuote };
    } else if (c === '$' && !continuesIdentifier(text, i)) {
      const match = DOLLAR_TAG.exec(text.slice(i, i + 200));
      if (!match) {
        i++;
        continue;
      }
      hasDollarQuote = true;
      const tag = match[0];
      const end = text.indexOf(tag, i + tag.length);
      if (end < 0) return { open: { kind: 'dollar-quoted body', offset: i, tag }, hasDollarQuote };
      i = end + tag.length;
    } else i++;
  }
  return { hasDollarQuote };
}
