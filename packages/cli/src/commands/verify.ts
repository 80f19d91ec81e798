import { formatVerifyReport, verifyMigrations, withShadowServer } from '../core';
import { wordRemedy } from '../remedy-wording';
import { type Command, optionalString, printResult } from '../command';
import { migrationsDirOption } from './migrate-options';
import {
  SCHEMA_SOURCE_USAGE,
  SHADOW_USAGE,
  TABLE_FILTER_USAGE,
  goalBuildInputs,
  goalBuildOptions,
  schemaSourceOptions,
} from './schema-options';
import { readSeed, SEED_USAGE, seedOptions } from './seed-options';

export const verifyCommand: Command = {
  name: 'verify',
  summary:
    'Check the migrations: numbering, migrations = schema at goal, Down sections undo the new ones, the new ones on rows (data), hazards. Exit 1 when a check fails.',
  usage:
    `verify ${SCHEMA_SOURCE_USAGE} --dir <migrations-dir>\n` +
    `       [--base-ref <ref>] [--goal <ref>] ${SHADOW_USAGE} [--fail-on-hazards]\n` +
    `       ${TABLE_FILTER_USAGE} [--allow-empty-goal] ${SEED_USAGE} [--json <file>]`,
  details: [
    "Two repositories: --base-ref is a commit of the migrations' repository (the one holding --dir); --goal is a commit of the schema repository (--repo, else the one holding --schema-dir).",
    'Migration files not committed yet are checked too (they count as new). When the schema at HEAD differs from the goal, the report says so: a schema change without its migration.',
    'The data check runs the new migrations Up and Down on the base version holding rows: --seed-sql/--seed-command rows, else synthetic ones.',
    'Exit status: 0 when every check passed (warnings included), 1 when one failed.',
  ],
  options: {
    ...schemaSourceOptions,
    ...migrationsDirOption,
    'base-ref': {
      type: 'string',
      value: '<ref>',
      description: 'The commit the pull request starts from: migrations present there are not new.',
      default: 'every migration is new',
    },
    goal: {
      type: 'string',
      value: '<ref>',
      description: 'The commit of the schema the migrations must build.',
      default: 'the newest goal_sha in the metadata, else HEAD',
    },
    'fail-on-hazards': {
      type: 'boolean',
      description: 'Hazards (locks, rewrites, data loss) fail the check instead of warning.',
    },
    ...seedOptions,
    ...goalBuildOptions('Accept a goal build without tables while the migrations at the base have some.'),
  },
  examples: [
    {
      comment: 'In a pull request: the new migrations since main',
      command:
        'verify --schema-dir db --schema-command "python3 create_all.py" --dir migrations --base-ref origin/main',
    },
    {
      comment: 'Before committing a hand-written migration (uncommitted files count as new)',
      command: 'verify --schema-dir db --schema-sql . --dir db/migrations --goal HEAD',
    },
  ],
  repeatedOnStdout: /^(Numbering|Consistency|Reversibility|Data|Hazards): |^new migrations: /,
  async run(values, _positionals, { logger, stdout, verbose }) {
    const { shadow, postgresVersion, ...inputs } = await goalBuildInputs(values);
    const seed = readSeed(values);
    const report = await withShadowServer(shadow, { postgresVersion: postgresVersion, logger }, (server) =>
      verifyMigrations({
        ...inputs,
        baseRef: optionalString(values, 'base-ref'),
        goalRef: optionalString(values, 'goal'),
        shadow: server,
        failOnHazards: values['fail-on-hazards'] === true,
        ...(seed ? { seed } : {}),
        logger,
      }),
    );
    await printResult(
      values,
      stdout,
      formatVerifyReport(report, {
        groupHazards: !verbose,
        expandHint: '--verbose prints each hazard',
        word: wordRemedy,
      }),
      report,
    );
    return report.result === 'passed' ? 0 : 1;
  },
};
