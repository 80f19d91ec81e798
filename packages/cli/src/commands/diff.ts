import type { Catalog, DiffOptions, DiffResult, HazardItem } from '@db-migrate/core';
import { registerUrlSecrets } from '@db-migrate/core/src/database-url';
import { ConfigurationError, describeHazardGroups, diffResult, renderSql } from '../core';
import type { Command, OptionValues } from '../command';
import { optionalString, printResult } from '../command';
import { blockingDdlOption, onlineDdl, tableFilter, tableFilterOptions } from './schema-options';

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
    ...onlineDdl(values),
    ...tableFilter(values),
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
    'diff <from-url> <to-url> [--schema S] [--exclude-schema S]... [--exclude-table T]... [--with-privileges] [--with-owners] [--create-extensions-only] ' +
    '[--ignore-extension-versions] [--blocking-ddl] [--exit-code]',
  details: [
    'stdout holds only SQL (nothing when the schemas are equal), so it can be redirected into a file; hazards and notices go to stderr.',
    'Exit status: 0, or 2 with --exit-code when the schemas differ; 1 on an error.',
  ],
  options: {
    schema: { type: 'string', value: '<S>', description: 'Compare only this schema.', default: 'every schema' },
    'exclude-schema': { type: 'string', multiple: true, value: '<S>', description: 'Leave this schema out.' },
    ...tableFilterOptions,
    'with-privileges': { type: 'boolean', description: 'Also compare GRANTs and ALTER DEFAULT PRIVILEGES.' },
    'with-owners': { type: 'boolean', description: 'Also compare owners (ALTER ... OWNER TO).' },
    'create-extensions-only': {
      type: 'boolean',
      description: 'Print only CREATE EXTENSION for extensions missing from the first database.',
    },
    'ignore-extension-versions': { type: 'boolean', description: 'Do not compare extension versions.' },
    ...blockingDdlOption,
    'exit-code': { type: 'boolean', description: 'Exit 2 when the schemas differ.' },
    json: {
      type: 'string',
      value: '<file>',
      description:
        'Also write the statements (SQL, object, hazards) as JSON to this file; `-` prints JSON on stdout instead of SQL.',
    },
  },
  examples: [
    {
      comment: 'What it takes to bring staging to the schema of a fresh build',
      command: 'diff postgres://app@localhost/staging postgres://app@localhost/fresh > change.sql',
    },
    {
      comment: 'Fail a script when two databases differ outside the audit schema',
      command: 'diff "$A" "$B" --exclude-schema audit --exit-code',
    },
  ],
  allowPositionals: true,
  async run(values, positionals, { logger, stdout, verbose }) {
    if (positionals.length !== 2) {
      throw new ConfigurationError(
        `expected two database URLs, <from-url> <to-url>; got ${positionals.length} argument(s)`,
      );
    }
    // Both catalogs are asked for before the core loads (only introspection and the database client load
    // first), and the core loads while the servers read them: reading `diffResult` loads it (./core.ts).
    // Not sooner: loading it as the connections open would hold up their authentication.
    const { connectDatabase } =
      require('@db-migrate/core/src/pg/connect') as typeof import('@db-migrate/core/src/pg/connect');
    const { introspect } =
      require('@db-migrate/core/src/diff/introspect') as typeof import('@db-migrate/core/src/diff/introspect');
    const opened = positionals.map((url) => connectDatabase(registerUrlSecrets(url)));
    let result: DiffResult;
    try {
      const catalogs = Promise.all((await Promise.all(opened)).map((client) => introspect(client)));
      const compare = diffResult;
      result = compare((await catalogs) as [Catalog, Catalog], diffOptions(values));
    } finally {
      await Promise.all(opened.map((c) => c.then((client) => client.end()).catch(() => undefined)));
    }
    const { statements, warnings, excludedTables } = result;
    await printResult(values, stdout, renderSql(statements), {
      statements,
      warnings,
      excludedTables: excludedTables ?? [],
    });
    for (const warning of warnings) logger.warning(warning);
    if (excludedTables) logger.info(`left out of the comparison: ${excludedTables.join(', ')}`);
    // One line per kind of hazard, with a count; each hazard with --verbose (and in --json).
    const hazards: HazardItem[] = statements.flatMap((statement, i) =>
      statement.hazards.map((hazard) => ({
        code: hazard.code,
        object: statement.object.name,
        message: hazard.message,
        line: `${hazard.code} (statement ${i + 1}, ${statement.object.kind} ${statement.object.name}): ${hazard.message}`,
      })),
    );
    const lines = verbose ? hazards.map((h) => h.line) : describeHazardGroups(hazards, 'statement');
    for (const line of lines) logger.warning(`hazard ${line}`);
    if (lines.length < hazards.length)
      logger.info(
        `${hazards.length} hazards of ${lines.length} kinds: --verbose prints each one, --json each with its statement`,
      );
    // An object the differ does not compare may differ: --exit-code cannot call the schemas equal.
    return values['exit-code'] === true && (statements.length > 0 || warnings.length > 0) ? 2 : 0;
  },
};
