import { formatVerifyReport, parseShadowSpec, verifyMigrations, withShadowServer } from '@db-migrate/core';
import { type Command, optionalInteger, optionalString, requiredString } from '../command';
import { readSchemaSource, schemaSourceOptions, shadowOption } from './schema-options';
import { readSeed, SEED_USAGE, seedOptions } from './seed-options';

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'Check the migrations: numbering, migrations = schema at goal, Down sections undo the new ones, the new ones on rows (data), hazards. Exit 1 when a check fails.',
  usage:
    'verify --schema-dir <path> (--schema-command "<cmd>" | --schema-sql <file> [--schema-sql <file>...]) --dir <migrations-dir>\n' +
    '       [--base-ref <ref>] [--goal <ref>] [--repo <path>] [--shadow embedded|docker|<url>] [--postgres-version N] [--fail-on-hazards]\n' +
    `       ${SEED_USAGE}\n` +
    '       [--allow-empty-goal]',
  options: {
    ...schemaSourceOptions,
    dir: { type: 'string' },
    'base-ref': { type: 'string' },
    goal: { type: 'string' },
    shadow: { type: 'string' },
    'postgres-version': { type: 'string' },
    'fail-on-hazards': { type: 'boolean' },
    ...seedOptions,
    'allow-empty-goal': { type: 'boolean' },
  },
  async run(values, _positionals, { logger, stdout }) {
    const shadow = shadowOption(values);
    const source = readSchemaSource(values);
    const migrationsDir = requiredString(values, 'dir');
    const major = optionalInteger(values, 'postgres-version');
    const seed = readSeed(values);
    const report = await withShadowServer(parseShadowSpec(shadow, '--shadow'), { major, logger }, (server) =>
      verifyMigrations({
        source,
        migrationsDir,
        baseRef: optionalString(values, 'base-ref'),
        goalRef: optionalString(values, 'goal'),
        shadow: server,
        failOnHazards: values['fail-on-hazards'] === true,
        ...(seed ? { seed } : {}),
        allowEmptyGoal: values['allow-empty-goal'] === true,
        logger,
      }),
    );
    stdout(formatVerifyReport(report));
    return report.result === 'passed' ? 0 : 1;
  },
};
