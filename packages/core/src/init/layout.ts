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
  /** What init could not detect: each is written as a TODO where the workflows need it, and said on stdout. */
  readonly todos: readonly LayoutTodo[];
}

export interface LayoutTodo {
  readonly about: 'schema' | 'dependencies' | 'branch';
  readonly text: string;
}

/**
 * The schema build written when none was found: it fails the job, saying what to set, rather than
 * build a wrong (empty) schema that every migration would then be measured against.
 */
export const SCHEMA_TODO_COMMAND =
  "echo 'db-migrate init found no schema build: set schema-dir and schema-command (or schema-sql) in this workflow' >&2; exit 1";

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

/** How deep a path lies: a build found nearer the root wins over one deeper in (a monorepo's fixtures, vendored code). */
const depthOf = (path: string) => (path === '.' ? 0 : path.split('/').length);
const shallowest = (paths: readonly string[]) =>
  [...paths].sort((a, b) => depthOf(a) - depthOf(b) || a.localeCompare(b))[0];
const read = (root: string, path: string) => {
  try {
    return readFileSync(join(root, path), 'utf8');
  } catch {
    return '';
  }
};

/** Django: manage.py (the shallowest one, e.g. backend/manage.py in a monorepo) builds the schema with migrate. */
function django(files: readonly string[]): SchemaGuess | undefined {
  const manage = shallowest(files.filter((f) => /(^|\/)manage\.py$/.test(f)));
  if (!manage) return undefined;
  return {
    schemaDir: dirname(manage),
    schemaCommand: 'python3 manage.py migrate --no-input -v 0',
    runtime: 'python',
    why: `${manage} (Django)`,
  };
}

/** A create_all.py script (or a package's create_all module). */
function createAll(root: string, files: readonly string[]): SchemaGuess | undefined {
  const script = shallowest(files.filter((f) => /(^|\/)create_all\.py$/.test(f)));
  if (!script) return undefined;
  const pkg = dirname(script);
  if (pkg !== '.' && existsSync(join(root, pkg, '__init__.py'))) {
    return {
      schemaDir: dirname(pkg),
      schemaCommand: `python3 -m ${pkg.split('/').pop()}.create_all`,
      runtime: 'python',
      why: `${script} (a package's create_all)`,
    };
  }
  return { schemaDir: pkg, schemaCommand: 'python3 create_all.py', runtime: 'python', why: script };
}

/**
 * Alembic: its env.py names the models' metadata (`target_metadata = Base.metadata`) and imports it
 * (`from app.db.models import Base`). The build imports the same module and creates that metadata, so it
 * sees what Alembic's autogenerate sees; it runs from the directory the module is importable from.
 */
function alembic(root: string, files: readonly string[]): SchemaGuess | undefined {
  for (const env of files.filter((f) => /(^|\/)env\.py$/.test(f)).sort((a, b) => depthOf(a) - depthOf(b))) {
    const text = read(root, env);
    if (!/\balembic\b/.test(text)) continue;
    const target = /^target_metadata\s*=\s*([A-Za-z_][\w.]*)\s*$/m.exec(text)?.[1];
    if (!target) continue;
    const head = target.split('.')[0];
    // `from app.db.models import Base` (Base.metadata), or `from app.db import models` (models.Base.metadata).
    const imports = [...text.matchAll(/^from\s+([\w.]+)\s+import\s+\(?([^)#\n]+)/gm)].map((m) => ({
      module: m[1],
      // [imported name, local name]
      names: m[2].split(',').map((n) => {
        const [name = '', local] = n.trim().split(/\s+as\s+/);
        return [name, local ?? name] as const;
      }),
    }));
    const found = imports.find((i) => i.names.some(([, local]) => local === head));
    if (!found) continue;
    const module = found.module;
    const name = found.names.find(([, local]) => local === head)![0];
    const modulePath = module.replace(/\./g, '/');
    // The directory the module is importable from: the repository root, src/, or a directory above env.py.
    const bases = ['.', 'src'];
    for (let dir = dirname(env); dir !== '.' && dir !== ''; dir = dirname(dir)) bases.push(dir);
    const base = bases.find(
      (b) =>
        files.includes(join(b, `${modulePath}.py`)) ||
        files.includes(join(b, modulePath, '__init__.py')) ||
        files.some((f) => f.startsWith(`${join(b, modulePath)}/`)),
    );
    if (base === undefined) continue;
    const metadata = [name, ...target.split('.').slice(1)].join('.');
    return {
      schemaDir: base,
      schemaCommand: `python3 -c "import os, sqlalchemy; from ${module} import ${name}; ${metadata}.create_all(sqlalchemy.create_engine(os.environ['DATABASE_URL']))"`,
      runtime: 'python',
      why: `${env} (Alembic: target_metadata = ${target}, from ${module})`,
    };
  }
  return undefined;
}

/** Prisma's schema.prisma: prisma db push builds it into DATABASE_URL (its datasource reads env("DATABASE_URL")). */
function prisma(root: string, files: readonly string[]): SchemaGuess | undefined {
  const schema = shallowest(files.filter((f) => /(^|\/)schema\.prisma$/.test(f)));
  if (!schema || !/env\(\s*"DATABASE_URL"\s*\)/.test(read(root, schema))) return undefined;
  const project = dirname(schema).replace(/(^|\/)prisma$/, '') || '.';
  const relativeSchema = relative(project, schema);
  return {
    schemaDir: project,
    // Prisma's own arguments, one per element.
    schemaCommand: ['npx', 'prisma', 'db', 'push', '--skip-generate', '--schema', relativeSchema].join(' '),
    runtime: 'node',
    why: `${schema} (Prisma)`,
  };
}

function drizzle(files: readonly string[]): SchemaGuess | undefined {
  const config = shallowest(files.filter((f) => /(^|\/)drizzle\.config\.(ts|js|mjs|cjs)$/.test(f)));
  if (!config) return undefined;
  return {
    schemaDir: dirname(config),
    schemaCommand: 'npx drizzle-kit migrate',
    runtime: 'node',
    why: `${config} (drizzle-kit)`,
  };
}

/** A package.json script whose name says it builds the schema (db:schema, schema:build, db:setup...). */
function packageScript(root: string, files: readonly string[]): SchemaGuess | undefined {
  const names = [/^(db|database):(schema|setup|build|create|push|migrate)$/, /^schema(:(build|load|create))?$/];
  for (const manifest of files.filter((f) => /(^|\/)package\.json$/.test(f)).sort((a, b) => depthOf(a) - depthOf(b))) {
    let scripts: Record<string, string> = {};
    try {
      scripts = (JSON.parse(read(root, manifest)) as { scripts?: Record<string, string> }).scripts ?? {};
    } catch {
      continue;
    }
    for (const pattern of names) {
      const script = Object.keys(scripts).find((name) => pattern.test(name));
      if (script)
        return {
          schemaDir: dirname(manifest),
          schemaCommand: `npm run --silent ${script}`,
          runtime: 'node',
          why: `${manifest} (script ${script}: ${scripts[script]})`,
        };
    }
  }
  return undefined;
}

/**
 * Plain SQL: one schema file (schema.sql, structure.sql, at any depth), else a directory of SQL files
 * meant to run in name order (sql/, schema/, db/schema/...), which is not a migrations directory.
 */
function plainSql(files: readonly string[], migrationsDirs: readonly string[]): SchemaGuess | undefined {
  const file = shallowest(files.filter((f) => /(^|\/)(schema|structure)\.sql$/.test(f)));
  if (file) return { schemaDir: dirname(file), schemaSql: [file.split('/').pop()!], why: file };
  const byDir = new Map<string, string[]>();
  for (const f of files.filter((f) => f.endsWith('.sql'))) {
    const dir = dirname(f);
    if (!/(^|\/)(sql|schema|ddl|db)$/.test(dir) || migrationsDirs.some((m) => dir === m || dir.startsWith(`${m}/`)))
      continue;
    byDir.set(dir, [...(byDir.get(dir) ?? []), f.split('/').pop()!]);
  }
  const dir = shallowest([...byDir.keys()]);
  if (!dir) return undefined;
  const sql = byDir.get(dir)!.sort();
  return { schemaDir: dir, schemaSql: sql, why: `${sql.length} SQL file(s) in ${dir}, run in name order` };
}

function guessSchema(
  root: string,
  files: readonly string[],
  migrationsDirs: readonly string[],
): SchemaGuess | undefined {
  return (
    django(files) ??
    createAll(root, files) ??
    alembic(root, files) ??
    prisma(root, files) ??
    drizzle(files) ??
    packageScript(root, files) ??
    plainSql(files, migrationsDirs)
  );
}

/** sql-migrate's dbconfig.yml (at the root, else the shallowest one): the `dir:` of its first environment, from the root. */
function dbconfigDir(root: string, files: readonly string[]): string | undefined {
  const config = files.includes('dbconfig.yml')
    ? 'dbconfig.yml'
    : shallowest(files.filter((f) => /(^|\/)dbconfig\.yml$/.test(f)));
  if (!config) return undefined;
  const match = /^\s+dir:\s*["']?([^"'\s#]+)/m.exec(read(root, config));
  const dir = match?.[1]?.replace(/^\.\//, '').replace(/\/+$/, '');
  return dir && (dirname(config) === '.' ? dir : join(dirname(config), dir));
}

/** Directories named like a migrations directory that hold SQL files (not Django's or Alembic's Python ones). */
function migrationDirsIn(files: readonly string[]): string[] {
  const dirs = new Set(
    files
      .filter((f) => f.endsWith('.sql') || f.endsWith('/.gitkeep'))
      .map(dirname)
      .filter((d) => /(^|\/)(migrations|sql-migrations|db-migrations)$/.test(d)),
  );
  return [...dirs];
}

/** Files the schema build's Python dependencies are listed in, looked for in each directory. */
const REQUIREMENTS = [
  'requirements.txt',
  'requirements/base.txt',
  'requirements/common.txt',
  'requirements/prod.txt',
  'requirements/production.txt',
  'requirements/main.txt',
];

type InstallGuess = { command: string; runtime: 'python' | 'node'; why: string };

/** `cd dir && command`, or the command alone at the root. */
const inDir = (dir: string, command: string) => (dir === '.' ? command : `cd ${dir} && ${command}`);

function pythonInstall(root: string, dir: string): InstallGuess | undefined {
  const at = (name: string) => (dir === '.' ? name : join(dir, name));
  const requirements = REQUIREMENTS.map(at).find((p) => existsSync(join(root, p)));
  if (requirements) return { command: `pip install -r ${requirements}`, runtime: 'python', why: requirements };
  const pyproject = at('pyproject.toml');
  if (!existsSync(join(root, pyproject))) return undefined;
  const text = read(root, pyproject);
  // Into the job's Python itself (no virtualenv): the build runs `python3` in a copy of the schema directory.
  if (existsSync(join(root, at('poetry.lock'))) || /^\[tool\.poetry\]/m.test(text))
    return {
      command: inDir(dir, 'pipx install poetry && poetry config virtualenvs.create false && poetry install --no-root'),
      runtime: 'python',
      why: `${pyproject} (Poetry)`,
    };
  if (existsSync(join(root, at('uv.lock'))))
    return {
      command: inDir(
        dir,
        'pip install uv && uv export --frozen --no-hashes --no-emit-project -o /tmp/requirements.txt && uv pip install --system -r /tmp/requirements.txt',
      ),
      runtime: 'python',
      why: `${at('uv.lock')} (uv)`,
    };
  if (/^\[project\]/m.test(text))
    return { command: `pip install ./${dir === '.' ? '' : dir}`.replace(/\/$/, ''), runtime: 'python', why: pyproject };
  return undefined;
}

function nodeInstall(root: string, dir: string): InstallGuess | undefined {
  const at = (name: string) => (dir === '.' ? name : join(dir, name));
  if (existsSync(join(root, at('pnpm-lock.yaml'))))
    return {
      command: inDir(dir, 'corepack enable && pnpm install --frozen-lockfile'),
      runtime: 'node',
      why: at('pnpm-lock.yaml'),
    };
  if (existsSync(join(root, at('package-lock.json'))))
    return { command: inDir(dir, 'npm ci'), runtime: 'node', why: at('package-lock.json') };
  if (existsSync(join(root, at('yarn.lock'))))
    return { command: inDir(dir, 'yarn install --frozen-lockfile'), runtime: 'node', why: at('yarn.lock') };
  return undefined;
}

/** How the schema build's dependencies install: the schema directory's own files, else the nearest above it. */
function guessInstall(
  root: string,
  schemaDir: string,
  runtime: 'python' | 'node' | undefined,
): InstallGuess | undefined {
  for (let dir = schemaDir; ; dir = dirname(dir)) {
    const found =
      (runtime !== 'node' ? pythonInstall(root, dir) : undefined) ??
      (runtime !== 'python' ? nodeInstall(root, dir) : undefined);
    if (found) return found;
    if (dir === '.' || dir === '/' || dir === '') return undefined;
  }
}

async function defaultBranch(git: Git): Promise<{ branch: string; why: string; todo?: string }> {
  const remote = await git.exec(['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD'], {
    allowFailure: true,
  });
  if (remote.exitCode === 0 && remote.stdout.trim())
    return { branch: remote.stdout.trim().replace(/^origin\//, ''), why: "origin's HEAD" };
  const current = await git.currentBranch();
  if (current) return { branch: current, why: 'the current branch (no origin/HEAD)' };
  for (const branch of ['main', 'master']) {
    const local = await git.exec(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], { allowFailure: true });
    if (local.exitCode === 0) return { branch, why: 'the branch of that name (no origin/HEAD, no branch checked out)' };
  }
  return {
    branch: 'main',
    why: 'a guess',
    todo: 'the default branch: none found (no origin/HEAD, no branch checked out); main is a guess',
  };
}

/** Detects the layout of the repository at repoDir; hints given win over what is found. */
export async function detectLayout(repoDir: string, hints: LayoutHints = {}): Promise<RepositoryLayout> {
  const git = await Git.open(repoDir);
  const root = git.repoDir;
  const files = walk(root, 4);
  const findings: string[] = [];
  const todos: LayoutTodo[] = [];

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
    schema = guessSchema(root, files, migrationDirsIn(files));
    if (!schema) {
      todos.push({
        about: 'schema',
        text:
          'the schema build: none found (no manage.py, create_all.py, Alembic env.py with target_metadata, schema.prisma, drizzle.config.*, ' +
          'package.json db:schema script, schema.sql or a directory of SQL files); set schema-dir and schema-command (or schema-sql), ' +
          'or run init again naming the schema directory and the command that builds the schema into $DATABASE_URL',
      });
      schema = { schemaDir: '.', schemaCommand: SCHEMA_TODO_COMMAND, why: 'nothing found: a TODO' };
    }
  }
  const schemaDir = schema.schemaDir.replace(/^\.\/+/, '').replace(/\/+$/, '') || '.';
  findings.push(
    `schema: ${schemaDir}, ${schema.schemaCommand ? `command ${schema.schemaCommand}` : `SQL ${schema.schemaSql!.join(', ')}`} (from ${schema.why})`,
  );

  const fromConfig = dbconfigDir(root, files);
  const existingDir = MIGRATION_DIRS.find((d) => existsSync(join(root, d))) ?? shallowest(migrationDirsIn(files));
  const migrationsDir = hints.migrationsDir ?? fromConfig ?? existingDir ?? 'migrations';
  findings.push(
    `migrations: ${migrationsDir} (${hints.migrationsDir ? 'given' : fromConfig ? "sql-migrate's dbconfig.yml" : existingDir ? 'found' : 'default; created'})`,
  );

  const installGuess = hints.install
    ? { command: hints.install, runtime: schema.runtime ?? 'python', why: 'given' }
    : guessInstall(root, schemaDir, schema.runtime);
  if (installGuess) findings.push(`dependencies: ${installGuess.command} (from ${installGuess.why})`);
  else if (schema.runtime)
    // A Python or Node build needs packages (SQLAlchemy, Django, drizzle-kit...): never assumed to be there.
    todos.push({
      about: 'dependencies',
      text: `the install of what the schema build needs: no requirements.txt, pyproject.toml or lockfile found in ${schemaDir} or above it; add the step, or run init again naming the install command`,
    });
  else findings.push('dependencies: none needed (the schema is SQL)');

  const branch = hints.defaultBranch ? { branch: hints.defaultBranch, why: 'given' } : await defaultBranch(git);
  findings.push(`default branch: ${branch.branch} (${branch.why})`);
  if ('todo' in branch && branch.todo)
    todos.push({ about: 'branch', text: `${branch.todo}; or run init again naming the default branch` });

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
    todos,
  };
}
