/**
 * Domain code logs through this interface, so the same code runs in an action (over @actions/core)
 * and in the CLI (over the console). Everything passes through redact() in the implementations.
 */
export interface Logger {
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  debug(message: string): void;
  /** Groups the log lines of a long step; the CLI prints a heading. */
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
}

import { redact } from './redact';

export function consoleLogger(options: { verbose?: boolean; stream?: NodeJS.WritableStream } = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const write = (prefix: string, message: string) => stream.write(`${prefix}${redact(message)}\n`);
  return {
    info: (m) => write('', m),
    warning: (m) => write('warning: ', m),
    error: (m) => write('error: ', m),
    debug: (m) => {
      if (options.verbose) write('debug: ', m);
    },
    async group(title, fn) {
      write('== ', title);
      return fn();
    },
  };
}

export const silentLogger: Logger = {
  info: () => undefined,
  warning: () => undefined,
  error: () => undefined,
  debug: () => undefined,
  group: (_t, fn) => fn(),
};
