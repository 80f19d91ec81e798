import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError } from '@db-migrate/core';
import { commitUrl, readGitHubContext } from '@db-migrate/action-kit';
import { pullRequestEvent, pushEvent } from '../../../test/support/run-action-bundle';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'action-kit-context-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const eventFile = (payload: unknown) => {
  const file = join(dir, 'event.json');
  writeFileSync(file, typeof payload === 'string' ? payload : JSON.stringify(payload));
  return file;
};

test('a pull_request event: repository, commits and the pull request', () => {
  const context = readGitHubContext({
    GITHUB_REPOSITORY: 'octo-org/octo-repo',
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: eventFile(
      pullRequestEvent({
        number: 7,
        headRef: 'db-migrate/next-migration',
        headSha: 'b'.repeat(40),
        baseSha: 'a'.repeat(40),
        defaultBranch: 'trunk',
      }),
    ),
    GITHUB_SHA: 'c'.repeat(40),
    GITHUB_REF: 'refs/pull/7/merge',
    GITHUB_WORKSPACE: '/w',
  });
  expect(context).toEqual({
    owner: 'octo-org',
    repo: 'octo-repo',
    eventName: 'pull_request',
    sha: 'c'.repeat(40),
    ref: 'refs/pull/7/merge',
    workspace: '/w',
    apiUrl: 'https://api.github.com',
    serverUrl: 'https://github.com',
    defaultBranch: 'trunk',
    pullRequest: {
      number: 7,
      baseRef: 'main',
      baseSha: 'a'.repeat(40),
      headRef: 'db-migrate/next-migration',
      headSha: 'b'.repeat(40),
      headRepository: 'octo-org/octo-repo',
    },
  });
  expect(commitUrl(context, 'abc')).toBe('https://github.com/octo-org/octo-repo/commit/abc');
});

test('a push event on GitHub Enterprise Server has no pull request', () => {
  const context = readGitHubContext({
    GITHUB_REPOSITORY: 'team/schema',
    GITHUB_EVENT_PATH: eventFile(pushEvent({ after: 'd'.repeat(40), repository: 'team/schema' })),
    GITHUB_API_URL: 'https://ghe.example.com/api/v3',
    GITHUB_SERVER_URL: 'https://ghe.example.com/',
  });
  expect(context).toMatchObject({
    owner: 'team',
    repo: 'schema',
    apiUrl: 'https://ghe.example.com/api/v3',
    defaultBranch: 'main',
    pullRequest: undefined,
  });
  expect(commitUrl(context, 'd')).toBe('https://ghe.example.com/team/schema/commit/d');
});

test('outside GitHub Actions, or with a broken event file, a clear configuration error', () => {
  expect(() => readGitHubContext({})).toThrow(
    new ConfigurationError('GITHUB_REPOSITORY is not set: this step must run inside GitHub Actions'),
  );
  expect(() => readGitHubContext({ GITHUB_REPOSITORY: 'no-slash' })).toThrow(
    /must look like owner\/name, got "no-slash"/,
  );
  const broken = eventFile('{"pull_request": ');
  expect(() => readGitHubContext({ GITHUB_REPOSITORY: 'o/r', GITHUB_EVENT_PATH: broken })).toThrow(
    new RegExp(`the event payload GITHUB_EVENT_PATH=${broken} is not valid`),
  );
  expect(() => readGitHubContext({ GITHUB_REPOSITORY: 'o/r', GITHUB_EVENT_PATH: join(dir, 'missing.json') })).toThrow(
    /cannot read the event payload/,
  );
});
