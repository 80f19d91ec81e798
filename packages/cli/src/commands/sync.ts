import { syncFleet } from '../core';
import { type Command, optionalString, stringList } from '../command';
import { STATEMENT_LIMIT_USAGE, statementLimits } from './migrate-options';
import { PRECHECK_USAGE, precheckOptions, precheckSettings } from './precheck-options';
import { blockingDdlOption, buildTimeout, onlineDdl, readSchemaSource, schemaSourceOptions } from './schema-options';
import { FLEET_USAGE, fleetCommandRun, statementLimitOptions, fleetOptions, fleetRun } from './apply';

export const syncCommand: Command = {
  name: 'sync',
  summary: 'Make databases (staging) match the schema source at a ref, in one transaction each, without versions.',
  usage:
    'sync --schema-dir <path> (--schema-command "<cmd>" | --schema-sql <file> ...) [--ref <ref>] [--repo <path>]\n' +
    `       ${FLEET_USAGE}\n` +
    `       [--dry-run] ${STATEMENT_LIMIT_USAGE} [--allow "drops-data <schema>.<table>" ...] [--allow-empty-goal] [--blocking-ddl]\n` +
    `       ${PRECHECK_USAGE}`,
  options: {
    ...schemaSourceOptions,
    ref: {
      type: 'string',
      value: '<ref>',
      description: 'The commit of the schema repository to match.',
      default: 'HEAD',
    },
    ...fleetOptions,
    'dry-run': {
      type: 'boolean',
      description:
        'Say what each database would run, and what the real run would refuse (data it would lose, pre-checks, an empty goal), changing nothing.',
    },
    ...statementLimitOptions,
    allow: {
      type: 'string',
      multiple: true,
      value: '"drops-data <schema>.<table>"',
      description:
        'A table holding rows that the sync may drop (repeatable); without it such a sync stops on that database. Also a large table a statement may lock while rewriting or scanning it, e.g. "rewrites-table public.orders".',
    },
    'allow-empty-goal': {
      type: 'boolean',
      description: 'Sync even when the schema build has no tables and a database has some.',
    },
    ...blockingDdlOption,
    ...precheckOptions,
  },
  examples: [
    {
      comment: 'Make the staging databases match the schema at main, built from SQL files',
      command: 'sync --schema-dir db --schema-sql db --ref main --targets staging.yml',
    },
  ],
  run: fleetCommandRun(async (values, logger) => {
    const run = await fleetRun(values, logger);
    const source = await readSchemaSource(values);
    return syncFleet({
      ...run,
      source,
      ref: optionalString(values, 'ref') ?? 'HEAD',
      dryRun: values['dry-run'] === true,
      allow: stringList(values, 'allow'),
      allowEmptyGoal: values['allow-empty-goal'] === true,
      diffOptions: onlineDdl(values),
      buildTimeoutMs: buildTimeout(values),
      ...statementLimits(values),
      prechecks: precheckSettings(values),
    });
  }),
};
