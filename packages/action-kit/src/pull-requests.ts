import { callGitHub, fitGitHubBody, GitHubApiError, type GitHubClient, type RepositoryRef } from './github';

export interface PullRequestInfo {
  readonly number: number;
  /** The page on github.com. */
  readonly url: string;
  readonly title: string;
  readonly body: string;
  readonly state: 'open' | 'closed';
  /** Branch name, without the owner. */
  readonly headRef: string;
  /** owner:branch */
  readonly headLabel: string;
  readonly baseRef: string;
  readonly labels: readonly string[];
  /** The login that opened it, and whether that is a bot account (GITHUB_TOKEN's, an App's). */
  readonly author: string;
  readonly authorIsBot: boolean;
}

export interface FindPullRequestOptions extends RepositoryRef {
  /** Branch name; `owner:` is added when missing, because GitHub silently ignores a bare name. */
  readonly head: string;
  readonly base?: string;
  /** Only a pull request carrying this label counts. */
  readonly label?: string;
}

export interface CreatePullRequestOptions extends RepositoryRef {
  readonly head: string;
  readonly base: string;
  readonly title: string;
  readonly body: string;
  readonly labels?: readonly string[];
}

export interface CreatedPullRequest {
  readonly number: number;
  readonly url: string;
  /** 'already-open': GitHub refused a second one for this head and base (another run won a race); this is that one. */
  readonly outcome: 'created' | 'already-open';
  /** Why the labels could not be added (the token lacks `issues: write`): the pull request exists without them. */
  readonly unlabelled?: string;
}

export interface UpdatePullRequestOptions extends RepositoryRef {
  readonly number: number;
  readonly title?: string;
  readonly body?: string;
}

const PERMISSION = 'pull-requests: write';

/** `owner:branch`, the only form of `head` the list endpoint honours. */
export function headLabel(owner: string, head: string): string {
  return head.includes(':') ? head : `${owner}:${head}`;
}

/** The open pull request from a branch (changesets/action's lookup), optionally only one with a label. */
export async function findOpenPullRequest(
  github: GitHubClient,
  options: FindPullRequestOptions,
): Promise<PullRequestInfo | undefined> {
  const { owner, repo, base, label } = options;
  const head = headLabel(owner, options.head);
  const pulls = await callGitHub(
    `listing open pull requests from ${head} in ${owner}/${repo}`,
    'pull-requests: read',
    () =>
      github.paginate(github.rest.pulls.list, {
        owner,
        repo,
        state: 'open',
        head,
        ...(base ? { base } : {}),
        per_page: 100,
      }),
  );
  const found = pulls
    .map(toInfo)
    // Checked here as well: the API answers every open pull request when it cannot use the filter.
    .filter((p) => p.headLabel === head && (base === undefined || p.baseRef === base))
    .filter((p) => label === undefined || p.labels.includes(label))
    .sort((a, b) => a.number - b.number);
  return found[0];
}

/**
 * Opens a pull request and labels it. When GitHub answers that one is already open for this head
 * and base (another run got there first), returns that one instead of failing: never two.
 */
export async function createPullRequest(
  github: GitHubClient,
  options: CreatePullRequestOptions,
): Promise<CreatedPullRequest> {
  const { owner, repo, head, base, title } = options;
  let created: CreatedPullRequest;
  try {
    const { data } = await callGitHub(
      `opening a pull request from ${head} into ${base} in ${owner}/${repo}`,
      PERMISSION,
      () => github.rest.pulls.create({ owner, repo, head, base, title, body: fitGitHubBody(options.body) }),
    );
    created = { number: data.number, url: data.html_url, outcome: 'created' };
  } catch (error) {
    if (
      !(error instanceof GitHubApiError && error.status === 422 && error.details.some((d) => /already exists/i.test(d)))
    )
      throw error;
    const existing = await findOpenPullRequest(github, { owner, repo, head, base });
    if (!existing) throw error;
    created = { number: existing.number, url: existing.url, outcome: 'already-open' };
  }
  const labels = [...(options.labels ?? [])].filter((l) => l !== '');
  if (labels.length > 0) {
    try {
      await callGitHub(
        `labelling pull request #${created.number} in ${owner}/${repo}`,
        `${PERMISSION}, issues: write`,
        () => github.rest.issues.addLabels({ owner, repo, issue_number: created.number, labels }),
      );
    } catch (error) {
      // Labels are issues: a token with pull-requests: write but not issues: write opens the pull request and
      // cannot label it. The pull request is what matters: say so rather than fail after opening it.
      if (!(error instanceof GitHubApiError && (error.status === 403 || error.status === 404))) throw error;
      return { ...created, unlabelled: error.message };
    }
  }
  return created;
}

/** Changes a pull request's title and/or body (e.g. to show a newer migration). */
export async function updatePullRequest(
  github: GitHubClient,
  options: UpdatePullRequestOptions,
): Promise<PullRequestInfo> {
  const { owner, repo, number, title, body } = options;
  const { data } = await callGitHub(`updating pull request #${number} in ${owner}/${repo}`, PERMISSION, () =>
    github.rest.pulls.update({
      owner,
      repo,
      pull_number: number,
      ...(title !== undefined ? { title } : {}),
      ...(body !== undefined ? { body: fitGitHubBody(body) } : {}),
    }),
  );
  return toInfo(data);
}

interface PullJson {
  number: number;
  html_url: string;
  title: string;
  body?: string | null;
  state: string;
  head: { ref: string; label: string };
  base: { ref: string };
  labels: ReadonlyArray<{ name?: string } | string>;
  user?: { login?: string; type?: string } | null;
}

function toInfo(pull: PullJson): PullRequestInfo {
  return {
    number: pull.number,
    url: pull.html_url,
    title: pull.title,
    body: pull.body ?? '',
    state: pull.state === 'closed' ? 'closed' : 'open',
    headRef: pull.head.ref,
    headLabel: pull.head.label,
    baseRef: pull.base.ref,
    labels: pull.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? ''))).filter((l) => l !== ''),
    author: pull.user?.login ?? '',
    authorIsBot: pull.user?.type === 'Bot' || /\[bot\]$/.test(pull.user?.login ?? ''),
  };
}
