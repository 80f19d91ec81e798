/**
 * `pnpm bench [name...]`: runs the benchmarks one after the other and prints their figures.
 * Each bench module exports `run()` returning its printed text, or `{ text, figures }` (bench/figures.ts);
 * the figures of every bench run are printed last, each beside its target.
 */
import { errorMessage } from '../packages/core/src/errors';
import { type BenchResult, closingTable, type Figure } from './figures';

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
  const figures: { bench: string; figure: Figure }[] = [];
  for (const name of wanted.length ? wanted : BENCHES) {
    const bench = require(`./${name}`) as { run(): Promise<string | BenchResult> };
    process.stdout.write(`\n## ${name}\n`);
    const result = await bench.run();
    const { text, figures: own } = typeof result === 'string' ? { text: result, figures: [] } : result;
    process.stdout.write(text + '\n');
    for (const figure of own) figures.push({ bench: name, figure });
  }
  if (figures.length) process.stdout.write(`\n## figures beside their targets\n${closingTable(figures)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${errorMessage(error)}\n`);
  process.exitCode = 1;
});
