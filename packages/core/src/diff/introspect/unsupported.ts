import type { UnsupportedObject } from '../catalog';
import { query } from './query';
import { notExtensionMember, USER_NAMESPACE } from './scope';

/** An object of a kind the differ does not compare; schema is null for database-wide ones. */
export interface UnsupportedRow {
  readonly kind: string;
  readonly schema: string | null;
  readonly name: string;
}

export const UNSUPPORTED = query<UnsupportedRow>(
  `SELECT 'foreign table' AS kind, n.nspname AS schema, c.relname::text AS name
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'f' AND ${USER_NAMESPACE} AND ${notExtensionMember('pg_class', 'c.oid')}
    UNION ALL SELECT 'text search parser', n.nspname, p.prsname::text
      FROM pg_catalog.pg_ts_parser p JOIN pg_catalog.pg_namespace n ON n.oid = p.prsnamespace
      WHERE ${USER_NAMESPACE} AND ${notExtensionMember('pg_ts_parser', 'p.oid')}
    UNION ALL SELECT 'text search template', n.nspname, t.tmplname::text
      FROM pg_catalog.pg_ts_template t JOIN pg_catalog.pg_namespace n ON n.oid = t.tmplnamespace
      WHERE ${USER_NAMESPACE} AND ${notExtensionMember('pg_ts_template', 't.oid')}
    UNION ALL SELECT 'conversion', n.nspname, c.conname::text
      FROM pg_catalog.pg_conversion c JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace
      WHERE ${USER_NAMESPACE} AND ${notExtensionMember('pg_conversion', 'c.oid')}
    UNION ALL SELECT 'foreign server', NULL, srvname::text FROM pg_catalog.pg_foreign_server s WHERE ${notExtensionMember('pg_foreign_server', 's.oid')}
    UNION ALL SELECT 'foreign-data wrapper', NULL, fdwname::text FROM pg_catalog.pg_foreign_data_wrapper w WHERE ${notExtensionMember('pg_foreign_data_wrapper', 'w.oid')}
    UNION ALL SELECT 'language', NULL, lanname::text FROM pg_catalog.pg_language l WHERE l.oid >= 16384 AND ${notExtensionMember('pg_language', 'l.oid')}
    UNION ALL SELECT 'access method', NULL, amname::text FROM pg_catalog.pg_am a WHERE a.oid >= 16384 AND ${notExtensionMember('pg_am', 'a.oid')}
    UNION ALL SELECT 'transform', NULL, pg_catalog.format_type(t.trftype, NULL) || ' LANGUAGE ' || l.lanname
      FROM pg_catalog.pg_transform t JOIN pg_catalog.pg_language l ON l.oid = t.trflang WHERE ${notExtensionMember('pg_transform', 't.oid')}
    ORDER BY 1, 2, 3`,
  {
    kind: 'text',
    schema: 'text | null',
    name: 'text',
  },
);

export function buildUnsupported(rows: readonly UnsupportedRow[]): UnsupportedObject[] {
  return rows.map((r) => ({ kind: r.kind, schema: r.schema ?? null, name: r.name }));
}
