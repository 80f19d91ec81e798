import { main } from '../../packages/cli/src/index';
import { adminUrl } from './pg';

/** Runs the db-migrate CLI in-process (as `db-migrate <args>`) and captures what it writes and its exit code. */
export async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const err = jest
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    return { code: await main(args), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/**
 * The arguments every fleet command (apply, drift, baseline) takes in a test: --dir, the test server as
 * --shadow, and `--database name=url` for each of `databases`, in order.
 */
export function fleetArgs(dir: string, databases: Readonly<Record<string, string>> = {}): string[] {
  const each = Object.entries(databases).flatMap(([name, url]) => ['--database', `${name}=${url}`]);
  return ['--dir', dir, '--shadow', adminUrl(), ...each];
}
