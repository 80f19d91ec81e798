/**
 * Migration file names. A migration is `NNNN_slug.sql` (the version zero-padded to 4 digits, compared as
 * an integer like sql-migrate does, so 10000 follows 9999); its metadata is `NNNN.json`, named by the
 * version alone so that two branches allocating the same version collide on one path in git.
 */

const VERSION_DIGITS = 4;
const MAX_SLUG_LENGTH = 60;

export function padVersion(version: number): string {
  return String(version).padStart(VERSION_DIGITS, '0');
}

/** A file-name-safe name: lower case letters, digits and single underscores. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, MAX_SLUG_LENGTH)
    .replace(/_+$/, '');
  return slug || 'migration';
}

export function migrationFileName(version: number, name: string): string {
  return `${padVersion(version)}_${slugify(name)}.sql`;
}

export function metadataFileName(version: number): string {
  return `${padVersion(version)}.json`;
}

/** sql-migrate's rule: only lower-case `.sql` names directly in the directory are migrations. */
export function isMigrationFileName(fileName: string): boolean {
  return fileName.endsWith('.sql');
}

export function isMetadataFileName(fileName: string): boolean {
  return /^\d+\.json$/.test(fileName);
}

/** The version and name of `0042_add_users.sql` (42, "add_users"); undefined without leading digits. */
export function parseMigrationFileName(fileName: string): { version: number; name: string } | undefined {
  const match = /^(\d+)(.*)\.sql$/.exec(fileName);
  if (!match) return undefined;
  return { version: Number(match[1]), name: match[2].replace(/^[_-]/, '') };
}

export function parseMetadataFileName(fileName: string): number | undefined {
  const match = /^(\d+)\.json$/.exec(fileName);
  return match ? Number(match[1]) : undefined;
}
