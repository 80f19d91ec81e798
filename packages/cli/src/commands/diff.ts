import { ConfigurationError, diff, registerUrlSecrets, renderSql, type DiffOptions } from '@db-migrate/core';
import type { Command, OptionValues } from '../command';
import { optionalString } from '../command';

function diffOptions(values: OptionValues): DiffOptions {
  const excluded = values['exclude-schema'];
  const schema = optionalString(values, 'schema');
  return {
    ...(schema ? { schema } : {}),
    ...(Array.isArray(excluded) && excluded.length ? { excludeSchemas: excluded.map(String) } : {}),
    withPrivileges: values['with-privileges'] === true,
    withOwners: values['with-owners'] === true,
    createExtensionsOnly: values['create-extensions-only'] === true,
    ignoreExtensionVersions: values['ignore-extension-versions'] === true,
    concurrentIndexes: values['concurrent-indexes'] === true,
  };
}

/**
 * `db-migrate diff <from-url> <to-url>`: stdout is pure SQL (nothing when the schemas are equal), so it can
 * be redirected into a migration file; hazards go to stderr. With --exit-code, 2 means "differences found".
 */
export const diffCommand: Command = {
  name: 'diff',
  summary: "Print the SQL that takes the first database's schema to the second's.",
  usage:
    'diff <from-url> <to-url> [--schema S] [--exclude-schema S]... [--with-privileges] [--with-owners] [--create-extensions-only] ' +
    '[--ignore-extension-versions] [--concurrent-indexes] [--exit-code]',
  options: {
    schema: { type: 'string' },
    'exclude-schema': { type: 'string', multiple: true },
    'with-privileges': { type: 'boolean' },
    'with-owners': { type: 'boolean' },
    'create-extensions-only': { type: 'boolean' },
    'ignore-extension-versions': { type: 'boolean' },
    'concurrent-indexes': { type: 'boolean' },
    'exit-code': { type: 'boolean' },
  },
  allowPositionals: true,
  async run(values, positionals, { logger, stdout }) {
    if (positionals.length !== 2) {
      throw new ConfigurationError(`expected two database URLs, <from-url> <to-url>; got ${positionals.length} argument(s)`);
    }
    const [from, to] = positionals.map(registerUrlSecrets) as [string, string];
    const { statements, warnings } = await diff(from, to, diffOptions(values));
    stdout(renderSql(statements));
    for (const warning of warnings) logger.warning(warning);
    statements.forEach((statement, i) => {
      for (const hazard of statement.hazards) {
        logger.warning(`hazard ${hazard.code} (statement ${i + 1}, ${statement.object.kind} ${statement.object.name}): ${hazard.message}`);
      }
    });
    // An object the differ does not compare may differ: --exit-code cannot call the schemas equal.
    return values['exit-code'] === true && (statements.length > 0 || warnings.length > 0) ? 2 : 0;
  },
};
