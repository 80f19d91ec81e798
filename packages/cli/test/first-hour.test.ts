/**
 * What a newcomer runs into in the first hour (#15): absolute paths and the repository found from the
 * schema directory, a schema file added later, frameworks' bookkeeping tables, uncommitted edits, an
 * amended goal commit, a migrations directory not committed yet, a hand edit accepted, --json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminUrl, createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';
import { makeTestRepo, type TestRepo } from '../../core/test/git-fixture';
import { cli } from '../../../test/support/cli';

describe('the first hour', () => {
  let repo: TestRepo;
  let base: string[];
  const migrations = () => join(repo.dir, 'db', 'migrations');
  beforeEach(() => {
    repo = makeTestRepo();
    repo.commit('schema', {
      'db/01_users.sql': 'CREATE TABLE users (id int PRIMARY KEY);\n',
      // What `manage.py migrate` leaves behind: the framework's own bookkeeping, not the app's schema.
      'db/00_django.sql':
        'CREATE TABLE django_migrations (id bigserial PRIMARY KEY, app text NOT NULL, name text NOT NULL);\n',
      'db/migrations/.gitkeep': '',
    });
    // Absolute paths, no --repo, run from outside the repository: the repository is found from --schema-dir.
    base = [
      '--schema-dir',
      join(repo.dir, 'db'),
      '--schema-sql',
      join(repo.dir, 'db'),
      '--dir',
      migrations(),
      '--shadow',
      adminUrl(),
    ];
  });
  afterEach(() => repo.remove());

  it('absolute paths, a directory of SQL files that grows, framework tables left out with a notice, then verify and up', async () => {
    const first = await cli(['create', ...base]);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('left out of the migration: public.django_migrations (Django bookkeeping)');
    const sql1 = readFileSync(join(migrations(), '0001_create_users.sql'), 'utf8');
    expect(sql1).toContain('CREATE TABLE "public"."users"');
    expect(sql1).not.toContain('django_migrations');

    // A new schema file: the base commit has no 05_reviews.sql, and that is no error.
    repo.commit('migration 1 and a new table', {
      'db/05_reviews.sql': 'CREATE TABLE reviews (id int PRIMARY KEY, user_id int REFERENCES users);\n',
    });
    const second = await cli(['create', ...base, '--json', '-']);
    expect(second.code).toBe(0);
    const outcome = JSON.parse(second.stdout);
    expect(outcome).toMatchObject({ outcome: 'created', version: 2, name: 'create_reviews' });
    expect(outcome.upSql).toContain('CREATE TABLE "public"."reviews"');
    expect(outcome.upSql).not.toContain('django');

    // verify before committing migration 2: the directory's new files count as new; --json gives the checks.
    const verified = await cli(['verify', ...base, '--json', '-']);
    const report = JSON.parse(verified.stdout);
    expect(report.checks.map((c: { name: string; status: string }) => `${c.name}:${c.status}`)).toEqual([
      'numbering:passed',
      'consistency:passed',
      'reversibility:passed',
      'data:passed',
      'hazards:passed',
    ]);
    expect(verified.code).toBe(0);

    const db = await createTestDatabase('firsthour');
    try {
      const up = await cli(['up', '--dir', migrations(), '--database', db, '--json', '-']);
      expect(up.code).toBe(0);
      expect(JSON.parse(up.stdout)).toMatchObject({ version: 2 });
      const status = await cli(['status', '--dir', migrations(), '--database', db, '--json', '-']);
      expect(JSON.parse(status.stdout)).toMatchObject({ currentVersion: 2, consistent: true, pending: [] });
      const tables = await query<{ t: string }>(
        db,
        "select table_name as t from information_schema.tables where table_schema = 'public' order by 1",
      );
      expect(tables.map((r) => r.t)).toEqual(['gorp_migrations', 'reviews', 'users']);
    } finally {
      await dropTestDatabase(db);
    }
  });

  it('--exclude-table globs, --include-framework-tables; relative paths from a subdirectory; an absolute SQL file outside the schema directory is refused', async () => {
    repo.commit('audit', { 'db/02_audit.sql': 'CREATE TABLE audit_log (id int); CREATE TABLE audit_seen (id int);\n' });
    const cwd = process.cwd();
    process.chdir(join(repo.dir, 'db'));
    try {
      const made = await cli([
        'create',
        '--schema-dir',
        '.',
        '--schema-sql',
        '*.sql',
        '--dir',
        'migrations',
        '--shadow',
        adminUrl(),
        '--exclude-table',
        'public.audit_*',
        '--include-framework-tables',
      ]);
      expect(made.code).toBe(0);
      expect(made.stderr).toContain(
        'left out of the migration: public.audit_log (exclude-table public.audit_*), public.audit_seen (exclude-table public.audit_*) (',
      );
      const sql = readFileSync(join(migrations(), '0001_create_django_migrations_and_users.sql'), 'utf8');
      expect(sql).not.toContain('audit');
      expect(sql).toContain('CREATE TABLE "public"."django_migrations"');
    } finally {
      process.chdir(cwd);
    }
    const outside = await cli([
      'create',
      '--schema-dir',
      join(repo.dir, 'db'),
      '--schema-sql',
      join(repo.dir, 'other.sql'),
      '--dir',
      migrations(),
      '--shadow',
      adminUrl(),
    ]);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain(`SQL file ${join(repo.dir, 'other.sql')} is not inside the schema directory`);
  });

  it('warns about uncommitted schema edits; an amended goal commit says how to re-point it, and repoint does', async () => {
    expect((await cli(['create', ...base])).code).toBe(0);
    writeFileSync(join(repo.dir, 'db', '01_users.sql'), 'CREATE TABLE users (id int PRIMARY KEY, name text);\n');
    const dirty = await cli(['create', ...base]);
    expect(dirty.code).toBe(0);
    expect(dirty.stderr).toContain(
      'warning: db/ has uncommitted changes (db/01_users.sql); only committed commits are built',
    );
    expect(dirty.stdout).toMatch(/^nothing to do: /);

    // The commit migration 1 was generated from is amended away.
    const metadata = JSON.parse(readFileSync(join(migrations(), '0001.json'), 'utf8'));
    repo.git('checkout', '--quiet', '--', 'db/01_users.sql');
    repo.git('commit', '--quiet', '--amend', '-m', 'schema (amended)');
    repo.git('reflog', 'expire', '--expire=now', '--all');
    repo.git('gc', '--quiet', '--prune=now');
    const lost = await cli(['create', ...base]);
    expect(lost.code).toBe(1);
    expect(lost.stderr).toContain(`unknown commit "${metadata.goal_sha}"`);
    expect(lost.stderr).toContain(
      `db-migrate repoint --dir ${migrations()} --from ${metadata.goal_sha.slice(0, 12)} --to <new-sha>`,
    );

    const lostVerify = await cli(['verify', ...base]);
    expect(lostVerify.code).toBe(1);
    expect(lostVerify.stdout).toContain(
      `db-migrate repoint --dir ${migrations()} --from ${metadata.goal_sha.slice(0, 12)} --to <new-sha>`,
    );

    const repointed = await cli([
      'repoint',
      '--dir',
      migrations(),
      '--from',
      metadata.goal_sha.slice(0, 12),
      '--to',
      'HEAD',
      '--repo',
      repo.dir,
    ]);
    expect(repointed.code).toBe(0);
    const head = repo.git('rev-parse', 'HEAD');
    expect(JSON.parse(readFileSync(join(migrations(), '0001.json'), 'utf8')).goal_sha).toBe(head);
    expect(await cli(['create', ...base])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^nothing to do: migration 1 already reaches/),
    });
  });

  it('verify says when HEAD has a schema change no migration covers; a hand edit warns until accepted', async () => {
    expect((await cli(['create', ...base])).code).toBe(0);
    repo.commit('migration 1, then a column without its migration', {
      'db/01_users.sql': 'CREATE TABLE users (id int PRIMARY KEY, name text);\n',
    });
    const ahead = await cli(['verify', ...base]);
    expect(ahead.code).toBe(0);
    expect(ahead.stdout).toMatch(
      /Consistency: passed with warnings .*\n(.*\n)* {2}warning: the schema at HEAD [0-9a-f]{7} differs from the goal [0-9a-f]{7} \(create column public\.users\.name\) and no migration covers it yet/,
    );

    const file = join(migrations(), '0001_create_users.sql');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('-- +migrate Down', '-- reviewed by hand\n-- +migrate Down'),
    );
    const edited = await cli(['verify', ...base, '--goal', repo.git('rev-parse', 'HEAD~1')]);
    expect(edited.stdout).toContain(
      `0001_create_users.sql was edited after it was generated (checksum differs from 0001.json); if the edit is intended, record it (run db-migrate accept-edit ${file} --reason ...)`,
    );
    expect(edited.stdout).toMatch(
      /Numbering: passed - (.*\n) {2}notice: .*0001_create_users\.sql was edited after it was generated/,
    );

    const accepted = await cli(['accept-edit', file, '--reason', 'a note for reviewers']);
    expect(accepted.code).toBe(0);
    const metadata = JSON.parse(readFileSync(join(migrations(), '0001.json'), 'utf8'));
    expect(metadata.edit_accepted).toMatchObject({
      reason: 'a note for reviewers',
      by: 'Test Author <author@example.com>',
    });
    const after = await cli(['verify', ...base, '--goal', repo.git('rev-parse', 'HEAD~1')]);
    expect(after.stdout).toMatch(/Numbering: passed - /);
    expect(after.stdout).toContain(
      '0001_create_users.sql was edited by hand; the edit was accepted (Test Author <author@example.com>, ',
    );
    expect(after.stderr).not.toContain('edited after it was generated');
    expect((await cli(['accept-edit', join(migrations(), '0001_create_users.sql')])).stderr).toBe('');
  });
});
