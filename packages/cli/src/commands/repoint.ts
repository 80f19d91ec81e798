import { Git, repointCommit } from '../core';
import { type Command, JSON_OPTION, optionalString, printResult, requiredString } from '../command';
import { migrationsDirOption } from './migrate-options';

export const repointCommand: Command = {
  name: 'repoint',
  summary:
    "After an amend, squash or rebase: point the metadata's goal_sha/base_sha at the commit that replaced the old one.",
  usage: 'repoint --dir <migrations-dir> --from <old-sha> --to <ref> [--repo <path>]',
  details: [
    'Every NNNN.json whose goal_sha or base_sha names --from gets --to (resolved to a full sha in the schema repository). The SQL is not touched: check the new commit has the same schema, e.g. with verify.',
  ],
  options: {
    ...migrationsDirOption,
    from: {
      type: 'string',
      value: '<old-sha>',
      required: true,
      description: 'The commit that no longer exists (the full sha or 7+ digits, as the error named it).',
    },
    to: {
      type: 'string',
      value: '<ref>',
      required: true,
      description: "The commit that replaced it, e.g. HEAD or the squashed commit's sha.",
    },
    repo: {
      type: 'string',
      value: '<path>',
      description: 'The schema repository, where --to is resolved.',
      default: "the working directory's repository",
    },
    ...JSON_OPTION,
  },
  examples: [
    {
      comment: 'The commit migration 3 was generated from was squashed into HEAD',
      command: 'repoint --dir migrations --from 1a2b3c4d5e6f --to HEAD',
    },
  ],
  async run(values, _positionals, { stdout }) {
    const git = await Git.open(optionalString(values, 'repo') ?? process.cwd());
    const to = await git.resolveCommit(requiredString(values, 'to'));
    const changed = await repointCommit(requiredString(values, 'dir'), requiredString(values, 'from'), to);
    const text = changed.map((c) => `${c.metadataPath}: ${c.fields.join(', ')} -> ${to}`).join('\n') + '\n';
    await printResult(values, stdout, text, { to, changed });
    return 0;
  },
};
