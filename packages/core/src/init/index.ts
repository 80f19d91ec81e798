/**
 * `db-migrate init`: detect the repository's layout, then write the workflows for it (and a starter
 * targets file and the migrations directory when they are missing). An existing file is never
 * overwritten without `force`; every conflict is named before anything is written.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ConfigurationError } from '../errors';
import { Git } from '../git';
import { parseTargetsYaml } from '../fleet/targets';
import { type LayoutHints, type RepositoryLayout, detectLayout } from './layout';
import { type GeneratedFile, type WorkflowOptions, STARTER_TARGETS, generateWorkflows } from './workflows';

export * from './layout';
export * from './workflows';
export * from './trigger-paths';
export { APPLY_ACTION_INPUTS } from './apply-action-inputs';

export interface InitOptions extends WorkflowOptions {
  readonly force?: boolean;
  /** Say what would be written, write nothing. */
  readonly dryRun?: boolean;
}

export interface InitResult {
  readonly layout: RepositoryLayout;
  /** Paths relative to the repository root, in the order written. */
  readonly files: readonly GeneratedFile[];
  readonly written: boolean;
}

export async function initRepository(repoDir: string, hints: LayoutHints, options: InitOptions): Promise<InitResult> {
  const root = (await Git.open(repoDir)).repoDir;
  let layout = await detectLayout(root, hints);
  const files: GeneratedFile[] = [];
  if (!layout.targetsFile) {
    files.push({ path: 'db-targets.yml', text: STARTER_TARGETS });
    // The workflows are written for the starter file, as if it were there.

    const specs = parseTargetsYaml(STARTER_TARGETS, 'db-targets.yml');
    layout = {
      ...layout,
      targetsFile: 'db-targets.yml',
      productionGroup: 'prod',
      productionUrlEnvs: specs.filter((s) => s.groups.includes('prod')).map((s) => s.urlEnv!),
      stagingUrlEnvs: specs.filter((s) => s.groups.includes('staging')).map((s) => s.urlEnv!),
    };
  }
  if (!existsSync(join(root, layout.migrationsDir))) files.push({ path: `${layout.migrationsDir}/.gitkeep`, text: '' });
  files.push(...generateWorkflows(layout, options));

  const existing = files.filter((f) => existsSync(join(root, f.path)));
  if (existing.length > 0 && !options.force && !options.dryRun) {
    throw new ConfigurationError(
      `${existing.map((f) => f.path).join(', ')} already exist${existing.length === 1 ? 's' : ''} in ${root}: nothing written`,
      { remedies: [{ kind: 'option', option: 'force', value: true }] },
    );
  }
  if (!options.dryRun) {
    for (const file of files) {
      await mkdir(dirname(join(root, file.path)), { recursive: true });
      await writeFile(join(root, file.path), file.text);
    }
  }
  return { layout, files, written: !options.dryRun };
}
