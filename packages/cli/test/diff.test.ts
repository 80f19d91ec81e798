import { createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';
import { cli } from '../../../test/support/cli';

let a: string;
let b: string;
beforeEach(async () => {
  [a, b] = await Promise.all([createTestDatabase('clidiff_a'), createTestDatabase('clidiff_b')]);
  await query(a, 'create table t (id int primary key, old text); create schema other; create table other.x (id int);');
  await query(
    b,
    "create table t (id bigint primary key, name text not null default ''); create schema other; create table other.x (id int, y int);",
  );
});
afterEach(async () => {
  await Promise.all([dropTestDatabase(a), dropTestDatabase(b)]);
});

describe('db-migrate diff', () => {
  it('prints pure SQL on stdout, hazards on stderr, and the SQL takes one schema to the other', async () => {
    const first = await cli(['diff', a, b]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('ALTER TABLE "public"."t" DROP COLUMN "old";\n');
    expect(first.stdout).toContain('ALTER TABLE "other"."x" ADD COLUMN "y" integer;\n');
    // stdout holds only statements: every non-empty paragraph ends with a semicolon.
    for (const paragraph of first.stdout.trim().split('\n\n')) expect(paragraph.trimEnd().endsWith(';')).toBe(true);
    expect(first.stderr).toMatch(/hazard drops-data \(statement \d+, column public\.t\.old\)/);
    expect(first.stderr).toMatch(/hazard rewrites-table/);

    await query(a, first.stdout);
    const again = await cli(['diff', a, b, '--exit-code']);
    expect(again).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('--exit-code exits 2 when the schemas differ; --schema and --exclude-schema narrow the comparison', async () => {
    const differs = await cli(['diff', '--exit-code', a, b]);
    expect(differs.code).toBe(2);
    const only = await cli(['diff', a, b, '--schema', 'other']);
    expect(only.stdout).toBe('ALTER TABLE "other"."x" ADD COLUMN "y" integer;\n');
    const without = await cli(['diff', a, b, '--exclude-schema', 'public', '--exclude-schema', 'other', '--exit-code']);
    expect(without).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('writes the non-blocking forms on a table that exists; --blocking-ddl writes the plain ones', async () => {
    await query(b, 'create index t_name_idx on t (name)');
    const online = await cli(['diff', a, b]);
    expect(online.stdout).toContain(
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS t_name_idx ON public.t USING btree (name);\n',
    );
    expect(online.stderr).not.toMatch(/blocks-writes/);
    const blocking = await cli(['diff', a, b, '--blocking-ddl']);
    expect(blocking.stdout).toContain('CREATE INDEX t_name_idx ON public.t USING btree (name);\n');
    expect(blocking.stderr).toMatch(/hazard blocks-writes/);
  });

  it('an unreachable database: one clear line, exit 1, no password', async () => {
    const url = 'postgresql://me:hunter2secret@127.0.0.1:1/missing';
    const result = await cli(['diff', url, b]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('db-migrate diff: cannot connect to 127.0.0.1:1/missing');
    expect(result.stderr).not.toContain('hunter2secret');
  });

  it('rejects a wrong number of URLs', async () => {
    const result = await cli(['diff', a]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('expected two database URLs');
  });
});
