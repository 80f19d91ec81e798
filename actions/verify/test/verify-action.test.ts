/**
 * The verify bundle (actions/verify/dist) run as the GitHub runner runs it, on a pull_request event, in a
 * real git checkout, with the test PostgreSQL server as the shadow server and the GitHub REST stand-in
 * for the comment. Rebuild the bundle first: pnpm --filter @db-migrate/action-verify build.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTestRepo, type TestRepo } from '../../../packages/core/test/git-fixture';
import { createMigration } from '../../../packages/core/src/create';
import { silentLogger } from '../../../packages/core/src/logger';
import { startGitHubApi, type GitHubApiStandIn } from '../../../test/support/github-api';
import { adminUrl } from '../../../test/support/pg';
import { pullRequestEvent, runActionBundle } from '../../../test/support/run-action-bundle';
import { scaled } from '../../../test/support/time';

const SCHEMA_V1 = 'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n';
const SCHEMA_V2 = `CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, nickname text NOT NULL DEFAULT 'anon');
CREATE INDEX users_email_idx ON users (email);
`;
const MARKER = '<!-- db-migrate:verify.db_migrations -->';

let repo: TestRepo;
let github: GitHubApiStandIn;
let baseSha: string;
let headSha: string;

async function generate(goal: string): Promise<void> {
  const outcome = await createMigration({
    source: { repoDir: repo.dir, schemaDir: 'schema', sqlFiles: ['schema.sql'] },
    migrationsDir: join(repo.dir, 'db/migrations'),
    goal,
    shadow: adminUrl(),
    postgresVersion: 15,
    // The plain forms: the index on the existing table stays a write-blocking hazard for the annotation below.
    diff: { online: false },
    logger: silentLogger,
  });
  if (outcome.outcome !== 'created') throw new Error(outcome.reason);
  repo.git('add', '--all');
}

beforeAll(async () => {
  repo = makeTestRepo();
  await generate(repo.commit('schema v1', { 'schema/schema.sql': SCHEMA_V1, 'db/migrations/.keep': '' }));
  baseSha = repo.commit('migration 1', {});
  repo.git('checkout', '--quiet', '-b', 'feature');
  await generate(repo.commit('schema v2', { 'schema/schema.sql': SCHEMA_V2 }));
  headSha = repo.commit('migration 2', {});
  github = await startGitHubApi();
  github.openPullRequest({ head: 'feature', base: 'main', title: 'Add nicknames' });
});

afterAll(async () => {
  await github?.close();
  repo?.remove();
});

function run() {
  return runActionBundle('verify', {
    cwd: repo.dir,
    event: pullRequestEvent({ number: 1, headRef: 'feature', headSha, baseSha }),
    githubApiUrl: github.url,
    token: github.token,
    inputs: {
      'schema-dir': 'schema',
      'schema-sql': 'schema.sql',
      'migrations-dir': 'db/migrations',
      'shadow-database': adminUrl(),
      'postgres-version': '15',
    },
    timeoutMs: scaled(90_000),
  });
}

test('a passing run, then a failing one: outputs, summary, an annotation on the migration, one comment updated', async () => {
  const password = decodeURIComponent(new URL(adminUrl()).password);

  const passed = await run();
  expect(passed.stderr).toBe('');
  expect(passed.exitCode).toBe(0);
  expect(passed.outputs).toEqual({ result: 'passed', difference: '' });
  expect(passed.summary).toContain('<h2>db-migrate verify: passed</h2>');
  expect(passed.summary).toMatch(
    /<tr><td>Consistency<\/td><td>✅ passed<\/td><td>the migrations build exactly the schema at [0-9a-f]{7}/,
  );
  // The index on the existing table users is a hazard: a warning on the file, not a failure.
  const migration = `db/migrations/${readdirSync(join(repo.dir, 'db/migrations')).find((f) => /^0002_.*\.sql$/.test(f))}`;
  expect(passed.annotations).toContainEqual(
    expect.objectContaining({ level: 'warning', file: migration, title: 'db-migrate verify: Hazards (blocks-writes)' }),
  );
  expect(passed.annotations.filter((a) => a.level === 'error')).toEqual([]);
  expect(passed.log).not.toContain(password);
  const [first] = github.comments(1);
  expect(github.comments(1)).toHaveLength(1);
  expect(first.body.startsWith(`${MARKER}\n### ✅ db-migrate verify: passed`)).toBe(true);
  expect(first.body).toContain('| Reversibility | ✅ passed |');
  // The locks each Up statement took on the existing table, measured on rows: in the summary and the comment.
  expect(passed.summary).toContain("Locks and rewrites measured on the data check's rows");
  expect(passed.summary).toMatch(
    /<tr><td>\d+<\/td><td>public\.users<\/td><td>ACCESS EXCLUSIVE<\/td><td>no<\/td><td>\d+<\/td><\/tr>/,
  );
  expect(first.body).toContain('| Line | Table | Lock | Rewrite | ms |');
  expect(first.body).toMatch(/\| \d+ \| public\.users \| SHARE \| no \| \d+ \|/);

  // A hand edit that forgets the new column's default, committed to the pull request.
  const path = join(repo.dir, migration);
  writeFileSync(path, readFileSync(path, 'utf8').replace(/ DEFAULT 'anon'::text/, ''));
  headSha = repo.commit('edit by hand', { [migration]: readFileSync(path, 'utf8') });

  const failed = await run();
  expect(failed.exitCode).toBe(1);
  expect(failed.outputs.result).toBe('failed');
  expect(failed.outputs.difference).toMatch(/ALTER TABLE "public"\."users" ALTER COLUMN "nickname" SET DEFAULT 'anon'/);
  const upLine = readFileSync(path, 'utf8').split('\n').indexOf('-- +migrate Up') + 1;
  expect(failed.annotations).toContainEqual(
    expect.objectContaining({ level: 'error', file: migration, line: upLine, title: 'db-migrate verify: Consistency' }),
  );
  expect(failed.log).toContain('Error: verify failed: consistency');
  expect(failed.summary).toContain('<h2>db-migrate verify: failed</h2>');
  expect(failed.summary).toMatch(
    /<pre lang="sql"><code>ALTER TABLE &quot;public&quot;.&quot;users&quot; ALTER COLUMN &quot;nickname&quot; SET DEFAULT 'anon'/,
  );
  expect(failed.log).not.toContain(password);

  // Still one comment: the same one, updated with the failure and the difference.
  const comments = github.comments(1);
  if (process.env.SHOW_VERIFY_OUTPUT) console.log(failed.summary, comments[0].body, failed.log);
  expect(comments).toHaveLength(1);
  expect(comments[0].id).toBe(first.id);
  expect(comments[0].body.startsWith(`${MARKER}\n### ❌ db-migrate verify: failed`)).toBe(true);
  expect(comments[0].body).toContain('| Consistency | ❌ FAILED |');
  expect(comments[0].body).toMatch(/```sql\nALTER TABLE "public"\."users" ALTER COLUMN "nickname" SET DEFAULT 'anon'/);
  const writes = github.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path} ${r.status}`);
  expect(writes).toEqual([
    'POST /repos/octo-org/octo-repo/issues/1/comments 201',
    `PATCH /repos/octo-org/octo-repo/issues/comments/${first.id} 200`,
  ]);
});

test('a token that may not comment gives a warning; the check result still stands', async () => {
  const pull = github.openPullRequest({ head: 'octo-fork:feature', base: 'main', title: 'From a fork' });
  const result = await runActionBundle('verify', {
    cwd: repo.dir,
    event: pullRequestEvent({ number: pull.number, headRef: 'feature', headSha, baseSha }),
    githubApiUrl: github.url,
    token: github.readOnlyToken,
    inputs: {
      'schema-dir': 'schema',
      'schema-sql': 'schema.sql',
      'migrations-dir': 'db/migrations',
      'shadow-database': adminUrl(),
    },
    timeoutMs: scaled(90_000),
  });
  expect(result.outputs.result).toBe('failed');
  expect(result.annotations).toContainEqual(
    expect.objectContaining({
      level: 'warning',
      message: expect.stringMatching(new RegExp(`^could not comment on pull request #${pull.number}: .*403`)),
    }),
  );
  expect(github.comments(pull.number)).toEqual([]);
  expect(result.exitCode).toBe(1);
});

test('a shallow checkout (actions/checkout without fetch-depth: 0) fails with one message naming the input and the fix', async () => {
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const temp = mkdtempSync(join(tmpdir(), 'db-migrate-shallow-'));
  try {
    const clone = join(temp, 'checkout');
    execFileSync('git', ['clone', '--quiet', '--depth', '1', '--branch', 'feature', `file://${repo.dir}`, clone]);
    const result = await runActionBundle('verify', {
      cwd: clone,
      event: pullRequestEvent({ number: 1, headRef: 'feature', headSha, baseSha }),
      githubApiUrl: github.url,
      token: github.token,
      inputs: {
        'schema-dir': 'schema',
        'schema-sql': 'schema.sql',
        'migrations-dir': 'db/migrations',
        'shadow-database': adminUrl(),
        comment: 'false',
      },
      timeoutMs: scaled(90_000),
    });
    expect(result.exitCode).toBe(1);
    const errors = result.annotations.filter((a) => a.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toMatch(/^input "base-ref": /);
    expect(errors[0].message).toContain(baseSha);
    expect(errors[0].message).toContain('fetch-depth: 0');
    expect(errors[0].message).not.toMatch(/bug/);
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
});

test('a shadow-database keyword (here docker) is not a secret: it stays readable in the log', async () => {
  const result = await runActionBundle('verify', {
    cwd: repo.dir,
    event: pullRequestEvent({ number: 1, headRef: 'feature', headSha, baseSha }),
    githubApiUrl: github.url,
    token: github.token,
    // An engine that is not there: the docker shadow fails at once, and its message must stay legible.
    env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
    inputs: {
      'schema-dir': 'schema',
      'schema-sql': 'schema.sql',
      'migrations-dir': 'db/migrations',
      'shadow-database': 'docker',
      comment: 'false',
    },
    timeoutMs: scaled(90_000),
  });
  expect(result.exitCode).toBe(1);
  expect(result.masks).not.toContain('docker');
  expect(result.masks).toContain(github.token);
  const [error] = result.annotations.filter((a) => a.level === 'error');
  expect(error.message).toMatch(/docker/i);
  expect(error.message).not.toContain('***');
});

test('a migrations-dir missing from the checkout fails naming the input, before any database is built', async () => {
  const result = await runActionBundle('verify', {
    cwd: repo.dir,
    event: pullRequestEvent({ number: 1, headRef: 'feature', headSha, baseSha }),
    githubApiUrl: github.url,
    token: github.token,
    inputs: {
      'schema-dir': 'schema',
      'schema-sql': 'schema.sql',
      'migrations-dir': 'db/no-such-dir',
      'shadow-database': adminUrl(),
      comment: 'false',
    },
    timeoutMs: scaled(90_000),
  });
  expect(result.exitCode).toBe(1);
  const errors = result.annotations.filter((a) => a.level === 'error');
  expect(errors).toHaveLength(1);
  expect(errors[0]!.message).toMatch(/^input "migrations-dir": migrations directory .*db\/no-such-dir does not exist/);
  expect(result.outputs.result).toBeUndefined();
});

test('build-timeout stops a hanging build command, naming it, how long it ran and the limit', async () => {
  const result = await runActionBundle('verify', {
    cwd: repo.dir,
    event: pullRequestEvent({ number: 1, headRef: 'feature', headSha, baseSha }),
    githubApiUrl: github.url,
    token: github.token,
    inputs: {
      'schema-dir': 'schema',
      'schema-command': 'sleep 600',
      'build-timeout': '1s',
      'migrations-dir': 'db/migrations',
      'shadow-database': adminUrl(),
      comment: 'false',
    },
    timeoutMs: scaled(90_000),
  });
  expect(result.exitCode).toBe(1);
  expect(result.log).toMatch(/schema build command timed out after [\d.]+ (ms|s) at commit [0-9a-f]{7}.*: sleep 600/);
  // The remedy worded as this action's input, never as the CLI's flag.
  expect(result.log).toMatch(/: sleep 600 \(raise the input build-timeout\)/);
  expect(result.log).not.toContain('--build-timeout');
  expect(result.log).toContain('its limit is 1 s; it was stopped with every process it started');
});
