/** `db-migrate --help` and `db-migrate <command> --help`, generated from the commands' option tables. */
import { type Command, GLOBAL_OPTIONS, type OptionSpec, type OptionTable } from './command';

/** `-q, --quiet` or `    --schema-dir <path>`: the left column of an option line. */
function flag(name: string, spec: OptionSpec): string {
  const value = spec.type === 'string' ? ` ${spec.value ?? '<value>'}` : '';
  const repeat = spec.multiple ? ' ...' : '';
  return `${spec.short ? `-${spec.short}, ` : '    '}--${name}${value}${repeat}`;
}

/** The option's default in words ('' when it has none). */
export function defaultText(spec: OptionSpec): string {
  return typeof spec.default === 'function' ? spec.default() : (spec.default ?? '');
}

/** The right column: the line of text, then (required), (default: ...), [env: ...]. */
function text(spec: OptionSpec): string {
  const notes = [
    spec.required ? '(required)' : '',
    spec.default ? `(default: ${defaultText(spec)})` : '',
    spec.env ? `[env: ${spec.env}]` : '',
  ];
  return [spec.description, ...notes].filter((s) => s !== '').join(' ');
}

function optionLines(table: OptionTable): string[] {
  const rows = Object.entries(table).map(([name, spec]) => [flag(name, spec), text(spec)] as const);
  const width = Math.min(34, Math.max(...rows.map(([left]) => left.length)));
  return rows.map(([left, right]) =>
    left.length > width ? `  ${left}\n  ${''.padEnd(width)}  ${right}` : `  ${left.padEnd(width)}  ${right}`,
  );
}

/** The whole help of one command: what it does, usage, options, environment, examples. */
export function commandHelp(command: Command): string {
  const out = [command.summary, ''];
  for (const paragraph of command.details ?? []) out.push(paragraph, '');
  out.push(
    'USAGE',
    ...command.usage.split('\n').map((line, i) => (i === 0 ? `  db-migrate ${line}` : `      ${line.trim()}`)),
    '',
  );
  out.push('OPTIONS', ...optionLines(command.options), '');
  out.push('GLOBAL OPTIONS', ...optionLines(GLOBAL_OPTIONS), '');
  const env = Object.entries(command.options).filter(([, spec]) => spec.env);
  if (env.length > 0) {
    out.push('ENVIRONMENT');
    for (const [name, spec] of env) out.push(`  ${spec.env!.padEnd(14)}  read when --${name} is not given`);
    out.push('');
  }
  out.push('EXAMPLES');
  for (const example of command.examples) out.push(`  # ${example.comment}`, `  $ db-migrate ${example.command}`, '');
  out.push('LEARN MORE', '  docs/cli.md; `db-migrate help` lists every command.');
  return out.join('\n') + '\n';
}

/** The global help: every command with its one line. */
export function globalHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = [
    'db-migrate: automated PostgreSQL schema migrations for a fleet of client databases.',
    '',
    'USAGE',
    '  db-migrate <command> [options]',
    '',
    'COMMANDS',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'GLOBAL OPTIONS',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Run `db-migrate <command> --help` or `db-migrate help <command>` for its options and examples.',
  ];
  return lines.join('\n') + '\n';
}

/** Levenshtein distance: edits (insert, delete, substitute) from a to b. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * The closest known name to a mistyped one, when it is close enough to be what was meant (within a third
 * of its length, at least 2 edits; 1 for names of 3 letters). A typo of the start counts too, half an edit dearer than a whole match:
 * `--dri` is one edit from the start of `--dry-run` and two from `--dir`, so `--dry-run` is suggested.
 */
export function closestName(typed: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const whole = editDistance(typed, name);
    const start =
      typed.length >= 3 && name.length > typed.length
        ? editDistance(typed, name.slice(0, typed.length)) + 0.5
        : Infinity;
    const distance = Math.min(whole, start);
    if (!best || distance < best.distance) best = { name, distance };
  }
  if (!best) return undefined;
  const allowed = typed.length <= 3 ? 1.5 : Math.max(2, Math.floor(typed.length / 3));
  return best.distance <= allowed ? best.name : undefined;
}
