import { initRepository } from '../core';
import { type Command, JSON_OPTION, optionalString, printResult, stringList } from '../command';

export const initCommand: Command = {
  name: 'init',
  summary:
    'Write the GitHub workflows (create, verify, apply, drift, staging sync) for this repository, from what it finds in it.',
  usage:
    'init [--repo <path>] [--schema-dir <path> (--schema-command "<cmd>" | --schema-sql <file> ...)] [--dir <migrations-dir>]\n       [--install "<cmd>"] [--branch <name>] [--targets <file>] [--actions owner/name] [--version <tag|sha>] [--postgres-version N] [--dry-run] [--force]',
  details: [
    "Detects the schema build (manage.py, a create_all.py, drizzle.config.*, schema.sql/structure.sql), the migrations directory (sql-migrate's dbconfig.yml, migrations/, db/migrations/...), the dependency install (requirements.txt, pyproject.toml, lock files), the default branch (origin/HEAD) and the targets file with its url-env names; the options override each. The workflows' push triggers watch the schema's paths; the apply and drift jobs map one secret per url-env.",
    'Writes .github/workflows/db-migrate-*.yml, and db-targets.yml and the migrations directory when missing. An existing file is left alone unless --force.',
  ],
  options: {
    repo: {
      type: 'string',
      value: '<path>',
      description: 'The repository to write the workflows into.',
      default: "the working directory's repository",
    },
    'schema-dir': {
      type: 'string',
      value: '<path>',
      description: 'Directory of the schema source, relative to the repository root.',
      default: 'detected',
    },
    'schema-command': {
      type: 'string',
      value: '"<cmd>"',
      description: 'Command that builds the schema into the empty database $DATABASE_URL, run in --schema-dir.',
    },
    'schema-sql': {
      type: 'string',
      multiple: true,
      value: '<file>',
      description: 'SQL files (relative to --schema-dir) that build the schema, instead of a command.',
    },
    dir: {
      type: 'string',
      value: '<migrations-dir>',
      description: 'The migrations directory, relative to the repository root.',
      default: 'detected, else migrations',
    },
    install: {
      type: 'string',
      value: '"<cmd>"',
      description: "What installs the schema build's dependencies in CI.",
      default: 'detected',
    },
    branch: {
      type: 'string',
      value: '<name>',
      description: 'The default branch the workflows watch.',
      default: 'origin/HEAD, else the current branch',
    },
    targets: {
      type: 'string',
      value: '<file>',
      description: 'The targets file, relative to the repository root.',
      default: 'db-targets.yml when present, else a starter one is written',
    },
    actions: {
      type: 'string',
      value: '<owner/name>',
      description: 'Where the db-migrate actions are.',
      default: 'your-org/db-migrate',
    },
    version: { type: 'string', value: '<tag|sha>', description: "The actions' tag or commit.", default: 'v1' },
    'postgres-version': {
      type: 'string',
      value: '<N>',
      description: "Your production's PostgreSQL major.",
      default: '15',
    },
    'dry-run': { type: 'boolean', description: 'Print what would be written; write nothing.' },
    force: { type: 'boolean', description: 'Overwrite files that exist.' },
    ...JSON_OPTION,
  },
  examples: [
    {
      comment: 'In the repository holding the models: see what init finds, then write the workflows',
      command: 'init --dry-run',
    },
    {
      comment: 'A schema built by a command init cannot guess',
      command: 'init --schema-dir backend --schema-command "python3 -m app.db.create_all" --dir db/migrations',
    },
  ],
  async run(values, _positionals, { logger, stdout }) {
    const schemaSql = stringList(values, 'schema-sql');
    const result = await initRepository(
      optionalString(values, 'repo') ?? process.cwd(),
      {
        schemaDir: optionalString(values, 'schema-dir'),
        schemaCommand: optionalString(values, 'schema-command'),
        ...(schemaSql.length > 0 ? { schemaSql } : {}),
        migrationsDir: optionalString(values, 'dir'),
        install: optionalString(values, 'install'),
        defaultBranch: optionalString(values, 'branch'),
        targetsFile: optionalString(values, 'targets'),
        postgresVersion: optionalString(values, 'postgres-version'),
      },
      {
        actions: optionalString(values, 'actions') ?? 'your-org/db-migrate',
        version: optionalString(values, 'version') ?? 'v1',
        force: values.force === true,
        dryRun: values['dry-run'] === true,
      },
    );
    for (const finding of result.layout.findings) logger.info(finding);
    const secrets = [...new Set([...result.layout.productionUrlEnvs, ...result.layout.stagingUrlEnvs])];
    // What could not be detected is said here as well as written as a TODO in the workflows: never silently wrong.
    const todos = result.layout.todos
      .map((t) => `TODO: ${t.text} (marked TODO(db-migrate init) in the workflows)\n`)
      .join('');
    const text =
      `${result.written ? 'wrote' : 'would write'}:\n${result.files.map((f) => `  ${f.path}`).join('\n')}\n` +
      todos +
      `next: add the secrets ${secrets.join(', ')} (environments production and staging) and MIGRATIONS_BOT_TOKEN; ` +
      `make "verify migrations" a required check of ${result.layout.defaultBranch}` +
      (optionalString(values, 'actions')
        ? ''
        : '; replace your-org in the workflows with the owner of your db-migrate actions') +
      '\n';
    await printResult(values, stdout, text, result);
    return 0;
  },
};
