import { quotedSpans } from '../migrations/sql-scan';

/**
 * What the lint rules match against: a statement with its comments, string literals and dollar-quoted
 * bodies blanked out (same length, newlines kept, so an offset still maps to a line), so that a
 * comma inside a string is never taken for one between ALTER TABLE actions.
 */

const blank = (text: string) => text.replace(/[^\n]/g, ' ');

/**
 * The statement with comments, and the insides of literals and bodies, replaced by spaces; quotes,
 * dollar tags and quoted identifiers are kept (`DEFAULT ''` must still read as a default).
 */
export function maskSql(sql: string): string {
  let out = '';
  let kept = 0;
  for (const span of quotedSpans(sql)) {
    if (span.kind === 'quoted identifier') continue;
    out += sql.slice(kept, span.contentStart) + blank(sql.slice(span.contentStart, span.contentEnd));
    kept = span.contentEnd;
  }
  return out + sql.slice(kept);
}

/** Splits at commas outside parentheses: the actions of one ALTER TABLE. Offsets are kept. */
export function splitTopLevel(text: string, start: number): { readonly text: string; readonly offset: number }[] {
  const pieces: { text: string; offset: number }[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      pieces.push({ text: text.slice(from, i), offset: start + from });
      from = i + 1;
    }
  }
  pieces.push({ text: text.slice(from), offset: start + from });
  return pieces;
}
