import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as core from '@actions/core';
import { parse } from 'yaml';
import {
  actionInputEnvironment,
  evaluateExpressions,
  pullRequestEvent,
  readActionDefinition,
  runActionBundle,
} from '../../../test/support/run-action-bundle';
import { scaled } from '../../../test/support/time';

const ROOT = resolve(__dirname, '../../..');
const ACTIONS = ['create', 'verify', 'apply'] as const;

describe('the action.yml files', () => {
  test.each(ACTIONS)('%s/action.yml: metadata, kebab-case inputs and outputs, runs its bundle on node24', (action) => {
    const definition = parse(readFileSync(join(ROOT, action, 'action.yml'), 'utf8'));
    expect(definition.name).toBe(`db-migrate ${action}`);
    expect(typeof definition.description).toBe('string');
    expect(definition.branding).toEqual({ icon: expect.any(String), color: expect.any(String) });
    expect(definition.runs).toEqual({ using: 'node24', main: `../actions/${action}/dist/index.js` });
    expect(existsSync(readActionDefinition(action).main)).toBe(true);
    for (const [name, input] of Object.entries<Record<string, unknown>>(definition.inputs)) {
      expect(name).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
      expect(typeof input.description).toBe('string');
      // The runner passes every value as a string; a YAML number or boolean default would be a surprise.
      if ('default' in input) expect(typeof input.default).toBe('string');
    }
    for (const [name, output] of Object.entries<Record<string, unknown>>(definition.outputs)) {
      expect(name).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
      expect(typeof output.description).toBe('string');
    }
  });
});

describe('inputs as the runner passes them', () => {
  const github = {
    token: 'ghs_job',
    workspace: '/w',
    event: pullRequestEvent({ number: 3, headRef: 'h', headSha: 'b', baseSha: 'base-sha' }),
  };

  test('given inputs as they are, the others from action.yml defaults with expressions evaluated', () => {
    const env = actionInputEnvironment('verify', { 'migrations-dir': 'db/migrations', comment: 'false' }, github);
    expect(env).toMatchObject({
      'INPUT_MIGRATIONS-DIR': 'db/migrations',
      INPUT_COMMENT: 'false',
      INPUT_TOKEN: 'ghs_job',
      'INPUT_BASE-REF': 'base-sha',
      'INPUT_SHADOW-DATABASE': 'embedded',
      'INPUT_POSTGRES-VERSION': '15',
    });
    expect(env).not.toHaveProperty('INPUT_SCHEMA-COMMAND');
    // The names are the ones @actions/core looks up.
    const saved = { ...process.env };
    try {
      Object.assign(process.env, env);
      expect(core.getInput('migrations-dir')).toBe('db/migrations');
      expect(core.getInput('base-ref')).toBe('base-sha');
      expect(core.getInput('schema-command')).toBe('');
    } finally {
      for (const key of Object.keys(env)) if (!(key in saved)) delete process.env[key];
    }
  });

  test('a missing event property is empty, as on GitHub; an expression the harness cannot evaluate is refused', () => {
    expect(actionInputEnvironment('verify', {}, { ...github, event: {} })['INPUT_BASE-REF']).toBe('');
    expect(actionInputEnvironment('create', {}, github)).toMatchObject({
      INPUT_BRANCH: 'db-migrate/next-migration',
      INPUT_LABEL: 'db-migrate',
    });
    expect(evaluateExpressions('${{ github.workspace }}/db and ${{github.event.number}}', github, 'here')).toBe(
      '/w/db and 3',
    );
    expect(() => evaluateExpressions('${{ secrets.DATABASE_URL }}', github, 'create/action.yml input "x"')).toThrow(
      'create/action.yml input "x": the test runner cannot evaluate ${{ secrets.DATABASE_URL }}',
    );
  });
});

describe('running a bundle like the runner', () => {
  test('the create bundle, run without its required inputs, fails the step with an ::error:: and leaves nothing behind', async () => {
    const run = await runActionBundle('create', { timeoutMs: scaled(60_000) });

    expect(run.timedOut).toBe(false);
    expect(run.exitCode).toBe(1);
    const errors = run.annotations.filter((a) => a.level === 'error');
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(run.stdout).toMatch(/^::error::.+$/m);
    expect(run.log).toContain(`Error: ${errors[0].message}`);
    expect(run.log).not.toContain('::');
    expect(run.outputs).toEqual({});
    // Its own directory only: other test files run bundles at the same time in the shared tmpdir.
    expect(existsSync(run.tempDir)).toBe(false);
  });

  test('an input the action.yml does not declare is a test bug, refused before anything runs', async () => {
    await expect(runActionBundle('verify', { inputs: { 'schema-directory': 'x' } })).rejects.toThrow(
      'input "schema-directory" is not declared in verify/action.yml',
    );
  });
});

describe('the bundles', () => {
  // Measured 2026-12 with online forms, pre-checks, lock retries, value checks and adoption: each action
  // 3.05 MiB, the CLI 1.93 MiB, plus libpg-query.wasm (1.1 MiB) beside each. About 10 % headroom.
  const budgets: Record<string, number> = {
    'actions/create/dist': 3.4 * 1024 * 1024,
    'actions/verify/dist': 3.4 * 1024 * 1024,
    'actions/apply/dist': 3.4 * 1024 * 1024,
    'packages/cli/dist': 2.15 * 1024 * 1024,
  };
  test.each(Object.keys(budgets))(
    '%s: one file of JavaScript within its size budget, nothing that cannot run on a Linux runner',
    (dist) => {
      const dir = join(ROOT, dist);
      // The JavaScript, its licenses, and PostgreSQL's parser (libpg-query) as WebAssembly for the lint.
      // The CLI's index.js is a small entry that runs the bundle, cli.js, from a code cache of an earlier run.
      const cli = dist === 'packages/cli/dist';
      expect(readdirSync(dir).sort()).toEqual(
        cli
          ? ['cli.js', 'index.js', 'libpg-query.wasm', 'licenses.txt']
          : ['index.js', 'libpg-query.wasm', 'licenses.txt'],
      );
      const code = readFileSync(join(dir, cli ? 'cli.js' : 'index.js'), 'utf8');
      expect(Buffer.byteLength(code)).toBeLessThanOrEqual(budgets[dist]!);
      // ssh2 (docker-modem's ssh:// transport, with its Windows pagent.exe and native add-ons) stays out:
      // the docker provider refuses ssh:// hosts, and the patched docker-modem loads it only for them.
      expect(code).not.toMatch(/class SSH2Stream|pagent\.exe|cpu-features/);
      expect(code.match(/require\("ssh2"\)/g) ?? []).toHaveLength(1);
    },
  );
});
