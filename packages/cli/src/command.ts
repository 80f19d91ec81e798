import type { ParseArgsConfig } from 'node:util';
import { ConfigurationError, type Logger } from '@db-migrate/core';

export interface CommandContext {
  /** Progress and diagnostics go to stderr through the logger; results go to stdout. */
  readonly logger: Logger;
  readonly stdout: (text: string) => void;
}

export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Usage line(s) after `db-migrate `. */
  readonly usage: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  readonly allowPositionals?: boolean;
  /** Returns the exit code. Throws ConfigurationError for the user's mistakes. */
  run(values: OptionValues, positionals: string[], context: CommandContext): Promise<number>;
}

/** Reads a required string option or throws a ConfigurationError naming it. */
export function requiredString(values: OptionValues, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') {
    throw new ConfigurationError(`missing required option --${name}`);
  }
  return value;
}

export function optionalString(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Parses an integer option, or throws a ConfigurationError naming it. */
export function optionalInteger(values: OptionValues, name: string): number | undefined {
  const raw = optionalString(values, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) {
    throw new ConfigurationError(`--${name} must be a non-negative integer, got "${raw}"`);
  }
  return Number(raw);
}

/** A repeatable string option (`--rename a --rename b`), as a list; empty when not given. */
export function stringList(values: OptionValues, name: string): string[] {
  const value = values[name];
  const list = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  return list.filter((v): v is string => typeof v === 'string' && v.trim() !== '');
}
