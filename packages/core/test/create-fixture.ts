/**
 * What create's end-to-end tests share: a git repository whose schema is one SQL file with migration 0001
 * committed (the base a pull request starts from), the real sql-migrate binary, and a schema comparison
 * that fails with the SQL still differing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminUrl, createTestDatabase, dropTestDatabase } from '../../../test/support/pg';
import { createMigration, type CreatedMigration, type CreateOutcome } from '../src/create';
import { diff, renderSql } from '../src/diff';
import type { DiffOptions } from '../src/diff/types';
import { silentLogger } from '../src/logger';
import { buildSchemaAt, type SchemaSource } from '../src/schema-source';
import { makeTestRepo, type TestRepo } from './git-fixture';

const SQL_MIGRATE = '/usr/bin/sql-migrate';

export const created = (outcome: CreateOutcome): CreatedMigration => {
  if (outcome.outcome !== 'created') throw new Error(`expected a migration, got no-op: ${outcome.reason}`);
  return outcome;
};

/** Runs the real sql-migrate on the directory against the database; its stdout. */
export function sqlMigrate(migrationsDir: string, url: string, ...args: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'db-migrate-sql-migrate-'));
  try {
    writeFileSync(
      join(dir, 'dbconfig.yml'),
      `test:\n  dialect: postgres\n  datasource: \${DSN}\n  dir: ${migrationsDir}\n`,
    );
    const [command, ...rest] = args;
    const result = spawnSync(SQL_MIGRATE, [command!, `-config=${join(dir, 'dbconfig.yml')}`, '-env=test', ...rest], {
      env: { ...process.env, DSN: `${url}?sslmode=disable` },
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`sql-migrate ${args.join(' ')} failed: ${result.stderr}${result.stdout}`);
    return result.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Fails with the SQL that still differs, so a mismatch explains itself. */
export async function expectSameSchema(actualUrl: string, expectedUrl: string): Promise<void> {
  expect(renderSql((await diff(actualUrl, expectedUrl)).statements)).toBe('');
}

/** A repository whose schema is one SQL file, with migration 0001 committed: the base a pull request starts from. */
export class CreateFixture {
  readonly repo: TestRepo = makeTestRepo();
  readonly source: SchemaSource = { repoDir: this.repo.dir, schemaDir: 'schema', sqlFiles: ['schema.sql'] };
  readonly migrationsDir = join(this.repo.dir, 'migrations');
  readonly databases: string[] = [];
  v1 = '';
  base = '';

  /** `label` names the databases it makes. */
  constructor(private readonly label: string) {}

  async start(schema: string): Promise<void> {
    this.v1 = this.repo.commit('v1', { 'schema/schema.sql': schema, 'migrations/.gitkeep': '' });
    created(
      await createMigration({
        source: this.source,
        migrationsDir: this.migrationsDir,
        shadow: adminUrl(),
        postgresVersion: 15,
        logger: silentLogger,
      }),
    );
    this.repo.git('add', '--all');
    this.base = this.repo.commit('migration 0001', {});
  }

  /** Commits the schema change and the files create writes for it. */
  async change(
    schema: string,
    diffOptions: DiffOptions = {},
    renames: string[] = [],
  ): Promise<{ goal: string; migration: CreatedMigration }> {
    const goal = this.repo.commit('v2', { 'schema/schema.sql': schema });
    const migration = created(
      await createMigration({
        source: this.source,
        migrationsDir: this.migrationsDir,
        shadow: adminUrl(),
        postgresVersion: 15,
        diff: diffOptions,
        renames,
        logger: silentLogger,
      }),
    );
    this.repo.git('add', '--all');
    this.repo.commit('migrations', {});
    return { goal, migration };
  }

  async database(label: string): Promise<string> {
    const url = await createTestDatabase(label);
    this.databases.push(url);
    return url;
  }

  async schemaAt(ref: string): Promise<string> {
    const url = await this.database(`${this.label}_ref`);
    await buildSchemaAt(this.source, ref, { url }, { logger: silentLogger });
    return url;
  }

  async remove(): Promise<void> {
    for (const url of this.databases) await dropTestDatabase(url);
    this.repo.remove();
  }
}
