import { objectKey, type ObjectKeys } from './keys';
import { query } from './query';

/** COMMENT ON, by (catalog, oid, subid): subid is the column number of a column's comment, else 0. */
export interface CommentRow {
  readonly catalog: string;
  readonly oid: number;
  readonly subid: number;
  readonly description: string;
}

export const COMMENTS = query<CommentRow>(
  `SELECT d.classoid::regclass::text AS catalog, d.objoid::int AS oid, d.objsubid AS subid, d.description
    FROM pg_catalog.pg_description d
    WHERE d.objoid >= 16384 OR d.classoid = 'pg_catalog.pg_namespace'::regclass
    ORDER BY 1, 2, 3`,
  {
    catalog: 'text',
    oid: 'int',
    subid: 'int',
    description: 'text',
  },
);

/** Comments by object key; a domain constraint's under `domainKey#constraint`. */
export function buildComments(rows: readonly CommentRow[], keys: ObjectKeys): Map<string, string> {
  const comments = new Map<string, string>();
  for (const r of rows) {
    const key = objectKey(keys, r.catalog, r.oid, r.subid);
    if (key) comments.set(key, r.description);
    const domainConstraint = r.catalog === 'pg_constraint' ? keys.domainConstraints.get(r.oid) : undefined;
    if (domainConstraint) comments.set(`${domainConstraint.domain}#${domainConstraint.name}`, r.description);
  }
  return comments;
}
