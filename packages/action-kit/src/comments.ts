import { ConfigurationError } from '@db-migrate/core';
import { callGitHub, fitGitHubBody, GITHUB_BODY_LIMIT, type GitHubClient, type RepositoryRef } from './github';

export interface UpsertCommentOptions extends RepositoryRef {
  /** The pull request (or issue) number. */
  readonly issueNumber: number;
  /** Names this comment among the bot's: e.g. "verify" becomes the hidden `<!-- db-migrate:verify -->`. */
  readonly marker: string;
  /** Markdown; the marker is added in front. */
  readonly body: string;
}

export interface UpsertedComment {
  readonly id: number;
  readonly url: string;
  readonly outcome: 'created' | 'updated' | 'unchanged';
}

/** The hidden first line that identifies one of our comments. */
export function commentMarker(marker: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(marker)) {
    throw new ConfigurationError(`comment marker "${marker}" must be letters, digits, ".", "_" or "-"`);
  }
  return `<!-- db-migrate:${marker} -->`;
}

/**
 * Keeps ONE comment per marker on a pull request (changesets/action's pr-comment): the comment whose
 * body starts with the marker is updated, or created when there is none. Every page of comments is
 * read, so a long discussion never hides ours and makes a duplicate.
 */
export async function upsertComment(github: GitHubClient, options: UpsertCommentOptions): Promise<UpsertedComment> {
  const { owner, repo, issueNumber } = options;
  const marker = commentMarker(options.marker);
  const body = `${marker}\n${fitGitHubBody(options.body, GITHUB_BODY_LIMIT - marker.length - 1)}`;
  const where = `pull request #${issueNumber} in ${owner}/${repo}`;
  const comments = await callGitHub(`reading the comments of ${where}`, 'pull-requests: read', () =>
    github.paginate(github.rest.issues.listComments, { owner, repo, issue_number: issueNumber, per_page: 100 }),
  );
  const existing = comments.find((c) => (c.body ?? '').startsWith(marker));
  if (existing?.body === body) return { id: existing.id, url: existing.html_url, outcome: 'unchanged' };
  if (existing) {
    const { data } = await callGitHub(`updating our comment on ${where}`, 'pull-requests: write', () =>
      github.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body }),
    );
    return { id: data.id, url: data.html_url, outcome: 'updated' };
  }
  const { data } = await callGitHub(`commenting on ${where}`, 'pull-requests: write', () =>
    github.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body }),
  );
  return { id: data.id, url: data.html_url, outcome: 'created' };
}
