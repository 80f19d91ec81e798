/**
 * Changing what a migration's metadata says after the fact, the two ways a person needs:
 * accepting a hand edit of the SQL (so the "edited after it was generated" warning stops, and verify
 * knows the edit was meant), and re-pointing goal_sha/base_sha at the commit that replaced an amended or
 * squashed one.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ConfigurationError } from '../errors';
import { type EditAccepted, type MigrationMetadata, formatMetadata, parseMetadata, sha256Checksum } from './metadata';
import { formatAdoption, readAdoption } from './adoption';
import { isMetadataFileName, metadataFileName, parseMigrationFileName } from './naming';

export interface AcceptedEdit {
  readonly metadataPath: string;
  readonly accepted: EditAccepted;
}

/** Records the migration file's current checksum as an accepted hand edit in its NNNN.json. */
export async function acceptEdit(
  sqlPath: string,
  options: { readonly by?: string; readonly reason?: string; readonly now?: Date } = {},
): Promise<AcceptedEdit> {
  const parsedName = parseMigrationFileName(basename(sqlPath));
  if (!parsedName) throw new ConfigurationError(`${sqlPath} is not a migration file (NNNN_name.sql)`);
  let text: string;
  try {
    text = await readFile(sqlPath, 'utf8');
  } catch {
    throw new ConfigurationError(`migration file ${sqlPath} does not exist`);
  }
  const metadataPath = join(dirname(sqlPath), metadataFileName(parsedName.version));
  let metadataText: string;
  try {
    metadataText = await readFile(metadataPath, 'utf8');
  } catch {
    throw new ConfigurationError(
      `${sqlPath} has no metadata file ${metadataPath}: there is no generated checksum to differ from, nothing to accept`,
    );
  }
  const metadata = parseMetadata(metadataPath, metadataText);
  const checksum = sha256Checksum(text);
  if (!metadata.checksum || metadata.checksum === checksum) {
    throw new ConfigurationError(
      `${sqlPath} is as generated (its checksum matches ${metadataPath}): nothing to accept`,
    );
  }
  const accepted: EditAccepted = {
    checksum,
    at: (options.now ?? new Date()).toISOString(),
    ...(options.by ? { by: options.by } : {}),
    ...(options.reason ? { reason: options.reason } : {}),
  };
  await writeFile(metadataPath, formatMetadata({ ...metadata, edit_accepted: accepted }));
  return { metadataPath, accepted };
}

export interface RepointedFile {
  readonly metadataPath: string;
  readonly fields: readonly ('goal_sha' | 'base_sha')[];
}

const names = (sha: string, given: string) =>
  sha.toLowerCase() === given.toLowerCase() || (given.length >= 7 && sha.toLowerCase().startsWith(given.toLowerCase()));

/**
 * Replaces a commit in every metadata file of a migrations directory: goal_sha and base_sha naming
 * `from` (the full sha or a prefix of 7+ digits) become `to` (a full sha). Returns the files changed;
 * ConfigurationError when none names `from`.
 */
export async function repointCommit(dir: string, from: string, to: string): Promise<RepointedFile[]> {
  if (!/^[0-9a-f]{7,64}$/i.test(from))
    throw new ConfigurationError(`the commit to repoint from, "${from}", must be a commit sha (7 to 64 hex digits)`, {
      option: 'from',
    });
  let entries: string[];
  try {
    entries = (await readdir(dir)).filter(isMetadataFileName).sort();
  } catch {
    throw new ConfigurationError(`migrations directory ${dir} does not exist`);
  }
  const changed: RepointedFile[] = [];
  for (const name of entries) {
    const path = join(dir, name);
    const metadata = parseMetadata(path, await readFile(path, 'utf8'));
    const fields: ('goal_sha' | 'base_sha')[] = [];
    const next: Record<string, unknown> = { ...metadata };
    for (const field of ['goal_sha', 'base_sha'] as const) {
      const value = metadata[field];
      if (value && names(value, from)) {
        next[field] = to;
        fields.push(field);
      }
    }
    if (fields.length === 0) continue;
    await writeFile(path, formatMetadata(next as unknown as MigrationMetadata));
    changed.push({ metadataPath: path, fields });
  }
  // The adoption record names the commit the adopted history builds.
  const adoption = await readAdoption(dir);
  if (adoption && names(adoption.goal_sha, from)) {
    const { path, version: _version, ...record } = adoption;
    await writeFile(path, formatAdoption({ ...record, goal_sha: to }));
    changed.push({ metadataPath: path, fields: ['goal_sha'] });
  }
  if (changed.length === 0)
    throw new ConfigurationError(`no metadata in ${dir} names commit ${from} (as goal_sha or base_sha)`);
  return changed;
}
