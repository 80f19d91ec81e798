import * as core from '@actions/core';

/**
 * GitHub keeps at most 1 MB of outputs per job, all outputs together: one output is kept to a quarter of
 * that, so a huge difference or report cannot make the job lose its other outputs.
 */
export const OUTPUT_LIMIT = 256 * 1024;

/** The text itself when it fits, else its first whole lines within the limit and a last line saying it was cut. */
export function fitOutput(text: string, limit = OUTPUT_LIMIT): { text: string; truncated: boolean } {
  if (text.length <= limit) return { text, truncated: false };
  const note = `-- [cut by db-migrate to fit GitHub's output limit: ${text.length} characters in all; the job summary shows more]\n`;
  const room = Math.max(0, limit - note.length);
  const lastNewline = text.lastIndexOf('\n', room - 1);
  return { text: text.slice(0, lastNewline > 0 ? lastNewline + 1 : room) + note, truncated: true };
}

/** Sets a text output, cut to fit (with a warning) when it is too large for GitHub. */
export function setTextOutput(name: string, text: string, limit = OUTPUT_LIMIT): void {
  const fitted = fitOutput(text, limit);
  if (fitted.truncated)
    core.warning(`output "${name}" was cut to ${limit} characters to fit GitHub's limits (${text.length} in all)`);
  core.setOutput(name, fitted.text);
}
