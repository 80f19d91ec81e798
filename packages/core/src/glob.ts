/**
 * The one glob syntax of db-migrate (docs/globs.md), for schema file lists (`--schema-sql`), exclude-table
 * patterns and the check of a workflow's `paths:` filter:
 * - `*` any characters but `/`; `**` any characters, `/` included; `**\/` any number of directories, none too;
 * - `?` one character but `/`;
 * - `[abc]`, `[a-z]` one character of the set, `[!abc]` one character not in it;
 * - anything else, `.` included, matches itself.
 */

/** Whether `text` holds glob syntax (`*`, `?` or `[`), rather than naming one thing. */
export function isGlob(text: string): boolean {
  return /[*?[]/.test(text);
}

/** A glob as a regular expression over the whole text. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      out += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[' && glob.indexOf(']', i + 2) > 0) {
      const end = glob.indexOf(']', i + 2);
      const set = glob.slice(i + 1, end);
      const negated = set.startsWith('!');
      out += `[${negated ? '^' : ''}${(negated ? set.slice(1) : set).replace(/[\\^\]]/g, '\\$&')}]`;
      i = end;
    } else out += c!.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** Whether `glob` matches the whole of `text`. */
export function globMatches(glob: string, text: string): boolean {
  return globToRegExp(glob).test(text);
}
