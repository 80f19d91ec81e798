import type { FunctionInfo } from '../catalog';
import { hazards } from '../hazards';
import { type DiffContext, Phase } from '../plan';
import { ident } from '../sql';

export function functionSignature(f: FunctionInfo): string {
  return `${ident(f.schema)}.${ident(f.name)}(${f.identityArguments})`;
}

/** The keyword that names the routine in DROP and COMMENT ON. */
export function routineKeyword(f: FunctionInfo): string {
  return f.kind === 'procedure' ? 'PROCEDURE' : f.kind === 'aggregate' ? 'AGGREGATE' : 'FUNCTION';
}

/**
 * A function, procedure or aggregate whose definition changed is replaced in place (CREATE OR REPLACE)
 * when PostgreSQL allows it: same kind, same arguments (names, modes, defaults) and same result. Otherwise it is dropped and created
 * again, together with what depends on it (propagate.ts).
 */
export function decideFunctions(ctx: DiffContext): void {
  for (const [key, a] of ctx.from.functions) {
    const b = ctx.to.functions.get(key);
    if (!b) ctx.markGone(key);
    else if (a.definition !== b.definition && !replaceable(a, b)) ctx.markGone(key);
  }
}

function replaceable(a: FunctionInfo, b: FunctionInfo): boolean {
  return a.kind === b.kind && a.arguments === b.arguments && a.result === b.result;
}

export function emitFunctions(ctx: DiffContext): void {
  for (const [key, a] of ctx.from.functions) {
    if (!ctx.gone(key)) continue;
    const recreated = ctx.recreated.has(key);
    const what = `${a.kind} ${a.schema}.${a.name}(${a.identityArguments})`;
    ctx.emit({
      sql: `DROP ${routineKeyword(a)} ${functionSignature(a)}`,
      object: { kind: a.kind, name: `${a.schema}.${a.name}(${a.identityArguments})` },
      action: 'drop',
      phase: Phase.dropFunction,
      removes: [key],
      destructive: !recreated,
      hazards: [recreated ? hazards.recreatesObject(what) : hazards.dropsObject(what)],
    });
  }
  for (const [key, b] of ctx.to.functions) {
    const a = ctx.from.functions.get(key);
    const survives = !!a && !ctx.gone(key);
    if (survives && a!.definition === b.definition) continue;
    ctx.emit({
      sql: b.definition,
      object: { kind: b.kind, name: `${b.schema}.${b.name}(${b.identityArguments})` },
      action: survives ? 'replace' : 'create',
      phase: Phase.createFunction,
      produces: [key],
      hazards: untrackedBody(b)
        ? [hazards.untrackedDependencies(`${b.kind} ${b.schema}.${b.name}(${b.identityArguments})`, b.language)]
        : [],
    });
  }
}

/**
 * Whether PostgreSQL records no dependencies for the routine's body: any body kept as text (plpgsql, and sql
 * not written as BEGIN ATOMIC, whose text PostgreSQL keeps empty); C and internal functions name no objects.
 */
function untrackedBody(f: FunctionInfo): boolean {
  return f.kind !== 'aggregate' && f.language !== 'c' && f.language !== 'internal' && f.body.trim() !== '';
}

/**
 * Bodies of SQL functions are checked when created, yet PostgreSQL records no dependency on the tables and
 * views they read (unless written as BEGIN ATOMIC). Guess those from the names the body mentions, so a
 * function is created after the relations and functions it reads.
 */
export function sqlBodyDependencies(ctx: DiffContext): Map<string, string[]> {
  const result = new Map<string, string[]>();
  const bodies = [...ctx.to.functions.values()].filter((fn) => fn.language === 'sql' && fn.body);
  if (!bodies.length) return result;
  const candidates: { key: string; mentioned: (body: BodyWords) => boolean }[] = [];
  const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  for (const rel of ctx.to.relations.values()) {
    const word = PLAIN_WORD.test(rel.name) ? rel.name.toLowerCase() : undefined;
    const pattern = word ? undefined : new RegExp(`(^|[^\\w$])"?${escapeRegExp(rel.name)}"?($|[^\\w$])`, 'i');
    candidates.push({ key: rel.key, mentioned: (b) => (word ? b.words.has(word) : pattern!.test(b.body)) });
  }
  for (const fn of ctx.to.functions.values()) {
    const word = PLAIN_WORD.test(fn.name) ? fn.name.toLowerCase() : undefined;
    const pattern = word ? undefined : new RegExp(`(^|[^\\w$])"?${escape(fn.name)}"?\\s*\\(`, 'i');
    candidates.push({ key: fn.key, mentioned: (b) => (word ? b.calls.has(word) : pattern!.test(b.body)) });
  }
  for (const fn of bodies) {
    const words = bodyWords(fn.body);
    const deps = candidates.filter((c) => c.key !== fn.key && c.mentioned(words)).map((c) => c.key);
    if (deps.length) result.set(fn.key, deps);
  }
  return result;
}

/** A name of letters, digits and underscores only: found among a body's words instead of by a pattern of its own. */
const PLAIN_WORD = /^[A-Za-z0-9_]+$/;

interface BodyWords {
  readonly body: string;
  /** Every run of word characters ([\w$]) in the body, lower-cased. */
  readonly words: ReadonlySet<string>;
  /** The runs followed by an opening parenthesis (after an optional closing quote and spaces): calls. */
  readonly calls: ReadonlySet<string>;
}

/**
 * A body's words, read once: a plain name is mentioned when a whole run of word characters equals it (the
 * pattern `(^|[^\w$])"?name"?($|[^\w$])`, case-insensitive), called when such a run is followed by `(`.
 */
function bodyWords(body: string): BodyWords {
  const words = new Set<string>();
  const calls = new Set<string>();
  const call = /"?\s*\(/y;
  for (const match of body.matchAll(/[\w$]+/g)) {
    const word = match[0].toLowerCase();
    words.add(word);
    call.lastIndex = match.index + match[0].length;
    if (call.test(body)) calls.add(word);
  }
  return { body, words, calls };
}
