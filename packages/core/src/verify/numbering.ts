/**
 * Check 1, numbering: the pull request's new migrations (files absent from the migrations directory at
 * the base commit, read with git) continue the base's latest version without gap or duplicate, each
 * metadata's base_sha is the previous version's goal_sha (or, for the files of one change create split,
 * the same base and goal as the previous file), and every file parses. Each problem names
 * the file (and line) at fault, for the annotation on the pull request.
 */
import { join } from 'node:path';
import { ConfigurationError } from '../errors';
import { blobHash, type Git } from '../git';
import { type MigrationFile, parseMigrationFile } from '../migrations/format';
import { checkTransactionControl } from '../migrations/transaction-control';
import { type MigrationMetadata, parseMetadata, sha256Checksum } from '../migrations/metadata';
import {
  isMetadataFileName,
  isMigrationFileName,
  metadataFileName,
  padVersion,
  parseMetadataFileName,
  parseMigrationFileName,
} from '../migrations/naming';
import { type MigrationSet, listMigrationDir, readMigrationDir, readTextFile } from '../migrations/store';
import { type Adoption, readAdoption } from '../migrations/adoption';
import { isEmptySchemaRef } from '../schema-source/schema-source';
import { CHECK_TITLES, type VerifyCheck, type VerifyFinding } from './report';

/** A migration file of the pull request, read on its own so one broken file does not hide the others. */
export interface MigrationEntry {
  readonly version: number;
  readonly fileName: string;
  readonly path: string;
  readonly text: string;
  /** Absent when the file does not parse (the numbering check says why). */
  readonly parsed?: MigrationFile;
  readonly metadata?: MigrationMetadata;
  readonly metadataPath?: string;
  readonly metadataText?: string;
  /** Not in the migrations directory at the base commit. */
  readonly isNew: boolean;
}

export interface NumberingOutcome {
  readonly check: VerifyCheck;
  /** Every migration in the working tree, in version order. */
  readonly entries: readonly MigrationEntry[];
  readonly newEntries: readonly MigrationEntry[];
  /** The highest version at the base commit (0 when it had none). */
  readonly baseLatest: number;
  /** The directory as the applier reads it; absent when numbering found errors. */
  readonly set?: MigrationSet;
  /** The adopted history's record (db-migrate.json), when there is one. */
  readonly adoption?: Adoption;
}

export interface NumberingOptions {
  /** The migrations directory on disk. */
  readonly dir: string;
  /** The repository holding it, and the directory's path inside it (needed only with a base commit). */
  readonly git?: Git;
  readonly repoPath: string;
  /** Without a base commit every migration counts as new. */
  readonly baseSha?: string;
}

/** A finding for a ConfigurationError of our parsers and readers: the file and line they carry, else `file` and `line`. */
function errorFinding(error: ConfigurationError, file?: string, line?: number): VerifyFinding {
  const at = error.file ?? file;
  return {
    level: 'error',
    message: error.message,
    ...(at ? { file: at } : {}),
    // A ConfigurationError that carries its file names it first in its message.
    ...(error.file !== undefined ? { namesFile: true } : {}),
    ...((error.line ?? line) !== undefined ? { line: error.line ?? line } : {}),
  };
}

/** The 1-based line where `"key":` appears in a JSON text, for pointing at a metadata field. */
function keyLine(text: string | undefined, key: string): number | undefined {
  if (text === undefined) return undefined;
  const index = text.search(new RegExp(`"${key}"\\s*:`));
  return index < 0 ? undefined : text.slice(0, index).split('\n').length;
}

/** Two commit names for the same commit: equal, or one an abbreviation (7+ hex digits) of the other. */
export function sameCommit(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x === y) return true;
  const [short, long] = x.length < y.length ? [x, y] : [y, x];
  return /^[0-9a-f]{7,}$/.test(short) && /^[0-9a-f]{40,64}$/.test(long) && long.startsWith(short);
}

/** Both files record the same base (the empty database counts) and the same goal: parts of one change. */
function sameChange(a: MigrationMetadata, b: MigrationMetadata): boolean {
  if (a.goal_sha === undefined || b.goal_sha === undefined || !sameCommit(a.goal_sha, b.goal_sha)) return false;
  if (isEmptySchemaRef(a.base_sha) || isEmptySchemaRef(b.base_sha))
    return isEmptySchemaRef(a.base_sha) && isEmptySchemaRef(b.base_sha);
  return sameCommit(a.base_sha, b.base_sha);
}

async function readEntries(
  dir: string,
  isNew: (fileName: string) => boolean,
  findings: VerifyFinding[],
): Promise<MigrationEntry[]> {
  const listing = await listMigrationDir(dir);
  const names = listing.files.sort();
  for (const problem of listing.problems)
    findings.push({ level: 'error', file: problem.path, message: problem.message, namesFile: true });
  const metadataNames = new Map<number, string>();
  for (const name of names.filter(isMetadataFileName)) metadataNames.set(parseMetadataFileName(name)!, name);
  const entries: MigrationEntry[] = [];
  const versions = new Set<number>();
  for (const fileName of names.filter(isMigrationFileName)) {
    const path = join(dir, fileName);
    const nameParts = parseMigrationFileName(fileName);
    if (!nameParts || nameParts.version < 1) {
      findings.push({
        level: 'error',
        file: path,
        message: `${fileName}: a migration file name must start with its version number (from 1), e.g. 0001_create_users.sql`,
      });
      continue;
    }
    let text: string;
    try {
      text = await readTextFile(path);
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      findings.push(errorFinding(error, path));
      continue;
    }
    let parsed: MigrationFile | undefined;
    try {
      const file = parseMigrationFile(path, text);
      await checkTransactionControl(file);
      parsed = file;
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      findings.push(errorFinding(error, path));
    }
    let metadata: MigrationMetadata | undefined;
    let metadataPath: string | undefined;
    let metadataText: string | undefined;
    const metadataName = metadataNames.get(nameParts.version);
    if (metadataName !== undefined && !versions.has(nameParts.version)) {
      metadataPath = join(dir, metadataName);
      try {
        const read = await readTextFile(metadataPath);
        metadataText = read;
        metadata = parseMetadata(metadataPath, read);
      } catch (error) {
        if (!(error instanceof ConfigurationError)) throw error;
        findings.push(errorFinding(error, metadataPath));
      }
    }
    versions.add(nameParts.version);
    entries.push({
      version: nameParts.version,
      fileName,
      path,
      text,
      parsed,
      metadata,
      metadataPath,
      metadataText,
      isNew: isNew(fileName),
    });
  }
  for (const [version, name] of metadataNames) {
    if (!versions.has(version))
      findings.push({
        level: 'error',
        file: join(dir, name),
        message: `${name} has no migration file ${padVersion(version)}_*.sql`,
      });
  }
  // sql-migrate's order: the version as an integer, then the file name.
  return entries.sort((a, b) => a.version - b.version || (a.fileName < b.fileName ? -1 : 1));
}

/** The metadata chain: each migration starts where the previous one ended. */
function checkChain(
  entries: readonly MigrationEntry[],
  adoption: Adoption | undefined,
  findings: VerifyFinding[],
): void {
  for (const entry of entries.filter((e) => e.isNew && !(adoption && e.version <= adoption.version))) {
    const metadata = entry.metadata;
    if (!metadata) {
      if (entry.metadataPath === undefined) {
        findings.push({
          level: 'notice',
          file: entry.path,
          line: 1,
          message: `${entry.fileName} has no metadata file ${metadataFileName(entry.version)}: its base_sha cannot be checked (allowed for hand-written migrations)`,
        });
      }
      continue;
    }
    const previous = entries.filter((e) => e.version === entry.version - 1)[0];
    const at = { file: entry.metadataPath, line: keyLine(entry.metadataText, 'base_sha') ?? 1 };
    if (entry.version === 1 || !previous) {
      if (entry.version === 1 && !isEmptySchemaRef(metadata.base_sha)) {
        findings.push({
          level: 'error',
          ...at,
          namesFile: true,
          message: `${entry.metadataPath}: the first migration must start from the empty database, but its base_sha is ${metadata.base_sha}`,
        });
      }
      continue;
    }
    // A later file of one change that create split (create/split.ts) records the same base and goal as the file before it.
    if (previous.metadata && sameChange(metadata, previous.metadata)) continue;
    if (metadata.base_sha === undefined) {
      findings.push({
        level: 'warning',
        ...at,
        namesFile: true,
        message: `${entry.metadataPath} has no base_sha: cannot check that ${entry.fileName} starts where ${previous.fileName} ends`,
      });
      continue;
    }
    const expected =
      previous.metadata?.goal_sha ?? (adoption?.adopted_through === previous.fileName ? adoption.goal_sha : undefined);
    if (expected === undefined) {
      findings.push({
        level: 'notice',
        ...at,
        message: `${previous.fileName} records no goal_sha: cannot check the base_sha of ${entry.fileName}`,
      });
      continue;
    }
    if (!sameCommit(metadata.base_sha, expected)) {
      findings.push({
        level: 'error',
        ...at,
        message:
          `${entry.metadataPath}: base_sha is ${metadata.base_sha} but the previous migration ${previous.fileName} ends at goal_sha ${expected}: ` +
          `${entry.fileName} was generated from another starting point (regenerate it from the latest migration)`,
      });
    }
  }
}

/**
 * A new migration's text must be what create wrote (its checksum) or a hand edit accepted with
 * `db-migrate accept-edit` (edit_accepted.checksum): anything else is an edit nobody vouched for.
 */
function checkEdits(newEntries: readonly MigrationEntry[], findings: VerifyFinding[]): void {
  for (const entry of newEntries) {
    const metadata = entry.metadata;
    if (!metadata?.checksum) continue;
    const checksum = sha256Checksum(entry.text);
    if (metadata.checksum === checksum) continue;
    const accepted = metadata.edit_accepted;
    if (accepted?.checksum === checksum) {
      const who = [accepted.by, accepted.at].filter(Boolean).join(', ');
      findings.push({
        level: 'notice',
        file: entry.path,
        line: 1,
        message: `${entry.fileName} was edited by hand; the edit was accepted (${who})${accepted.reason ? `: ${accepted.reason}` : ''}`,
      });
      continue;
    }
    // A notice (as it always was); edited again after an accepted edit, a warning: someone vouched for other text.
    const again = accepted ? ' again after its edit was accepted' : '';
    findings.push({
      level: accepted ? 'warning' : 'notice',
      file: entry.path,
      line: 1,
      message: `${entry.fileName} was edited${again} after it was generated (checksum differs from ${metadataFileName(entry.version)}); if the edit is intended, record it`,
      remedies: [
        { kind: 'command', command: 'accept-edit', args: [entry.path], options: [{ option: 'reason', value: '...' }] },
      ],
    });
  }
}

export async function checkNumbering(options: NumberingOptions): Promise<NumberingOutcome> {
  const { dir, git, repoPath, baseSha } = options;
  const findings: VerifyFinding[] = [];
  let adoption: Adoption | undefined;
  try {
    adoption = await readAdoption(dir);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    findings.push(errorFinding(error, join(dir, 'db-migrate.json'), 1));
  }
  const isAdopted = (version: number) => adoption !== undefined && version <= adoption.version;

  // The migrations at the base commit: what is already merged (and maybe applied somewhere).
  const baseFiles = new Map<string, number>();
  const baseBlobs = new Map<string, string>();
  if (baseSha && git) {
    for (const { name: fileName, sha } of await git.listBlobs(baseSha, repoPath)) {
      const parsedName = parseMigrationFileName(fileName);
      if (isMigrationFileName(fileName) && parsedName) {
        baseFiles.set(fileName, parsedName.version);
        baseBlobs.set(fileName, sha);
      }
    }
  }
  const baseLatest = Math.max(0, ...baseFiles.values());
  const entries = await readEntries(dir, (fileName) => !baseFiles.has(fileName), findings);
  const newEntries = entries.filter((e) => e.isNew);
  const present = new Set(entries.map((e) => e.fileName));
  const short = baseSha?.slice(0, 7);

  for (const [fileName] of baseFiles) {
    if (!present.has(fileName)) {
      findings.push({
        level: 'error',
        file: join(dir, fileName),
        message: `${fileName} exists at the base commit ${short} but not here: a merged migration may already be applied, so it must stay (add a new migration instead)`,
      });
    }
  }
  for (const entry of entries.filter((e) => !e.isNew)) {
    // The same object name means the same bytes: only a file that differs is read back from git.
    const blob = baseBlobs.get(entry.fileName);
    if (blob && blobHash(Buffer.from(entry.text, 'utf8'), blob.length) === blob) continue;
    const before = await git!.showFile(baseSha!, repoPath === '.' ? entry.fileName : `${repoPath}/${entry.fileName}`);
    if (before !== undefined && before !== entry.text) {
      findings.push({
        level: 'warning',
        file: entry.path,
        line: 1,
        message: `${entry.fileName} was changed after it was merged (base ${short}): databases that already applied it will not get the change`,
      });
    }
  }

  // Duplicates anywhere, then the new versions must run on from the base's latest.
  for (const [index, entry] of entries.entries()) {
    const earlier = entries[index - 1];
    if (earlier && earlier.version === entry.version) {
      const culprit = entry.isNew ? entry : earlier;
      const other = culprit === entry ? earlier : entry;
      const where = other.isNew ? '' : ` (already merged at the base commit ${short})`;
      findings.push({
        level: 'error',
        file: culprit.path,
        line: 1,
        message: `duplicate version ${entry.version}: ${culprit.fileName} and ${other.fileName}${where}; renumber ${culprit.fileName}`,
      });
    }
  }
  let expected = baseLatest + 1;
  const newVersions = [...new Set(newEntries.map((e) => e.version))];
  for (const version of newVersions) {
    const entry = newEntries.find((e) => e.version === version)!;
    if (isAdopted(version) && version >= expected) {
      // The adopted history keeps sql-migrate's numbers (timestamps): gaps are its own.
      expected = version + 1;
      continue;
    }
    if (version > expected) {
      const missing =
        version - 1 === expected ? `version ${expected} is` : `versions ${expected} to ${version - 1} are`;
      const after = entries.filter((e) => e.version < version).pop();
      findings.push({
        level: 'error',
        file: entry.path,
        line: 1,
        message: `${missing} missing: ${entry.fileName} follows ${after ? after.fileName : 'no migration'}; renumber it ${padVersion(expected)}`,
      });
    } else if (version < expected && !entries.some((e) => !e.isNew && e.version === version)) {
      findings.push({
        level: 'error',
        file: entry.path,
        line: 1,
        message: `${entry.fileName} is new but the base commit ${short} is already at version ${baseLatest}: number it ${padVersion(expected)} or later`,
      });
    }
    expected = Math.max(expected, version) + 1;
  }
  // Gaps among the merged migrations are the base's problem, but the applier refuses them all the same.
  const merged = entries.filter((e) => !e.isNew);
  for (const [index, entry] of merged.entries()) {
    const earlier = merged[index - 1];
    const first = index === 0 ? 1 : earlier.version + 1;
    if (entry.version > first && !isAdopted(entry.version))
      findings.push({
        level: 'error',
        file: entry.path,
        line: 1,
        message: `version ${first} is missing before ${entry.fileName}`,
      });
  }

  checkChain(entries, adoption, findings);
  checkEdits(newEntries, findings);

  // Whatever else the store refuses (a metadata "version" or "name" that does not match its file...).
  let set: MigrationSet | undefined;
  if (!findings.some((f) => f.level === 'error')) {
    try {
      set = await readMigrationDir(dir);
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      findings.push(errorFinding(error, undefined, error.file ? 1 : undefined));
    }
  }

  const errors = findings.filter((f) => f.level === 'error').length;
  const warnings = findings.filter((f) => f.level === 'warning').length;
  const range =
    newEntries.length === 0
      ? 'no new migrations'
      : `new: ${newEntries.map((e) => e.fileName).join(', ')}${baseSha ? ` after version ${baseLatest}` : ''}`;
  const check: VerifyCheck = {
    name: 'numbering',
    title: CHECK_TITLES.numbering,
    status: errors > 0 ? 'failed' : warnings > 0 ? 'warning' : 'passed',
    summary: errors > 0 ? `${errors} problem${errors === 1 ? '' : 's'} (${range})` : range,
    findings,
  };
  return { check, entries, newEntries, baseLatest, ...(set ? { set } : {}), ...(adoption ? { adoption } : {}) };
}
