import type { ParseArgsConfig } from 'node:util';
import { writeFile } from 'node:fs/promises';
import type { Logger } from '@db-migrate/core';
import { ConfigurationError } from './core';

export interface CommandContext {
  /** Progress and diagnostics go to stderr through the logger; results go to stdout. */
  readonly logger: Logger;
  readonly stdout: (text: string) => void;
  /** --verbose: every line (e.g. each hazard) rather than a summary. */
  readonly verbose: boolean;
}

export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/**
 * One option of a command: how it parses and what `--help` says about it. The parser and the help are
 * both generated from a command's table, so an option cannot exist without its line of text.
 */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** May be given more than once (the values are collected in order). */
  readonly multiple?: boolean;
  /** A one-letter alias, e.g. 'q' for -q. */
  readonly short?: string;
  /** What the value looks like in help, e.g. '<ref>' (string options only). */
  readonly value?: string;
  /** One line of help: what the option does. */
  readonly description: string;
  /**
   * The default in words, shown as "(default: ...)"; leave out when there is none. A function when it reads
   * a constant of the core: help then prints without loading the core.
   */
  readonly default?: string | (() => string);
  /** The environment variable read when the option is not given. */
  readonly env?: string;
  /** Shown as "(required)". */
  readonly required?: boolean;
}

export type OptionTable = Readonly<Record<string, OptionSpec>>;

export interface Command {
  readonly name: string;
  /** One line for the global command list. */
  readonly summary: string;
  /** Usage line(s) after `db-migrate `. */
  readonly usage: string;
  /** Paragraphs printed after the summary in `<command> --help` (how refs resolve, what the exit codes mean). */
  readonly details?: readonly string[];
  readonly options: OptionTable;
  /** Example invocations: each a comment line then the command (without the leading `$ `). */
  readonly examples: readonly { readonly comment: string; readonly command: string }[];
  readonly allowPositionals?: boolean;
  /**
   * Progress lines (logger.info) that the command's stdout output repeats: left out when stdout and stderr
   * are the same terminal, so each result is printed once.
   */
  readonly repeatedOnStdout?: RegExp;
  /** Returns the exit code. Throws ConfigurationError for the user's mistakes. */
  run(values: OptionValues, positionals: string[], context: CommandContext): Promise<number>;
}

/** Options every command takes (handled by the CLI itself, before the command runs). */
export const GLOBAL_OPTIONS: OptionTable = {
  help: { type: 'boolean', short: 'h', description: 'Print this help and exit.' },
  verbose: {
    type: 'boolean',
    description: "Also print debug lines (the build commands' output, each SQL file loaded).",
  },
  quiet: {
    type: 'boolean',
    short: 'q',
    description: 'Print only warnings, errors and the result (no progress lines).',
  },
};

/** The --json option, one spelling for every command. */
export const JSON_OPTION: OptionTable = {
  json: {
    type: 'string',
    value: '<file>',
    description: 'Also write the result as JSON to this file; `-` prints JSON on stdout instead of text.',
  },
};

/** The table node:util's parseArgs reads. */
export function parseArgsOptions(table: OptionTable): NonNullable<ParseArgsConfig['options']> {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, spec] of Object.entries(table)) {
    options[name] = {
      type: spec.type,
      ...(spec.multiple ? { multiple: true } : {}),
      ...(spec.short ? { short: spec.short } : {}),
    };
  }
  return options;
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

/** Every value of a repeatable string option, in the order given, blanks included (the reader names them). */
export function everyString(values: OptionValues, name: string): string[] {
  const raw = values[name];
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.filter((v): v is string => typeof v === 'string');
}

/** Every value of a repeatable string option, in the order given, blanks left out. */
export function stringList(values: OptionValues, name: string): string[] {
  return everyString(values, name).filter((v) => v.trim() !== '');
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

/**
 * The integer options given, under the names the core reads them by: `givenIntegers(values, { timeoutMs:
 * 'precheck-timeout' })` is `{ timeoutMs: 5000 }` after `--precheck-timeout 5000`, `{}` without it.
 */
export function givenIntegers<K extends string>(
  values: OptionValues,
  options: Readonly<Record<K, string>>,
): Partial<Record<K, number>> {
  const given: Partial<Record<K, number>> = {};
  for (const [key, option] of Object.entries(options) as [K, string][]) {
    const value = optionalInteger(values, option);
    if (value !== undefined) given[key] = value;
  }
  return given;
}

/**
 * Prints a result: as text, or as JSON on stdout with `--json -`; with `--json <file>` the text is printed
 * and the JSON written to the file.
 */
export async function printResult(
  values: OptionValues,
  stdout: (text: string) => void,
  text: string,
  json: unknown,
): Promise<void> {
  const target = optionalString(values, 'json');
  const body = JSON.stringify(json, null, 2) + '\n';
  if (target === '-') {
    stdout(body);
    return;
  }
  stdout(text);
  if (target) await writeFile(target, body);
}
