import { spawn } from 'node:child_process';
import { ConfigurationError, redact, registerUrlSecrets } from '../errors';
import type { Logger } from '../logger';
import { onExitCleanup } from '../shadow/cleanup';

/** Lines of output quoted when a build command fails. */
export const BUILD_OUTPUT_TAIL_LINES = 40;
/** A build command running longer than this is stopped (a hung import must not hold CI for hours). */
export const DEFAULT_BUILD_TIMEOUT_MS = 20 * 60_000;

export interface BuildCommandOptions {
  readonly command: string;
  /** Working directory: the materialised schema directory. */
  readonly cwd: string;
  /** The empty throwaway database to build into. */
  readonly databaseUrl: string;
  /** Names the commit in messages, e.g. "abc1234 (main)". */
  readonly commitLabel: string;
  readonly extraEnv?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  readonly logger: Logger;
}

/**
 * The environment of a build command: the caller's, minus anything that could point it at another
 * database (inherited PG* variables) or hand it the action's inputs (INPUT_*, which include tokens), plus
 * DATABASE_URL and the libpq variables for the throwaway database.
 */
export function buildCommandEnv(databaseUrl: string, extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(PG[A-Z]+|INPUT_.*|DATABASE_URL)$/.test(key)) env[key] = value;
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
  const outcome = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; timedOut: boolean }>((resolve, reject) => {
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
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => tail.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => tail.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      unregister();
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      unregister();
      resolve({ code, signal, timedOut });
    });
  });
  const lines = tail.finish();
  if (outcome.code === 0 && !outcome.timedOut) return;
  const how = outcome.timedOut
    ? `timed out after ${Math.round(timeoutMs / 1000)} s`
    : outcome.code !== null
      ? `failed with exit code ${outcome.code}`
      : `was killed by ${outcome.signal}`;
  const output = lines.length > 0 ? `\nlast ${lines.length} lines of its output:\n${lines.join('\n')}` : '\n(it printed nothing)';
  throw new ConfigurationError(redact(`schema build command ${how} at commit ${options.commitLabel}: ${options.command}${output}`));
}
