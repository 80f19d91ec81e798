import { ConfigurationError, formatVerifyReport, parseShadowSpec, registerUrlSecrets, verifyMigrations, withShadowServer } from '@db-migrate/core';
import { type Command, type OptionValues, optionalInteger, optionalString, requiredString } from '../command';

/** --schema-sql may be repeated, one file each, loaded in the order given. */
function sqlFiles(values: OptionValues): string[] {
  const raw = values['schema-sql'];
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.filter((v): v is string => typeof v === 'string' && v.trim() !== '');
}

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'Check the migrations: numbering, migrations = schema at goal, Down sections undo the new ones, hazards. Exit 1 when a check fails.',
  usage:
    'verify --schema-dir <path> (--schema-command "<cmd>" | --schema-sql <file> [--schema-sql <file>...]) --dir <migrations-dir>\n' +
    '       [--base-ref <ref>] [--goal <ref>] [--repo <path>] [--shadow embedded|docker|<url>] [--postgres-version N] [--fail-on-hazards]',
  options: {
    'schema-dir': { type: 'string' },
    'schema-command': { type: 'string' },
    'schema-sql': { type: 'string', multiple: true },
    dir: { type: 'string' },
    'base-ref': { type: 'string' },
    goal: { type: 'string' },
    repo: { type: 'string' },
    shadow: { type: 'string' },
    'postgres-version': { type: 'string' },
    'fail-on-hazards': { type: 'boolean' },
  },
  async run(values, _positionals, { logger, stdout }) {
    const shadow = optionalString(values, 'shadow');
    if (shadow) registerUrlSecrets(shadow);
    const command = optionalString(values, 'schema-command');
    const files = sqlFiles(values);
    if (command && files.length > 0) throw new ConfigurationError('give either --schema-command or --schema-sql, not both');
    if (!command && files.length === 0) throw new ConfigurationError('missing --schema-command "<cmd>" or --schema-sql <file>');
    const source = {
      repoDir: optionalString(values, 'repo') ?? process.cwd(),
      schemaDir: requiredString(values, 'schema-dir'),
      ...(command ? { command } : { sqlFiles: files }),
    };
    const migrationsDir = requiredString(values, 'dir');
    const major = optionalInteger(values, 'postgres-version');
    const report = await withShadowServer(parseShadowSpec(shadow, '--shadow'), { major, logger }, (server) =>
      verifyMigrations({
        source,
        migrationsDir,
        baseRef: optionalString(values, 'base-ref'),
        goalRef: optionalString(values, 'goal'),
        shadow: server,
        failOnHazards: values['fail-on-hazards'] === true,
        logger,
      }),
    );
    stdout(formatVerifyReport(report));
    return report.result === 'passed' ? 0 : 1;
  },
};
