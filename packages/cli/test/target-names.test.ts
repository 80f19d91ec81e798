/**
 * Picking clients from the targets file by name (--target, repeatable, on every fleet command and on
 * up/down/status), and URLs read from an environment variable (name=env:VAR), so no password is typed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminUrl } from '../../../test/support/pg';
import { SHOP, password, recordedIds, workspace } from '../../core/test/fleet-fixture';
import { cli, fleetArgs } from '../../../test/support/cli';

const ws = workspace('cli_target');
afterAll(() => ws.cleanup());
afterEach(() => {
  for (const name of ['TARGET_ACME_URL', 'TARGET_GLOBEX_URL', 'TARGET_INITECH_URL']) delete process.env[name];
});

it('--target picks clients of the targets file by name; an unknown name is refused, listing the names', async () => {
  const set = await ws.migrations(SHOP);
  const { acme, globex, initech } = await ws.databases(set, { acme: 2, globex: 2, initech: 2 });
  Object.assign(process.env, {
    TARGET_ACME_URL: acme.url,
    TARGET_GLOBEX_URL: globex.url,
    TARGET_INITECH_URL: initech.url,
  });
  const targets = join(ws.dir, 'db-targets.yml');
  writeFileSync(
    targets,
    'databases:\n' +
      ['acme', 'globex', 'initech'].map((n) => `  - name: ${n}\n    url-env: TARGET_${n.toUpperCase()}_URL\n`).join(''),
  );

  const applied = await cli([
    'apply',
    ...fleetArgs(set.dir),
    '--targets',
    targets,
    '--target',
    'acme',
    '--target',
    'initech',
  ]);
  expect(applied.code).toBe(0);
  expect(applied.stdout).toContain('2 targets: 2 applied');
  expect(await recordedIds(acme.url)).toHaveLength(5);
  expect(await recordedIds(initech.url)).toHaveLength(5);
  expect(await recordedIds(globex.url)).toHaveLength(2);

  const drift = await cli(['drift', ...fleetArgs(set.dir), '--targets', targets, '--target', 'globex']);
  expect(drift.code).toBe(0);
  expect(drift.stdout).toMatch(/^globex /m);
  expect(drift.stdout).not.toMatch(/^acme /m);

  const unknown = await cli(['apply', ...fleetArgs(set.dir), '--targets', targets, '--target', 'acmee']);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain(`no target named "acmee" in ${targets} (names there: acme, globex, initech)`);

  // One database of the file for status/up/down.
  const status = await cli(['status', '--dir', set.dir, '--targets', targets, '--target', 'globex']);
  expect(status.code).toBe(0);
  expect(status.stdout).toContain('at version 2, 3 pending');
  for (const run of [applied, drift, unknown, status]) expect(run.stdout + run.stderr).not.toContain(password());
});

it('--database name=env:VAR and --database env:VAR read the URL from the environment', async () => {
  const set = await ws.migrations(SHOP);
  const { acme } = await ws.databases(set, { acme: 1 });
  process.env.TARGET_ACME_URL = acme.url;
  const applied = await cli(['apply', ...fleetArgs(set.dir, { acme: 'env:TARGET_ACME_URL' }), '--to', '3']);
  expect(applied.code).toBe(0);
  expect(await recordedIds(acme.url)).toHaveLength(3);
  const status = await cli(['status', '--dir', set.dir, '--database', 'env:TARGET_ACME_URL']);
  expect(status.stdout).toContain('at version 3, 2 pending');
  const unset = await cli(['apply', '--dir', set.dir, '--database', 'acme=env:TARGET_NOT_SET', '--shadow', adminUrl()]);
  expect(unset.code).toBe(1);
  expect(unset.stdout + unset.stderr).toContain('environment variable TARGET_NOT_SET');
  for (const run of [applied, status, unset]) expect(run.stdout + run.stderr).not.toContain(password());
});
