/**
 * Which SQL files a commit's schema is loaded from. Each `--schema-sql` entry (relative to the schema
 * directory) is resolved at the commit being built, from git's tree of that commit:
 * - a file: that file; absent at the commit, it is treated as absent (a schema file added later);
 *   an entry that names nothing at the commit nor at HEAD is a mistake (a typo), a ConfigurationError;
 * - a directory: the `*.sql` files directly in it (not in its subdirectories, so a migrations directory
 *   inside it is never loaded as schema; `dir/**\/*.sql` takes them all);
 * - a glob (`*`, `**`, `?`, `[...]`, docs/globs.md): every file it matches, e.g. `tables/*.sql` or `**\/*.sql`.
 * Entries are taken in the order given; the files of one directory or glob in path order (byte order of
 * the path, as `LC_ALL=C sort`: `01_users.sql` before `02_orders.sql`, `a/x.sql` before `b.sql`). A file
 * named by two entries is loaded once, at its first place.
 */
import { ConfigurationError } from '../errors';
import type { Git } from '../git';
import { globToRegExp, isGlob } from '../glob';

export interface SqlFileList {
  /** Files to load, relative to the schema directory, in load order. */
  readonly files: readonly string[];
  /** Entries that named nothing at the commit, for a notice. */
  readonly absent: readonly string[];
}

const byPath = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Resolves the entries against the files of schemaDir at a commit. */
export async function resolveSqlFiles(
  git: Git,
  sha: string,
  schemaDir: string,
  entries: readonly string[],
): Promise<SqlFileList> {
  const all = [...(await git.listTree(sha, schemaDir))].sort(byPath);
  const present = new Set(all);
  const files: string[] = [];
  const absent: string[] = [];
  const seen = new Set<string>();
  const take = (list: readonly string[]) => {
    for (const file of list) if (!seen.has(file)) seen.add(file), files.push(file);
  };
  for (const raw of entries) {
    const entry = raw.replace(/^\.\//, '').replace(/\/+$/, '');
    let matched: string[];
    if (isGlob(entry)) {
      const pattern = globToRegExp(entry);
      matched = all.filter((file) => pattern.test(file));
    } else if (present.has(entry)) {
      matched = [entry];
    } else {
      const prefix = entry === '.' || entry === '' ? '' : `${entry}/`;
      matched = all.filter(
        (file) =>
          file.startsWith(prefix) && !file.slice(prefix.length).includes('/') && file.toLowerCase().endsWith('.sql'),
      );
    }
    if (matched.length === 0) absent.push(raw);
    take(matched);
  }
  for (const entry of absent) {
    const head = await git.revParse('HEAD');
    if (head && head !== sha && (await resolveSqlFiles(git, head, schemaDir, [entry])).files.length > 0) continue;
    const shown = schemaDir === '.' ? entry : `${schemaDir}/${entry}`;
    throw new ConfigurationError(
      `SQL file ${shown} does not exist at commit ${sha.slice(0, 7)} nor at HEAD: check the schema SQL entry (a file, directory or glob under the schema directory)`,
      { option: 'schemaSql' },
    );
  }
  return { files, absent };
}
