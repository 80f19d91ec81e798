/**
 * The migration pull request's body says exactly how to acknowledge each data loss and how to declare a
 * possible rename: a real migration from a real repository (a column dropped, a column renamed as drop+add).
 */
import { join } from 'node:path';
import { createMigration, silentLogger } from '@db-migrate/core';
import { makeTestRepo, type TestRepo } from '../../../packages/core/test/git-fixture';
import { adminUrl } from '../../../test/support/pg';
import { pullRequestBody, pullRequestTitle } from '../src/pull-request-text';

let repo: TestRepo;
afterAll(() => repo?.remove());

it('lists the data losses with the exact trailer and marker lines, and the possible rename with its trailer', async () => {
  repo = makeTestRepo();
  repo.commit('v1', {
    'schema/schema.sql': 'CREATE TABLE products (id bigint PRIMARY KEY, title text NOT NULL, legacy_code text);\n',
    'migrations/.gitkeep': '',
  });
  const source = { repoDir: repo.dir, schemaDir: 'schema', sqlFiles: ['schema.sql'] };
  const options = {
    source,
    migrationsDir: join(repo.dir, 'migrations'),
    shadow: adminUrl(),
    postgresVersion: 15,
    logger: silentLogger,
  };
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
  expect(body).toMatch(
    /```+\nDB-Migrate-Allow: drops-data public\.products\.legacy_code\nDB-Migrate-Allow: drops-data public\.products\.title\n```+/,
  );
  expect(body).toMatch(
    /```+sql\n-- db-migrate: allow drops-data public\.products\.legacy_code\n-- db-migrate: allow drops-data public\.products\.title\n```+/,
  );
});

it('names the access, index, replication and untracked-body hazards in the migration header, its metadata and the PR body', async () => {
  const hazardRepo = makeTestRepo();
  try {
    const v1 = `CREATE TABLE docs (id bigint PRIMARY KEY, tenant int NOT NULL, code text CONSTRAINT docs_code_key UNIQUE, body text);
CREATE INDEX docs_tenant_idx ON docs (tenant);
`;
    const v2 = `CREATE TABLE docs (id bigint PRIMARY KEY, tenant int NOT NULL, code text, body text);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON docs USING (tenant = current_setting('app.tenant')::int);
ALTER TABLE docs REPLICA IDENTITY FULL;
CREATE FUNCTION doc_count() RETURNS bigint LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT count(*) FROM docs); END $$;
`;
    hazardRepo.commit('v1', { 'schema/schema.sql': v1, 'migrations/.gitkeep': '' });
    const source = { repoDir: hazardRepo.dir, schemaDir: 'schema', sqlFiles: ['schema.sql'] };
    const options = {
      source,
      migrationsDir: join(hazardRepo.dir, 'migrations'),
      shadow: adminUrl(),
      postgresVersion: 15,
      logger: silentLogger,
    };
    await createMigration(options);
    hazardRepo.git('add', '--all');
    hazardRepo.commit('migration 1', {});
    hazardRepo.commit('v2', { 'schema/schema.sql': v2 });
    const migration = await createMigration(options);
    if (migration.outcome !== 'created') throw new Error(migration.reason);
    const expected = [
      ['changes-access', 'public.docs', /^enable row level security on public\.docs: /],
      ['changes-access', 'public.docs.tenant_rows', /^creates policy tenant_rows on public\.docs: /],
      ['drops-index', 'public.docs_tenant_idx', /^drops index public\.docs_tenant_idx: /],
      [
        'drops-index',
        'public.docs.docs_code_key',
        /^drops unique constraint docs_code_key on public\.docs and its index: /,
      ],
      ['replica-identity', 'public.docs', /^sets the replica identity of public\.docs to FULL: /],
      [
        'untracked-dependencies',
        'public.doc_count()',
        /^creates or replaces function public\.doc_count\(\), whose plpgsql body/,
      ],
    ] as const;
    for (const [code, object, message] of expected)
      expect(migration.hazards).toContainEqual({ code, object, message: expect.stringMatching(message) });
    const header = migration.text.slice(0, migration.text.indexOf('-- +migrate Up'));
    const body = pullRequestBody({
      migration,
      schemaSource: 'sql files',
      schemaRepository: { owner: 'acme', repo: 'shop' },
      serverUrl: 'https://github.com',
      migrationsRepoDir: hazardRepo.dir,
      branch: 'db-migrate/next-migration',
    });
    for (const hazard of migration.hazards) {
      expect(header).toContain(`--   ${hazard.code}: ${hazard.message}`);
      expect(body).toContain(`- **${hazard.code}**: ${hazard.message}`);
    }
  } finally {
    hazardRepo.remove();
  }
});

it("lists every file of a split change, with each one's Up and Down, and titles it with their versions", async () => {
  const splitRepo = makeTestRepo();
  try {
    const events = 'CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz NOT NULL);\n';
    splitRepo.commit('v1', { 'schema/schema.sql': events, 'migrations/.gitkeep': '' });
    const source = { repoDir: splitRepo.dir, schemaDir: 'schema', sqlFiles: ['schema.sql'] };
    const options = {
      source,
      migrationsDir: join(splitRepo.dir, 'migrations'),
      shadow: adminUrl(),
      postgresVersion: 15,
      logger: silentLogger,
    };
    await createMigration(options);
    splitRepo.git('add', '--all');
    splitRepo.commit('migration 1', {});
    splitRepo.commit('v2', {
      'schema/schema.sql': `${events}CREATE TABLE tags (id bigint PRIMARY KEY);\nCREATE INDEX events_at_idx ON events (at);\n`,
    });
    const migration = await createMigration(options);
    if (migration.outcome !== 'created') throw new Error(migration.reason);
    expect(migration.migrations.map((f) => f.version)).toEqual([2, 3]);
    const body = pullRequestBody({
      migration,
      schemaSource: 'sql files',
      schemaRepository: { owner: 'acme', repo: 'shop' },
      serverUrl: 'https://github.com',
      migrationsRepoDir: splitRepo.dir,
      branch: 'db-migrate/next-migration',
    });
    expect(pullRequestTitle(migration)).toBe('db-migrate: migration 0002-0003 create_tags');
    expect(body).toMatch(/^Migrations \*\*0002-0003\*\* \(`create_tags`\).* split into 2 files/);
    for (const file of [
      'migrations/0002_create_tags.sql',
      'migrations/0002.json',
      'migrations/0003_create_index_events_at_idx.sql',
      'migrations/0003.json',
    ]) {
      expect(body).toContain(`- \`${file}\`:`);
    }
    expect(body).toContain(
      '> `migrations/0003_create_index_events_at_idx.sql`: its Up runs without a transaction (`notransaction`)',
    );
    expect(body).toMatch(/### Up: `migrations\/0002_create_tags\.sql`\n\n```+sql\nCREATE TABLE "public"\."tags"/);
    expect(body).toMatch(
      /### Up: `migrations\/0003_create_index_events_at_idx\.sql`\n\n```+sql\nCREATE INDEX CONCURRENTLY IF NOT EXISTS events_at_idx/,
    );
    expect(body).toMatch(
      /Down \(returns to the schema before this file\)<\/summary>\n\n```+sql\nDROP INDEX CONCURRENTLY IF EXISTS "public"\."events_at_idx";/,
    );
  } finally {
    splitRepo.remove();
  }
});
