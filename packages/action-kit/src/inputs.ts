import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import * as core from '@actions/core';
import {
  checkUserSeed,
  ConfigurationError,
  parseDuration,
  registerUrlSecrets,
  type SchemaSource,
  type UserSeed,
  urlPassword,
} from '@db-migrate/core';

/** An input that must be set; a ConfigurationError names it otherwise. */
export function getRequiredInput(name: string): string {
  const value = core.getInput(name).trim();
  if (!value) throw new ConfigurationError(`input "${name}" is required`);
  return value;
}

/** An input that may be left out: "" becomes undefined. */
export function getOptionalInput(name: string): string | undefined {
  const value = core.getInput(name).trim();
  return value === '' ? undefined : value;
}

export function getBooleanInput(name: string, defaultValue: boolean): boolean {
  const value = getOptionalInput(name);
  if (value === undefined) return defaultValue;
  if (/^(true|yes|1)$/i.test(value)) return true;
  if (/^(false|no|0)$/i.test(value)) return false;
  throw new ConfigurationError(`input "${name}" must be true or false, got "${value}"`);
}

export function getIntegerInput(name: string): number | undefined {
  const value = getOptionalInput(name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new ConfigurationError(`input "${name}" must be a non-negative integer, got "${value}"`);
  return Number(value);
}

/** A duration input (`90s`, `5m`; a bare number is milliseconds) in milliseconds, or undefined when empty. */
export function getDurationInput(name: string): number | undefined {
  const value = getOptionalInput(name);
  return value === undefined ? undefined : parseDuration(value, `input "${name}"`);
}

/** A secret input (URL, token): masked in the log before anything else can print it. */
export function getSecretInput(name: string): string | undefined {
  const value = getOptionalInput(name);
  if (value !== undefined) maskSecret(value);
  return value;
}

/**
 * An input that is either a keyword (`embedded`, `docker`) or a connection URL: masked only when it is
 * not a plain word, because a masked word is hidden everywhere in the log ("starting an *** server").
 */
export function getConnectionInput(name: string): string | undefined {
  const value = getOptionalInput(name);
  if (value !== undefined && !/^[A-Za-z][A-Za-z0-9_-]*$/.test(value)) maskSecret(value);
  return value;
}

/** Masks a value with core.setSecret and registers it (and a URL's password) with the core redactor. */
export function maskSecret(value: string): void {
  core.setSecret(value);
  registerUrlSecrets(value);
  // The password as the user meant it (up to the last "@"), even when an unencoded "@" or "/" makes the URL ambiguous.
  const password = urlPassword(value);
  if (password) {
    core.setSecret(password);
    try {
      core.setSecret(decodeURIComponent(password));
    } catch {
      /* not valid percent-encoding: masked as written */
    }
  }
}

/**
 * The schema source inputs of create, verify and apply's sync mode: `schema-dir` in the checkout `repoDir`,
 * built by `schema-command` or by the `schema-sql` files (one per line). `neededFor` ends the messages
 * of an action where they are required only in one mode ("mode sync").
 */
export function getSchemaSourceInputs(repoDir: string, neededFor?: string): SchemaSource {
  const forWhat = neededFor ? ` for ${neededFor}` : '';
  const schemaDir = getOptionalInput('schema-dir');
  if (!schemaDir) throw new ConfigurationError(`input "schema-dir" is required${forWhat}`);
  const command = getOptionalInput('schema-command');
  const sqlFiles = (getOptionalInput('schema-sql') ?? '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (command && sqlFiles.length > 0)
    throw new ConfigurationError('give input "schema-command" or input "schema-sql", not both');
  if (!command && sqlFiles.length === 0)
    throw new ConfigurationError(`input "schema-command" or input "schema-sql" is required${forWhat}`);
  return { repoDir, schemaDir, ...(command ? { command } : { sqlFiles }) };
}

/**
 * The `seed-sql` (files, one per line) and `seed-command` inputs of verify and apply: rows for the data
 * check and the pre-flight, found and run in `dir` (the workspace). Undefined when neither is given.
 */
export function getSeedInputs(dir: string): UserSeed | undefined {
  const sqlFiles = (getOptionalInput('seed-sql') ?? '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return checkUserSeed(
    { sqlFiles, command: getOptionalInput('seed-command'), dir },
    { sql: 'input "seed-sql"', command: 'input "seed-command"' },
  );
}

/** The `migrations-dir` input, resolved in the checkout `repoDir` and checked to exist. */
export function getMigrationsDirInput(repoDir: string): string {
  const migrationsDir = resolve(repoDir, getRequiredInput('migrations-dir'));
  if (!statSync(migrationsDir, { throwIfNoEntry: false })?.isDirectory()) {
    // git keeps no empty directories: a fresh repository's migrations directory needs a file to exist.
    throw new ConfigurationError(
      `input "migrations-dir": migrations directory ${migrationsDir} does not exist (commit an empty .gitkeep in it before the first migration)`,
    );
  }
  return migrationsDir;
}

/**
 * Inputs `exclude-tables` (one `[schema.]table` pattern a line, globs as in docs/globs.md) and
 * `include-framework-tables` (compare the frameworks' bookkeeping tables, left out by default).
 */
export function getTableFilterInputs(): { excludeTables?: string[]; includeFrameworkTables?: boolean } {
  const excludeTables = (getOptionalInput('exclude-tables') ?? '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  return {
    ...(excludeTables.length ? { excludeTables } : {}),
    ...(getBooleanInput('include-framework-tables', false) ? { includeFrameworkTables: true } : {}),
  };
}
