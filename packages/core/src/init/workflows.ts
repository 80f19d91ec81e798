/**
 * The workflows `db-migrate init` writes for a repository's layout: create, verify, apply (by hand, with
 * mode, allow and timeout inputs), drift (nightly) and staging sync. Their push triggers watch the schema's
 * own paths, and the apply and drift jobs map exactly the url-env variables of the targets file.
 */
import { commandLine } from '../remedy';
import { APPLY_ACTION_INPUTS } from './apply-action-inputs';
import type { LayoutTodo, RepositoryLayout } from './layout';

export interface WorkflowOptions {
  /** owner/name of the db-migrate actions, e.g. your-org/db-migrate. */
  readonly actions: string;
  /** The tag or sha the actions are pinned to. */
  readonly version: string;
}

export interface GeneratedFile {
  readonly path: string;
  readonly text: string;
}

/** Apply and the drift report read production: one at a time (one group), a queued run waits its turn. */
const PRODUCTION_ONE_AT_A_TIME = `permissions:
  contents: read

concurrency:
  group: db-migrate-apply-production
  cancel-in-progress: false
`;

const SHADOW_SERVICE = `    services:
      # Where each version's expected schema is rebuilt (a throwaway server for the job).
      shadow:
        image: postgres:{{pg}}
        env:
          POSTGRES_PASSWORD: shadow-only-password   # not the word postgres: the password is masked in every log line
        ports: ['5432:5432']
        options: --health-cmd pg_isready --health-interval 2s --health-timeout 5s --health-retries 30
`;

function quote(value: string): string {
  return /^[A-Za-z0-9_./-]+$/.test(value) && !/^(true|false|yes|no|on|off|null|\d+)$/i.test(value)
    ? value
    : `'${value.replace(/'/g, "''")}'`;
}

/** The paths whose change may change the schema: the schema directory and the dependency file outside it. */
export function schemaTriggerPaths(layout: RepositoryLayout): string[] | undefined {
  if (layout.schemaDir === '.') return undefined;
  const paths = [`${layout.schemaDir}/**`];
  const file = layout.install && /(\S+\.(txt|toml))$/.exec(layout.install.command)?.[1];
  if (file && !file.startsWith(`${layout.schemaDir}/`)) paths.push(file);
  return paths;
}

function pushTrigger(layout: RepositoryLayout): string {
  const paths = schemaTriggerPaths(layout);
  const filter = paths
    ? `    paths: [${paths.map((p) => quote(p)).join(', ')}]   # the schema's paths: db-migrate init found them; the actions warn if they stop matching schema-dir\n`
    : '    # The schema is built from the whole repository (schema-dir .): every push may change it.\n';
  return `  push:\n    branches: [${quote(layout.defaultBranch)}]\n${filter}`;
}

/** What init could not detect, as comment lines at `indent` (every workflow's header lists them all, too). */
function todoLines(layout: RepositoryLayout, indent: string, about?: LayoutTodo['about']): string {
  return layout.todos
    .filter((t) => about === undefined || t.about === about)
    .map((t) => `${indent}# TODO(db-migrate init): ${t.text}\n`)
    .join('');
}

function setupSteps(layout: RepositoryLayout): string {
  const runtime = layout.install?.runtime ?? layout.runtime;
  let steps = todoLines(layout, '      ', 'dependencies');
  if (runtime === 'python')
    steps += `      - uses: actions/setup-python@v6\n        with:\n          python-version: '3.12'\n`;
  if (runtime === 'node') steps += `      - uses: actions/setup-node@v5\n        with:\n          node-version: 22\n`;
  if (layout.install) steps += `      - run: ${layout.install.command}\n`;
  return steps;
}

function schemaInputs(layout: RepositoryLayout): string {
  let text = `${todoLines(layout, '          ', 'schema')}          schema-dir: ${quote(layout.schemaDir)}\n`;
  if (layout.schemaCommand) text += `          schema-command: ${quote(layout.schemaCommand)}\n`;
  if (layout.schemaSql)
    text += `          schema-sql: |\n${layout.schemaSql.map((f) => `            ${f}\n`).join('')}`;
  return text;
}

function envBlock(urlEnvs: readonly string[]): string {
  if (urlEnvs.length === 0) return '';
  return `        env:\n          # One secret per database, named by url-env in the targets file (db-migrate init writes this list: run it again after adding a database).\n${urlEnvs
    .map((name) => `          ${name}: \${{ secrets.${name} }}\n`)
    .join('')}`;
}

const CACHE_STEP = (pg: string) =>
  `      - uses: actions/cache@v5\n        with:\n          path: \${{ runner.tool_cache }}/db-migrate\n          key: db-migrate-postgres-${pg}-\${{ runner.os }}-\${{ runner.arch }}\n`;

/**
 * How the apply workflow passes each input the apply action declares (apply-action-inputs.ts, generated
 * from its action.yml): asked at each dispatch, set by init from the layout, a repository-wide setting
 * written as a comment at the action's default, or not for this workflow (another mode's, or the
 * targets file's). An input missing here is written as a setting, so none is ever dropped silently.
 */
export const APPLY_WORKFLOW_INPUTS: Readonly<Record<string, 'dispatch' | 'layout' | 'setting' | 'other'>> = {
  mode: 'dispatch',
  'dry-run': 'dispatch',
  'to-version': 'dispatch',
  'target-names': 'dispatch',
  allow: 'dispatch',
  'lock-timeout': 'dispatch',
  'lock-retry-budget': 'dispatch',
  'statement-timeout': 'dispatch',
  'max-failures': 'dispatch',
  'migrations-dir': 'layout',
  'targets-file': 'layout',
  group: 'layout',
  'shadow-database': 'layout',
  'postgres-version': 'layout',
  'migrations-repository-path': 'setting',
  concurrency: 'setting',
  'concurrency-per-host': 'setting',
  shard: 'setting',
  'postponed-is-warning': 'setting',
  'precheck-max-rows': 'setting',
  'precheck-timeout': 'setting',
  'large-table-rows': 'setting',
  'large-table-bytes': 'setting',
  'seed-sql': 'setting',
  'seed-command': 'setting',
  'exclude-tables': 'setting',
  'include-framework-tables': 'setting',
  // The URLs come from the targets file's url-env secrets; the rest are mode sync's (the staging workflow).
  databases: 'other',
  'schema-dir': 'other',
  'schema-command': 'other',
  'schema-sql': 'other',
  'schema-repository-path': 'other',
  ref: 'other',
  'allow-empty-goal': 'other',
};

/** GitHub refuses a workflow_dispatch with more inputs than this. */
export const MAX_DISPATCH_INPUTS = 10;

const roleOf = (name: string) => APPLY_WORKFLOW_INPUTS[name] ?? 'setting';

function yamlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** The workflow_dispatch inputs: every input of the action asked at dispatch, described as the action describes it. */
function dispatchInputs(): string {
  return APPLY_ACTION_INPUTS.filter((i) => roleOf(i.name) === 'dispatch')
    .map((input) => {
      const lines = [`      ${input.name}:`];
      if (input.name === 'mode') {
        lines.push(
          `        description: 'apply (migrate or revert), baseline (record versions of databases built before db-migrate), drift (check only)'`,
          '        type: choice',
          '        options: [apply, baseline, drift]',
          '        default: apply',
        );
      } else if (input.name === 'dry-run') {
        // The action runs for real by default; a run started by hand shows its plan first.
        lines.push(
          `        description: ${yamlString(input.description)}`,
          '        type: boolean',
          '        default: true',
        );
      } else {
        lines.push(
          `        description: ${yamlString(`${input.description}${input.default !== undefined ? ` (empty: ${input.default})` : ''}`)}`,
          '        type: string',
          '        required: false',
        );
      }
      return `${lines.join('\n')}\n`;
    })
    .join('');
}

/** The `with:` of the apply step: every input of the action, in its order, by its role. */
function applyWith(layoutValues: Readonly<Record<string, string>>): string {
  return APPLY_ACTION_INPUTS.map((input) => {
    const role = roleOf(input.name);
    if (role === 'dispatch') return `          ${input.name}: \${{ inputs.${input.name} }}\n`;
    if (role === 'layout')
      return input.name in layoutValues ? `          ${input.name}: ${layoutValues[input.name]}\n` : '';
    if (role === 'setting')
      return `          # ${input.name}: ${input.default !== undefined ? quote(input.default) : ''}   # ${input.description}\n`;
    return '';
  }).join('');
}

export function generateWorkflows(layout: RepositoryLayout, options: WorkflowOptions): GeneratedFile[] {
  const uses = (action: string) => `${options.actions}/${action}@${options.version}`;
  const pg = layout.postgresVersion;
  const branch = quote(layout.defaultBranch);
  const targetsFile = layout.targetsFile ?? 'db-targets.yml';
  const group = layout.productionGroup ? `          group: ${layout.productionGroup}\n` : '';
  const shadowUrl = 'postgresql://postgres:shadow-only-password@localhost:5432/postgres';
  const regenerate = commandLine({ kind: 'command', command: 'init', options: [{ option: 'force' }] });
  const header =
    `# Written by db-migrate init for this repository; edit freely (${regenerate} regenerates it).\n` +
    todoLines(layout, '');

  const create = `${header}name: create migration

on:
${pushTrigger(layout)}  # After a migration pull request merges, again: a schema change pushed meanwhile gets its migration.
  pull_request:
    types: [closed]
    branches: [${branch}]
  workflow_dispatch:

permissions:
  contents: write
  pull-requests: write
  issues: write

concurrency:
  group: db-migrate-create
  cancel-in-progress: false

jobs:
  create:
    if: github.event_name != 'pull_request' || (github.event.pull_request.merged && github.event.pull_request.head.ref == 'db-migrate/next-migration')
    runs-on: ubuntu-24.04
    timeout-minutes: 20
    steps:
      - uses: actions/checkout@v5
        with:
          ref: ${branch}
          fetch-depth: 0
          # Pull requests opened with GITHUB_TOKEN start no workflow: give a token that may push and open them.
          token: \${{ secrets.MIGRATIONS_BOT_TOKEN || github.token }}
${setupSteps(layout)}${CACHE_STEP(pg)}      - uses: ${uses('create')}
        with:
${schemaInputs(layout)}          migrations-dir: ${quote(layout.migrationsDir)}
          postgres-version: '${pg}'
          token: \${{ secrets.MIGRATIONS_BOT_TOKEN || github.token }}
`;

  const verify = `${header}# Make "verify migrations" a required status check of ${layout.defaultBranch}.
name: verify migrations

on:
  # Every pull request: a required check must always report.
  pull_request:
    branches: [${branch}]

permissions:
  contents: read
  pull-requests: write

concurrency:
  group: db-migrate-verify-\${{ github.event.pull_request.number }}
  cancel-in-progress: true

jobs:
  verify:
    name: verify migrations
    runs-on: ubuntu-24.04
    timeout-minutes: 20
    steps:
      - uses: actions/checkout@v5
        with:
          fetch-depth: 0
${setupSteps(layout)}${CACHE_STEP(pg)}      - uses: ${uses('verify')}
        with:
${schemaInputs(layout)}          migrations-dir: ${quote(layout.migrationsDir)}
          postgres-version: '${pg}'
`;

  const apply = `${header}# Started by hand: Actions > apply to production > Run workflow. The dry run (default) changes nothing.
name: apply to production

on:
  workflow_dispatch:
    inputs:
${dispatchInputs()}
${PRODUCTION_ONE_AT_A_TIME}
jobs:
  apply:
    runs-on: ubuntu-24.04
    timeout-minutes: 60
    environment: production    # its reviewers gate the run; its secrets hold the URLs
${SHADOW_SERVICE.replace('{{pg}}', pg)}    steps:
      - uses: actions/checkout@v5
      - uses: ${uses('apply')}
        id: apply
${envBlock(layout.productionUrlEnvs)}        with:
${applyWith({
  'migrations-dir': quote(layout.migrationsDir),
  'targets-file': quote(targetsFile),
  ...(layout.productionGroup ? { group: layout.productionGroup } : {}),
  'shadow-database': shadowUrl,
  'postgres-version': `'${pg}'`,
})}`;

  const drift = `${header}# Every night: is each production database exactly at its recorded version? Changes nothing.
name: drift report

on:
  schedule:
    - cron: '17 3 * * *'
  workflow_dispatch:

${PRODUCTION_ONE_AT_A_TIME}
jobs:
  drift:
    runs-on: ubuntu-24.04
    timeout-minutes: 30
    environment: production
${SHADOW_SERVICE.replace('{{pg}}', pg)}    steps:
      - uses: actions/checkout@v5
      - uses: ${uses('apply')}
${envBlock(layout.productionUrlEnvs)}        with:
          mode: drift
          migrations-dir: ${quote(layout.migrationsDir)}
          targets-file: ${quote(targetsFile)}
${group}          shadow-database: ${shadowUrl}
          postgres-version: '${pg}'
`;

  const staging = layout.stagingUrlEnvs.length > 0 ? layout.stagingUrlEnvs : ['STAGING_DATABASE_URL'];
  const sync = `${header}# Keeps the staging databases (group staging of the targets file) at the schema of ${layout.defaultBranch}, without versions.
name: sync staging

on:
${pushTrigger(layout)}
permissions:
  contents: read

concurrency:
  group: db-migrate-sync-staging
  cancel-in-progress: true

jobs:
  sync:
    runs-on: ubuntu-24.04
    timeout-minutes: 20
    environment: staging
${SHADOW_SERVICE.replace('{{pg}}', pg)}    steps:
      - uses: actions/checkout@v5
        with:
          fetch-depth: 0
${setupSteps(layout)}      - uses: ${uses('apply')}
${envBlock(staging)}        with:
          mode: sync
          migrations-dir: ${quote(layout.migrationsDir)}
          targets-file: ${quote(targetsFile)}
          group: staging
${schemaInputs(layout)}          ref: \${{ github.sha }}
          shadow-database: ${shadowUrl}
          postgres-version: '${pg}'
`;

  return [
    { path: '.github/workflows/db-migrate-create.yml', text: create },
    { path: '.github/workflows/db-migrate-verify.yml', text: verify },
    { path: '.github/workflows/db-migrate-apply.yml', text: apply },
    { path: '.github/workflows/db-migrate-drift.yml', text: drift },
    { path: '.github/workflows/db-migrate-sync-staging.yml', text: sync },
  ];
}

/** A targets file to start from, when the repository has none. */
export const STARTER_TARGETS = `# The databases db-migrate migrates: a name, the environment variable holding its URL (a secret, never
# the URL itself), and groups. The workflows map each url-env from the secret of the same name.
databases:
  - name: client1
    url-env: CLIENT1_DATABASE_URL
    groups: [prod]
  - name: staging
    url-env: STAGING_DATABASE_URL
    groups: [staging]
`;
