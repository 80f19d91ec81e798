import { readFileSync } from 'node:fs';
import { ConfigurationError, errorMessage } from '@db-migrate/core';
import { DEFAULT_GITHUB_API_URL, type RepositoryRef } from './github';

/** The pull request a `pull_request` (or `pull_request_target`) event is about. */
export interface PullRequestContext {
  readonly number: number;
  readonly baseRef: string;
  readonly baseSha: string;
  readonly headRef: string;
  readonly headSha: string;
  /** owner/name of the head's repository: differs from the base's for a fork. */
  readonly headRepository: string | undefined;
}

/** What the runner tells a step about where it runs, read once into plain data. */
export interface GitHubContext extends RepositoryRef {
  readonly eventName: string | undefined;
  /** The commit the workflow runs on (for a pull request, its merge commit). */
  readonly sha: string | undefined;
  /** Full ref, e.g. refs/heads/main or refs/pull/7/merge. */
  readonly ref: string | undefined;
  readonly workspace: string | undefined;
  readonly apiUrl: string;
  readonly serverUrl: string;
  /** From the event payload's repository, when the event carries one (push, pull_request, ...). */
  readonly defaultBranch: string | undefined;
  readonly pullRequest: PullRequestContext | undefined;
}

type Payload = {
  pull_request?: {
    number?: number;
    base?: { ref?: string; sha?: string };
    head?: { ref?: string; sha?: string; repo?: { full_name?: string } | null };
  };
  repository?: { default_branch?: string };
};

/**
 * Reads GITHUB_REPOSITORY, GITHUB_SHA, GITHUB_REF, ... and the event payload at GITHUB_EVENT_PATH.
 * Read when called (not when a module loads), from the environment given, so tests can pass their own.
 */
export function readGitHubContext(env: NodeJS.ProcessEnv = process.env): GitHubContext {
  const repository = env.GITHUB_REPOSITORY ?? '';
  const match = /^([^/\s]+)\/([^/\s]+)$/.exec(repository);
  if (!match) {
    throw new ConfigurationError(
      repository
        ? `GITHUB_REPOSITORY must look like owner/name, got "${repository}"`
        : 'GITHUB_REPOSITORY is not set: this step must run inside GitHub Actions',
    );
  }
  const payload = readEventPayload(env.GITHUB_EVENT_PATH);
  const pr = payload.pull_request;
  let pullRequest: PullRequestContext | undefined;
  if (pr && typeof pr.number === 'number') {
    pullRequest = {
      number: pr.number,
      baseRef: pr.base?.ref ?? env.GITHUB_BASE_REF ?? '',
      baseSha: pr.base?.sha ?? '',
      headRef: pr.head?.ref ?? env.GITHUB_HEAD_REF ?? '',
      headSha: pr.head?.sha ?? '',
      headRepository: pr.head?.repo?.full_name ?? undefined,
    };
  }
  return {
    owner: match[1],
    repo: match[2],
    eventName: env.GITHUB_EVENT_NAME || undefined,
    sha: env.GITHUB_SHA || undefined,
    ref: env.GITHUB_REF || undefined,
    workspace: env.GITHUB_WORKSPACE || undefined,
    apiUrl: env.GITHUB_API_URL || DEFAULT_GITHUB_API_URL,
    serverUrl: (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, ''),
    defaultBranch: payload.repository?.default_branch || undefined,
    pullRequest,
  };
}

/** The web address of a commit, for links in pull-request bodies and summaries. */
export function commitUrl(context: Pick<GitHubContext, 'serverUrl' | 'owner' | 'repo'>, sha: string): string {
  return `${context.serverUrl}/${context.owner}/${context.repo}/commit/${sha}`;
}

function readEventPayload(path: string | undefined): Payload {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigurationError(`cannot read the event payload GITHUB_EVENT_PATH=${path}: ${errorMessage(error)}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    return parsed as Payload;
  } catch (error) {
    throw new ConfigurationError(`the event payload GITHUB_EVENT_PATH=${path} is not valid: ${errorMessage(error)}`);
  }
}
