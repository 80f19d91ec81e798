/**
 * What `db-migrate init` finds out about the user's repository before it writes workflows: where the
 * schema is and how it is built, where the migrations are, how dependencies install, the default branch,
 * and the targets file with its url-env names. Each finding says where it came from; what was given wins.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { ConfigurationError } from '../errors';
import { Git } from '../git';
import { readTargetsFile } from '../fleet/targets';

export interface RepositoryLayout {
  /** Relative to the repository root; '.' for the whole repository. */
  readonly schemaDir: string;
  readonly schemaCommand?: string;
  /** Relative to schemaDir. */
  readonly schemaSql?: readonly string[];
  readonly migrationsDir: string;
  /** The command that installs what the schema build needs, and the runtime it needs set up. */
  readonly install?: { readonly command: string; readonly runtime: 'python' | 'node' };
  readonly runtime?: 'python' | 'node';
  readonly defaultBranch: string;
  readonly targetsFile?: string;
  /** url-env of the production targets (all but the staging group), and of the staging group. */
  readonly productionUrlEnvs: readonly string[];
  readonly stagingUrlEnvs: readonly string[];
  /** The group apply and drift run on, when the targets file has one (prod, production). */
  readonly productionGroup?: string;
  readonly postgresVersion: string;
  /** What was detected and from where, for the user to check. */
  readonly findings: readonly string[];
}

export interface LayoutHints {
  readonly schemaDir?: string;
  readonly schemaCommand?: string;
  readonly schemaSql?: readonly string[];
  readonly migrationsDir?: string;
  readonly install?: string;
  readonly defaultBranch?: string;
  readonly targetsFile?: string;
  readonly postgresVersion?: string;
}

const SKIPPED_DIRS = new Set(['.git', 'node_modules', '.venv', 'venv', '__pycache__', 'dist', 'build', '.tox']);
const MIGRATION_DIRS = ['migrations', 'db/migrations', 'db-migrations', 'sql-migrations', 'db/sql-migrations'];
const TARGETS_FILES = ['db-targets.yml', 'db-targets.yaml', 'targets.yml', '.github/db-targets.yml'];

/** Files under root (relative paths), at most `depth` directories down, skipping virtualenvs and the like. */
function walk(root: string, depth: number, dir = root): string[] {
  const found: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return found;
  }
  for (const name of names.sort()) {
    const path = join(dir, name);
    let stats: ReturnType<typeof statSync>;
    try {
      stats = statSync(path);
    } catch {
      continue;
    }
    if (stats.isDirectory()) {
      if (depth > 0 && !SKIPPED_DIRS.has(name)) found.push(...walk(root, depth - 1, path));
    } else {
      found.push(relative(root, path));
    }
  }
  return found;
}

interface SchemaGuess {
  readonly schemaDir: string;
  readonly schemaCommand?: string;
  readonly schemaSql?: readonly string[];
  readonly runtime?: 'python' | 'node';
  readonly why: string;
}

function guessSchema(root: string, files: readonly string[]): SchemaGuess | undefined {
  if (files.includes('manage.py')) {
    return {
      schemaDir: '.',
      schemaCommand: 'python3 manage.py migrate --no-input -v 0',
      runtime: 'python',
      why: 'manage.py (Django)',
    };
  }
  const createAll = files.find((f) => /(^|\/)create_all\.py$/.test(f));
  if (createAll) {
    const pkg = dirname(createAll);
    if (pkg !== '.' && existsSync(join(root, pkg, '__init__.py'))) {
      const parent = dirname(pkg);
      return {
        schemaDir: parent,
        schemaCommand: `python3 -m ${pkg.split('/').pop()}.create_all`,
        runtime: 'python',
        why: `${createAll} (a package's create_all)`,
      };
    }
    return { schemaDir: pkg, schemaCommand: 'python3 create_all.py', runtime: 'python', why: createAll };
  }
  const drizzle = files.find((f) => /^drizzle\.config\.(ts|js|mjs|cjs)$/.test(f));
  if (drizzle)
    return {
      schemaDir: '.',
      schemaCommand: 'npx drizzle-kit migrate',
      runtime: 'node',
      why: `${drizzle} (drizzle-kit)`,
    };
  for (const sql of ['db/structure.sql', 'db/schema.sql', 'schema.sql', 'schema/schema.sql', 'sql/schema.sql']) {
    if (files.includes(sql)) return { schemaDir: dirname(sql), schemaSql: [sql.split('/').pop()!], why: sql };
  }
  return undefined;
}

function dbconfigDir(root: string): string | undefined {
  const path = join(root, 'dbconfig.yml');
  if (!existsSync(path)) return undefined;
  const match = /^\s+dir:\s*["']?([^"'\s#]+)/m.exec(readFileSync(path, 'utf8'));
  return match?.[1]?.replace(/^\.\//, '').replace(/\/+$/, '');
}

function guessInstall(
  root: string,
  schemaDir: string,
  runtime: 'python' | 'node' | undefined,
): { command: string; runtime: 'python' | 'node'; why: string } | undefined {
  // The schema directory's own file, else the nearest one above it.
  const dirs: string[] = [];
  for (let dir = schemaDir; ; dir = dirname(dir)) {
    dirs.push(dir);
    if (dir === '.' || dir === '/' || dir === '') break;
  }
  const inSchema = (name: string) =>
    dirs.map((d) => (d === '.' ? name : join(d, name))).find((p) => existsSync(join(root, p)));
  if (runtime !== 'node') {
    const requirements = inSchema('requirements.txt');
    if (requirements) return { command: `pip install -r ${requirements}`, runtime: 'python', why: requirements };
    const pyproject = inSchema('pyproject.toml');
    if (pyproject)
      return {
        command: `pip install ./${dirname(pyproject) === '.' ? '' : dirname(pyproject)}`.replace(/\/$/, ''),
        runtime: 'python',
        why: pyproject,
      };
  }
  if (runtime !== 'python') {
    if (existsSync(join(root, 'pnpm-lock.yaml')))
      return { command: 'corepack enable && pnpm install --frozen-lockfile', runtime: 'node', why: 'pnpm-lock.yaml' };
    if (existsSync(join(root, 'package-lock.json')))
      return { command: 'npm ci', runtime: 'node', why: 'package-lock.json' };
    if (existsSync(join(root, 'yarn.lock')))
      return { command: 'yarn install --frozen-lockfile', runtime: 'node', why: 'yarn.lock' };
  }
  return undefined;
}

async function defaultBranch(git: Git): Promise<{ branch: string; why: string }> {
  const remote = await git.exec(['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD'], {
    allowFailure: true,
  });
  if (remote.exitCode === 0 && remote.stdout.trim())
    return { branch: remote.stdout.trim().replace(/^origin\//, ''), why: "origin's HEAD" };
  const current = await git.currentBranch();
  if (current) return { branch: current, why: 'the current branch (no origin/HEAD)' };
  return { branch: 'main', why: 'a guess (no branch checked out)' };
}

/** Detects the layout of the repository at repoDir; hints given win over what is found. */
export async function detectLayout(repoDir: string, hints: LayoutHints = {}): Promise<RepositoryLayout> {
  const git = await Git.open(repoDir);
  const root = git.repoDir;
  const files = walk(root, 4);
  const findings: string[] = [];

  let schema: SchemaGuess | undefined;
  if (hints.schemaDir !== undefined) {
    if (!hints.schemaCommand && !hints.schemaSql?.length)
      throw new ConfigurationError(
        'a schema directory needs a schema command or schema SQL files: how the schema is built into an empty database',
        {
          option: 'schemaDir',
          remedies: [
            { kind: 'option', option: 'schemaCommand' },
            { kind: 'option', option: 'schemaSql' },
          ],
        },
      );
    schema = {
      schemaDir: hints.schemaDir,
      schemaCommand: hints.schemaCommand,
      schemaSql: hints.schemaSql,
      runtime: hints.schemaCommand?.startsWith('python')
        ? 'python'
        : hints.schemaCommand?.startsWith('npx')
          ? 'node'
          : undefined,
      why: 'given',
    };
  } else {
    schema = guessSchema(root, files);
    if (!schema) {
      throw new ConfigurationError(
        `found no schema build in ${root} (no manage.py, create_all.py, drizzle.config.*, or schema.sql/structure.sql): ` +
          'name the schema directory and the command that builds the schema into $DATABASE_URL (or its SQL files)',
        {
          remedies: [
            { kind: 'option', option: 'schemaDir', value: '<dir>' },
            { kind: 'option', option: 'schemaCommand', value: '"<builds the schema into $DATABASE_URL>"' },
            { kind: 'option', option: 'schemaSql', value: '<files>' },
          ],
        },
      );
    }
  }
  const schemaDir = schema.schemaDir.replace(/^\.\/+/, '').replace(/\/+$/, '') || '.';
  findings.push(
    `schema: ${schemaDir}, ${schema.schemaCommand ? `command ${schema.schemaCommand}` : `SQL ${schema.schemaSql!.join(', ')}`} (from ${schema.why})`,
  );

  const fromConfig = dbconfigDir(root);
  const existingDir = MIGRATION_DIRS.find((d) => existsSync(join(root, d)));
  const migrationsDir = hints.migrationsDir ?? fromConfig ?? existingDir ?? 'migrations';
  findings.push(
    `migrations: ${migrationsDir} (${hints.migrationsDir ? 'given' : fromConfig ? "sql-migrate's dbconfig.yml" : existingDir ? 'found' : 'default; created'})`,
  );

  const installGuess = hints.install
    ? { command: hints.install, runtime: schema.runtime ?? 'python', why: 'given' }
    : guessInstall(root, schemaDir, schema.runtime);
  if (installGuess) findings.push(`dependencies: ${installGuess.command} (from ${installGuess.why})`);
  else findings.push('dependencies: none found (give the install command if the schema build needs packages)');

  const branch = hints.defaultBranch ? { branch: hints.defaultBranch, why: 'given' } : await defaultBranch(git);
  findings.push(`default branch: ${branch.branch} (${branch.why})`);

  const targetsFile = hints.targetsFile ?? TARGETS_FILES.find((f) => existsSync(join(root, f)));
  let productionUrlEnvs: string[] = [];
  let stagingUrlEnvs: string[] = [];
  let productionGroup: string | undefined;
  if (targetsFile) {
    const specs = await readTargetsFile(join(root, targetsFile));
    const groups = new Set(specs.flatMap((s) => s.groups));
    productionGroup = ['prod', 'production'].find((g) => groups.has(g));
    const staging = specs.filter((s) => s.groups.includes('staging'));
    const production = productionGroup
      ? specs.filter((s) => s.groups.includes(productionGroup!))
      : specs.filter((s) => !s.groups.includes('staging'));
    productionUrlEnvs = production.map((s) => s.urlEnv!).filter(Boolean);
    stagingUrlEnvs = staging.map((s) => s.urlEnv!).filter(Boolean);
    findings.push(
      `targets: ${targetsFile}, ${production.length} production (${productionGroup ? `group ${productionGroup}` : 'every entry not in group staging'}), ${staging.length} staging`,
    );
  } else {
    findings.push('targets: no db-targets.yml found; a starter file is written');
  }
  return {
    schemaDir,
    ...(schema.schemaCommand ? { schemaCommand: schema.schemaCommand } : {}),
    ...(schema.schemaSql ? { schemaSql: schema.schemaSql } : {}),
    migrationsDir,
    ...(installGuess ? { install: { command: installGuess.command, runtime: installGuess.runtime } } : {}),
    ...(schema.runtime ? { runtime: schema.runtime } : {}),
    defaultBranch: branch.branch,
    ...(targetsFile ? { targetsFile } : {}),
    productionUrlEnvs,
    stagingUrlEnvs,
    ...(productionGroup ? { productionGroup } : {}),
    postgresVersion: hints.postgresVersion ?? '15',
    findings,
  };
}
