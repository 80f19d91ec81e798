import { DB_MIGRATE_GENERATOR, adoptHistory } from '../core';
import { type Command, JSON_OPTION, optionalString, printResult, requiredString } from '../command';
import { migrationsDirOption } from './migrate-options';

export const adoptCommand: Command = {
  name: 'adopt',
  summary:
    "Take a history written before db-migrate (sql-migrate's timestamped files, hand-numbered SQL) as it is: one record says which schema commit it builds.",
  usage: 'adopt --dir <migrations-dir> --commit <ref> [--repo <path>] [--from <tool>]',
  details: [
    "Writes <migrations-dir>/db-migrate.json naming the latest file (in sql-migrate's order: the leading number as an integer, gaps allowed) and the full sha of --commit. The files keep their names and need no NNNN.json; no database changes (gorp_migrations keeps the ids sql-migrate wrote). New migrations continue at the latest number + 1, e.g. 20240214100001_add_orders.sql after 20240214100000-init.sql.",
    '--commit must name the commit of the schema source (models or schema SQL) whose schema equals what the existing migrations build: check it with `db-migrate diff --exit-code` against a database at the latest migration.',
  ],
  options: {
    ...migrationsDirOption,
    commit: {
      type: 'string',
      value: '<ref>',
      required: true,
      description: 'The schema-source commit whose schema the existing migrations build (a sha, a tag, HEAD...).',
    },
    repo: {
      type: 'string',
      value: '<path>',
      description: 'The schema repository, where --commit is resolved.',
      default: 'the git repository holding --dir',
    },
    from: {
      type: 'string',
      value: '<tool>',
      description: 'The tool that wrote the history, kept in the record for readers (e.g. sql-migrate).',
    },
    ...JSON_OPTION,
  },
  examples: [
    {
      comment: 'A sql-migrate history whose files build the schema of the current commit',
      command: 'adopt --dir migrations --commit HEAD --from sql-migrate',
    },
  ],
  async run(values, _positionals, { stdout }) {
    const dir = requiredString(values, 'dir');
    const result = await adoptHistory(dir, {
      commit: requiredString(values, 'commit'),
      repoDir: optionalString(values, 'repo'),
      from: optionalString(values, 'from'),
      generator: DB_MIGRATE_GENERATOR,
    });
    const { files, record } = result;
    const text =
      `adopted ${files.length} migration${files.length === 1 ? '' : 's'} (${files[0]} to ${record.adopted_through}) at schema commit ${record.goal_sha}: ` +
      `${result.path} written; commit it. No database was changed.\n`;
    await printResult(values, stdout, text, result);
    return 0;
  },
};
