import { ConfigurationError, registerUrlSecrets, type SchemaSource } from '@db-migrate/core';
import { type Command, type OptionValues, optionalString, requiredString } from '../command';

/** The options naming a schema source, shared by create, verify and sync. */
export const schemaSourceOptions: Command['options'] = {
  'schema-dir': { type: 'string' },
  'schema-command': { type: 'string' },
  'schema-sql': { type: 'string', multiple: true },
  repo: { type: 'string' },
};

export const SCHEMA_SOURCE_USAGE = '--schema-dir <path> (--schema-command "<cmd>" | --schema-sql <file> [--schema-sql <file>...]) [--repo <path>]';

/** --schema-sql may be repeated, one file each, loaded in the order given. */
function sqlFiles(values: OptionValues): string[] {
  const raw = values['schema-sql'];
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.filter((v): v is string => typeof v === 'string' && v.trim() !== '');
}

/** Reads the schema source: a directory of the repository (--repo, default the working directory) and how to build it. */
export function readSchemaSource(values: OptionValues): SchemaSource {
  const command = optionalString(values, 'schema-command');
  const files = sqlFiles(values);
  if (command && files.length > 0) throw new ConfigurationError('give either --schema-command or --schema-sql, not both');
  if (!command && files.length === 0) throw new ConfigurationError('missing --schema-command "<cmd>" or --schema-sql <file>');
  return {
    repoDir: optionalString(values, 'repo') ?? process.cwd(),
    schemaDir: requiredString(values, 'schema-dir'),
    ...(command ? { command } : { sqlFiles: files }),
  };
}

/**
 * --shadow, registered as a secret before anything is printed when it is a URL (it may hold a password);
 * never the words `embedded` and `docker`, which would then be masked everywhere ("wrote 0002_***_hosts.sql").
 */
export function shadowOption(values: OptionValues): string | undefined {
  const shadow = optionalString(values, 'shadow');
  if (shadow && !/^[A-Za-z][A-Za-z0-9_-]*$/.test(shadow.trim())) registerUrlSecrets(shadow);
  return shadow;
}
