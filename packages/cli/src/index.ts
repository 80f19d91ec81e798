#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { asConfigurationError, consoleLogger, errorMessage, SUPPORTED_POSTGRES_MAJORS } from '@db-migrate/core';
import type { Command } from './command';
import { commands } from './commands';

function usage(): string {
  const lines = ['usage: db-migrate <command> [options]', '', 'commands:'];
  for (const command of commands) lines.push(`  ${command.name.padEnd(10)} ${command.summary}`);
  lines.push('', 'Run `db-migrate <command> --help` for its options.');
  return lines.join('\n');
}

function commandHelp(command: Command): string {
  const lines = [`usage: db-migrate ${command.usage}`, '', command.summary];
  return lines.join('\n');
}

/**
 * `db-migrate --version`: the package's version (read from its package.json, next to src/ and to the
 * bundle's dist/) and the PostgreSQL majors it builds schemas with.
 */
export function versionText(): string {
  const { version } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
  return `db-migrate ${version} (PostgreSQL ${SUPPORTED_POSTGRES_MAJORS.join(', ')}; Node ${process.versions.node})`;
}

/** Runs the CLI and returns its exit code: 0 success, 1 failure or bad input, 2 differences found (--exit-code). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 1;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(versionText() + '\n');
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`db-migrate: unknown command "${name}"\n\n${usage()}\n`);
    return 1;
  }
  const verbose = rest.includes('--verbose');
  const logger = consoleLogger({ verbose });
  try {
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(commandHelp(command) + '\n');
      return 0;
    }
    const { values, positionals } = parseArgs({
      args: rest.filter((a) => a !== '--verbose'),
      options: command.options,
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    });
    return await command.run(values, positionals, { logger, stdout: (text) => process.stdout.write(text) });
  } catch (error) {
    const isUsage = error instanceof TypeError && 'code' in error && String((error as { code: unknown }).code).startsWith('ERR_PARSE_ARGS');
    const configuration = asConfigurationError(error);
    if (configuration || isUsage) {
      process.stderr.write(`db-migrate ${name}: ${errorMessage(configuration ?? error)}\n`);
      if (isUsage) process.stderr.write(`usage: db-migrate ${command.usage}\n`);
    } else {
      process.stderr.write(`db-migrate ${name}: unexpected error (a bug in db-migrate): ${errorMessage(error)}\n`);
      if (verbose && error instanceof Error && error.stack) process.stderr.write(errorMessage(error.stack) + '\n');
    }
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`db-migrate: ${errorMessage(error)}\n`);
      process.exitCode = 1;
    },
  );
}
