/**
 * The metadata file beside each generated migration (`NNNN.json`): where the migration came from
 * (base and goal commits, schema source, generator), a checksum of the SQL as generated, and opt-outs
 * (`reversible: false`) and hazards for the checks that read it.
 */
import { createHash } from 'node:crypto';
import { ConfigurationError } from '../errors';
import { jsonErrorOffset, jsonKeyLine, lineAt } from './json-position';

export interface MigrationHazard {
  readonly code: string;
  readonly message: string;
  /** schema.name of the table whose rows the statement meets (fails-on-existing-rows): apply --dry-run checks it for rows. */
  readonly table?: string;
  /** The object a data-losing hazard loses (`public.orders.total`): what an acknowledgement names. */
  readonly object?: string;
}

/**
 * Field names are snake_case because they are the JSON file format. Only version and name are required
 * when reading: a hand-written metadata file may carry just an opt-out such as `reversible: false`.
 */
export interface MigrationMetadata {
  readonly version: number;
  readonly name: string;
  readonly base_sha?: string;
  readonly goal_sha?: string;
  /** What built the schema: the build command, or the SQL files and their directory. */
  readonly schema_source?: string;
  /** e.g. "db-migrate 0.1.0" */
  readonly generator?: string;
  /** ISO 8601 */
  readonly created_at?: string;
  /** "sha256:<hex>" of the .sql file text as generated. */
  readonly checksum?: string;
  /** false opts the migration out of the Down check (and `down` refuses to revert it). */
  readonly reversible?: boolean;
  readonly irreversible_reason?: string;
  readonly hazards?: readonly MigrationHazard[];
  /** Data losses acknowledged by DB-Migrate-Allow trailers, as `drops-data public.customers.legacy_code` (also marker lines in the file). */
  readonly allow?: readonly string[];
  /** Renames the Up section runs, as `public.products.title -> name`. */
  readonly renames?: readonly string[];
  /** A hand edit accepted (`db-migrate accept-edit`): the checksum of the edited file, when, and optionally who and why. */
  readonly edit_accepted?: EditAccepted;
}

export interface EditAccepted {
  readonly checksum: string;
  readonly at: string;
  readonly by?: string;
  readonly reason?: string;
}

/** True when the file's text is what was generated, or the hand edit accepted in the metadata. */
export function checksumAccepted(metadata: MigrationMetadata, checksum: string): boolean {
  return !metadata.checksum || metadata.checksum === checksum || metadata.edit_accepted?.checksum === checksum;
}

/** The one checksum format: "sha256:" and the hex digest of the text's UTF-8 bytes. */
export function sha256Checksum(text: string): string {
  return 'sha256:' + createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Serializes metadata with a fixed key order, so files diff well and identical input gives identical bytes. */
export function formatMetadata(metadata: MigrationMetadata): string {
  const ordered: Record<string, unknown> = {};
  for (const key of FIELD_ORDER) {
    const value = (metadata as unknown as Record<string, unknown>)[key];
    if (value !== undefined) ordered[key] = value;
  }
  return JSON.stringify(ordered, null, 2) + '\n';
}

/** Every field in file order, with the kind of value it holds (what parseMetadata checks). */
const FIELDS = {
  version: 'integer',
  name: 'string',
  base_sha: 'string',
  goal_sha: 'string',
  schema_source: 'string',
  generator: 'string',
  created_at: 'string',
  checksum: 'string',
  reversible: 'boolean',
  irreversible_reason: 'string',
  hazards: 'hazards',
  allow: 'strings',
  renames: 'strings',
  edit_accepted: 'edit',
} as const satisfies Record<keyof MigrationMetadata, string>;
const FIELD_ORDER = Object.keys(FIELDS) as (keyof typeof FIELDS)[];
const fieldsOf = (kind: (typeof FIELDS)[keyof typeof FIELDS]) => FIELD_ORDER.filter((key) => FIELDS[key] === kind);

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length} column ${before[before.length - 1].length + 1}`;
}

/** Parses and checks a metadata file, or throws a ConfigurationError naming `source` and the position. */
export function parseMetadata(source: string, text: string): MigrationMetadata {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const offset = jsonErrorOffset(text);
    const where = offset === undefined ? '' : ` ${lineAndColumn(text, offset)}`;
    throw new ConfigurationError(`${source}${where}: not valid JSON (${message.replace(/\s+/g, ' ')})`, {
      file: source,
      ...(offset === undefined ? {} : { line: lineAt(text, offset) }),
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigurationError(`${source}: expected a JSON object`, { file: source, line: 1 });
  }
  const record = value as Record<string, unknown>;
  const bad = (key: string, expected: string): never => {
    const line = jsonKeyLine(text, key);
    throw new ConfigurationError(`${source}${line ? ` line ${line}` : ''}: "${key}" must be ${expected}`, {
      file: source,
      line: line ?? 1,
    });
  };
  if (!Number.isSafeInteger(record.version) || (record.version as number) < 1) bad('version', 'a positive integer');
  if (typeof record.name !== 'string') bad('name', 'a string');
  for (const key of fieldsOf('string')) {
    if (record[key] !== undefined && typeof record[key] !== 'string') bad(key, 'a string');
  }
  if (record.checksum !== undefined && !/^sha256:[0-9a-f]{64}$/.test(record.checksum as string))
    bad('checksum', '"sha256:" and 64 hex digits');
  if (record.reversible !== undefined && typeof record.reversible !== 'boolean') bad('reversible', 'true or false');
  if (record.hazards !== undefined) {
    const ok =
      Array.isArray(record.hazards) &&
      record.hazards.every(
        (h) => typeof h === 'object' && h !== null && typeof h.code === 'string' && typeof h.message === 'string',
      );
    if (!ok) bad('hazards', 'an array of {"code": string, "message": string}');
  }
  for (const key of fieldsOf('strings')) {
    if (
      record[key] !== undefined &&
      !(Array.isArray(record[key]) && (record[key] as unknown[]).every((v) => typeof v === 'string'))
    )
      bad(key, 'an array of strings');
  }
  if (record.edit_accepted !== undefined) {
    const e = record.edit_accepted as Record<string, unknown> | null;
    const ok =
      typeof e === 'object' &&
      e !== null &&
      !Array.isArray(e) &&
      typeof e.checksum === 'string' &&
      /^sha256:[0-9a-f]{64}$/.test(e.checksum) &&
      typeof e.at === 'string' &&
      ['by', 'reason'].every((k) => e[k] === undefined || typeof e[k] === 'string');
    if (!ok) bad('edit_accepted', '{"checksum": "sha256:...", "at": string, "by"?: string, "reason"?: string}');
  }
  const metadata: Record<string, unknown> = {};
  for (const key of FIELD_ORDER) if (record[key] !== undefined) metadata[key] = record[key];
  return metadata as unknown as MigrationMetadata;
}
