/**
 * `pnpm bench [name...]`: runs the benchmarks one after the other and prints their figures.
 * Each bench module exports `run(): Promise<string>` returning its printed table.
 */
import { errorMessage } from '../packages/core/src/errors';

const BENCHES = [
  'shadow',
  'diff',
  'fleet',
  'network',
  'lint',
  'verify-data',
  'prechecks',
  'online',
  'startup',
] as const;

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !(BENCHES as readonly string[]).includes(name));
  if (unknown.length) throw new Error(`unknown bench ${unknown.join(', ')}; choose from ${BENCHES.join(', ')}`);
  for (const name of wanted.length ? wanted : BENCHES) {
    const bench = require(`./${name}`) as { run(): Promise<string> };
    process.stdout.write(`\n## ${name}\n`);
    process.stdout.write((await bench.run()) + '\n');
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${errorMessage(error)}\n`);
  process.exitCode = 1;
});
