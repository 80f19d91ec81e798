/**
 * What the lint rules match against: a statement with its comments, string literals and dollar-quoted
 * bodies blanked out (same length, newlines kept, so an offset still maps to a line), so that a
 * `DROP COLUMN` written inside a string or a function body is never taken for one.
 */

const DOLLAR_TAG = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;
const IDENTIFIER_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;

const blank = (text: string) => text.replace(/[^\n]/g, ' ');

/** The statement with comments, literals and bodies replaced by spaces; quoted identifiers are kept. */
export function maskSql(sql: string): string {
  let out = '';
  let i = 0;
  const n = sql.length;
  const take = (end: number, hide: boolean) => {
    const piece = sql.slice(i, end);
    out += hide ? blank(piece) : piece;
    i = end;
  };
  while (i < n) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      take(end < 0 ? n : end, true);
    } else if (c === '/' && next === '*') {
      let depth = 1;
      let j = i + 2;
      while (j < n && depth > 0) {
        if (sql[j] === '/' && sql[j + 1] === '*') {
          depth++;
          j += 2;
        } else if (sql[j] === '*' && sql[j + 1] === '/') {
          depth--;
          j += 2;
        } else j++;
      }
      take(j, true);
    } else if (c === "'") {
      const escaped = i > 0 && /[eE]/.test(sql[i - 1]);
      let j = i + 1;
      while (j < n) {
        if (escaped && sql[j] === '\\') j += 2;
        else if (sql[j] === "'" && sql[j + 1] === "'") j += 2;
        else if (sql[j] === "'") break;
        else j++;
      }
      // Keep the quotes: `DEFAULT ''` must still read as a default.
      out += "'";
      i++;
      take(Math.min(j, n), true);
      if (i < n) take(i + 1, false);
    } else if (c === '"') {
      let j = i + 1;
      while (j < n) {
        if (sql[j] === '"' && sql[j + 1] === '"') j += 2;
        else if (sql[j] === '"') break;
        else j++;
      }
      take(Math.min(j + 1, n), false);
    } else if (c === '$' && !(i > 0 && IDENTIFIER_CHAR.test(sql[i - 1]))) {
      const match = DOLLAR_TAG.exec(sql.slice(i, i + 200));
      if (!match) {
        take(i + 1, false);
        continue;
      }
      const tag = match[0];
      const end = sql.indexOf(tag, i + tag.length);
      out += tag;
      i += tag.length;
      take(end < 0 ? n : end, true);
      if (end >= 0) take(i + tag.length, false);
    } else {
      take(i + 1, false);
    }
  }
  return out;
}

/** A possibly qualified, possibly quoted name: `users`, `public.users`, `"Odd Name"`. */
export const NAME = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*))?`;

/** A table name as Postgres resolves it without a search_path: unquoted parts fold to lower case, `public` by default. */
export function normalizeTableName(name: string): string {
  const parts = name.match(/"(?:[^"]|"")+"|[^.\s"]+/g) ?? [name];
  const folded = parts.map((p) => (p.startsWith('"') ? p.slice(1, -1).replace(/""/g, '"') : p.toLowerCase()));
  return folded.length === 1 ? `public.${folded[0]}` : folded.join('.');
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
