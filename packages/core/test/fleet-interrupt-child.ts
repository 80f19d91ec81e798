/**
 * A fleet run in its own process, for fleet-safety.test.ts: a slow asynchronous signal cleanup stands in
 * for a shadow server that takes a while to remove (a docker container), so a SIGINT leaves a window in
 * which the fleet could go on starting targets. Usage (through scripts/register-ts.js):
 *   fleet-interrupt-child.ts <migrations dir> <shadow url> <name=url>...
 */
import { applyFleet } from '../src/fleet/apply';
import { resolveTargets } from '../src/fleet/targets';
import { consoleLogger } from '../src/logger';
import { readMigrationDir } from '../src/migrations/store';
import { onSignalCleanup } from '../src/process/cleanup';

async function main(): Promise<void> {
  const [dir, shadow, ...entries] = process.argv.slice(2);
  onSignalCleanup(() => new Promise((resolve) => setTimeout(resolve, 4000)));
  const set = await readMigrationDir(dir);
  const specs = entries.map((entry) => {
    const at = entry.indexOf('=');
    return { name: entry.slice(0, at), url: entry.slice(at + 1), groups: [], origin: 'argv' };
  });
  await applyFleet({
    set,
    targets: resolveTargets(specs, {}),
    shadow,
    concurrency: 1,
    logger: consoleLogger({ verbose: false }),
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`fleet-interrupt-child: ${String(error)}\n`);
  process.exit(1);
});
