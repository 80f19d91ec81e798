/**
 * `db-migrate init` on a repository laid out unlike the example (models deep in backend/, migrations where
 * sql-migrate's dbconfig.yml says, a targets file with production and staging groups), then the generated
 * workflows' steps run the way the runner runs them (the committed action bundles, inputs from the
 * workflow's `with:`); and the actions warn when the trigger paths miss the schema directory.
 * Rebuild the bundles first: pnpm build.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { makeTestRepo, type TestRepo } from '../../core/test/git-fixture';
import { adminUrl, createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';
import { createAllScript, sqlalchemyModels } from '../../../test/support/sqlalchemy';
import { startGitHubApi } from '../../../test/support/github-api';
import {
  pullRequestEvent,
  pushEvent,
  readActionDefinition,
  runActionBundle,
  type ActionName,
} from '../../../test/support/run-action-bundle';
import { cli } from '../../../test/support/cli';
import { APPLY_ACTION_INPUTS, APPLY_WORKFLOW_INPUTS, MAX_DISPATCH_INPUTS } from '../../core/src/init';
import { applyActionInputs } from '../../../scripts/update-init-inputs';

// `yaml` is the core's dependency (pnpm does not hoist it to where this file lives).
const { parse } = createRequire(join(__dirname, '../../core/package.json'))('yaml') as { parse(text: string): unknown };

interface Step {
  readonly uses?: string;
  readonly with?: Record<string, string>;
  readonly env?: Record<string, string>;
}
interface Workflow {
  readonly on: Record<string, { paths?: string[]; inputs?: Record<string, unknown> } | null>;
  readonly jobs: Record<string, { steps: Step[] }>;
}

const PYTHON = '/usr/bin/python3';
let repo: TestRepo;
let cwd: string;
const databases: string[] = [];

function workflow(name: string): Workflow {
  return parse(readFileSync(join(repo.dir, '.github/workflows', name), 'utf8')) as Workflow;
}

/** The db-migrate step of a workflow: which action, and its `with:` with the expressions a run would give. */
function actionStep(
  wf: Workflow,
  values: Record<string, string>,
): { action: ActionName; inputs: Record<string, string>; env: Record<string, string>; dropped: string[] } {
  const step = Object.values(wf.jobs)[0].steps.find((s) => s.uses?.startsWith('your-org/db-migrate/'))!;
  const action = step.uses!.split('/')[2].split('@')[0] as ActionName;
  const declared = readActionDefinition(action).inputs;
  const inputs: Record<string, string> = {};
  const dropped: string[] = [];
  for (const [name, raw] of Object.entries(step.with ?? {})) {
    // `a || b`: the first that is not empty, as GitHub evaluates it.
    const value = String(raw).replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expression: string) => {
      const alternatives = expression.split('||').map((e) => e.trim());
      for (const name of alternatives) if (!(name in values)) throw new Error(`no value for \${{ ${name} }}`);
      return alternatives.map((name) => values[name]).find((v) => v !== '') ?? '';
    });
    // The workflow's setup-python and pip install steps give python3 its packages; here Debian's python3 has them.
    if (name === 'schema-command') inputs[name] = value.replace(/^python3 /, `${PYTHON} `);
    // An input the action does not declare is collected, so a test can insist there is none.
    if (name in declared) inputs[name] ??= value;
    else dropped.push(name);
  }
  return {
    action,
    inputs,
    env: Object.fromEntries(Object.keys(step.env ?? {}).map((k) => [k, values[`secrets.${k}`]])),
    dropped,
  };
}

beforeAll(() => {
  repo = makeTestRepo();
  repo.commit('an application whose models are not in schema/', {
    'backend/models/shop_schema/__init__.py': sqlalchemyModels(),
    'backend/models/shop_schema/create_all.py': createAllScript('shop_schema'),
    'backend/requirements.txt': 'sqlalchemy\npsycopg2-binary\n',
    'dbconfig.yml': 'production:\n  dialect: postgres\n  datasource: ${DATABASE_URL}\n  dir: db/sql\n',
    'db/sql/.gitkeep': '',
    'db-targets.yml':
      'databases:\n' +
      '  - name: alpha\n    url-env: ALPHA_DATABASE_URL\n    groups: [production]\n' +
      '  - name: beta\n    url-env: BETA_DATABASE_URL\n    groups: [production]\n' +
      '  - name: stage\n    url-env: STAGE_DATABASE_URL\n    groups: [staging]\n',
  });
  cwd = process.cwd();
  process.chdir(repo.dir);
});
afterAll(async () => {
  process.chdir(cwd);
  for (const url of databases) await dropTestDatabase(url);
  repo.remove();
});

it('detects the layout and writes workflows whose triggers and secrets match it', async () => {
  const dry = await cli(['init', '--dry-run']);
  expect(dry.code).toBe(0);
  expect(dry.stdout).toContain('would write:');
  expect(dry.stderr).toContain(
    'schema: backend/models, command python3 -m shop_schema.create_all (from backend/models/shop_schema/create_all.py',
  );
  expect(dry.stderr).toContain("migrations: db/sql (sql-migrate's dbconfig.yml)");
  expect(dry.stderr).toContain('dependencies: pip install -r backend/requirements.txt');
  expect(dry.stderr).toContain('default branch: main');
  expect(dry.stderr).toContain('targets: db-targets.yml, 2 production (group production), 1 staging');

  const written = await cli(['init']);
  expect(written.code).toBe(0);
  expect(written.stdout).toContain('add the secrets ALPHA_DATABASE_URL, BETA_DATABASE_URL, STAGE_DATABASE_URL');
  const create = workflow('db-migrate-create.yml');
  expect(create.on.push!.paths).toEqual(['backend/models/**', 'backend/requirements.txt']);
  expect(workflow('db-migrate-sync-staging.yml').on.push!.paths).toEqual([
    'backend/models/**',
    'backend/requirements.txt',
  ]);
  const apply = workflow('db-migrate-apply.yml');
  const applyStep = Object.values(apply.jobs)[0].steps.find((s) => s.uses?.includes('/apply@'))!;
  // Derived from the apply action's action.yml: every input it declares is asked at dispatch and passed
  // through, set from the layout, or written as a commented setting; none is missed.
  const declared = Object.keys(readActionDefinition('apply').inputs);
  expect(APPLY_ACTION_INPUTS.map((i) => i.name)).toEqual(declared);
  expect(applyActionInputs()).toEqual(APPLY_ACTION_INPUTS);
  expect(declared.filter((name) => !(name in APPLY_WORKFLOW_INPUTS))).toEqual([]);
  const dispatched = declared.filter((name) => APPLY_WORKFLOW_INPUTS[name] === 'dispatch');
  expect(dispatched).toEqual(expect.arrayContaining(['mode', 'dry-run', 'allow', 'lock-timeout', 'lock-retry-budget']));
  expect(Object.keys(apply.on.workflow_dispatch!.inputs!)).toEqual(dispatched);
  expect(dispatched.length).toBeLessThanOrEqual(MAX_DISPATCH_INPUTS);
  for (const name of dispatched) expect([name, applyStep.with![name]]).toEqual([name, `\${{ inputs.${name} }}`]);
  const text = readFileSync(join(repo.dir, '.github/workflows/db-migrate-apply.yml'), 'utf8');
  for (const name of declared.filter((n) => APPLY_WORKFLOW_INPUTS[n] === 'setting'))
    expect(text).toMatch(new RegExp(`^ {10}# ${name}: `, 'm'));
  expect(apply.on.workflow_dispatch!.inputs!['dry-run']).toMatchObject({ type: 'boolean', default: true });
  expect(Object.keys(applyStep.env!)).toEqual(['ALPHA_DATABASE_URL', 'BETA_DATABASE_URL']);
  expect(applyStep.with).toMatchObject({
    'targets-file': 'db-targets.yml',
    group: 'production',
    'migrations-dir': 'db/sql',
    mode: '${{ inputs.mode }}',
    allow: '${{ inputs.allow }}',
  });
  expect(
    Object.values(create.jobs)[0]
      .steps.map((s) => (s as { run?: string }).run)
      .filter(Boolean),
  ).toEqual(['pip install -r backend/requirements.txt']);
  // A second init leaves the files alone.
  expect(await cli(['init'])).toMatchObject({ code: 1, stderr: expect.stringContaining('already exist') });
  repo.git('add', '--all');
  repo.commit('db-migrate workflows', {});
});

it('the generated create workflow opens the migration pull request, and warns once its paths miss the schema', async () => {
  const root = mkdtempSync(join(tmpdir(), 'db-migrate-init-create-'));
  const api = await startGitHubApi({ repositories: ['octo-org/octo-repo'] });
  try {
    const origin = join(root, 'origin.git');
    spawnSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', origin]);
    repo.git('push', '--quiet', origin, 'HEAD:refs/heads/main');
    const workspace = join(root, 'workspace');
    spawnSync('git', ['clone', '--quiet', origin, workspace]);
    const sha = repo.git('rev-parse', 'HEAD');
    const create = actionStep(workflow('db-migrate-create.yml'), {
      'secrets.MIGRATIONS_BOT_TOKEN': '',
      'github.token': api.token,
    });
    const run = () =>
      runActionBundle(create.action, {
        cwd: workspace,
        githubApiUrl: api.url,
        token: api.token,
        sha,
        event: pushEvent({ after: sha }),
        inputs: { ...create.inputs, 'shadow-database': adminUrl() },
        env: { GITHUB_WORKFLOW_REF: 'octo-org/octo-repo/.github/workflows/db-migrate-create.yml@refs/heads/main' },
      });
    const created = await run();
    expect(created.log).not.toMatch(/^Error/m);
    expect(created.outputs).toMatchObject({ outcome: 'created', version: '1', 'pr-number': '1' });
    expect(created.annotations.filter((a) => /does not cover/.test(a.message))).toEqual([]);
    const files = spawnSync('git', ['ls-tree', '--name-only', 'db-migrate/next-migration:db/sql'], {
      cwd: origin,
      encoding: 'utf8',
    }).stdout;
    expect(files).toMatch(/^0001_create_users\.sql$/m);

    // The example's fixed trigger: the step still works when started by hand, and says the push never starts it.
    const path = join(workspace, '.github/workflows/db-migrate-create.yml');
    writeFileSync(path, readFileSync(path, 'utf8').replace(/paths: \[.*\]/, "paths: ['schema/**']"));
    const warned = await run();
    expect(warned.outputs.outcome).toBe('skipped');
    expect(warned.annotations).toContainEqual(
      expect.objectContaining({
        level: 'warning',
        message: expect.stringContaining('does not cover schema-dir backend/models'),
      }),
    );
  } finally {
    await api.close();
    rmSync(root, { recursive: true, force: true });
  }
});

it('the generated workflows run: verify on a pull request, apply from the dispatch inputs, staging sync on a push', async () => {
  // The first migration, as the create workflow's action would write it.
  const created = await cli([
    'create',
    '--schema-dir',
    'backend/models',
    '--schema-command',
    `${PYTHON} -m shop_schema.create_all`,
    '--dir',
    'db/sql',
    '--shadow',
    adminUrl(),
  ]);
  expect(created.stderr).not.toMatch(/^error/m);
  expect(created.code).toBe(0);
  const base = repo.git('rev-parse', 'HEAD');
  repo.git('add', '--all');
  const head = repo.commit('migration 1', {});
  // The runner's embedded shadow server (and the apply job's service container) is the test server here.
  const shadow = { 'shadow-database': adminUrl() };

  const verify = actionStep(workflow('db-migrate-verify.yml'), {});
  const verified = await runActionBundle(verify.action, {
    cwd: repo.dir,
    inputs: { ...verify.inputs, ...shadow, comment: 'false' },
    event: pullRequestEvent({ number: 7, headRef: 'feature', headSha: head, baseSha: base }),
  });
  expect(verified.log).not.toMatch(/^Error/m);
  expect(verified.outputs.result).toBe('passed');
  expect(verified.exitCode).toBe(0);

  const [alpha, beta, stage] = [
    await createTestDatabase('init_alpha'),
    await createTestDatabase('init_beta'),
    await createTestDatabase('init_stage'),
  ];
  databases.push(alpha, beta, stage);
  const secrets = {
    'secrets.ALPHA_DATABASE_URL': alpha,
    'secrets.BETA_DATABASE_URL': beta,
    'secrets.STAGE_DATABASE_URL': stage,
  };
  const dispatch = {
    'inputs.mode': 'apply',
    'inputs.dry-run': 'false',
    'inputs.to-version': '',
    'inputs.target-names': 'beta',
    'inputs.allow': '',
    'inputs.lock-timeout': '',
    'inputs.lock-retry-budget': '5000',
    'inputs.statement-timeout': '',
    'inputs.max-failures': '',
  };
  const apply = actionStep(workflow('db-migrate-apply.yml'), { ...secrets, ...dispatch });
  // The apply action declares every input the generated workflow passes (the timeouts included).
  expect(apply.dropped).toEqual([]);
  expect(apply.inputs['lock-retry-budget']).toBe('5000');
  const applied = await runActionBundle(apply.action, {
    cwd: repo.dir,
    eventName: 'workflow_dispatch',
    inputs: { ...apply.inputs, ...shadow },
    env: apply.env,
  });
  expect(applied.log).not.toMatch(/^Error/m);
  expect(applied.outputs.applied).toBe('1');
  expect(applied.exitCode).toBe(0);
  expect(await query(beta, "SELECT 1 FROM information_schema.tables WHERE table_name = 'users'")).toHaveLength(1);
  expect(await query(alpha, "SELECT 1 FROM information_schema.tables WHERE table_name = 'users'")).toHaveLength(0);

  // The nightly drift report: both databases are what their versions say; then a hand change on beta is found.
  const drift = actionStep(workflow('db-migrate-drift.yml'), secrets);
  expect(drift.dropped).toEqual([]);
  const report = () =>
    runActionBundle(drift.action, {
      cwd: repo.dir,
      eventName: 'schedule',
      inputs: { ...drift.inputs, ...shadow },
      env: drift.env,
    });
  const clean = await report();
  expect(clean.log).not.toMatch(/^Error/m);
  expect(clean.exitCode).toBe(0);
  await query(beta, 'ALTER TABLE users ADD COLUMN hand_added int');
  const drifted = await report();
  expect(drifted.exitCode).toBe(1);
  expect(drifted.log).toMatch(/beta[^\n]*drifted/);
  expect(drifted.log).toContain('hand_added');
  await query(beta, 'ALTER TABLE users DROP COLUMN hand_added');

  const workflowRef = {
    GITHUB_WORKFLOW_REF: 'octo-org/octo-repo/.github/workflows/db-migrate-sync-staging.yml@refs/heads/main',
  };
  const sync = actionStep(workflow('db-migrate-sync-staging.yml'), { ...secrets, 'github.sha': head });
  const synced = await runActionBundle(sync.action, {
    cwd: repo.dir,
    eventName: 'push',
    sha: head,
    inputs: { ...sync.inputs, ...shadow },
    env: { ...sync.env, ...workflowRef },
  });
  expect(synced.log).not.toMatch(/^Error/m);
  expect(synced.exitCode).toBe(0);
  expect(synced.annotations.filter((a) => /trigger paths|does not cover/.test(a.message))).toEqual([]);
  expect(await query(stage, "SELECT 1 FROM information_schema.tables WHERE table_name = 'users'")).toHaveLength(1);

  // The example's fixed trigger, copied into this repository: the action says it never fires for the models.
  const path = join(repo.dir, '.github/workflows/db-migrate-sync-staging.yml');
  writeFileSync(path, readFileSync(path, 'utf8').replace(/paths: \[.*\]/, "paths: ['schema/**']"));
  const warned = await runActionBundle(sync.action, {
    cwd: repo.dir,
    eventName: 'push',
    sha: head,
    inputs: { ...sync.inputs, ...shadow, 'dry-run': 'true' },
    env: { ...sync.env, ...workflowRef },
  });
  expect(warned.exitCode).toBe(0);
  expect(warned.annotations).toContainEqual(
    expect.objectContaining({
      level: 'warning',
      file: '.github/workflows/db-migrate-sync-staging.yml',
      message: expect.stringContaining(
        'on.push.paths (schema/**) does not cover schema-dir backend/models: a change to the schema there never starts this workflow',
      ),
    }),
  );
});

it('says on stdout what it could not detect, as the workflows mark it TODO', async () => {
  const bare = makeTestRepo();
  try {
    bare.commit('nothing init knows', { 'README.md': '# an application\n' });
    const dry = await cli(['init', '--dry-run', '--repo', bare.dir]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(
      /^TODO: the schema build: none found .*\(marked TODO\(db-migrate init\) in the workflows\)$/m,
    );
  } finally {
    bare.remove();
  }
});
