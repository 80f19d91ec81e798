import { syncFleet, finishBeforeSignalExit } from '../core';
import { type Command, optionalString, stringList } from '../command';
import { statementLimits } from './migrate-options';
import { PRECHECK_USAGE, precheckOptions, precheckSettings } from './precheck-options';
import { blockingDdlOption, buildTimeout, onlineDdl, readSchemaSource, schemaSourceOptions } from './schema-options';
import { FLEET_USAGE, finishFleetRun, statementLimitOptions, fleetOptions, fleetRun } from './apply';

export const syncCommand: Command = {
  name: 'sync',
  summary: 'Make databases (staging) match the schema source at a ref, in one transaction each, without versions.',
  usage:
    'sync --schema-dir <path> (--schema-command "<cmd>" | --schema-sql <file> ...) [--ref <ref>] [--repo <path>]\n' +
    `       ${FLEET_USAGE}\n` +
    '       [--dry-run] [--lock-timeout ms] [--lock-retry-budget ms] [--statement-timeout ms] [--allow "drops-data <schema>.<table>" ...] [--allow-empty-goal] [--blocking-ddl]\n' +
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
    'dry-run': { type: 'boolean', description: 'Say what each database would run, changing nothing.' },
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
  // SIGINT or SIGTERM: the exit waits until the report is printed and written.
  run: (values, _positionals, { logger, stdout }) =>
    finishBeforeSignalExit(async () => {
      const run = await fleetRun(values, logger);
      const source = await readSchemaSource(values);
      const report = await syncFleet({
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
      return finishFleetRun(report, values, stdout);
    }),
};
