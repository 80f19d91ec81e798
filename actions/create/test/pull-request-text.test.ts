/**
 * The migration pull request's body says exactly how to acknowledge each data loss and how to declare a
 * possible rename: a real migration from a real repository (a column dropped, a column renamed as drop+add).
 */
import { join } from 'node:path';
import { createMigration, silentLogger } from '@db-migrate/core';
import { makeTestRepo, type TestRepo } from '../../../packages/core/test/git-fixture';
import { adminUrl } from '../../../test/support/pg';
import { pullRequestBody } from '../src/pull-request-text';

let repo: TestRepo;
afterAll(() => repo?.remove());

it('lists the data losses with the exact trailer and marker lines, and the possible rename with its trailer', async () => {
  repo = makeTestRepo();
  repo.commit('v1', { 'schema/schema.sql': 'CREATE TABLE products (id bigint PRIMARY KEY, title text NOT NULL, legacy_code text);\n', 'migrations/.gitkeep': '' });
  const source = { repoDir: repo.dir, schemaDir: 'schema', sqlFiles: ['schema.sql'] };
  const options = { source, migrationsDir: join(repo.dir, 'migrations'), shadow: adminUrl(), postgresMajor: 15, logger: silentLogger };
  await createMigration(options);
  repo.git('add', '--all');
  repo.commit('migration 1', {});
  repo.commit('v2', { 'schema/schema.sql': 'CREATE TABLE products (id bigint PRIMARY KEY, name text NOT NULL);\n' });
  const migration = await createMigration(options);
  if (migration.outcome !== 'created') throw new Error(migration.reason);
  const body = pullRequestBody({
    migration,
    schemaSource: 'sql files',
    schemaRepository: { owner: 'acme', repo: 'shop' },
    serverUrl: 'https://github.com',
    migrationsRepoDir: repo.dir,
    branch: 'db-migrate/next-migration',
  });
  expect(body).toContain('### Possible renames');
  expect(body).toContain('- `DB-Migrate-Rename: public.products.title -> name`');
  expect(body).toContain('### Data loss');
  expect(body).toContain('- **drops-data** `public.products.legacy_code`');
  expect(body).toMatch(/```+\nDB-Migrate-Allow: drops-data public\.products\.legacy_code\nDB-Migrate-Allow: drops-data public\.products\.title\n```+/);
  expect(body).toMatch(/```+sql\n-- db-migrate: allow drops-data public\.products\.legacy_code\n-- db-migrate: allow drops-data public\.products\.title\n```+/);
});
