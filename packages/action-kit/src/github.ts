import * as core from '@actions/core';
import type { getOctokit } from '@actions/github';
import type BottleneckFull from 'bottleneck';
import { ConfigurationError, redact } from '@db-migrate/core';
import { maskSecret } from './inputs';

/** The Octokit client the helpers take: @actions/github's, with its REST methods and paginate. */
export type GitHubClient = ReturnType<typeof getOctokit>;

export interface RepositoryRef {
  readonly owner: string;
  readonly repo: string;
}

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';

/** GitHub refuses issue, pull-request and comment bodies longer than this many characters. */
export const GITHUB_BODY_LIMIT = 65536;

/** The REST API version every request asks for (GitHub answers with its default one otherwise, which may change). */
const GITHUB_API_VERSION = '2022-11-28';
/** Retries of a request GitHub failed (5xx), refused for rate (429, secondary limits), or that did not reach it. */
const GITHUB_RETRIES = 3;
/** A rate limit that asks to wait longer than this fails the step instead (a primary limit resets hourly). */
const GITHUB_MAX_RETRY_AFTER_S = 120;

export interface GitHubClientOptions {
  readonly token: string;
  /** Defaults to GITHUB_API_URL (set by the runner; GitHub Enterprise Server differs), then api.github.com. */
  readonly apiUrl?: string;
  /** GITHUB_RETRIES unless given. */
  readonly retries?: number;
  /**
   * How many milliseconds one second of waiting lasts (1000 unless given): GitHub's retry-after, the
   * backoff before retrying a 5xx, and the spacing of write requests. Tests pass 0 or a few, so that they
   * wait for the retry itself rather than for the clock.
   */
  readonly secondMs?: number;
}

interface RequestOptions {
  readonly method: string;
  readonly url: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A client for the REST API. The base URL is read when the client is made, not when @actions/github
 * is loaded, so GitHub Enterprise Server and the tests' stand-in are both honoured. Requests carry
 * X-GitHub-Api-Version; a 5xx is retried with backoff (@octokit/plugin-retry), a 429 after its
 * `retry-after`, primary and secondary rate limits through @octokit/plugin-throttling, each at most
 * GITHUB_RETRIES times and never for longer than GITHUB_MAX_RETRY_AFTER_S.
 */
export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  if (!options.token)
    throw new ConfigurationError(
      'input "token" is empty: pass a token that can use the GitHub API (default: github.token)',
    );
  // Required here, not imported: an action that makes no client (apply) never loads Octokit.
  const octokit = require('@actions/github') as typeof import('@actions/github');
  const { retry } = require('@octokit/plugin-retry') as typeof import('@octokit/plugin-retry');
  const { throttling } = require('@octokit/plugin-throttling') as typeof import('@octokit/plugin-throttling');
  // The build of bottleneck the throttling plugin runs on (without the clustering code); typed as the full build.
  const Bottleneck = require('bottleneck/light') as typeof BottleneckFull;
  maskSecret(options.token);
  const baseUrl = (options.apiUrl ?? process.env.GITHUB_API_URL ?? DEFAULT_GITHUB_API_URL).replace(/\/+$/, '');
  const retries = options.retries ?? GITHUB_RETRIES;
  const secondMs = options.secondMs ?? 1000;
  const onLimit =
    (kind: string) => (retryAfter: number, request: RequestOptions, _octokit: unknown, retryCount: number) => {
      const retrying = retryCount < retries && retryAfter <= GITHUB_MAX_RETRY_AFTER_S;
      core.warning(
        `GitHub's ${kind} rate limit on ${request.method} ${new URL(request.url, baseUrl).pathname}: ${retrying ? `retrying in ${retryAfter} s` : `not retrying (it asks to wait ${retryAfter} s)`}`,
      );
      return retrying;
    };
  const github = octokit.getOctokit(
    options.token,
    {
      baseUrl,
      userAgent: 'db-migrate',
      // 429 is left to the retry-after hook below, which waits what GitHub asks rather than a fixed backoff.
      retry: { retries, doNotRetry: [400, 401, 403, 404, 409, 422, 429, 451], retryAfterBaseValue: secondMs },
      throttle: {
        onRateLimit: onLimit('primary'),
        onSecondaryRateLimit: onLimit('secondary'),
        retryAfterBaseValue: secondMs,
        // The plugin spaces writes 1 s apart (3 s for those that notify); a shorter second shortens that too.
        ...(secondMs === 1000
          ? {}
          : {
              write: new Bottleneck.Group({ maxConcurrent: 1, minTime: secondMs }),
              notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: 3 * secondMs }),
            }),
      },
    },
    retry,
    throttling,
  );
  github.hook.before('request', (request) => {
    request.headers['x-github-api-version'] = GITHUB_API_VERSION;
  });
  github.hook.wrap('request', async (send, request) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await send(request);
      } catch (error) {
        const failure = error as { status?: number; response?: { headers?: Record<string, string | undefined> } };
        const after = Number(failure.response?.headers?.['retry-after'] ?? 60);
        if (failure.status !== 429 || attempt >= retries || !(after >= 0 && after <= GITHUB_MAX_RETRY_AFTER_S))
          throw error;
        core.warning(
          `GitHub answered 429 to ${request.method} ${new URL(request.url, baseUrl).pathname}: retrying in ${after} s (retry-after)`,
        );
        await sleep(after * secondMs);
      }
    }
  });
  return github;
}

/**
 * A refused or failed GitHub API call. It is a ConfigurationError because what fixes it lies outside
 * db-migrate (the token, the job's permissions, the repository settings, GitHub being up), and the
 * action reports it as one clear line rather than as a bug.
 */
export class GitHubApiError extends ConfigurationError {
  constructor(
    message: string,
    /** The HTTP status, or undefined when GitHub could not be reached. */
    readonly status: number | undefined,
    /** GitHub's `errors[].message` texts of a 422, e.g. "A pull request already exists for o:b." */
    readonly details: readonly string[] = [],
  ) {
    super(message);
  }
}

interface OctokitFailure {
  status?: number;
  message?: string;
  response?: { data?: unknown; url?: string; headers?: Record<string, unknown> };
  request?: { url?: string };
}

/**
 * Whether GitHub refused for its rate limit, by the fields it documents (never its message's wording): 429,
 * or 403 with no requests left (x-ratelimit-remaining: 0) or a wait asked for (retry-after).
 */
function rateLimited(failure: OctokitFailure): boolean {
  const headers = failure.response?.headers ?? {};
  if (failure.status === 429) return true;
  return (
    failure.status === 403 && (String(headers['x-ratelimit-remaining']) === '0' || headers['retry-after'] !== undefined)
  );
}

/**
 * Runs one API call and turns a failure into a GitHubApiError that says what was being done, what
 * GitHub answered, and what usually fixes it. `permission` names what the job's token needs.
 */
export async function callGitHub<T>(action: string, permission: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const failure = (error ?? {}) as OctokitFailure;
    // Not an answer from the API (no status): a bug of ours, reported as such by runAction.
    if (typeof failure.status !== 'number') throw error;
    const data = (failure.response?.data ?? {}) as { message?: unknown; errors?: unknown };
    const said = typeof data.message === 'string' ? data.message : (failure.message ?? String(error));
    const details = Array.isArray(data.errors)
      ? data.errors.map(
          (e: { message?: string; field?: string; code?: string }) =>
            e.message ?? [e.field, e.code].filter(Boolean).join(' '),
        )
      : [];
    const answer = `GitHub answered ${failure.status} ${said}${details.length ? ': ' + details.join('; ') : ''}`;
    let hint: string;
    switch (rateLimited(failure) ? 'rate-limited' : failure.status) {
      case 'rate-limited':
        hint = 'the API rate limit is used up: re-run the job later';
        break;
      case 401:
        hint =
          'the token was rejected: check the "token" input (an expired or revoked token, or a secret that is not set)';
        break;
      case 403:
        hint = `the token may not do this: give the job \`permissions: ${permission}\`; to open pull requests with GITHUB_TOKEN, also allow "GitHub Actions to create and approve pull requests" in the repository's Settings > Actions`;
        break;
      case 404:
        hint = 'the repository or pull request does not exist, or the token cannot see it';
        break;
      case 422:
        hint = 'GitHub refused the request as invalid';
        break;
      case 500:
        if (!failure.response) {
          // @octokit/request reports a network failure as status 500 without a response.
          const url = failure.request?.url ? new URL(failure.request.url).origin : 'the GitHub API';
          throw new GitHubApiError(redact(`${action}: could not reach ${url}: ${said}`), undefined);
        }
        hint = 'GitHub failed; re-run the job later';
        break;
      default:
        hint = 'GitHub failed; re-run the job later';
    }
    throw new GitHubApiError(redact(`${action}: ${answer} (${hint})`), failure.status, details);
  }
}

/** Cuts a body to what GitHub accepts, saying so at the end, so a long diff never makes the call fail. */
export function fitGitHubBody(body: string, limit = GITHUB_BODY_LIMIT): string {
  if (body.length <= limit) return body;
  const note = "\n\n… (cut to fit GitHub's size limit of " + limit + ' characters)';
  // Room for closing what the cut leaves open: a code fence of any length and <details> blocks.
  const kept = body.slice(0, Math.max(0, limit - note.length - 200));
  let fence: string | undefined;
  for (const line of kept.split('\n')) {
    const run = /^(`{3,})/.exec(line)?.[1];
    if (!run) continue;
    if (fence === undefined) fence = run;
    else if (run.length >= fence.length && line.trim() === run) fence = undefined;
  }
  const openDetails = Math.max(0, (kept.match(/<details>/g) ?? []).length - (kept.match(/<\/details>/g) ?? []).length);
  // Close a code block the cut left open (with a fence as long as its opening one), or the rest renders as code.
  return kept + (fence ? `\n${fence}` : '') + '\n</details>'.repeat(Math.min(openDetails, 10)) + note;
}
