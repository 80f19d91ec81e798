import type { RenameDeclaration } from '../diff/renames';
import type { Git } from '../git';
import { ALLOW_TRAILER, type Acknowledgement, RENAME_TRAILER, parseAcknowledgement } from './acknowledgements';

export interface DeclaredIntent {
  readonly allow: readonly Acknowledgement[];
  readonly renames: readonly RenameDeclaration[];
}

/** The DB-Migrate-Allow and DB-Migrate-Rename trailers of the schema commits after base up to goal, oldest first. */
export async function readDeclaredIntent(git: Git, baseSha: string | null, goalSha: string): Promise<DeclaredIntent> {
  const [allow, renames] = await Promise.all([
    git.trailers(ALLOW_TRAILER, baseSha, goalSha),
    git.trailers(RENAME_TRAILER, baseSha, goalSha),
  ]);
  return {
    allow: allow.map((t) =>
      parseAcknowledgement(t.value, `the ${ALLOW_TRAILER} trailer of commit ${t.sha.slice(0, 12)}`),
    ),
    renames: renames.map((t) => ({
      text: t.value,
      source: `the ${RENAME_TRAILER} trailer of commit ${t.sha.slice(0, 12)}`,
    })),
  };
}
