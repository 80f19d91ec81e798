import { createMigration, formatCreateReport } from '../core';
import { type Command, optionalString, printResult, stringList } from '../command';
import { migrationsDirOption } from './migrate-options';
import {
  SCHEMA_SOURCE_USAGE,
  SHADOW_USAGE,
  TABLE_FILTER_USAGE,
  blockingDdlOption,
  goalBuildInputs,
  goalBuildOptions,
  onlineDdl,
  schemaSourceOptions,
} from './schema-options';

export const createCommand: Command = {
  name: 'create',
  summary:
    "Write the next migration: the schema at the latest migration's goal commit diffed against the schema at --goal.",
  usage:
    `create ${SCHEMA_SOURCE_USAGE} --dir <migrations-dir>\n` +
    `       [--goal <ref>] ${SHADOW_USAGE} [--name <slug>] [--blocking-ddl]\n` +
    `       ${TABLE_FILTER_USAGE} [--rename "public.products.title -> name" ...] [--allow-empty-goal] [--json <file>]`,
  details: [
    'Only committed commits are built: uncommitted edits under --schema-dir are left out (a warning says so); commit them first.',
    'Two repositories: --goal is a commit of the schema repository (--repo, else the one holding --schema-dir); the migrations directory may live in another one.',
    "Frameworks' bookkeeping tables (django_migrations, schema_migrations, alembic_version, ...) are left out of the migration, with a notice naming them.",
  ],
  options: {
    ...schemaSourceOptions,
    ...migrationsDirOption,
    goal: {
      type: 'string',
      value: '<ref>',
      description: 'The commit of the schema repository to migrate to.',
      default: 'HEAD',
    },
    name: {
      type: 'string',
      value: '<slug>',
      description: "The migration's name (NNNN_<slug>.sql).",
      default: 'derived from the change, e.g. create_orders',
    },
    ...blockingDdlOption,
    rename: {
      type: 'string',
      multiple: true,
      value: '"<old> -> <new>"',
      description:
        'A rename to emit as ALTER ... RENAME instead of drop + add (repeatable), e.g. "public.products.title -> name"; besides DB-Migrate-Rename trailers.',
    },
    ...goalBuildOptions(
      'Write the migration even when the goal build has no tables while the base has some (drops everything).',
    ),
  },
  examples: [
    {
      comment: 'A Python build script in db/ (SQLAlchemy create_all)',
      command: 'create --schema-dir db --schema-command "python3 create_all.py" --dir migrations',
    },
    {
      comment: 'Plain SQL files: every *.sql of db/, in path order, at each commit',
      command: 'create --schema-dir db --schema-sql . --dir db/migrations',
    },
    {
      comment: 'Schema and migrations in two repositories',
      command:
        'create --schema-dir ~/src/app/schema --schema-sql structure.sql --dir ~/src/migrations/migrations --goal main',
    },
  ],
  repeatedOnStdout: /^(nothing to do: |wrote )/,
  async run(values, _positionals, { logger, stdout, verbose }) {
    const inputs = await goalBuildInputs(values);
    const outcome = await createMigration({
      ...inputs,
      goal: optionalString(values, 'goal'),
      name: optionalString(values, 'name'),
      diff: { ...onlineDdl(values), ...inputs.diff },
      renames: stringList(values, 'rename'),
      logger,
    });
    await printResult(values, stdout, formatCreateReport(outcome, { groupHazards: !verbose }), outcome);
    return 0;
  },
};
