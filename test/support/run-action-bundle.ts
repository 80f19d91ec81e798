import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { scaled } from './time';

/**
 * Runs an action the way the GitHub runner does: `node <runs.main>` from the root action.yml, with
 * INPUT_* variables (action.yml defaults applied, expressions like `${{ github.token }}` evaluated),
 * the GITHUB_* variables, an event payload file, and the GITHUB_OUTPUT / GITHUB_ENV /
 * GITHUB_STEP_SUMMARY files it reads back afterwards. Workflow commands on stdout are parsed.
 */

export type ActionName = 'create' | 'verify' | 'apply';

export interface RunActionOptions {
  /** Inputs by their action.yml names; an undeclared name is a test bug and throws. */
  readonly inputs?: Readonly<Record<string, string>>;
  /** Extra environment (e.g. the secrets a workflow maps into `env:`). */
  readonly env?: Readonly<Record<string, string>>;
  /** The event payload; a `pull_request` key makes the event a pull_request (see pullRequestEvent). */
  readonly event?: object;
  readonly eventName?: string;
  /** GITHUB_WORKSPACE and the working directory; a fresh empty directory when left out. */
  readonly cwd?: string;
  /** The stand-in's URL; by default a closed port, so no test ever reaches the real api.github.com. */
  readonly githubApiUrl?: string;
  /** What `${{ github.token }}` gives. */
  readonly token?: string;
  readonly repository?: string;
  readonly sha?: string;
  readonly ref?: string;
  readonly timeoutMs?: number;
}

export interface WorkflowAnnotation {
  readonly level: 'error' | 'warning' | 'notice';
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
  readonly endLine?: number;
  readonly title?: string;
}

export interface ActionRun {
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout as the runner shows it: annotations as `Error: ...`, debug and mask commands gone, masked values as ***. */
  readonly log: string;
  readonly outputs: Readonly<Record<string, string>>;
  readonly exportedEnv: Readonly<Record<string, string>>;
  readonly summary: string;
  readonly annotations: readonly WorkflowAnnotation[];
  readonly masks: readonly string[];
  /** The run's own directory (workspace, RUNNER_TEMP, command files), removed when the run ends. */
  readonly tempDir: string;
}

const ROOT = resolve(__dirname, '../..');
const UNREACHABLE_API = 'http://127.0.0.1:1';

export async function runActionBundle(action: ActionName, options: RunActionOptions = {}): Promise<ActionRun> {
  const definition = readActionDefinition(action);
  const temp = mkdtempSync(join(tmpdir(), `db-migrate-runner-${action}-`));
  try {
    const workspace = options.cwd ?? join(temp, 'workspace');
    const runnerTemp = join(temp, 'runner-temp');
    for (const dir of options.cwd ? [runnerTemp] : [workspace, runnerTemp]) mkdirSync(dir);
    const files = {
      output: join(temp, 'output'),
      env: join(temp, 'env'),
      path: join(temp, 'path'),
      state: join(temp, 'state'),
      summary: join(temp, 'step_summary'),
      event: join(temp, 'event.json'),
    };
    for (const file of Object.values(files)) writeFileSync(file, '');
    writeFileSync(files.event, JSON.stringify(options.event ?? {}));
    const payload = (options.event ?? {}) as {
      pull_request?: { number?: number; base?: { ref?: string }; head?: { ref?: string } };
    };
    const pr = payload.pull_request;
    const repository = options.repository ?? 'octo-org/octo-repo';
    const ref = options.ref ?? (pr ? `refs/pull/${pr.number}/merge` : 'refs/heads/main');
    const github: Record<string, unknown> = {
      token: options.token ?? 'test-token',
      workspace,
      repository,
      repository_owner: repository.split('/')[0],
      sha: options.sha ?? '0'.repeat(40),
      ref,
      ref_name: ref.replace(/^refs\/(heads|tags)\//, ''),
      event_name: options.eventName ?? (pr ? 'pull_request' : 'push'),
      api_url: options.githubApiUrl ?? UNREACHABLE_API,
      server_url: 'https://github.com',
      event: payload,
    };

    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) {
      // The tests themselves may run inside GitHub Actions: nothing of that job may leak into this step.
      if (value !== undefined && !/^(GITHUB_|INPUT_|RUNNER_|ACTIONS_|STATE_)/.test(key)) env[key] = value;
    }
    Object.assign(env, {
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_ACTION: action,
      GITHUB_ACTOR: 'octocat',
      GITHUB_API_URL: github.api_url,
      GITHUB_SERVER_URL: github.server_url,
      GITHUB_GRAPHQL_URL: `${github.api_url}/graphql`,
      GITHUB_REPOSITORY: repository,
      GITHUB_REPOSITORY_OWNER: github.repository_owner,
      GITHUB_EVENT_NAME: github.event_name,
      GITHUB_EVENT_PATH: files.event,
      GITHUB_SHA: github.sha,
      GITHUB_REF: ref,
      GITHUB_REF_NAME: github.ref_name,
      GITHUB_BASE_REF: pr?.base?.ref ?? '',
      GITHUB_HEAD_REF: pr?.head?.ref ?? '',
      GITHUB_WORKSPACE: workspace,
      GITHUB_WORKFLOW: 'test',
      GITHUB_JOB: 'test',
      GITHUB_RUN_ID: '1',
      GITHUB_RUN_NUMBER: '1',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_OUTPUT: files.output,
      GITHUB_ENV: files.env,
      GITHUB_PATH: files.path,
      GITHUB_STATE: files.state,
      GITHUB_STEP_SUMMARY: files.summary,
      RUNNER_TEMP: runnerTemp,
      RUNNER_OS: 'Linux',
      RUNNER_ARCH: 'X64',
    });
    Object.assign(env, options.env ?? {});
    Object.assign(env, actionInputEnvironment(action, options.inputs ?? {}, github));

    const child = spawn(process.execPath, [definition.main], {
      cwd: workspace,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 5000).unref();
    }, options.timeoutMs ?? scaled(120_000));
    const exitCode = await new Promise<number | null>((done, fail) => {
      child.on('error', fail);
      child.on('close', (code) => done(code));
    }).finally(() => clearTimeout(timer));

    const commands = parseWorkflowCommands(stdout);
    return {
      exitCode,
      timedOut,
      stdout,
      stderr,
      log: commands.log,
      outputs: parseFileCommands(readFileSync(files.output, 'utf8')),
      exportedEnv: parseFileCommands(readFileSync(files.env, 'utf8')),
      summary: readFileSync(files.summary, 'utf8'),
      annotations: commands.annotations,
      masks: commands.masks,
      tempDir: temp,
    };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

interface ActionInput {
  readonly default?: unknown;
}
interface ActionDefinition {
  readonly main: string;
  readonly inputs: Readonly<Record<string, ActionInput | null>>;
}

/** Reads <root>/<action>/action.yml as the runner does: runs.main relative to the file, inputs with defaults. */
export function readActionDefinition(action: ActionName): ActionDefinition {
  const file = join(ROOT, action, 'action.yml');
  // `yaml` is a dependency of action-kit (pnpm does not hoist it to the root, where this file lives).
  const { parse } = createRequire(join(ROOT, 'packages/action-kit/package.json'))('yaml') as {
    parse(text: string): unknown;
  };
  const parsed = parse(readFileSync(file, 'utf8')) as {
    runs?: { using?: string; main?: string };
    inputs?: Record<string, ActionInput | null>;
  };
  if (parsed?.runs?.using !== 'node24' || !parsed.runs.main)
    throw new Error(`${file}: runs must be { using: node24, main: ... }`);
  return { main: resolve(dirname(file), parsed.runs.main), inputs: parsed.inputs ?? {} };
}

/**
 * INPUT_<NAME> the runner's way: name upper-cased, spaces to `_`, `-` kept. Inputs the workflow did
 * not give get the action.yml default, whose `${{ ... }}` expressions are evaluated against `github`.
 */
export function actionInputEnvironment(
  action: ActionName,
  given: Readonly<Record<string, string>>,
  github: Readonly<Record<string, unknown>>,
): Record<string, string> {
  const definition = readActionDefinition(action);
  for (const name of Object.keys(given)) {
    if (!(name in definition.inputs)) throw new Error(`input "${name}" is not declared in ${action}/action.yml`);
  }
  const env: Record<string, string> = {};
  for (const [name, input] of Object.entries(definition.inputs)) {
    const raw = name in given ? given[name] : input?.default;
    if (raw === undefined || raw === null) continue;
    const value =
      name in given ? String(raw) : evaluateExpressions(String(raw), github, `${action}/action.yml input "${name}"`);
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  }
  return env;
}

/** The `${{ github.x }}` / `${{ github.event.a.b }}` subset of GitHub's expressions that defaults need. */
export function evaluateExpressions(text: string, github: Readonly<Record<string, unknown>>, where: string): string {
  return text.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_, expression: string) => {
    const path = expression.split('.');
    if (path[0] !== 'github' || !path.slice(1).every((p) => /^[A-Za-z_][\w-]*$/.test(p))) {
      throw new Error(`${where}: the test runner cannot evaluate \${{ ${expression} }}`);
    }
    let value: unknown = github;
    for (const key of path.slice(1))
      value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    // GitHub turns a missing property into null, which interpolates as ''.
    return value === undefined || value === null
      ? ''
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
  });
}

/** Parses GITHUB_OUTPUT / GITHUB_ENV: `name=value` lines and `name<<DELIMITER` ... `DELIMITER` blocks. */
export function parseFileCommands(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2], i + 1);
      if (end < 0) throw new Error(`unterminated ${heredoc[1]}<<${heredoc[2]} in a file command`);
      values[heredoc[1]] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (line.includes('=')) {
      values[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return values;
}

const unescapeData = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
const unescapeProperty = (s: string) => unescapeData(s.replace(/%3A/g, ':').replace(/%2C/g, ','));

/** Reads `::error file=..,line=..::message`, `::warning`, `::notice` and `::add-mask::` from stdout. */
export function parseWorkflowCommands(stdout: string): {
  annotations: WorkflowAnnotation[];
  masks: string[];
  log: string;
} {
  const annotations: WorkflowAnnotation[] = [];
  const masks: string[] = [];
  const shown: string[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const command = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
    if (command?.[1] === 'add-mask') {
      masks.push(unescapeData(command[3]));
      continue;
    }
    if (command?.[1] === 'debug' || command?.[1] === 'endgroup') continue;
    if (command?.[1] === 'group') {
      shown.push(unescapeData(command[3]));
      continue;
    }
    if (command && (command[1] === 'error' || command[1] === 'warning' || command[1] === 'notice')) {
      const props: Record<string, string> = {};
      for (const pair of (command[2] ?? '').split(',').filter(Boolean)) {
        const at = pair.indexOf('=');
        props[pair.slice(0, at)] = unescapeProperty(pair.slice(at + 1));
      }
      annotations.push({
        level: command[1],
        message: unescapeData(command[3]),
        ...(props.file !== undefined ? { file: props.file } : {}),
        ...(props.line !== undefined ? { line: Number(props.line) } : {}),
        ...(props.endLine !== undefined ? { endLine: Number(props.endLine) } : {}),
        ...(props.title !== undefined ? { title: props.title } : {}),
      });
      shown.push(`${command[1][0].toUpperCase()}${command[1].slice(1)}: ${unescapeData(command[3])}`);
      continue;
    }
    shown.push(line);
  }
  let log = shown.join('\n');
  for (const mask of [...masks].sort((a, b) => b.length - a.length)) if (mask) log = log.split(mask).join('***');
  return { annotations, masks, log };
}

/** The payload the runner writes for a `pull_request` event (the fields actions read). */
export function pullRequestEvent(pr: {
  number: number;
  headRef: string;
  headSha: string;
  baseRef?: string;
  baseSha: string;
  repository?: string;
  defaultBranch?: string;
  action?: string;
}): object {
  const repository = pr.repository ?? 'octo-org/octo-repo';
  const [owner, name] = repository.split('/');
  const repo = { full_name: repository, name, owner: { login: owner }, default_branch: pr.defaultBranch ?? 'main' };
  return {
    action: pr.action ?? 'synchronize',
    number: pr.number,
    pull_request: {
      number: pr.number,
      state: 'open',
      html_url: `https://github.com/${repository}/pull/${pr.number}`,
      base: { ref: pr.baseRef ?? 'main', sha: pr.baseSha, label: `${owner}:${pr.baseRef ?? 'main'}`, repo },
      head: { ref: pr.headRef, sha: pr.headSha, label: `${owner}:${pr.headRef}`, repo },
    },
    repository: repo,
  };
}

/** The payload the runner writes for a `push` event. */
export function pushEvent(push: {
  ref?: string;
  before?: string;
  after: string;
  repository?: string;
  defaultBranch?: string;
}): object {
  const repository = push.repository ?? 'octo-org/octo-repo';
  const [owner, name] = repository.split('/');
  return {
    ref: push.ref ?? 'refs/heads/main',
    before: push.before ?? '0'.repeat(40),
    after: push.after,
    repository: { full_name: repository, name, owner: { login: owner }, default_branch: push.defaultBranch ?? 'main' },
  };
}
