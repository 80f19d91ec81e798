import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createTestRepo, type TestRepo } from '../../../test/support/git';
import { formatMigrationFile } from '../src/migrations/format';
import { nextVersion, readMigrationDir, writeMigration } from '../src/migrations/store';

/** What `create` does on a branch: allocate the next version from the files and write it. */
async function allocate(repo: TestRepo, name: string, goalSha: string) {
  const dir = join(repo.dir, 'migrations');
  mkdirSync(dir, { recursive: true });
  const version = nextVersion(await readMigrationDir(dir));
  const sql = formatMigrationFile({ up: [`CREATE TABLE ${name} (id int)`], down: [`DROP TABLE ${name}`] });
  return writeMigration(dir, {
    version,
    name: `create ${name}`,
    sql,
    metadata: {
      base_sha: 'f'.repeat(40),
      goal_sha: goalSha,
      schema_source: 'sql: schema/',
      generator: 'db-migrate test',
    },
  });
}

describe('the NNNN.json optimistic lock', () => {
  let repo: TestRepo;
  beforeEach(() => {
    repo = createTestRepo();
  });
  afterEach(() => repo.remove());

  it('makes git refuse to merge two branches that allocated the same version', async () => {
    await allocate(repo, 'base', 'a'.repeat(40));
    repo.commitAll('first migration');
    repo.git(['branch', 'feature-a']);
    repo.git(['branch', 'feature-b']);

    repo.git(['switch', '--quiet', 'feature-a']);
    const a = await allocate(repo, 'orders', 'b'.repeat(40));
    repo.commitAll('orders');
    repo.git(['switch', '--quiet', 'feature-b']);
    const b = await allocate(repo, 'invoices', 'c'.repeat(40));
    repo.commitAll('invoices');
    // Both branches took version 2; only the .sql names differ.
    expect([a.fileName, b.fileName]).toEqual(['0002_create_orders.sql', '0002_create_invoices.sql']);

    repo.git(['switch', '--quiet', 'main']);
    expect(repo.git(['merge', '--no-edit', 'feature-a']).exitCode).toBe(0);
    const second = repo.git(['merge', '--no-edit', 'feature-b'], { allowFailure: true });
    expect(second.exitCode).not.toBe(0);
    expect(second.stdout).toMatch(/CONFLICT \(add\/add\): Merge conflict in migrations\/0002\.json/);
    const unmerged = repo.git(['diff', '--name-only', '--diff-filter=U']).stdout.trim().split('\n');
    expect(unmerged).toEqual(['migrations/0002.json']);
    // The .sql files alone would have merged cleanly: both are in the tree now.
    expect(existsSync(join(repo.dir, 'migrations', '0002_create_orders.sql'))).toBe(true);
    expect(existsSync(join(repo.dir, 'migrations', '0002_create_invoices.sql'))).toBe(true);
  });

  it('merges cleanly when the second branch re-allocates after the first is merged', async () => {
    await allocate(repo, 'base', 'a'.repeat(40));
    repo.commitAll('first migration');
    repo.git(['branch', 'feature-a']);
    repo.git(['switch', '--quiet', 'feature-a']);
    await allocate(repo, 'orders', 'b'.repeat(40));
    repo.commitAll('orders');
    repo.git(['switch', '--quiet', 'main']);
    repo.git(['merge', '--no-edit', 'feature-a']);
    repo.git(['switch', '--quiet', '-c', 'feature-b']);
    const b = await allocate(repo, 'invoices', 'c'.repeat(40));
    repo.commitAll('invoices');
    expect(b.fileName).toBe('0003_create_invoices.sql');
    repo.git(['switch', '--quiet', 'main']);
    expect(repo.git(['merge', '--no-edit', 'feature-b']).exitCode).toBe(0);
    expect((await readMigrationDir(join(repo.dir, 'migrations'))).migrations.map((m) => m.version)).toEqual([1, 2, 3]);
  });
});
