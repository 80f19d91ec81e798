/**
 * What would fix a refusal or a failure, as data. The core says which acknowledgement or option would do
 * it; each front end words it in its own terms: the CLI as a flag (`--allow 'drops-data public.orders'`),
 * an action as an input (`allow: drops-data public.orders`). As Atlas carries a diagnostic's code and
 * position as fields, the remedy is a field, never a phrase to parse.
 */

/**
 * Each option a remedy can name, with its CLI flag and its action input (absent when no action takes it).
 * The one place in packages/core where a flag is spelt (test/remedy-wording.test.ts holds the core to it).
 */
export const OPTION_NAMES = {
  allow: { flag: '--allow', input: 'allow' },
  maxFailures: { flag: '--max-failures', input: 'max-failures' },
  concurrency: { flag: '--concurrency', input: 'concurrency' },
  lockTimeout: { flag: '--lock-timeout', input: 'lock-timeout' },
  lockRetryBudget: { flag: '--lock-retry-budget', input: 'lock-retry-budget' },
  lockWaitTimeout: { flag: '--lock-wait-timeout' },
  statementTimeout: { flag: '--statement-timeout', input: 'statement-timeout' },
  precheckMaxRows: { flag: '--precheck-max-rows', input: 'precheck-max-rows' },
  precheckTimeout: { flag: '--precheck-timeout', input: 'precheck-timeout' },
  buildTimeout: { flag: '--build-timeout', input: 'build-timeout' },
  shadow: { flag: '--shadow', input: 'shadow-database' },
  shard: { flag: '--shard', input: 'shard' },
  to: { flag: '--to', input: 'to-version' },
  targets: { flag: '--targets', input: 'targets-file' },
  database: { flag: '--database', input: 'databases' },
  schemaDir: { flag: '--schema-dir', input: 'schema-dir' },
  schemaCommand: { flag: '--schema-command', input: 'schema-command' },
  schemaSql: { flag: '--schema-sql', input: 'schema-sql' },
  allowEmptyGoal: { flag: '--allow-empty-goal', input: 'allow-empty-goal' },
  blockingDdl: { flag: '--blocking-ddl', input: 'blocking-ddl' },
  goal: { flag: '--goal', input: 'goal-ref' },
  force: { flag: '--force' },
  // Options of the commands a remedy asks to run locally (repoint, adopt, accept-edit, baseline).
  dir: { flag: '--dir' },
  from: { flag: '--from' },
  commit: { flag: '--commit' },
  reason: { flag: '--reason' },
  install: { flag: '--install' },
} as const satisfies Readonly<Record<string, { readonly flag: string; readonly input?: string }>>;

export type OptionName = keyof typeof OPTION_NAMES;

export type Remedy =
  /** Acknowledge what is refused, e.g. `rewrites-table public.orders` (the marker line says the same in a file). */
  | { readonly kind: 'allow'; readonly value: string }
  /** Give an option (raise or lower it), maybe with a value (`true`: a switch, a flag without a value in the CLI). */
  | {
      readonly kind: 'option';
      readonly option: OptionName;
      readonly change?: 'set' | 'raise' | 'lower';
      readonly value?: string | number | boolean;
    }
  /** Run a db-migrate command (on a checkout: no action runs these), e.g. `repoint` with its options. */
  | {
      readonly kind: 'command';
      readonly command: 'repoint' | 'adopt' | 'accept-edit' | 'baseline' | 'create' | 'init';
      readonly args?: readonly string[];
      /** Each option, with its value (none for a switch). */
      readonly options?: readonly { readonly option: OptionName; readonly value?: string }[];
    };

/** The command line of a `command` remedy: the same for every front end, since only the CLI runs it. */
export function commandLine(remedy: Extract<Remedy, { kind: 'command' }>): string {
  const quote = (value: string) =>
    /^[\w./:<>@=+-]+$/.test(value) ? value : `"${value.replace(/(["\\$`])/g, '\\$1')}"`;
  return [
    'db-migrate',
    remedy.command,
    ...(remedy.args ?? []).map(quote),
    ...(remedy.options ?? []).flatMap((o) => [
      OPTION_NAMES[o.option].flag,
      ...(o.value === undefined ? [] : [quote(o.value)]),
    ]),
  ].join(' ');
}

/** How a front end words one remedy. */
export type RemedyWording = (remedy: Remedy) => string;

/** The remedies worded, as the tail of a message: ` (<remedy>; <remedy>)` ('' when none). */
export function remedyTail(remedies: readonly Remedy[] | undefined, word: RemedyWording): string {
  return remedies && remedies.length > 0 ? ` (${remedies.map(word).join('; ')})` : '';
}

/**
 * A message with its remedies worded after its first line: the lines after it (PostgreSQL's detail, a
 * command's output) stay below.
 */
export function withRemedies(message: string, remedies: readonly Remedy[] | undefined, word: RemedyWording): string {
  const tail = remedyTail(remedies, word);
  const end = message.indexOf('\n');
  return end < 0 ? message + tail : message.slice(0, end) + tail + message.slice(end);
}

/** The remedies of a thrown value (a ConfigurationError may carry them), else none. */
export function remediesOf(error: unknown): readonly Remedy[] {
  const remedies = (error as { remedies?: unknown } | undefined)?.remedies;
  return Array.isArray(remedies) ? (remedies as Remedy[]) : [];
}

/** Point the metadata that names a lost commit (amended, squashed, rebased away) at the one that replaced it. */
export function repointRemedy(dir: string, lostSha: string): Remedy {
  return {
    kind: 'command',
    command: 'repoint',
    options: [
      { option: 'dir', value: dir },
      { option: 'from', value: lostSha.slice(0, 12) },
      { option: 'to', value: '<new-sha>' },
    ],
  };
}
