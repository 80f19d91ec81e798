/**
 * Writes packages/core/src/init/apply-action-inputs.ts from apply/action.yml: the inputs the apply action
 * declares, in order, with the first sentence of each description and its default, so `db-migrate init`
 * (which runs without this repository at hand) derives the apply workflow from the action itself.
 * `--check` writes nothing and fails when the module is stale (the init test checks it too).
 *
 *   node -r ./scripts/register-ts.js scripts/update-init-inputs.ts [--check]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
export const INPUTS_MODULE = join(ROOT, 'packages/core/src/init/apply-action-inputs.ts');
// yaml is a dependency of the core package, not of the workspace root.
const YAML = require(require.resolve('yaml', { paths: [join(ROOT, 'packages/core')] })) as {
  parse(text: string): unknown;
};

interface ActionInputs {
  readonly inputs: Record<string, { readonly description: string; readonly default?: string }>;
}

/** The first sentence of a description (two when the first is a few words), on one line, without its period. */
function firstSentence(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  // A sentence ends at a period followed by a capital or a backtick (not `e.g. one`, not `...`).
  const ends = [...line.matchAll(/(?<!\.|e\.g|i\.e)\.\s+(?=[A-Z`])/g)].map((m) => m.index);
  const end = ends.find((i) => i >= 40) ?? line.length;
  return line.slice(0, end).replace(/\.$/, '');
}

export interface ApplyActionInput {
  readonly name: string;
  readonly description: string;
  readonly default?: string;
}

/** The inputs of apply/action.yml as it is now, as the module lists them. */
export function applyActionInputs(): ApplyActionInput[] {
  const spec = YAML.parse(readFileSync(join(ROOT, 'apply/action.yml'), 'utf8')) as ActionInputs;
  return Object.entries(spec.inputs).map(([name, input]) => ({
    name,
    description: firstSentence(input.description),
    ...(input.default !== undefined ? { default: String(input.default) } : {}),
  }));
}

/** The module's text (Biome formats it after writing; the check compares the data, not the text). */
function applyInputsModule(entries: readonly ApplyActionInput[]): string {
  return (
    '// Generated from apply/action.yml by scripts/update-init-inputs.ts: do not edit, run it again.\n\n' +
    '/** The inputs the apply action declares, in its order: the first sentence of each description, and its default. */\n' +
    `export const APPLY_ACTION_INPUTS: readonly { readonly name: string; readonly description: string; readonly default?: string }[] = ${JSON.stringify(entries, null, 2)};\n`
  );
}

if (require.main === module) {
  const entries = applyActionInputs();
  if (process.argv.includes('--check')) {
    const { APPLY_ACTION_INPUTS } = require(INPUTS_MODULE) as { APPLY_ACTION_INPUTS: unknown };
    if (JSON.stringify(APPLY_ACTION_INPUTS) !== JSON.stringify(entries)) {
      console.error(`${INPUTS_MODULE} is stale: run node -r ./scripts/register-ts.js scripts/update-init-inputs.ts`);
      process.exit(1);
    }
  } else {
    writeFileSync(INPUTS_MODULE, applyInputsModule(entries));
    spawnSync('npx', ['biome', 'format', '--write', INPUTS_MODULE], { cwd: ROOT, stdio: 'inherit' });
  }
}
