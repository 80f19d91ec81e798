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
  'flow',
] as const;

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !(BENCHES as readonly string[]).includes(name));
  if (unknown.length) throw new Error(`unknown bench ${unknown.join(', ')}; choose from ${BENCHES.join(', ')}`);
  const figures: { bench: string; figure: Figure }[] = [];
  const failed: string[] = [];
  const started = Date.now();
  for (const name of wanted.length ? wanted : BENCHES) {
    process.stdout.write(`\n## ${name}\n`);
    // A bench that fails is reported and the others still run: their figures are printed all the same.
    try {
      const bench = require(`./${name}`) as { run(): Promise<string | BenchResult> };
      const result = await bench.run();
      const { text, figures: own } = typeof result === 'string' ? { text: result, figures: [] } : result;
      process.stdout.write(text + '\n');
      for (const figure of own) figures.push({ bench: name, figure });
    } catch (error) {
      failed.push(name);
      process.stdout.write(`failed: ${errorMessage(error)}\n`);
      figures.push({ bench: name, figure: { name: 'the bench itself', measured: 'failed', target: '-' } });
    }
  }
  if (figures.length) process.stdout.write(`\n## figures beside their targets\n${closingTable(figures)}\n`);
  process.stdout.write(`\n${Math.round((Date.now() - started) / 1000)} s in all\n`);
  if (failed.length) throw new Error(`${failed.join(', ')} failed (see above)`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${errorMessage(error)}\n`);
  process.exitCode = 1;
});
