import { redact } from '../../packages/core/src/redact';
import type { Logger } from '../../packages/core/src/logger';

/** A logger that keeps lines in memory, redacted as the real ones are. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(redact(m)),
    warning: (m) => lines.push('warning: ' + redact(m)),
    error: (m) => lines.push('error: ' + redact(m)),
    debug: () => undefined,
    async group(title, fn) {
      lines.push('== ' + title);
      return fn();
    },
  };
}
