import type { CollationInfo } from '../catalog';
import type { ObjectKeys } from './keys';
import { query } from './query';
import { notExtensionMember, USER_NAMESPACE } from './scope';

/** The pg_collation columns read, whose names differ between majors (to_jsonb takes whichever the server has). */
export interface CollationColumns {
  readonly collprovider: string;
  readonly collcollate?: string | null;
  readonly collctype?: string | null;
  /** PostgreSQL 15 and 16. */
  readonly colliculocale?: string | null;
  /** PostgreSQL 17 and later. */
  readonly colllocale?: string | null;
  readonly collisdeterministic: boolean;
}

export interface CollationRow {
  readonly oid: number;
  readonly schema: string;
  readonly name: string;
  readonly j: CollationColumns;
}

export const COLLATIONS = query<CollationRow>(
  `SELECT c.oid::int, n.nspname AS schema, c.collname AS name, pg_catalog.to_jsonb(c) AS j
    FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace
    WHERE ${USER_NAMESPACE} AND ${notExtensionMember('pg_collation', 'c.oid')}
    ORDER BY n.nspname, c.collname`,
  {
    oid: 'int',
    schema: 'text',
    name: 'text',
    j: 'json',
  },
);

export function buildCollations(rows: readonly CollationRow[], keys: ObjectKeys): Map<string, CollationInfo> {
  const collations = new Map<string, CollationInfo>();
  for (const r of rows) {
    const key = `coll:${r.schema}.${r.name}`;
    const j = r.j;
    keys.collations.set(r.oid, key);
    collations.set(key, {
      key,
      schema: r.schema,
      name: r.name,
      provider: String(j.collprovider),
      collate: j.collcollate ?? null,
      ctype: j.collctype ?? null,
      locale: j.colliculocale ?? j.colllocale ?? null,
      deterministic: j.collisdeterministic !== false,
      comment: null,
    });
  }
  return collations;
}
