import { ConfigurationError, createMigration, formatCreateReport, parseShadowSpec, registerUrlSecrets } from '@db-migrate/core';
import { type Command, type OptionValues, optionalInteger, optionalString, requiredString } from '../command';

/** --schema-sql may be repeated, one file each, loaded in the order given. */
function sqlFiles(values: OptionValues): string[] {
  const raw = values['schema-sql'];
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.filter((v): v is string => typeof v === 'string' && v.trim() !== '');
}

export const createCommand: Command = {
  name: 'create',
  summary: 'Write the next migration: the schema at the latest migration\'s goal commit diffed against the schema at --goal.',
  usage:
    'create --schema-dir <path> (--schema-command "<cmd>" | --schema-sql <file> [--schema-sql <file>...]) --dir <migrations-dir>\n' +
    '       [--goal <ref>] [--repo <path>] [--shadow embedded|docker|<url>] [--postgres-version N] [--name <slug>] [--concurrent-indexes]',
  options: {
    'schema-dir': { type: 'string' },
    'schema-command': { type: 'string' },
    'schema-sql': { type: 'string', multiple: true },
    dir: { type: 'string' },
    goal: { type: 'string' },
    repo: { type: 'string' },
    shadow: { type: 'string' },
    'postgres-version': { type: 'string' },
    name: { type: 'string' },
    'concurrent-indexes': { type: 'boolean' },
  },
  async run(values, _positionals, { logger, stdout }) {
    const shadow = optionalString(values, 'shadow');
    if (shadow) registerUrlSecrets(shadow);
    const command = optionalString(values, 'schema-command');
    const files = sqlFiles(values);
    if (command && files.length > 0) throw new ConfigurationError('give either --schema-command or --schema-sql, not both');
    if (!command && files.length === 0) throw new ConfigurationError('missing --schema-command "<cmd>" or --schema-sql <file>');
    const outcome = await createMigration({
      source: {
        repoDir: optionalString(values, 'repo') ?? process.cwd(),
        schemaDir: requiredString(values, 'schema-dir'),
        ...(command ? { command } : { sqlFiles: files }),
      },
      migrationsDir: requiredString(values, 'dir'),
      goal: optionalString(values, 'goal'),
      shadow: parseShadowSpec(shadow, '--shadow'),
      postgresMajor: optionalInteger(values, 'postgres-version'),
      name: optionalString(values, 'name'),
      diff: { concurrentIndexes: values['concurrent-indexes'] === true },
      logger,
    });
    stdout(formatCreateReport(outcome));
    return 0;
  },
};
