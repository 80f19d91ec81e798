#!/usr/bin/env node
import { fstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Logger } from '@db-migrate/core';
import { SUPPORTED_POSTGRES_VERSIONS } from '@db-migrate/core/src/postgres-server/embedded-packages';
import type { Command } from './command';

/**
 * The commands and @db-migrate/core, required on first use rather than imported: `--version` needs neither,
 * `help` only the commands (the core loads when a command first uses it: ./core.ts), so their start-up stays
 * close to bare node's (the bundle runs a module's code only when it is required).
 */
function cli() {
  return {
    core: require('./core') as typeof import('./core'),
    command: require('./command') as typeof import('./command'),
    commands: (require('./commands') as typeof import('./commands')).commands,
    help: require('./help') as typeof import('./help'),
    wording: require('./remedy-wording') as typeof import('./remedy-wording'),
  };
}

/** True when stdout and stderr are the same terminal: what both print is seen once, interleaved. */
export function sameTerminal(): boolean {
  if (!process.stdout.isTTY || !process.stderr.isTTY) return false;
  try {
    const [out, err] = [fstatSync(1), fstatSync(2)];
    return out.dev === err.dev && out.ino === err.ino && out.rdev === err.rdev;
  } catch {
    return false;
  }
}

/**
 * The CLI's logger: --quiet keeps warnings and errors only; info lines the command repeats on stdout are
 * left out when both streams go to one terminal. It loads the core on its first line, so a command can
 * start its first database work before the core loads (diff reads both catalogs first).
 */
export function cliLogger(options: { verbose: boolean; quiet: boolean; repeated?: RegExp; shared: boolean }): Logger {
  let loaded: Logger | undefined;
  const base = () => (loaded ??= cli().core.consoleLogger({ verbose: options.verbose }));
  const skip = (message: string) => options.quiet || (options.shared && options.repeated?.test(message));
  return {
    info: (message) => (skip(message) ? undefined : base().info(message)),
    warning: (message) => base().warning(message),
    error: (message) => base().error(message),
    debug: (message) => base().debug(message),
    group: (title, fn) => base().group(title, fn),
  };
}

/** "unknown option --dri; did you mean --dry-run?" for a mistyped option, from the command's own table. */
function unknownOptionMessage(error: unknown, command: Command): string {
  const { core, command: table, help } = cli();
  const message = core.errorMessage(error);
  const typed = /Unknown option '(-{1,2})([^']+)'/.exec(message);
  if (!typed) return message;
  const known = Object.keys({ ...command.options, ...table.GLOBAL_OPTIONS });
  const suggestion = help.closestName(typed[2], known);
  return `unknown option ${typed[1]}${typed[2]}${suggestion ? `; did you mean --${suggestion}?` : ''}`;
}

/** `db-migrate nope` or `db-migrate help nope`: the closest command's name, then the command list; exit code 1. */
function unknownCommand(name: string): number {
  const { commands, help } = cli();
  const suggestion = help.closestName(
    name,
    commands.map((c) => c.name),
  );
  process.stderr.write(
    `db-migrate: unknown command "${name}"${suggestion ? `; did you mean "${suggestion}"?` : ''}\n\n${help.globalHelp(commands)}`,
  );
  return 1;
}

/**
 * `db-migrate --version`: the package's version (read from its package.json, next to src/ and to the
 * bundle's dist/) and the PostgreSQL majors it builds schemas with.
 */
export function versionText(): string {
  const { version } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
  return `db-migrate ${version} (PostgreSQL ${SUPPORTED_POSTGRES_VERSIONS.join(', ')}; Node ${process.versions.node})`;
}

/** Runs the CLI and returns its exit code: 0 success, 1 failure or bad input, 2 differences found (--exit-code). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(versionText() + '\n');
    return 0;
  }
  const { core, command: table, commands, help, wording } = cli();
  const { commandHelp, globalHelp } = help;
  const { describeError } = wording;
  const { GLOBAL_OPTIONS, parseArgsOptions } = table;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const command = topic ? commands.find((c) => c.name === topic) : undefined;
    if (topic && !command) return unknownCommand(topic);
    process.stdout.write(command ? commandHelp(command) : globalHelp(commands));
    return name ? 0 : 1;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) return unknownCommand(name);
  let verbose = rest.includes('--verbose');
  try {
    const parsed = parseArgs({
      args: rest,
      options: parseArgsOptions({ ...command.options, ...GLOBAL_OPTIONS }),
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    });
    const { help, verbose: verboseFlag, quiet, ...values } = parsed.values;
    if (help === true) {
      process.stdout.write(commandHelp(command));
      return 0;
    }
    verbose = verboseFlag === true;
    const logger = cliLogger({
      verbose,
      quiet: quiet === true && !verbose,
      repeated: command.repeatedOnStdout,
      shared: sameTerminal(),
    });
    return await command.run(values, parsed.positionals, {
      logger,
      verbose,
      stdout: (text) => process.stdout.write(text),
    });
  } catch (error) {
    // By its code, not instanceof TypeError: under a test runner's VM the error comes from another realm.
    const isUsage =
      typeof error === 'object' &&
      error !== null &&
      String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
    if (rest.includes('--help') || rest.includes('-h')) {
      // Help is printed even when another option on the line is wrong.
      process.stdout.write(commandHelp(command));
      return 0;
    }
    const configuration = core.asConfigurationError(error);
    if (configuration || isUsage) {
      process.stderr.write(
        `db-migrate ${name}: ${isUsage ? unknownOptionMessage(error, command) : describeError(configuration ?? error)}\n`,
      );
      if (isUsage)
        process.stderr.write(
          `usage: db-migrate ${command.usage
            .split('\n')
            .map((l) => l.trim())
            .join(' ')}\nRun \`db-migrate ${name} --help\` for every option.\n`,
        );
    } else {
      process.stderr.write(`db-migrate ${name}: unexpected error (a bug in db-migrate): ${core.errorMessage(error)}\n`);
      if (verbose && error instanceof Error && error.stack) process.stderr.write(core.errorMessage(error.stack) + '\n');
    }
    return 1;
  }
}

/** The command line's entry: runs main on the process's arguments and sets its exit code. */
export function runFromCommandLine(): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`db-migrate: ${cli().core.errorMessage(error)}\n`);
      process.exitCode = 1;
    },
  );
}

// The bundle's dist/index.js (scripts/cli-launcher.js) calls runFromCommandLine; run directly, so does this.
// By file name: in the bundle `module` may be the bundler's own module object, which is its entry too.
if (require.main?.filename === __filename) runFromCommandLine();
