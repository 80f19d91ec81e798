import { errorCode, errorCodeMeaning } from './error-codes';
import { connectionClosed } from './pg/closed-connection';
import type { OptionName, Remedy } from './remedy';
import { redact } from './redact';

/**
 * Two kinds of error, as codeql-action has them: a ConfigurationError is the user's mistake
 * (bad input, a broken migration file, an unreachable database) and is reported as one clear line;
 * anything else is a bug in db-migrate.
 */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  /** The file at fault and its 1-based line, when the mistake is in a file (the message begins with the file): read these, never the message. */
  readonly file?: string;
  readonly line?: number;
  /** The option or input at fault, named by each front end in its own terms (remedy.ts). */
  readonly option?: OptionName;
  /** The database at fault (host:port/db), when the mistake is about one: its message names it. */
  readonly database?: string;
  /** What would fix it, worded by each front end (remedy.ts). */
  readonly remedies: readonly Remedy[];

  constructor(message: string, options: ErrorOptions & ErrorDetails = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.file !== undefined) this.file = options.file;
    if (options.line !== undefined) this.line = options.line;
    if (options.option !== undefined) this.option = options.option;
    if (options.database !== undefined) this.database = options.database;
    this.remedies = options.remedies ?? [];
  }
}

/** The fields a ConfigurationError carries besides its message. */
export interface ErrorDetails {
  readonly file?: string;
  readonly line?: number;
  readonly option?: OptionName;
  readonly database?: string;
  readonly remedies?: readonly Remedy[];
}

/** The message of any thrown value, redacted. */
export function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return redact(message);
}

/**
 * What the environment did wrong, with a hint, when `error` is a failure of the environment rather than
 * of db-migrate: its code's `environment` in error-codes.ts (a missing right, a broken or refused
 * connection, failed authentication, an exhausted resource, a file-system permission or space problem).
 * undefined for anything else, and for a ConfigurationError (already worded).
 */
export function environmentProblem(error: unknown): string | undefined {
  if (error instanceof ConfigurationError) return undefined; // already said in plain words
  const code = errorCode(error);
  const message = errorMessage(error);
  if (!code)
    return connectionClosed(error)
      ? `the database connection was closed: ${message} (the server, a proxy or a timeout such as idle_session_timeout ended it)`
      : undefined;
  const hint = errorCodeMeaning(code)?.environment;
  return hint === undefined ? undefined : `${message} (${hint})`;
}

/** A ConfigurationError for `error` when it is one, or a failure of the environment (environmentProblem); else undefined. */
export function asConfigurationError(error: unknown): ConfigurationError | undefined {
  if (error instanceof ConfigurationError) return error;
  const problem = environmentProblem(error);
  return problem === undefined ? undefined : new ConfigurationError(problem, { cause: error });
}
