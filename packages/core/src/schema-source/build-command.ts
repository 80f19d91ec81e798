import { spawn } from 'node:child_process';
import { ConfigurationError } from '../errors';
import { holdsSecret, redact } from '../redact';
import { registerUrlSecrets } from '../database-url';
import type { Logger } from '../logger';
import { describeDuration } from '../duration';
import { onExitCleanup } from '../process/cleanup';

/** Lines of output quoted when a build command fails. */
export const BUILD_OUTPUT_TAIL_LINES = 40;
/** A build command running longer than this is stopped (a hung import must not hold CI for hours). */
export const DEFAULT_BUILD_TIMEOUT_MS = 20 * 60_000;

export interface BuildCommandOptions {
  readonly command: string;
  /** Working directory: the materialised schema directory. */
  readonly cwd: string;
  /** The empty shadow database to build into. */
  readonly databaseUrl: string;
  /** Names the commit in messages, e.g. "abc1234 (main)". */
  readonly commitLabel: string;
  /** The schema directory as the user named it, for hints (e.g. `schema`). */
  readonly schemaDir?: string;
  readonly extraEnv?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  readonly logger: Logger;
  /** What the command is called in messages (default "schema build command"), and where it ran (default "at commit <commitLabel>"). */
  readonly label?: string;
  readonly at?: string;
}

/**
 * What a build command never gets: anything that could point it at another database (inherited PG*
 * variables), the action's inputs (INPUT_*, which include tokens), the runner's tokens for the cache and
 * OIDC (ACTIONS_*) and GITHUB_TOKEN, and the files through which a step sets outputs, the environment of
 * later steps, PATH and the summary, nor any variable whose value holds a database URL with credentials
 * or a registered secret. The command may be a pull request's code.
 */
const WITHHELD_ENV =
  /^(PG[A-Z]+|INPUT_.*|DATABASE_URL|ACTIONS_.*|GITHUB_TOKEN|GITHUB_(ENV|OUTPUT|PATH|STATE|STEP_SUMMARY))$/;

/**
 * The environment of a build command: the caller's, minus WITHHELD_ENV, plus DATABASE_URL and the libpq
 * variables for the shadow database.
 */
function buildCommandEnv(databaseUrl: string, extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // Nor any variable holding a secret: the targets' URL variables (sync runs beside them), a password.
    if (!WITHHELD_ENV.test(key) && !(value && holdsSecret(value))) env[key] = value;
  }
  const url = new URL(databaseUrl);
  // SQLAlchemy 1.4+ rejects the postgres:// spelling; postgresql:// is understood by every client.
  env.DATABASE_URL = databaseUrl.replace(/^postgres:\/\//i, 'postgresql://');
  env.PGHOST = url.hostname.replace(/^\[(.*)\]$/, '$1');
  env.PGPORT = url.port || '5432';
  env.PGUSER = decodeURIComponent(url.username);
  env.PGPASSWORD = decodeURIComponent(url.password);
  env.PGDATABASE = decodeURIComponent(url.pathname.slice(1));
  const sslmode = url.searchParams.get('sslmode');
  if (sslmode) env.PGSSLMODE = sslmode;
  return { ...env, ...extra };
}

/** How long output is still read after the command exited (a background process may hold the pipes). */
const OUTPUT_GRACE_MS = 2_000;

/** Whether any process is left in the process group the command led (the command itself is reaped). */
function groupAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Keeps the last lines of a stream of text chunks. */
class OutputTail {
  private readonly lines: string[] = [];
  private partial = '';
  constructor(private readonly onLine: (line: string) => void) {}
  push(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.add(line);
  }
  finish(): string[] {
    if (this.partial !== '') this.add(this.partial);
    this.partial = '';
    return this.lines;
  }
  private add(line: string): void {
    const clean = line.replace(/\r$/, '');
    this.onLine(clean);
    this.lines.push(clean);
    if (this.lines.length > BUILD_OUTPUT_TAIL_LINES) this.lines.shift();
  }
}

/**
 * Runs a user's schema build command with `sh -c`. Its output goes to the debug log; on failure a
 * ConfigurationError names the command, the commit and the exit code and quotes the last lines of
 * output (stdout and stderr interleaved as they came), redacted.
 */
export async function runBuildCommand(options: BuildCommandOptions): Promise<void> {
  registerUrlSecrets(options.databaseUrl);
  const { logger } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS;
  const tail = new OutputTail((line) => logger.debug(`  | ${line}`));
  const outcome = await new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    timedOut: boolean;
    ranMs: number;
  }>((resolve, reject) => {
    // Its own process group, so that a timeout or our own exit stops the whole tree (sh and what it ran).
    const child = spawn('sh', ['-c', options.command], {
      cwd: options.cwd,
      env: buildCommandEnv(options.databaseUrl, options.extraEnv),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const killTree = (signal: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        /* already gone */
      }
    };
    const unregister = onExitCleanup(() => killTree('SIGKILL'));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killTree('SIGKILL');
    }, timeoutMs);
    const started = Date.now();
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => tail.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => tail.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      unregister();
      reject(error);
    });
    // The build is over when the command exits, not when its output pipes close: a helper it started in
    // the background (`server &`) keeps them open, and waiting for it would wait for the timeout. What it
    // left in its process group is stopped; one that left the group may hold the pipes, so stop reading soon.
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      if (!timedOut && groupAlive(child.pid)) {
        logger.warning(
          `the ${options.label ?? 'schema build command'} ${options.at ?? `at commit ${options.commitLabel}`} left processes running in the background: they were stopped`,
        );
        killTree('SIGKILL');
      }
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, OUTPUT_GRACE_MS).unref();
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      unregister();
      resolve({
        code: exited ? exited.code : code,
        signal: exited ? exited.signal : signal,
        timedOut,
        ranMs: Date.now() - started,
      });
    });
  });
  const lines = tail.finish();
  if (outcome.code === 0 && !outcome.timedOut) return;
  const how = outcome.timedOut
    ? `timed out after ${describeDuration(outcome.ranMs)}`
    : outcome.code !== null
      ? `failed with exit code ${outcome.code}`
      : `was killed by ${outcome.signal}`;
  const output =
    lines.length > 0 ? `\nlast ${lines.length} lines of its output:\n${lines.join('\n')}` : '\n(it printed nothing)';
  // A timeout says what ran, for how long, its limit and that nothing of it is left running.
  const raise = options.label ? '' : ': raise it with --build-timeout or the build-timeout input';
  const stopped = outcome.timedOut
    ? `\nits limit is ${describeDuration(timeoutMs)}${raise}; it was stopped with every process it started`
    : '';
  throw new ConfigurationError(
    redact(
      `${options.label ?? 'schema build command'} ${how} ${options.at ?? `at commit ${options.commitLabel}`}: ${options.command}${stopped}${output}${importHint(lines, options.schemaDir)}`,
    ),
  );
}

/**
 * A hint that fits the language of a failed build command, from its output.
 * Python finds modules next to the script or in the working directory, which is the copy of the schema
 * directory: packages at the repository root are not found unless the command puts the copy's root on
 * PYTHONPATH. (Pointing it at the checkout instead would import the models of HEAD at every commit.)
 * Node and Ruby resolve packages installed in the checkout: node_modules is linked into the copy, the
 * Gemfile's bundle is found through BUNDLE_GEMFILE.
 */
export function importHint(lines: readonly string[], schemaDir: string | undefined): string {
  const copy = `the command runs in a copy of ${schemaDir ?? 'the schema directory'} at the commit`;
  const output = lines.join('\n');
  if (/\b(ModuleNotFoundError|No module named)\b/.test(output)) {
    return `\n${copy}; to import from the repository root, set PYTHONPATH="$DB_MIGRATE_REPO_ROOT" (the copy's root), not the checkout's path`;
  }
  if (
    /npx canceled due to missing packages|Cannot find module|ERR_MODULE_NOT_FOUND|Cannot find package|npm ERR! could not determine executable/.test(
      output,
    )
  ) {
    return `\n${copy}; the checkout's node_modules (at its root and in ${schemaDir ?? 'the schema directory'}) is linked into the copy: install the packages in the checkout first (npm ci), as dev dependencies if the build needs them`;
  }
  if (/cannot load such file|Could not find gem|Bundler::GemNotFound|bundle: (command )?not found/.test(output)) {
    return `\n${copy}; run bundle install in the checkout first, and bundle exec with BUNDLE_GEMFILE="$DB_MIGRATE_CHECKOUT/Gemfile"`;
  }
  return '';
}
