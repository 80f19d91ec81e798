import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small stand-in for the GitHub REST API: the one part of the system the tests cannot reach.
 * It serves the few endpoints the actions use with the shapes, status codes and quirks GitHub
 * documents (e.g. `head` must be `owner:branch` or the filter is silently ignored; 422 on a second
 * open pull request for the same head and base; Link-header pagination), keeps its state in memory
 * and records every request for assertions.
 */

export interface GitHubApiOptions {
  /** The token with write access (default: a random-looking fixed string). */
  readonly token?: string;
  /** A token that may read but not write: writes get GitHub's 403 "Resource not accessible by integration". */
  readonly readOnlyToken?: string;
  /** Repositories that exist, as owner/name; any other answers 404. */
  readonly repositories?: readonly string[];
  /** The login that owns what the token creates (GITHUB_TOKEN's bot by default). */
  readonly botLogin?: string;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly authorization: string | undefined;
  /** The X-GitHub-Api-Version header sent. */
  readonly apiVersion: string | undefined;
  readonly status: number;
}

/** An answer served instead of the real one (failNext): a GitHub outage, a rate limit. */
export interface InjectedAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: object;
}

export interface StoredPullRequest {
  readonly repository: string;
  readonly number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  merged: boolean;
  /** The head as `owner:branch`, as GitHub's head.label. */
  readonly headLabel: string;
  base: string;
  labels: string[];
  readonly user: string;
  readonly createdAt: string;
  updatedAt: string;
}

export interface StoredComment {
  readonly id: number;
  readonly repository: string;
  readonly issueNumber: number;
  body: string;
  readonly user: string;
  readonly createdAt: string;
  updatedAt: string;
}

export interface GitHubApiStandIn {
  /** Base URL to give as GITHUB_API_URL. */
  readonly url: string;
  readonly token: string;
  readonly readOnlyToken: string;
  readonly requests: readonly RecordedRequest[];
  pullRequests(repository?: string): readonly StoredPullRequest[];
  comments(issueNumber: number, repository?: string): readonly StoredComment[];
  /** Opens a pull request as a person would (not through the API, not recorded). */
  openPullRequest(seed: {
    head: string;
    base?: string;
    title?: string;
    body?: string;
    labels?: string[];
    user?: string;
    repository?: string;
  }): StoredPullRequest;
  addComment(issueNumber: number, body: string, options?: { user?: string; repository?: string }): StoredComment;
  /** What a person merging or closing the pull request on github.com does. */
  setPullRequestState(number: number, state: 'merged' | 'closed', repository?: string): void;
  /** The next requests with this method and a path matching `path` get these answers, in order, then the real ones. */
  failNext(method: string, path: RegExp, ...answers: InjectedAnswer[]): void;
  close(): Promise<void>;
}

/** GitHub refuses issue and pull-request bodies longer than this. */
export const GITHUB_BODY_LIMIT = 65536;
const DOCS = 'https://docs.github.com/rest';

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly payload: object,
  ) {
    super(String(status));
  }
}
const notFound = () => new HttpFailure(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
const invalid = (resource: string, errors: object[]) =>
  new HttpFailure(422, {
    message: 'Validation Failed',
    errors: errors.map((e) => ({ resource, ...e })),
    documentation_url: DOCS,
    status: '422',
  });

export async function startGitHubApi(options: GitHubApiOptions = {}): Promise<GitHubApiStandIn> {
  const token = options.token ?? 'ghs_standInToken0123456789';
  const readOnlyToken = options.readOnlyToken ?? 'ghs_standInReadOnly0123456789';
  const repositories = new Set(options.repositories ?? ['octo-org/octo-repo']);
  const defaultRepository = [...repositories][0];
  const bot = options.botLogin ?? 'github-actions[bot]';
  const requests: RecordedRequest[] = [];
  const pulls: StoredPullRequest[] = [];
  const comments: StoredComment[] = [];
  const injected: { method: string; path: RegExp; answer: InjectedAnswer }[] = [];
  let nextCommentId = 1_000_001;
  let baseUrl = '';
  const now = () => new Date().toISOString();
  const nextNumber = (repository: string) => pulls.filter((p) => p.repository === repository).length + 1;

  const labelJson = (name: string) => ({
    id: [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7),
    name,
    color: 'ededed',
    default: false,
  });
  const userJson = (login: string) => ({ login, id: login.length, type: login.endsWith('[bot]') ? 'Bot' : 'User' });
  const pullJson = (p: StoredPullRequest) => {
    const [owner] = p.repository.split('/');
    const headRef = p.headLabel.slice(p.headLabel.indexOf(':') + 1);
    return {
      id: 5_000_000 + p.number,
      number: p.number,
      state: p.state,
      title: p.title,
      body: p.body,
      draft: false,
      url: `${baseUrl}/repos/${p.repository}/pulls/${p.number}`,
      html_url: `https://github.com/${p.repository}/pull/${p.number}`,
      user: userJson(p.user),
      labels: p.labels.map(labelJson),
      head: { label: p.headLabel, ref: headRef, repo: { full_name: p.repository } },
      base: { label: `${owner}:${p.base}`, ref: p.base, repo: { full_name: p.repository } },
      merged: p.merged,
      merged_at: p.merged ? p.updatedAt : null,
      closed_at: p.state === 'closed' ? p.updatedAt : null,
      created_at: p.createdAt,
      updated_at: p.updatedAt,
    };
  };
  const commentJson = (c: StoredComment) => ({
    id: c.id,
    body: c.body,
    user: userJson(c.user),
    author_association: 'NONE',
    url: `${baseUrl}/repos/${c.repository}/issues/comments/${c.id}`,
    html_url: `https://github.com/${c.repository}/pull/${c.issueNumber}#issuecomment-${c.id}`,
    issue_url: `${baseUrl}/repos/${c.repository}/issues/${c.issueNumber}`,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
  });
  const issueJson = (p: StoredPullRequest) => {
    const { number, title, body, state, user, labels, html_url, created_at, updated_at } = pullJson(p);
    return {
      id: 7_000_000 + number,
      number,
      title,
      body,
      state,
      user,
      labels,
      html_url,
      created_at,
      updated_at,
      pull_request: { url: pullJson(p).url, html_url },
    };
  };

  const findPull = (repository: string, number: number) => {
    const pull = pulls.find((p) => p.repository === repository && p.number === number);
    if (!pull) throw notFound();
    return pull;
  };
  const checkBody = (resource: string, body: unknown) => {
    if (typeof body === 'string' && body.length > GITHUB_BODY_LIMIT) {
      throw invalid(resource, [
        { code: 'custom', field: 'body', message: `body is too long (maximum is ${GITHUB_BODY_LIMIT} characters)` },
      ]);
    }
  };

  /** GitHub's page/per_page, with a Link header pointing at the next and last pages. */
  const paginate = <T>(items: T[], query: Record<string, string>, path: string, res: ServerResponse): T[] => {
    const perPage = Math.min(100, Math.max(1, Number(query.per_page) || 30));
    const page = Math.max(1, Number(query.page) || 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    if (page < last) {
      const link = (n: number) => {
        const params = new URLSearchParams({ ...query, per_page: String(perPage), page: String(n) });
        return `<${baseUrl}${path}?${params}>`;
      };
      res.setHeader('link', `${link(page + 1)}; rel="next", ${link(last)}; rel="last"`);
    }
    return items.slice((page - 1) * perPage, page * perPage);
  };

  type Route = (
    m: RegExpMatchArray,
    query: Record<string, string>,
    body: any,
    res: ServerResponse,
  ) => [number, unknown];
  const routes: [string, RegExp, Route][] = [
    [
      'GET',
      /^\/repos\/([^/]+\/[^/]+)\/pulls$/,
      ([, repo], q, _b, res) => {
        const state = q.state ?? 'open';
        // GitHub only honours `head` in the owner:branch form; a bare branch name is silently ignored.
        const head = q.head?.includes(':') ? q.head : undefined;
        const found = pulls
          .filter((p) => p.repository === repo && (state === 'all' || p.state === state))
          .filter((p) => (head === undefined || p.headLabel === head) && (q.base === undefined || p.base === q.base))
          .sort((a, b) => b.number - a.number);
        return [200, paginate(found, q, `/repos/${repo}/pulls`, res).map(pullJson)];
      },
    ],
    [
      'POST',
      /^\/repos\/([^/]+\/[^/]+)\/pulls$/,
      ([, repo], _q, body) => {
        const missing = ['title', 'head', 'base'].filter((f) => typeof body?.[f] !== 'string' || body[f] === '');
        if (missing.length)
          throw invalid(
            'PullRequest',
            missing.map((field) => ({ field, code: 'missing_field' })),
          );
        checkBody('PullRequest', body.body);
        const headLabel = body.head.includes(':') ? body.head : `${repo.split('/')[0]}:${body.head}`;
        if (
          pulls.some(
            (p) => p.repository === repo && p.state === 'open' && p.headLabel === headLabel && p.base === body.base,
          )
        ) {
          throw invalid('PullRequest', [
            { code: 'custom', message: `A pull request already exists for ${headLabel}.` },
          ]);
        }
        const pull: StoredPullRequest = {
          repository: repo,
          number: nextNumber(repo),
          title: body.title,
          body: body.body ?? null,
          state: 'open',
          merged: false,
          headLabel,
          base: body.base,
          labels: [],
          user: bot,
          createdAt: now(),
          updatedAt: now(),
        };
        pulls.push(pull);
        return [201, pullJson(pull)];
      },
    ],
    ['GET', /^\/repos\/([^/]+\/[^/]+)\/pulls\/(\d+)$/, ([, repo, n]) => [200, pullJson(findPull(repo, Number(n)))]],
    [
      'PATCH',
      /^\/repos\/([^/]+\/[^/]+)\/pulls\/(\d+)$/,
      ([, repo, n], _q, body) => {
        const pull = findPull(repo, Number(n));
        checkBody('PullRequest', body?.body);
        if (typeof body?.title === 'string') pull.title = body.title;
        if (typeof body?.body === 'string') pull.body = body.body;
        if (typeof body?.base === 'string') pull.base = body.base;
        if (body?.state === 'open' || body?.state === 'closed') pull.state = body.state;
        pull.updatedAt = now();
        return [200, pullJson(pull)];
      },
    ],
    [
      'GET',
      /^\/repos\/([^/]+\/[^/]+)\/issues$/,
      ([, repo], q, _b, res) => {
        const state = q.state ?? 'open';
        const wanted = (q.labels ?? '')
          .split(',')
          .map((l) => l.trim())
          .filter(Boolean);
        const found = pulls
          .filter((p) => p.repository === repo && (state === 'all' || p.state === state))
          .filter((p) => wanted.every((l) => p.labels.includes(l)))
          .sort((a, b) => b.number - a.number);
        return [200, paginate(found, q, `/repos/${repo}/issues`, res).map(issueJson)];
      },
    ],
    [
      'POST',
      /^\/repos\/([^/]+\/[^/]+)\/issues\/(\d+)\/labels$/,
      ([, repo, n], _q, body) => {
        const pull = findPull(repo, Number(n));
        const names: unknown = Array.isArray(body) ? body : body?.labels;
        if (!Array.isArray(names) || !names.every((l) => typeof l === 'string' && l !== '')) {
          throw invalid('Label', [{ field: 'labels', code: 'invalid' }]);
        }
        for (const name of names) if (!pull.labels.includes(name)) pull.labels.push(name);
        return [200, pull.labels.map(labelJson)];
      },
    ],
    [
      'GET',
      /^\/repos\/([^/]+\/[^/]+)\/issues\/(\d+)\/comments$/,
      ([, repo, n], q, _b, res) => {
        findPull(repo, Number(n));
        const found = comments.filter((c) => c.repository === repo && c.issueNumber === Number(n));
        return [200, paginate(found, q, `/repos/${repo}/issues/${n}/comments`, res).map(commentJson)];
      },
    ],
    [
      'POST',
      /^\/repos\/([^/]+\/[^/]+)\/issues\/(\d+)\/comments$/,
      ([, repo, n], _q, body) => {
        findPull(repo, Number(n));
        if (typeof body?.body !== 'string' || body.body === '')
          throw invalid('IssueComment', [{ field: 'body', code: 'missing_field' }]);
        checkBody('IssueComment', body.body);
        const comment: StoredComment = {
          id: nextCommentId++,
          repository: repo,
          issueNumber: Number(n),
          body: body.body,
          user: bot,
          createdAt: now(),
          updatedAt: now(),
        };
        comments.push(comment);
        return [201, commentJson(comment)];
      },
    ],
    [
      'PATCH',
      /^\/repos\/([^/]+\/[^/]+)\/issues\/comments\/(\d+)$/,
      ([, repo, id], _q, body) => {
        const comment = comments.find((c) => c.repository === repo && c.id === Number(id));
        if (!comment) throw notFound();
        if (typeof body?.body !== 'string' || body.body === '')
          throw invalid('IssueComment', [{ field: 'body', code: 'missing_field' }]);
        checkBody('IssueComment', body.body);
        comment.body = body.body;
        comment.updatedAt = now();
        return [200, commentJson(comment)];
      },
    ],
  ];

  const handle = (req: IncomingMessage, raw: string, res: ServerResponse): [number, unknown] => {
    const url = new URL(req.url ?? '/', baseUrl);
    const authorization = req.headers.authorization;
    const query = Object.fromEntries(url.searchParams);
    let body: unknown;
    const apiVersion = req.headers['x-github-api-version'] as string | undefined;
    const record = (status: number) =>
      requests.push({ method: req.method ?? '', path: url.pathname, query, body, authorization, apiVersion, status });
    const fault = injected.findIndex((f) => f.method === req.method && f.path.test(url.pathname));
    if (fault >= 0) {
      const [{ answer }] = injected.splice(fault, 1);
      record(answer.status);
      for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
      return [
        answer.status,
        answer.body ?? { message: `injected ${answer.status}`, documentation_url: DOCS, status: String(answer.status) },
      ];
    }
    try {
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        throw new HttpFailure(400, { message: 'Problems parsing JSON', documentation_url: DOCS, status: '400' });
      }
      const presented = /^(?:token|bearer)\s+(\S+)$/i.exec(authorization ?? '')?.[1];
      if (presented === undefined)
        throw new HttpFailure(401, { message: 'Requires authentication', documentation_url: DOCS, status: '401' });
      if (presented !== token && presented !== readOnlyToken)
        throw new HttpFailure(401, { message: 'Bad credentials', documentation_url: DOCS, status: '401' });
      for (const [method, pattern, route] of routes) {
        const match = url.pathname.match(pattern);
        if (!match || method !== req.method) continue;
        if (!repositories.has(match[1])) throw notFound();
        if (method !== 'GET' && presented === readOnlyToken) {
          throw new HttpFailure(403, {
            message: 'Resource not accessible by integration',
            documentation_url: DOCS,
            status: '403',
          });
        }
        const [status, payload] = route(match, query, body, res);
        record(status);
        return [status, payload];
      }
      throw notFound();
    } catch (error) {
      if (!(error instanceof HttpFailure)) throw error;
      record(error.status);
      return [error.status, error.payload];
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let status: number;
      let payload: unknown;
      try {
        [status, payload] = handle(req, Buffer.concat(chunks).toString('utf8'), res);
      } catch (error) {
        [status, payload] = [500, { message: `stand-in failure: ${String(error)}` }];
      }
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(payload));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: baseUrl,
    token,
    readOnlyToken,
    requests,
    pullRequests: (repository = defaultRepository) => pulls.filter((p) => p.repository === repository),
    comments: (issueNumber, repository = defaultRepository) =>
      comments.filter((c) => c.repository === repository && c.issueNumber === issueNumber),
    openPullRequest(seed) {
      const repository = seed.repository ?? defaultRepository;
      const pull: StoredPullRequest = {
        repository,
        number: nextNumber(repository),
        title: seed.title ?? `Change ${seed.head}`,
        body: seed.body ?? null,
        state: 'open',
        merged: false,
        headLabel: seed.head.includes(':') ? seed.head : `${repository.split('/')[0]}:${seed.head}`,
        base: seed.base ?? 'main',
        labels: [...(seed.labels ?? [])],
        user: seed.user ?? 'octocat',
        createdAt: now(),
        updatedAt: now(),
      };
      pulls.push(pull);
      return pull;
    },
    addComment(issueNumber, body, { user = 'octocat', repository = defaultRepository } = {}) {
      const comment: StoredComment = {
        id: nextCommentId++,
        repository,
        issueNumber,
        body,
        user,
        createdAt: now(),
        updatedAt: now(),
      };
      comments.push(comment);
      return comment;
    },
    setPullRequestState(number, state, repository = defaultRepository) {
      const pull = findPull(repository, number);
      pull.state = 'closed';
      pull.merged = state === 'merged';
      pull.updatedAt = now();
    },
    failNext(method, path, ...answers) {
      for (const answer of answers) injected.push({ method, path, answer });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
