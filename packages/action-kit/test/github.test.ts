import { ConfigurationError } from '@db-migrate/core';
import {
  commentMarker,
  createGitHubClient,
  createPullRequest,
  findOpenPullRequest,
  GitHubApiError,
  updatePullRequest,
  upsertComment,
  GITHUB_BODY_LIMIT,
  fitGitHubBody,
} from '@db-migrate/action-kit';
import { startGitHubApi, type GitHubApiStandIn } from '../../../test/support/github-api';

const repository = { owner: 'octo-org', repo: 'octo-repo' };
const branch = 'db-migrate/next-migration';

let api: GitHubApiStandIn;
beforeEach(async () => {
  api = await startGitHubApi();
});
afterEach(() => api.close());

// secondMs: GitHub's waits (retry-after, backoff, write spacing) last 1 ms a second here, so tests wait for the retries, not the clock.
const client = (token = api.token) => createGitHubClient({ token, apiUrl: api.url, secondMs: 1 });
const failureOf = async (promise: Promise<unknown>): Promise<GitHubApiError> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GitHubApiError);
  expect(error).toBeInstanceOf(ConfigurationError);
  return error as GitHubApiError;
};

describe('pull requests', () => {
  test('none open, then one created and labelled, then found', async () => {
    const github = client();
    // Someone else's pull requests into main, from other branches, must not be taken for ours.
    api.openPullRequest({ head: 'feature/a', base: 'main' });
    expect(
      await findOpenPullRequest(github, { ...repository, head: branch, base: 'main', label: 'db-migrate' }),
    ).toBeUndefined();

    const created = await createPullRequest(github, {
      ...repository,
      head: branch,
      base: 'main',
      title: 'Migration 0002',
      body: '```sql\nselect 1;\n```',
      labels: ['db-migrate'],
    });
    expect(created).toEqual({ number: 2, url: 'https://github.com/octo-org/octo-repo/pull/2', outcome: 'created' });
    expect(api.pullRequests()[1]).toMatchObject({
      headLabel: `octo-org:${branch}`,
      base: 'main',
      labels: ['db-migrate'],
      state: 'open',
    });

    const found = await findOpenPullRequest(github, { ...repository, head: branch, base: 'main', label: 'db-migrate' });
    expect(found).toMatchObject({
      number: 2,
      headRef: branch,
      baseRef: 'main',
      labels: ['db-migrate'],
      title: 'Migration 0002',
      url: created.url,
    });

    // The list call used GitHub's only working head form, owner:branch, and sent the token.
    const list = api.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/pulls'));
    expect(list.length).toBe(2);
    for (const r of list) {
      expect(r.query).toMatchObject({ state: 'open', head: `octo-org:${branch}`, base: 'main' });
      expect(r.authorization).toBe(`token ${api.token}`);
    }
  });

  test('the label is required when asked for, and closed or merged pull requests do not count', async () => {
    const github = client();
    const unlabelled = api.openPullRequest({ head: branch, base: 'main' });
    expect(
      await findOpenPullRequest(github, { ...repository, head: branch, base: 'main', label: 'db-migrate' }),
    ).toBeUndefined();
    expect((await findOpenPullRequest(github, { ...repository, head: branch, base: 'main' }))?.number).toBe(
      unlabelled.number,
    );

    api.setPullRequestState(unlabelled.number, 'merged');
    expect(await findOpenPullRequest(github, { ...repository, head: branch, base: 'main' })).toBeUndefined();
    const next = await createPullRequest(github, { ...repository, head: branch, base: 'main', title: 't', body: 'b' });
    expect(next).toMatchObject({ number: unlabelled.number + 1, outcome: 'created' });
  });

  test('a second create for an open head and base gets GitHub 422 and answers the open one, labelled', async () => {
    const github = client();
    // Another run won the race: its pull request is open, without our label yet.
    const winner = api.openPullRequest({ head: branch, base: 'main', user: 'github-actions[bot]' });
    const result = await createPullRequest(github, {
      ...repository,
      head: branch,
      base: 'main',
      title: 't',
      body: 'b',
      labels: ['db-migrate'],
    });

    expect(result).toEqual({
      number: winner.number,
      url: `https://github.com/octo-org/octo-repo/pull/${winner.number}`,
      outcome: 'already-open',
    });
    expect(api.pullRequests()).toHaveLength(1);
    expect(api.pullRequests()[0].labels).toEqual(['db-migrate']);
    expect(api.requests.find((r) => r.method === 'POST' && r.path.endsWith('/pulls'))?.status).toBe(422);
  });

  test('other 422s fail with what GitHub said', async () => {
    const error = await failureOf(
      createPullRequest(client(), { ...repository, head: branch, base: 'main', title: '', body: 'b' }),
    );
    expect(error.status).toBe(422);
    expect(error.message).toMatch(
      /^opening a pull request from db-migrate\/next-migration into main in octo-org\/octo-repo: GitHub answered 422 Validation Failed: title missing_field/,
    );
  });

  test("a body over GitHub's limit is cut to fit, with a closed code block and a note", async () => {
    const github = client();
    const sql = '```sql\n' + 'alter table t add column c int;\n'.repeat(4000) + '```\n';
    expect(sql.length).toBeGreaterThan(GITHUB_BODY_LIMIT);
    const { number } = await createPullRequest(github, {
      ...repository,
      head: branch,
      base: 'main',
      title: 't',
      body: sql,
    });
    const body = api.pullRequests()[0].body ?? '';
    expect(body.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    expect(body).toMatch(/\n```\n\n… \(cut to fit GitHub's size limit of 65536 characters\)$/);

    const updated = await updatePullRequest(github, { ...repository, number, title: 'Migration 0003', body: 'short' });
    expect(updated).toMatchObject({ number, title: 'Migration 0003', body: 'short', state: 'open' });
  });
});

describe('fitGitHubBody', () => {
  test('closes a longer fence and open <details> blocks the cut leaves open', () => {
    const body =
      'intro\n<details><summary>Down</summary>\n\n````sql\n' + 'select 1; -- ```\n'.repeat(500) + '````\n</details>\n';
    const fitted = fitGitHubBody(body, 2000);
    expect(fitted.length).toBeLessThanOrEqual(2000);
    expect(fitted).toMatch(/\n````\n<\/details>\n\n… \(cut to fit GitHub's size limit of 2000 characters\)$/);
  });

  test('adds no fence when the cut falls outside a code block', () => {
    const body = '```sql\nselect 1;\n```\n' + 'words '.repeat(1000);
    expect(fitGitHubBody(body, 500)).toMatch(/^```sql\nselect 1;\n```\n(words )+\S*\n\n… \(cut to fit/);
  });
});

describe('one comment per marker', () => {
  test('created once, then updated in place, never duplicated, even past the first page of comments', async () => {
    const github = client();
    const pr = api.openPullRequest({ head: 'feature/x', base: 'main' });
    const options = { ...repository, issueNumber: pr.number, marker: 'verify' };

    // A long review discussion comes first, so our comment lands beyond the first page of 100.
    for (let i = 0; i < 120; i++) api.addComment(pr.number, `review comment ${i}`);
    const first = await upsertComment(github, { ...options, body: 'verify: **failed**' });
    expect(first.outcome).toBe('created');
    api.addComment(pr.number, 'someone mentions <!-- db-migrate:verify --> later in a comment');

    const second = await upsertComment(github, { ...options, body: 'verify: **passed**' });
    expect(second).toMatchObject({ id: first.id, outcome: 'updated' });
    const third = await upsertComment(github, { ...options, body: 'verify: **passed**' });
    expect(third).toMatchObject({ id: first.id, outcome: 'unchanged' });

    const ours = api.comments(pr.number).filter((c) => c.body.startsWith(commentMarker('verify')));
    expect(ours).toHaveLength(1);
    expect(ours[0].body).toBe('<!-- db-migrate:verify -->\nverify: **passed**');
    expect(api.comments(pr.number)).toHaveLength(122);
    // The second page was read through GitHub's Link header.
    expect(api.requests.some((r) => r.path.endsWith(`/issues/${pr.number}/comments`) && r.query.page === '2')).toBe(
      true,
    );

    // Another marker is another comment.
    const create = await upsertComment(github, { ...options, marker: 'create', body: 'x' });
    expect(create.outcome).toBe('created');
    expect(api.comments(pr.number)).toHaveLength(123);
  });

  test('a marker that could break the HTML comment is refused', () => {
    expect(() => commentMarker('a -->b')).toThrow(ConfigurationError);
  });
});

describe('clear failures', () => {
  test('a bad token: 401, named, and the token is not printed', async () => {
    const error = await failureOf(findOpenPullRequest(client('ghp_wrongToken123'), { ...repository, head: branch }));
    expect(error.status).toBe(401);
    expect(error.message).toContain('GitHub answered 401 Bad credentials');
    expect(error.message).toContain('check the "token" input');
    expect(error.message).not.toContain('ghp_wrongToken123');
  });

  test('a token without write permission: 403 says which permission to grant', async () => {
    const error = await failureOf(
      createPullRequest(client(api.readOnlyToken), {
        ...repository,
        head: branch,
        base: 'main',
        title: 't',
        body: 'b',
      }),
    );
    expect(error.status).toBe(403);
    expect(error.message).toContain('Resource not accessible by integration');
    expect(error.message).toContain('permissions: pull-requests: write');
    expect(api.pullRequests()).toHaveLength(0);
  });

  test('an unknown repository: 404 names it', async () => {
    const error = await failureOf(findOpenPullRequest(client(), { owner: 'octo-org', repo: 'missing', head: branch }));
    expect(error.status).toBe(404);
    expect(error.message).toMatch(/in octo-org\/missing: GitHub answered 404 Not Found .*cannot see it/);
  });

  test('an unreachable API names its address', async () => {
    const github = createGitHubClient({ token: 'x-token', apiUrl: 'http://127.0.0.1:1', retries: 0 });
    const error = await failureOf(findOpenPullRequest(github, { ...repository, head: branch }));
    expect(error.status).toBeUndefined();
    expect(error.message).toMatch(/^listing open pull requests .*: could not reach http:\/\/127\.0\.0\.1:1: /);
  });

  test('an empty token is a configuration error before any request', () => {
    expect(() => createGitHubClient({ token: '', apiUrl: api.url })).toThrow(/input "token" is empty/);
  });
});

describe('resilience against a flaky or busy API', () => {
  const warnings: string[] = [];
  let write: jest.SpyInstance;
  beforeEach(() => {
    warnings.length = 0;
    // core.warning writes a workflow command to stdout.
    write = jest
      .spyOn(process.stdout, 'write')
      .mockImplementation((chunk: string | Uint8Array) => (warnings.push(String(chunk)), true));
  });
  afterEach(() => write.mockRestore());

  test('every request names the REST API version', async () => {
    await findOpenPullRequest(client(), { ...repository, head: branch });
    expect(api.requests.length).toBeGreaterThan(0);
    for (const r of api.requests) expect(r.apiVersion).toBe('2022-11-28');
  });

  test('a 502 then success: retried, and the pull request is opened once', async () => {
    api.failNext('POST', /\/pulls$/, { status: 502, body: { message: 'Server Error' } });
    const created = await createPullRequest(client(), {
      ...repository,
      head: branch,
      base: 'main',
      title: 't',
      body: 'b',
    });
    expect(created.outcome).toBe('created');
    expect(api.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/pulls')).map((r) => r.status)).toEqual([
      502, 201,
    ]);
    expect(api.pullRequests()).toHaveLength(1);
  });

  test('a 429 with retry-after: waits what GitHub asks, then goes on', async () => {
    api.failNext('GET', /\/pulls$/, {
      status: 429,
      headers: { 'retry-after': '1' },
      body: { message: 'Too Many Requests' },
    });
    expect(await findOpenPullRequest(client(), { ...repository, head: branch })).toBeUndefined();
    expect(api.requests.map((r) => r.status)).toEqual([429, 200]);
    expect(warnings.join('')).toMatch(
      /::warning::GitHub answered 429 to GET \/repos\/octo-org\/octo-repo\/pulls: retrying in 1 s \(retry-after\)/,
    );
  });

  test('a secondary rate limit (403) with retry-after: retried through the throttling plugin', async () => {
    api.failNext('GET', /\/pulls$/, {
      status: 403,
      headers: { 'retry-after': '1' },
      body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' },
    });
    expect(await findOpenPullRequest(client(), { ...repository, head: branch })).toBeUndefined();
    expect(api.requests.map((r) => r.status)).toEqual([403, 200]);
    expect(warnings.join('')).toContain(
      "GitHub's secondary rate limit on GET /repos/octo-org/octo-repo/pulls: retrying in 1 s",
    );
  });

  test('a rate limit asking for a long wait fails at once with the rate-limit hint', async () => {
    api.failNext('GET', /\/pulls$/, {
      status: 429,
      headers: { 'retry-after': '3600' },
      body: { message: 'Too Many Requests' },
    });
    const error = await failureOf(findOpenPullRequest(client(), { ...repository, head: branch }));
    expect(error.status).toBe(429);
    expect(error.message).toMatch(/\(the API rate limit is used up: re-run the job later\)$/);
    expect(api.requests.map((r) => r.status)).toEqual([429]);
  });

  test('a primary rate limit (403, no requests left) is told by its header, not its words', async () => {
    api.failNext('GET', /\/pulls$/, {
      status: 403,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600) },
      body: { message: 'Forbidden' },
    });
    const error = await failureOf(findOpenPullRequest(client(), { ...repository, head: branch }));
    expect(error.status).toBe(403);
    expect(error.message).toMatch(/\(the API rate limit is used up: re-run the job later\)$/);
  });

  test('a 5xx that persists fails after the retries with the outage hint', async () => {
    const outage = { status: 503, body: { message: 'Service Unavailable' } };
    api.failNext('GET', /\/pulls$/, outage, outage);
    const error = await failureOf(
      findOpenPullRequest(createGitHubClient({ token: api.token, apiUrl: api.url, retries: 1, secondMs: 1 }), {
        ...repository,
        head: branch,
      }),
    );
    expect(error.status).toBe(503);
    expect(error.message).toMatch(/GitHub answered 503 Service Unavailable \(GitHub failed; re-run the job later\)$/);
    expect(api.requests.map((r) => r.status)).toEqual([503, 503]);
  });
});
