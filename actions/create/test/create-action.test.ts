/**
 * The bundled create action (actions/create/dist/index.js, built by `pnpm build`), run the way the runner
 * runs it, against real git repositories (a bare `origin` and clones of it as workspaces), the test
 * PostgreSQL server as the shadow database, and the GitHub REST stand-in.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startGitHubApi, type GitHubApiStandIn } from '../../../test/support/github-api';
import { adminUrl } from '../../../test/support/pg';
import { pushEvent, runActionBundle, type ActionRun } from '../../../test/support/run-action-bundle';

const REPOSITORY = 'octo-org/octo-repo';
const BRANCH = 'db-migrate/next-migration';
const BOT = 'github-actions[bot] <41898283+github-actions[bot]@users.noreply.github.com>';
const USERS_V1 = 'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n';
const USERS_V2 =
  'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users);\n';
const USERS_V3 = `${USERS_V2}CREATE INDEX users_email_idx ON users (email);\n`;

function write(dir: string, path: string, content: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), content);
}

function git(cwd: string, ...args: string[]): string {
  const result = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Dev',
      GIT_AUTHOR_EMAIL: 'dev@example.com',
      GIT_COMMITTER_NAME: 'Dev',
      GIT_COMMITTER_EMAIL: 'dev@example.com',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
    },
  });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr}${result.stdout}`);
  return result.stdout.trim();
}

/** A bare origin on `main` and a developer's clone to push schema changes from. */
class Project {
  readonly root = mkdtempSync(join(tmpdir(), 'db-migrate-create-action-'));
  readonly origin = join(this.root, 'origin.git');
  readonly dev = join(this.root, 'dev');
  private clones = 0;

  constructor() {
    git(this.root, 'init', '--quiet', '--bare', '--initial-branch=main', this.origin);
    git(this.root, 'clone', '--quiet', this.origin, this.dev);
    this.commit('schema v1', { 'db/schema.sql': USERS_V1, 'migrations/.gitkeep': '' });
  }

  /** Commits files on the developer's main and pushes them; returns the sha. */
  commit(message: string, files: Record<string, string>): string {
    for (const [path, content] of Object.entries(files)) write(this.dev, path, content);
    git(this.dev, 'add', '--all');
    git(this.dev, 'commit', '--quiet', '-m', message);
    git(this.dev, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');
    return git(this.dev, 'rev-parse', 'HEAD');
  }

  /** A fresh checkout of origin's main, as actions/checkout leaves the workspace. */
  checkout(): string {
    const dir = join(this.root, `workspace-${++this.clones}`);
    git(this.root, 'clone', '--quiet', this.origin, dir);
    return dir;
  }

  /** origin's branches and their tips. */
  branches(): Record<string, string> {
    const out = git(this.origin, 'for-each-ref', '--format=%(refname:short) %(objectname)', 'refs/heads');
    return Object.fromEntries(
      out
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ') as [string, string]),
    );
  }

  files(ref: string, dir = 'migrations'): string[] {
    return git(this.origin, 'ls-tree', '--name-only', `${ref}:${dir}`).split('\n').filter(Boolean);
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

let api: GitHubApiStandIn;
let project: Project;
beforeEach(async () => {
  api = await startGitHubApi({ repositories: [REPOSITORY] });
  project = new Project();
});
afterEach(async () => {
  await api.close();
  project.remove();
});

const inputs = (extra: Record<string, string> = {}) => ({
  'schema-dir': 'db',
  'schema-sql': 'schema.sql',
  'migrations-dir': 'migrations',
  'shadow-database': adminUrl(),
  'postgres-version': '15',
  ...extra,
});

function runCreate(workspace: string, extra: Record<string, string> = {}): Promise<ActionRun> {
  const sha = git(workspace, 'rev-parse', 'HEAD');
  return runActionBundle('create', {
    cwd: workspace,
    githubApiUrl: api.url,
    token: api.token,
    repository: REPOSITORY,
    sha,
    event: pushEvent({ after: sha, repository: REPOSITORY }),
    inputs: inputs(extra),
  });
}

const writes = () => api.requests.filter((r) => r.method !== 'GET');
const password = () => decodeURIComponent(new URL(adminUrl()).password);
/** What the step printed, less the ::add-mask:: commands that hand secrets to the runner to hide. */
const printed = (run: ActionRun) =>
  run.stdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');

describe('the create action', () => {
  it('opens a labelled pull request with the migration pushed to the fixed branch', async () => {
    const workspace = project.checkout();
    const goal = git(workspace, 'rev-parse', 'HEAD');
    const run = await runCreate(workspace);

    expect(run.exitCode).toBe(0);
    expect(run.outputs).toEqual({
      outcome: 'created',
      skipped: 'false',
      version: '1',
      'pr-number': '1',
      'pr-url': `https://github.com/${REPOSITORY}/pull/1`,
    });
    expect(printed(run)).not.toContain(password());
    expect(run.log).toContain('created migration 1 (create_users): base the empty database');

    // The branch on origin: one commit on top of main, by the bot, adding exactly the two files.
    const tip = project.branches()[BRANCH]!;
    expect(git(project.origin, 'rev-parse', `${tip}^`)).toBe(goal);
    expect(git(project.origin, 'log', '-1', '--format=%an <%ae>|%cn <%ce>|%s', tip)).toBe(
      `${BOT}|${BOT}|db-migrate: migration 0001 create_users`,
    );
    expect(git(project.origin, 'diff-tree', '--no-commit-id', '--name-only', '-r', tip).split('\n')).toEqual([
      'migrations/0001.json',
      'migrations/0001_create_users.sql',
    ]);
    const sql = git(project.origin, 'show', `${tip}:migrations/0001_create_users.sql`);
    expect(JSON.parse(git(project.origin, 'show', `${tip}:migrations/0001.json`))).toMatchObject({
      version: 1,
      name: 'create_users',
      goal_sha: goal,
    });

    // The pull request, through the stand-in.
    const [pull] = api.pullRequests();
    expect(pull).toMatchObject({
      number: 1,
      state: 'open',
      headLabel: `octo-org:${BRANCH}`,
      base: 'main',
      labels: ['db-migrate'],
      title: 'db-migrate: migration 0001 create_users',
    });
    expect(pull!.body).toContain('CREATE TABLE "public"."users"');
    expect(pull!.body).toContain(
      `it takes the empty database to the schema at [\`${goal.slice(0, 7)}\`](https://github.com/${REPOSITORY}/commit/${goal}).`,
    );
    expect(pull!.body).toContain('### Editing this migration by hand');
    expect(pull!.body).toContain('None found.');
    expect(sql).toContain('-- +migrate Down');

    expect(run.summary).toContain(
      `Opened [#1](https://github.com/${REPOSITORY}/pull/1) with migration **0001 \`create_users\`**`,
    );
    expect(run.summary).toContain('0001_create_users.sql');
    expect(run.summary).toContain('CREATE TABLE &quot;public&quot;.&quot;users&quot;');

    // The workspace is back on main, as the job's later steps expect it.
    expect(git(workspace, 'symbolic-ref', '--short', 'HEAD')).toBe('main');
    expect(git(workspace, 'status', '--porcelain')).toBe('');
  });

  it('does nothing while a migration pull request is open, before building anything', async () => {
    const open = api.openPullRequest({
      head: BRANCH,
      labels: ['db-migrate'],
      user: 'github-actions[bot]',
      title: 'db-migrate: migration 0001 create_users',
    });
    const run = await runCreate(project.checkout());

    expect(run.exitCode).toBe(0);
    expect(run.outputs).toEqual({
      outcome: 'skipped',
      skipped: 'true',
      'pr-number': String(open.number),
      'pr-url': `https://github.com/${REPOSITORY}/pull/${open.number}`,
    });
    expect(run.log).toMatch(/skipped: migration pull request #1 \(.*\) is still open/);
    expect(run.log).not.toContain('building the schema');
    expect(run.summary).toContain('Skipped: migration pull request #1');
    expect(project.branches()).toEqual({ main: expect.any(String) });
    expect(writes()).toEqual([]);
  });

  it('a pull request from the branch without the label is not ours: the label input names what counts', async () => {
    api.openPullRequest({ head: BRANCH, labels: [], user: 'octocat' });
    const run = await runCreate(project.checkout(), { label: 'schema-migration' });
    // Ours would carry the label; this one does not, so the run goes on, and GitHub's 422 for a second
    // pull request from the same head makes it take over that one, labelled, rather than fail.
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ outcome: 'created', 'pr-number': '1' });
    expect(api.pullRequests()).toHaveLength(1);
    expect(api.pullRequests()[0]).toMatchObject({
      labels: ['schema-migration'],
      title: 'db-migrate: migration 0001 create_users',
    });
    expect(api.pullRequests()[0]!.body).toContain('CREATE TABLE "public"."users"');
  });

  it('is a no-op when the migrations already reach the schema', async () => {
    const first = project.checkout();
    expect((await runCreate(first)).outputs.outcome).toBe('created');
    // The migration pull request is merged (a merge commit on main) and closed.
    git(project.dev, 'fetch', '--quiet', 'origin');
    git(project.dev, 'merge', '--quiet', '--ff-only', 'origin/main');
    git(project.dev, 'merge', '--quiet', '--no-ff', '-m', 'Merge migration', `origin/${BRANCH}`);
    git(project.dev, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');
    api.setPullRequestState(1, 'merged');
    const before = project.branches();
    const requestsBefore = writes().length;

    const run = await runCreate(project.checkout());
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toEqual({ outcome: 'no-op', skipped: 'false' });
    expect(run.log).toMatch(/nothing to do: no file under db changed between [0-9a-f]{7} and/);
    expect(run.summary).toContain('Nothing to do: no file under db changed');
    expect(project.branches()).toEqual(before);
    expect(writes().length).toBe(requestsBefore);
  });

  it('a migrations-dir missing from the checkout fails naming the input and the fix, before building anything', async () => {
    const run = await runCreate(project.checkout(), { 'migrations-dir': 'db/migrations' });
    expect(run.exitCode).toBe(1);
    const errors = run.annotations.filter((a) => a.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(
      /^input "migrations-dir": migrations directory .*\/db\/migrations does not exist \(commit an empty \.gitkeep in it before the first migration\)$/,
    );
    expect(project.branches()).toEqual({ main: expect.any(String) });
    expect(api.pullRequests()).toEqual([]);
  });

  it('fails with one clear error when the schema command fails, pushing nothing', async () => {
    const run = await runCreate(project.checkout(), {
      'schema-sql': '',
      'schema-command': 'echo "ImportError: no module named app" >&2; exit 3',
    });
    expect(run.exitCode).toBe(1);
    const errors = run.annotations.filter((a) => a.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/^schema build command failed with exit code 3 at commit [0-9a-f]{7}: echo/);
    expect(errors[0]!.message).toContain('ImportError: no module named app');
    expect(printed(run)).not.toContain(password());
    expect(run.outputs).toEqual({});
    expect(project.branches()).toEqual({ main: expect.any(String) });
    expect(api.pullRequests()).toEqual([]);
  });

  it('resumes a run that pushed its branch but could not open the pull request: the next run opens it', async () => {
    // The first run's POST /pulls is refused after the push (as a token without pull-requests: write is).
    api.failNext('POST', /\/pulls$/, { status: 403, body: { message: 'Resource not accessible by integration' } });
    const failed = await runCreate(project.checkout());
    expect(failed.exitCode).toBe(1);
    expect(failed.outputs.outcome).toBeUndefined();
    const pushed = project.branches()[BRANCH];
    expect(pushed).toBeDefined();
    expect(api.pullRequests()).toEqual([]);

    // The next run (seconds later, the branch still "in progress") opens the pull request for that branch.
    const resumed = await runCreate(project.checkout());
    expect(resumed.exitCode).toBe(0);
    expect(resumed.outputs).toEqual({
      outcome: 'skipped',
      skipped: 'true',
      'pr-number': '1',
      'pr-url': `https://github.com/${REPOSITORY}/pull/1`,
    });
    expect(resumed.log).toMatch(
      /skipped: origin's db-migrate\/next-migration holds a migration pushed \d+ s ago with no pull request open from it: opened #1 for it/,
    );
    expect(project.branches()[BRANCH]).toBe(pushed);
    const [pull] = api.pullRequests();
    expect(pull).toMatchObject({
      state: 'open',
      headLabel: `octo-org:${BRANCH}`,
      base: 'main',
      labels: ['db-migrate'],
      title: 'db-migrate: migration 0001 create_users',
    });
    expect(pull!.body).toContain(`(commit ${pushed})`);

    // And the run after that sees it as the open migration pull request: no third anything.
    const writesBefore = writes().length;
    const third = await runCreate(project.checkout());
    expect(third.outputs).toMatchObject({ outcome: 'skipped', 'pr-number': '1' });
    expect(writes().length).toBe(writesBefore);
  });

  it('a token that may not label (no issues: write): the pull request is opened, a warning says why, and it still counts as ours', async () => {
    api.failNext('POST', /\/issues\/\d+\/labels$/, {
      status: 403,
      body: { message: 'Resource not accessible by integration' },
    });
    const run = await runCreate(project.checkout());
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ outcome: 'created', 'pr-number': '1' });
    expect(api.pullRequests()[0]).toMatchObject({ state: 'open', labels: [] });
    const warnings = run.annotations.filter((a) => a.level === 'warning').map((a) => a.message);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^pull request #1 is not labelled "db-migrate" \(it still counts as the migration pull request\): labelling pull request #1 .*issues: write/,
      ),
    ]);

    const again = await runCreate(project.checkout());
    expect(again.outputs).toMatchObject({ outcome: 'skipped', 'pr-number': '1' });
    expect(api.pullRequests()).toHaveLength(1);
  });

  it('two runs racing on the same base: one pushed branch, one pull request', async () => {
    const [a, b] = [project.checkout(), project.checkout()];
    const runs = await Promise.all([runCreate(a), runCreate(b)]);

    expect(runs.map((r) => r.exitCode)).toEqual([0, 0]);
    const outcomes = runs.map((r) => r.outputs.outcome).sort();
    expect(outcomes).toEqual(['created', 'skipped']);
    const loser = runs.find((r) => r.outputs.outcome === 'skipped')!;
    expect(loser.outputs.skipped).toBe('true');
    expect(loser.log).toMatch(
      /skipped: (origin's db-migrate\/next-migration (was created while this run built the migration: another run pushed first|was pushed \d+ s ago)|migration pull request #1)/,
    );
    expect(api.pullRequests()).toHaveLength(1);
    expect(api.pullRequests().filter((p) => p.state === 'open')).toHaveLength(1);
    expect(Object.keys(project.branches()).sort()).toEqual([BRANCH, 'main']);
    // The branch holds the winner's commit: one commit on main, with migration 1.
    expect(git(project.origin, 'rev-list', '--count', `main..${BRANCH}`)).toBe('1');
    expect(project.files(BRANCH)).toEqual(['.gitkeep', '0001.json', '0001_create_users.sql']);
    for (const workspace of [a, b]) expect(git(workspace, 'status', '--porcelain')).toBe('');
  });

  it('two migrations numbered alike can never both be merged: their NNNN.json paths collide', async () => {
    // Two create workflows with their own branches and labels, on the same base, both open a pull request for version 2.
    expect((await runCreate(project.checkout())).outputs.outcome).toBe('created');
    git(project.dev, 'fetch', '--quiet', 'origin');
    git(project.dev, 'merge', '--quiet', '--ff-only', 'origin/main');
    git(project.dev, 'merge', '--quiet', '--no-ff', '-m', 'Merge migration 1', `origin/${BRANCH}`);
    git(project.dev, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');
    api.setPullRequestState(1, 'merged');
    project.commit('orders', { 'db/schema.sql': USERS_V2 });

    const one = await runCreate(project.checkout(), { branch: 'migrations/one', label: 'one' });
    project.commit('email index', { 'db/schema.sql': USERS_V3 });
    const two = await runCreate(project.checkout(), { branch: 'migrations/two', label: 'two' });
    // Both start at version 2. The second change builds the users index CONCURRENTLY, in a notransaction
    // file of its own (docs/online.md), so it is split into 0002 and 0003, and its version output is the last file's.
    expect([one.outputs.version, two.outputs.version]).toEqual(['2', '3']);
    const metadata = (branch: string) => project.files(branch).filter((f) => f.endsWith('.json'));
    expect(metadata('migrations/one')).toEqual(['0001.json', '0002.json']);
    expect(metadata('migrations/two')).toEqual(['0001.json', '0002.json', '0003.json']);
    expect(project.files('migrations/one')).toContain('0002_create_orders.sql');
    expect(project.files('migrations/two')).toContain('0002_create_orders.sql'); // same base, so the same change first

    // Merging the first is clean; the second then conflicts on migrations/0002.json, so it cannot be merged.
    git(project.dev, 'fetch', '--quiet', 'origin');
    git(project.dev, 'merge', '--quiet', '--no-ff', '-m', 'Merge one', 'origin/migrations/one');
    const second = spawnSync('git', ['merge', '--no-ff', '-m', 'Merge two', 'origin/migrations/two'], {
      cwd: project.dev,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'Dev',
        GIT_AUTHOR_EMAIL: 'dev@example.com',
        GIT_COMMITTER_NAME: 'Dev',
        GIT_COMMITTER_EMAIL: 'dev@example.com',
      },
    });
    expect(second.status).not.toBe(0);
    expect(second.stdout).toMatch(/CONFLICT \(add\/add\): Merge conflict in migrations\/0002\.json/);
    git(project.dev, 'merge', '--abort');
  });

  it('after the migration pull request merges, the next run replaces the left-over branch with the next migration', async () => {
    expect((await runCreate(project.checkout())).outputs.outcome).toBe('created');
    const leftOver = project.branches()[BRANCH]!;
    // Squash-merged on GitHub: main gets the files in a new commit, the branch stays behind.
    git(project.dev, 'fetch', '--quiet', 'origin');
    git(project.dev, 'fetch', '--quiet', 'origin');
    git(project.dev, 'merge', '--quiet', '--ff-only', 'origin/main');
    git(project.dev, 'merge', '--quiet', '--squash', `origin/${BRANCH}`);
    git(project.dev, 'commit', '--quiet', '-m', 'db-migrate: migration 0001 create_users (#1)');
    git(project.dev, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');
    api.setPullRequestState(1, 'merged');
    project.commit('orders', { 'db/schema.sql': USERS_V2 });

    const run = await runCreate(project.checkout());
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ outcome: 'created', version: '2', 'pr-number': '2' });
    expect(run.log).toMatch(
      /db-migrate\/next-migration \([0-9a-f]{7}\) is left over \(its migration 1 is not newer than the latest one here \(1\)\)/,
    );
    const tip = project.branches()[BRANCH]!;
    expect(tip).not.toBe(leftOver);
    expect(git(project.origin, 'rev-parse', `${tip}^`)).toBe(project.branches().main);
    expect(project.files(BRANCH)).toEqual([
      '.gitkeep',
      '0001.json',
      '0001_create_users.sql',
      '0002.json',
      '0002_create_orders.sql',
    ]);
    const metadata = JSON.parse(git(project.origin, 'show', `${tip}:migrations/0002.json`));
    expect(metadata.base_sha).toBe(
      JSON.parse(readFileSync(join(project.dev, 'migrations/0001.json'), 'utf8')).goal_sha,
    );
    expect(api.pullRequests().map((p) => [p.number, p.state])).toEqual([
      [1, 'closed'],
      [2, 'open'],
    ]);
  });

  it('schema and migrations in two repositories: the branch and the pull request go to the migrations repository', async () => {
    await api.close();
    api = await startGitHubApi({ repositories: ['octo-org/db-schema', 'octo-org/db-migration'] });
    // The project's repository holds the schema; a second one, with its own origin, holds the migrations.
    const migrationsOrigin = join(project.root, 'db-migration.git');
    git(project.root, 'init', '--quiet', '--bare', '--initial-branch=main', migrationsOrigin);
    const seed = join(project.root, 'db-migration-seed');
    git(project.root, 'clone', '--quiet', migrationsOrigin, seed);
    write(seed, 'sql/.gitkeep', '');
    git(seed, 'add', '--all');
    git(seed, 'commit', '--quiet', '-m', 'empty migrations');
    git(seed, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');

    const workspace = join(project.root, 'two-repos');
    mkdirSync(workspace);
    git(workspace, 'clone', '--quiet', project.origin, 'schema');
    git(workspace, 'clone', '--quiet', migrationsOrigin, 'migrations');
    const goal = git(join(workspace, 'schema'), 'rev-parse', 'HEAD');
    const run = await runActionBundle('create', {
      cwd: workspace,
      githubApiUrl: api.url,
      token: api.token,
      repository: 'octo-org/db-schema',
      sha: goal,
      event: pushEvent({ after: goal, repository: 'octo-org/db-schema' }),
      inputs: inputs({
        'schema-repository-path': 'schema',
        'migrations-repository-path': 'migrations',
        'migrations-dir': 'sql',
        'migrations-repository': 'octo-org/db-migration',
      }),
    });

    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({
      outcome: 'created',
      version: '1',
      'pr-url': 'https://github.com/octo-org/db-migration/pull/1',
    });
    expect(git(migrationsOrigin, 'ls-tree', '--name-only', `${BRANCH}:sql`).split('\n')).toEqual([
      '.gitkeep',
      '0001.json',
      '0001_create_users.sql',
    ]);
    expect(JSON.parse(git(migrationsOrigin, 'show', `${BRANCH}:sql/0001.json`)).goal_sha).toBe(goal);
    expect(project.branches()).toEqual({ main: goal }); // nothing pushed to the schema's repository
    expect(api.pullRequests('octo-org/db-schema')).toEqual([]);
    const [pull] = api.pullRequests('octo-org/db-migration');
    expect(pull).toMatchObject({ headLabel: `octo-org:${BRANCH}`, base: 'main', labels: ['db-migrate'] });
    expect(pull!.body).toContain(`(https://github.com/octo-org/db-schema/commit/${goal})`);
    expect(pull!.body).toContain('`sql/0001_create_users.sql`');
  });
});
