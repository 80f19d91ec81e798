/**
 * Bad input is refused before any database is touched, with the file (and line) at fault: an
 * unwritable --json path, a migration that is not UTF-8, an upper-case .SQL file sql-migrate would skip.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, fleetArgs } from '../../../test/support/cli';
import { SHOP, recordedIds, workspace } from '../../core/test/fleet-fixture';

const ws = workspace('bad_input');
afterAll(() => ws.cleanup());

describe('refused before any work', () => {
  it('--json in a missing or read-only directory, or naming a directory', async () => {
    const set = await ws.migrations(SHOP);
    const db = await ws.database(set, 2, 'acme');
    const readOnly = join(ws.dir, 'read-only');
    mkdirSync(readOnly);
    chmodSync(readOnly, 0o555);
    const cases: [string, RegExp][] = [
      [
        join(ws.dir, 'missing', 'report.json'),
        /--json \S+report\.json: directory \S+missing does not exist \(checked before any database is touched\)/,
      ],
      [ws.dir, /--json \S+: is a directory/],
    ];
    if (process.getuid?.() !== 0)
      cases.push([join(readOnly, 'report.json'), /--json \S+: directory \S+read-only is not writable/]);
    for (const [path, message] of cases) {
      const run = await cli(['apply', ...fleetArgs(set.dir, { acme: db.url }), '--json', path]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(run.stdout).toBe('');
    }
    expect(await recordedIds(db.url)).toHaveLength(2);
  });

  it('a migration that is not UTF-8, and an upper-case .SQL file: up refuses with the file (and line), nothing applied', async () => {
    const set = await ws.migrations(SHOP);
    const db = await ws.database(set, 0);
    writeFileSync(
      join(set.dir, '0006_latin1.sql'),
      Buffer.concat([
        Buffer.from('-- +migrate Up\n-- caf'),
        Buffer.from([0xe9, 0x0a]),
        Buffer.from('CREATE TABLE x (id int);\n'),
      ]),
    );
    const latin1 = await cli(['up', '--dir', set.dir, '--database', db.url]);
    expect(latin1.code).toBe(1);
    expect(latin1.stderr).toContain(`${join(set.dir, '0006_latin1.sql')} line 2: not valid UTF-8 (byte 0xe9)`);
    writeFileSync(join(set.dir, '0006_latin1.sql'), '-- +migrate Up\nCREATE TABLE x (id int);\n');
    writeFileSync(join(set.dir, '0007_shout.SQL'), '-- +migrate Up\nCREATE TABLE y (id int);\n');
    const upper = await cli(['up', '--dir', set.dir, '--database', db.url]);
    expect(upper.code).toBe(1);
    expect(upper.stderr).toContain(
      `${join(set.dir, '0007_shout.SQL')}: sql-migrate reads only names ending in lower-case ".sql" and would never run it`,
    );
    expect(await recordedIds(db.url)).toEqual([]);
  });
});
