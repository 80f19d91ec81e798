/** Small helpers any benchmark can use: statistics, a markdown table, and measuring a child process. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const MiB = 1024 * 1024;

/** A markdown table; columns whose header ends with a unit in parentheses are right-aligned. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const right = header.map((h) => /\)$/.test(h));
  const line = (cells: readonly string[]) =>
    '| ' + cells.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ') + ' |';
  return [line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(line)].join('\n');
}

export interface ChildResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly wallMs: number;
}

/** Runs a TypeScript file of this repository in a fresh node process (through the swc register hook). */
export function runTypeScriptChild(
  file: string,
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<ChildResult> {
  const root = join(__dirname, '..');
  return runChild(process.execPath, ['-r', join(root, 'scripts/register-ts.js'), join(root, file)], env, timeoutMs);
}

export function runChild(
  command: string,
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, wallMs: Number(process.hrtime.bigint() - started) / 1e6 });
    });
  });
}
