import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError } from '../src/errors';
import { formatMigrationFile } from '../src/migrations/format';
import { formatMetadata, sha256Checksum } from '../src/migrations/metadata';
import { migrationFileName, slugify } from '../src/migrations/naming';
import { ADOPT_HINT, nextVersion, readMigrationDir, writeMigration } from '../src/migrations/store';
import { repointCommit } from '../src/migrations/edits';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'db-migrate-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sql = (n: number) => formatMigrationFile({ up: [`CREATE TABLE t${n} (id int)`], down: [`DROP TABLE t${n}`] });
const provenance = {
  base_sha: 'a'.repeat(40),
  goal_sha: 'b'.repeat(40),
  schema_source: 'command: python3 models.py',
  generator: 'db-migrate 0.1.0',
};

function put(name: string, text: string) {
  writeFileSync(join(dir, name), text);
}

async function dirError(): Promise<string> {
  try {
    await readMigrationDir(dir);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected readMigrationDir to fail');
}

describe('naming', () => {
  it('pads versions to 4 digits and slugifies names', () => {
    expect(migrationFileName(42, 'Add users & Orders!')).toBe('0042_add_users_orders.sql');
    expect(migrationFileName(12345, 'x')).toBe('12345_x.sql');
    expect(slugify('***')).toBe('migration');
  });
});

describe('writeMigration and readMigrationDir', () => {
  it('writes NNNN_slug.sql and NNNN.json and reads them back in order', async () => {
    expect(nextVersion(await readMigrationDir(dir))).toBe(1);
    const first = await writeMigration(dir, {
      version: 1,
      name: 'create t1',
      sql: sql(1),
      metadata: { ...provenance, hazards: [{ code: 'none', message: 'fine' }] },
    });
    expect(first.sqlPath).toBe(join(dir, '0001_create_t1.sql'));
    expect(first.metadataPath).toBe(join(dir, '0001.json'));
    const json = JSON.parse(readFileSync(first.metadataPath, 'utf8'));
    expect(json).toMatchObject({ version: 1, name: 'create_t1', ...provenance, checksum: sha256Checksum(sql(1)) });
    expect(Date.parse(json.created_at)).not.toBeNaN();
    await writeMigration(dir, { version: 2, name: 'create t2', sql: sql(2), metadata: provenance });
    put('README.md', 'not a migration');
    const set = await readMigrationDir(dir);
    expect(set.migrations.map((m) => [m.version, m.fileName, m.name])).toEqual([
      [1, '0001_create_t1.sql', 'create_t1'],
      [2, '0002_create_t2.sql', 'create_t2'],
    ]);
    expect(set.migrations[0].metadata?.hazards).toEqual([{ code: 'none', message: 'fine' }]);
    expect(set.migrations[1].parsed.up.statements[0].sql.trim()).toBe('CREATE TABLE t2 (id int);');
    expect(set.warnings).toEqual([]);
    expect(nextVersion(set)).toBe(3);
  });

  it('refuses a version already taken and a file sql-migrate would read differently', async () => {
    put('0001_hand.sql', sql(1));
    await expect(writeMigration(dir, { version: 1, name: 'other', sql: sql(1), metadata: provenance })).rejects.toThrow(
      /version 1 is already taken .*0001_hand\.sql/,
    );
    await expect(
      writeMigration(dir, { version: 2, name: 'bad', sql: 'CREATE TABLE x (id int);\n', metadata: provenance }),
    ).rejects.toThrow(/0002_bad\.sql line 1/);
  });

  it('orders versions as integers like sql-migrate (10000 after 9999) and allows hand-written files with a warning', async () => {
    put('9999_a.sql', sql(1));
    put('10000_b.sql', sql(2));
    const set = await readMigrationDir(dir);
    expect(set.migrations.map((m) => m.fileName)).toEqual(['9999_a.sql', '10000_b.sql']);
    expect(set.warnings).toEqual([
      `2 migrations have no NNNN.json metadata in ${dir} (fine for hand-written migrations): 9999_a.sql, 10000_b.sql`,
    ]);
  });

  it('refuses, naming the file and line, what sql-migrate would read differently or not at all', async () => {
    put('0001_a.sql', sql(1));
    const refused = async (make: () => void, message: RegExp) => {
      make();
      await expect(readMigrationDir(dir)).rejects.toThrow(message);
    };
    await refused(
      () => put('0002_X.SQL', sql(2)),
      /0002_X\.SQL: sql-migrate reads only names ending in lower-case "\.sql" and would never run it: rename it to 0002_X\.sql/,
    );
    rmSync(join(dir, '0002_X.SQL'));
    await refused(() => mkdirSync(join(dir, '0002_x.sql')), /0002_x\.sql is a directory, not a migration file/);
    rmSync(join(dir, '0002_x.sql'), { recursive: true });
    await refused(
      () => symlinkSync(join(dir, 'gone.sql'), join(dir, '0002_link.sql')),
      /0002_link\.sql is a symbolic link to .*gone\.sql, which does not exist/,
    );
    rmSync(join(dir, '0002_link.sql'));
    const bytes = Buffer.concat([
      Buffer.from('-- +migrate Up\nCREATE TABLE caf'),
      Buffer.from([0xe9]),
      Buffer.from(' (id int);\n'),
    ]);
    await refused(
      () => writeFileSync(join(dir, '0002_latin1.sql'), bytes),
      /0002_latin1\.sql line 2: not valid UTF-8 \(byte 0xe9\); save the file as UTF-8/,
    );
    writeFileSync(join(dir, '0002_latin1.sql'), sql(2));
    const set = await readMigrationDir(dir);
    expect(set.migrations.map((m) => m.fileName)).toEqual(['0001_a.sql', '0002_latin1.sql']);
  });

  it('warns when a generated file was edited afterwards', async () => {
    await writeMigration(dir, { version: 1, name: 'a', sql: sql(1), metadata: provenance });
    put('0001_a.sql', sql(1) + '-- edited\n');
    expect((await readMigrationDir(dir)).warnings).toEqual([
      expect.stringMatching(/0001_a\.sql was edited after it was generated/),
    ]);
  });

  it('names the missing version and the file after a gap; the file and the adopt command are fields', async () => {
    put('0001_a.sql', sql(1));
    put('0002_b.sql', sql(2));
    put('0004_d.sql', sql(4));
    expect(await dirError()).toBe(
      `version 3 is missing: ${join(dir, '0004_d.sql')} follows ${join(dir, '0002_b.sql')}; ${ADOPT_HINT}`,
    );
    const error = (await readMigrationDir(dir).catch((e: unknown) => e)) as ConfigurationError;
    expect(error.file).toBe(join(dir, '0004_d.sql'));
    expect(error.remedies).toEqual([
      {
        kind: 'command',
        command: 'adopt',
        options: [
          { option: 'dir', value: dir },
          { option: 'commit', value: '<sha of the schema-source commit they build>' },
        ],
      },
    ]);
  });

  it('carries the file and line of a parse error as fields, not only in the message', async () => {
    put('0001_a.sql', '-- +migrate Up\n\nCREATE TABLE a (id int)\n');
    const error = (await readMigrationDir(dir).catch((e: unknown) => e)) as ConfigurationError;
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.file).toBe(join(dir, '0001_a.sql'));
    expect(error.message).toContain(`${join(dir, '0001_a.sql')} line ${error.line}:`);
    expect(error.line).toBe(3); // the statement that is not terminated
  });

  it('names both files of a duplicate version', async () => {
    put('0001_a.sql', sql(1));
    put('0001_b.sql', sql(2));
    expect(await dirError()).toBe(`duplicate version 1: ${join(dir, '0001_a.sql')} and ${join(dir, '0001_b.sql')}`);
  });

  it('names file and line of a broken migration, and counts the other problems', async () => {
    put('0001_a.sql', '-- +migrate Up\n-- +migrate StatementBegin\nSELECT 1;\n');
    put('0002_b.sql', '-- +migrate Down\nSELECT 1;\n');
    put('init.sql', sql(9));
    expect(await dirError()).toBe(
      `${join(dir, 'init.sql')}: a migration file name must start with its version number, e.g. 0001_create_users.sql ` +
        `(sql-migrate runs unnumbered files after every numbered one, so no new migration could follow it: rename it with a number) (and 2 more: ` +
        `${join(dir, '0001_a.sql')} line 2: StatementBegin without a matching "-- +migrate StatementEnd"; ` +
        `${join(dir, '0002_b.sql')}: no "-- +migrate Up" section)`,
    );
  });

  it('names file, line and column of unparsable metadata', async () => {
    put('0001_a.sql', sql(1));
    put('0001.json', '{\n  "version": 1,\n  "name": "a",\n  "base_sha": }\n');
    expect(await dirError()).toMatch(new RegExp(`^${join(dir, '0001.json')} line 4 column 15: not valid JSON`));
  });

  it('refuses metadata whose version or name does not match its file, and metadata without a file', async () => {
    put('0001_a.sql', sql(1));
    put('0001.json', formatMetadata({ version: 1, name: 'b' }));
    expect(await dirError()).toBe(
      `${join(dir, '0001.json')} line 3: "name" is "b" but the migration file is 0001_a.sql (name "a")`,
    );
    put('0001.json', formatMetadata({ version: 7, name: 'a' }));
    expect(await dirError()).toBe(
      `${join(dir, '0001.json')} line 2: "version" is 7 but the file belongs to 0001_a.sql`,
    );
    put('0001.json', formatMetadata({ version: 1, name: 'a', reversible: false }));
    put('0002.json', formatMetadata({ version: 2, name: 'b' }));
    expect(await dirError()).toBe(`${join(dir, '0002.json')} has no migration file 0002_*.sql`);
  });

  it('refuses a metadata field of the wrong type, naming its line', async () => {
    put('0001_a.sql', sql(1));
    put('0001.json', '{\n  "version": 1,\n  "name": "a",\n  "reversible": "no"\n}\n');
    expect(await dirError()).toBe(`${join(dir, '0001.json')} line 4: "reversible" must be true or false`);
  });

  it('says when the directory does not exist', async () => {
    await expect(readMigrationDir(join(dir, 'nope'))).rejects.toThrow(
      `migrations directory ${join(dir, 'nope')} does not exist`,
    );
  });

  describe('an adopted history (db-migrate.json)', () => {
    const record = (through: string) => JSON.stringify({ adopted_through: through, goal_sha: 'a'.repeat(40) });

    it('reads timestamped files with gaps up to the adopted file, without metadata warnings, and continues at latest+1', async () => {
      put('20240110093000-init.sql', sql(1));
      put('20240214100000-orders.sql', sql(2));
      put('db-migrate.json', record('20240214100000-orders.sql'));
      const set = await readMigrationDir(dir);
      expect(set.migrations.map((m) => [m.version, m.name])).toEqual([
        [20240110093000, 'init'],
        [20240214100000, 'orders'],
      ]);
      expect(set.warnings).toEqual([]);
      expect(set.adoption).toMatchObject({ version: 20240214100000, goal_sha: 'a'.repeat(40) });
      expect(nextVersion(set)).toBe(20240214100001);
      const written = await writeMigration(dir, {
        version: nextVersion(set),
        name: 'add x',
        sql: sql(3),
        metadata: {},
      });
      expect(written.fileName).toBe('20240214100001_add_x.sql');
      expect((await readMigrationDir(dir)).migrations.map((m) => m.version).pop()).toBe(20240214100001);
    });

    it('refuses a gap after the adopted file, and a record naming a file that is not there', async () => {
      put('20240110093000-init.sql', sql(1));
      put('20240301080000-notes.sql', sql(2));
      put('db-migrate.json', record('20240110093000-init.sql'));
      expect(await dirError()).toContain('rename it 20240110093001_notes.sql');
      put('db-migrate.json', record('20240110093001-gone.sql'));
      expect(await dirError()).toContain(
        `${join(dir, 'db-migrate.json')}: "adopted_through" names 20240110093001-gone.sql, which is not in ${dir}`,
      );
    });

    it("repoint moves the adoption record's goal_sha too", async () => {
      put('20240110093000-init.sql', sql(1));
      put('db-migrate.json', record('20240110093000-init.sql'));
      const changed = await repointCommit(dir, 'a'.repeat(12), 'b'.repeat(40));
      expect(changed).toEqual([{ metadataPath: join(dir, 'db-migrate.json'), fields: ['goal_sha'] }]);
      expect((await readMigrationDir(dir)).adoption).toMatchObject({
        adopted_through: '20240110093000-init.sql',
        goal_sha: 'b'.repeat(40),
      });
    });

    it('names the line of a bad field', async () => {
      put('0001_a.sql', sql(1));
      put('db-migrate.json', '{\n  "adopted_through": "0001_a.sql",\n  "goal_sha": "HEAD"\n}\n');
      expect(await dirError()).toMatch(
        /db-migrate\.json line 3: "goal_sha" must be the sha of the commit whose schema the adopted migrations build/,
      );
    });
  });
});
