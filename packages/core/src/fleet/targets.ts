/**
 * The databases a fleet run works on. A targets file (YAML, in the consumer's repository) names each
 * database and the environment variable that holds its URL, because URLs carry passwords and belong in
 * the CI secrets, not in git:
 *
 *   databases:
 *     - name: acme
 *       url-env: ACME_DATABASE_URL
 *       groups: [prod]
 *
 * Small setups may list `name=postgres://...` lines instead (an action input fed from one secret, or
 * `--database` options), or `name=env:VAR` to name the variable holding the URL (no password in shell
 * history). Either way every URL is registered with the redactor as soon as it is read.
 */
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, Lexer, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { ConfigurationError } from '../errors';
import { databaseUrlProblem, describeDatabase, registerUrlSecrets } from '../database-url';
import { type Shard, selectShard } from './shard';

/** One database as written by the user, before its URL is looked up. */
export interface TargetSpec {
  readonly name: string;
  /** The environment variable holding the URL (targets file). */
  readonly urlEnv?: string;
  /** The URL itself (`name=url` lines). */
  readonly url?: string;
  readonly groups: readonly string[];
  /** Where the entry was written, for messages: `db-targets.yml line 4`, `input "databases" line 2`. */
  readonly origin: string;
}

/** A database ready to work on, or the reason it cannot be (its URL variable is missing or empty). */
export interface Target {
  readonly name: string;
  readonly groups: readonly string[];
  /** The URL (a secret: print `database`, never this); absent when `problem` says why. */
  readonly url?: string;
  /** host:port/db, safe to print; the variable name when there is no URL. */
  readonly database: string;
  readonly problem?: string;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const ENV_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ENTRY_KEYS = ['name', 'url-env', 'groups'];
const NAME_RULE = 'letters, digits, ".", "_" and "-", starting with a letter or digit';

function isPostgresUrl(text: string): boolean {
  return /^postgres(ql)?:\/\//i.test(text);
}

/** Reads and checks a targets file; errors name the file and line. */
export async function readTargetsFile(path: string): Promise<TargetSpec[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigurationError(`targets file ${path} does not exist`);
    throw new ConfigurationError(`cannot read targets file ${path}: ${(error as Error).message}`);
  }
  return parseTargetsYaml(text, path);
}

/** Markers the lexer emits that take no room in the text (document start, flow error end, scalar start). */
const ZERO_WIDTH_TOKENS = new Set(['\x02', '\x18', '\x1f']);

/**
 * Where the value holding a YAML error starts: an unclosed quote runs to the end of the file, where the
 * parser reports it, but the user must look where the quote opens. Other errors stay at their offset.
 */
function brokenValueStart(text: string, offset: number): number {
  let at = 0;
  for (const token of new Lexer().lex(text)) {
    if (ZERO_WIDTH_TOKENS.has(token)) continue;
    const quoted = token.startsWith('"') || token.startsWith("'");
    if (quoted && at <= offset && offset <= at + token.length) return at;
    at += token.length;
  }
  return offset;
}

/** Parses the text of a targets file; `file` names it in error messages. */
export function parseTargetsYaml(text: string, file: string): TargetSpec[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const lineOf = (node: YamlNode | null | undefined) => (node?.range ? lines.linePos(node.range[0]).line : 1);
  const fail = (node: YamlNode | null | undefined, message: string): never => {
    throw new ConfigurationError(`${file} line ${lineOf(node)}: ${message}`);
  };
  if (doc.errors.length > 0) {
    const error = doc.errors[0];
    // With prettyErrors off the error carries only its offset: its line comes from the line counter.
    const line = lines.linePos(brokenValueStart(text, error.pos[0])).line;
    throw new ConfigurationError(`${file} line ${line}: not valid YAML: ${error.message.split('\n')[0]}`);
  }
  const root = doc.contents;
  if (!isMap(root)) return fail(root, 'expected a mapping with a "databases" list');
  let list: YamlNode | null | undefined;
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (key !== 'databases') fail(pair.key as YamlNode, `unknown key "${key}" (the file holds one key, "databases")`);
    list = pair.value as YamlNode | null;
  }
  if (list === undefined) return fail(root, 'missing the "databases" list');
  if (!isSeq(list)) return fail(list ?? root, '"databases" must be a list of entries with name and url-env');

  const specs: TargetSpec[] = [];
  const seen = new Map<string, number>();
  for (const item of list.items as YamlNode[]) {
    const origin = `${file} line ${lineOf(item)}`;
    if (!isMap(item)) fail(item, 'each database must be a mapping with name, url-env and optional groups');
    const entry = item as unknown as { items: { key: YamlNode; value: YamlNode | null }[] };
    const fields = new Map<string, { key: YamlNode; value: YamlNode | null }>();
    for (const pair of entry.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (key === 'url') {
        fail(
          pair.key,
          'a URL does not belong in the targets file (it holds a password): put it in a secret, map it to an environment variable and name that with url-env',
        );
      }
      if (!ENTRY_KEYS.includes(key)) fail(pair.key, `unknown key "${key}" (expected ${ENTRY_KEYS.join(', ')})`);
      fields.set(key, pair);
    }
    const scalarText = (key: string): string | undefined => {
      const pair = fields.get(key);
      if (!pair) return undefined;
      if (!isScalar(pair.value) || pair.value.value === null || typeof pair.value.value === 'object')
        fail(pair.value ?? pair.key, `"${key}" must be a string`);
      return String((pair.value as { value: unknown }).value).trim();
    };
    const name = scalarText('name');
    if (!name) fail(item, 'a database needs a "name"');
    if (!NAME_PATTERN.test(name!))
      fail(fields.get('name')!.value, `database name "${name}" may only hold ${NAME_RULE}`);
    if (seen.has(name!))
      fail(fields.get('name')!.value, `database name "${name}" is already used on line ${seen.get(name!)}`);
    seen.set(name!, lineOf(item));
    const urlEnv = scalarText('url-env');
    if (!urlEnv) fail(item, `database "${name}" needs "url-env": the environment variable holding its URL`);
    if (!ENV_PATTERN.test(urlEnv!))
      fail(fields.get('url-env')!.value, `url-env "${urlEnv}" is not an environment variable name`);
    const groups = readGroups(fields.get('groups')?.value ?? null, fail);
    specs.push({ name: name!, urlEnv: urlEnv!, groups, origin });
  }
  if (specs.length === 0) fail(list, '"databases" is empty');
  return specs;
}

function readGroups(
  node: YamlNode | null,
  fail: (node: YamlNode | null | undefined, message: string) => never,
): string[] {
  if (node === null) return [];
  const one = (n: YamlNode): string => {
    if (!isScalar(n) || n.value === null || typeof n.value === 'object' || String(n.value).trim() === '')
      fail(n, 'a group must be a non-empty string');
    const group = String((n as { value: unknown }).value).trim();
    if (!NAME_PATTERN.test(group)) fail(n, `group "${group}" may only hold ${NAME_RULE}`);
    return group;
  };
  if (isScalar(node)) return [one(node)];
  if (isSeq(node)) return [...new Set((node.items as YamlNode[]).map(one))];
  return fail(node, '"groups" must be a list of names, e.g. [prod, eu]');
}

/**
 * Parses `name=postgres://...` entries (blank ones and `#` comments skipped). A bare URL is named after
 * its host:port/db. Errors name the entry (`origin(index)`, e.g. `input "databases" line 3`) but never
 * echo it: it may hold a password.
 */
export function parseDatabaseList(lines: readonly string[], origin: (index: number) => string): TargetSpec[] {
  const specs: TargetSpec[] = [];
  const seen = new Map<string, string>();
  lines.forEach((raw, index) => {
    const line = raw.trim();
    const where = origin(index);
    if (line === '' || line.startsWith('#')) return;
    let name: string;
    let url: string;
    const fromEnv = /^([^=]+)=env:(.*)$/.exec(line);
    if (fromEnv) {
      name = fromEnv[1].trim();
      const urlEnv = fromEnv[2].trim();
      if (!NAME_PATTERN.test(name))
        throw new ConfigurationError(`${where}: database name "${name}" may only hold ${NAME_RULE}`);
      if (!ENV_PATTERN.test(urlEnv))
        throw new ConfigurationError(`${where}: "env:${urlEnv}" is not an environment variable name`);
      if (seen.has(name))
        throw new ConfigurationError(`${where}: database name "${name}" is already used by ${seen.get(name)}`);
      seen.set(name, where);
      specs.push({ name, urlEnv, groups: [], origin: where });
      return;
    }
    if (isPostgresUrl(line)) {
      url = registerUrlSecrets(line);
      name = describeDatabase(url);
    } else {
      const at = line.indexOf('=');
      if (at < 0)
        throw new ConfigurationError(`${where}: expected name=postgres://... (not shown: it may hold a password)`);
      name = line.slice(0, at).trim();
      url = registerUrlSecrets(line.slice(at + 1).trim());
      if (!NAME_PATTERN.test(name))
        throw new ConfigurationError(`${where}: database name "${name}" may only hold ${NAME_RULE}`);
      if (!isPostgresUrl(url))
        throw new ConfigurationError(`${where}: the URL of "${name}" must start with postgres:// or postgresql://`);
    }
    const urlProblem = databaseUrlProblem(url);
    if (urlProblem) throw new ConfigurationError(`${where}: the URL of "${name}" cannot be used: ${urlProblem}`);
    if (seen.has(name))
      throw new ConfigurationError(`${where}: database name "${name}" is already used by ${seen.get(name)}`);
    seen.set(name, where);
    specs.push({ name, url, groups: [], origin: where });
  });
  return specs;
}

/**
 * Looks up each target's URL (in `env` for url-env entries) and registers it with the redactor. A missing
 * or empty variable does not stop the run: that target carries a problem and fails on its own.
 */
export function resolveTargets(
  specs: readonly TargetSpec[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): Target[] {
  return specs.map((spec) => {
    const url = spec.url ?? (spec.urlEnv ? env[spec.urlEnv]?.trim() : undefined);
    if (!url) {
      const problem = spec.urlEnv
        ? `environment variable ${spec.urlEnv} (url-env of "${spec.name}", ${spec.origin}) is not set or empty`
        : `no URL for "${spec.name}" (${spec.origin})`;
      return { name: spec.name, groups: spec.groups, database: spec.urlEnv ? `$${spec.urlEnv}` : '(no URL)', problem };
    }
    registerUrlSecrets(url);
    if (!isPostgresUrl(url)) {
      const problem = `the value of ${spec.urlEnv ?? 'the URL'} for "${spec.name}" is not a postgres:// or postgresql:// URL`;
      return { name: spec.name, groups: spec.groups, database: spec.urlEnv ? `$${spec.urlEnv}` : '(bad URL)', problem };
    }
    const urlProblem = databaseUrlProblem(url);
    if (urlProblem) {
      const problem = `the URL of "${spec.name}"${spec.urlEnv ? ` (in ${spec.urlEnv})` : ''} cannot be used: ${urlProblem}`;
      return { name: spec.name, groups: spec.groups, database: describeDatabase(url), problem };
    }
    return { name: spec.name, groups: spec.groups, url, database: describeDatabase(url) };
  });
}

/** Keeps the targets of one group; a group nobody belongs to is a mistake worth stopping for. */
export function selectGroup<T extends { readonly groups: readonly string[] }>(
  targets: readonly T[],
  group: string | undefined,
  where = 'targets',
): T[] {
  if (group === undefined) return [...targets];
  const selected = targets.filter((t) => t.groups.includes(group));
  if (selected.length === 0) {
    const known = [...new Set(targets.flatMap((t) => t.groups))].sort();
    const list = known.length > 0 ? `groups in ${where}: ${known.join(', ')}` : `no target of ${where} has a group`;
    throw new ConfigurationError(`no target in group "${group}" (${list})`);
  }
  return selected;
}

export interface TargetSelection {
  /** A targets file (YAML); give this or `databases`. */
  readonly targetsFile?: string;
  /** `name=postgres://...` entries; give this or `targetsFile`. */
  readonly databases?: readonly string[];
  /** Names an entry of `databases` in messages, e.g. `input "databases" line 2`. */
  readonly databaseOrigin?: (index: number) => string;
  readonly group?: string;
  /** Only the targets of these names (--target, repeatable). */
  readonly only?: readonly string[];
  readonly shard?: Shard;
  /** Where url-env variables are looked up (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** How the two sources are called in messages (default: the CLI's option names). */
  readonly names?: { readonly targetsFile: string; readonly databases: string };
}

/**
 * The targets of a run: read from the targets file or the `name=url` entries, narrowed to a group, then
 * to a shard, with their URLs resolved and registered with the redactor.
 */
export async function loadTargets(selection: TargetSelection): Promise<Target[]> {
  const names = selection.names ?? { targetsFile: '--targets', databases: '--database' };
  const entries = (selection.databases ?? []).filter((line) => line.trim() !== '');
  if (selection.targetsFile && entries.length > 0)
    throw new ConfigurationError(`give ${names.targetsFile} or ${names.databases}, not both`);
  if (!selection.targetsFile && entries.length === 0)
    throw new ConfigurationError(
      `give the databases to work on: ${names.targetsFile} <file> or ${names.databases} name=postgres://...`,
    );
  const specs = selection.targetsFile
    ? await readTargetsFile(selection.targetsFile)
    : parseDatabaseList(selection.databases ?? [], selection.databaseOrigin ?? ((i) => `${names.databases} #${i + 1}`));
  const grouped = selectGroup(specs, selection.group, selection.targetsFile ?? names.databases);
  const named = selectNames(grouped, selection.only ?? [], selection.targetsFile ?? names.databases);
  return resolveTargets(selectShard(named, selection.shard), selection.env ?? process.env);
}

/** Keeps the targets named (all when none is); a name that matches none is refused, listing the names there are. */
export function selectNames<T extends { readonly name: string }>(
  targets: readonly T[],
  only: readonly string[],
  where = 'targets',
): T[] {
  if (only.length === 0) return [...targets];
  const unknown = only.filter((name) => !targets.some((t) => t.name === name));
  if (unknown.length > 0) {
    const known = targets.map((t) => t.name);
    const shown = known.slice(0, 20).join(', ') + (known.length > 20 ? `, and ${known.length - 20} more` : '');
    throw new ConfigurationError(
      `no target named ${unknown.map((n) => `"${n}"`).join(', ')} in ${where} (names there: ${shown || 'none'})`,
    );
  }
  return targets.filter((t) => only.includes(t.name));
}
