import { createMigration, formatCreateReport, parseShadowSpec } from '@db-migrate/core';
import { type Command, optionalInteger, optionalString, requiredString, stringList } from '../command';
import { readSchemaSource, schemaSourceOptions, shadowOption } from './schema-options';

export const createCommand: Command = {
  name: 'create',
  summary: 'Write the next migration: the schema at the latest migration\'s goal commit diffed against the schema at --goal.',
  usage:
    'create --schema-dir <path> (--schema-command "<cmd>" | --schema-sql <file> [--schema-sql <file>...]) --dir <migrations-dir>\n' +
    '       [--goal <ref>] [--repo <path>] [--shadow embedded|docker|<url>] [--postgres-version N] [--name <slug>] [--concurrent-indexes]\n' +
    '       [--rename "public.products.title -> name" ...] [--allow-empty-goal]',
  options: {
    ...schemaSourceOptions,
    dir: { type: 'string' },
    goal: { type: 'string' },
    shadow: { type: 'string' },
    'postgres-version': { type: 'string' },
    name: { type: 'string' },
    'concurrent-indexes': { type: 'boolean' },
    rename: { type: 'string', multiple: true },
    'allow-empty-goal': { type: 'boolean' },
  },
  async run(values, _positionals, { logger, stdout }) {
    const shadow = shadowOption(values);
    const outcome = await createMigration({
      source: readSchemaSource(values),
      migrationsDir: requiredString(values, 'dir'),
      goal: optionalString(values, 'goal'),
      shadow: parseShadowSpec(shadow, '--shadow'),
      postgresMajor: optionalInteger(values, 'postgres-version'),
      name: optionalString(values, 'name'),
      diff: { concurrentIndexes: values['concurrent-indexes'] === true },
      renames: stringList(values, 'rename'),
      allowEmptyGoal: values['allow-empty-goal'] === true,
      logger,
    });
    stdout(formatCreateReport(outcome));
    return 0;
  },
};
