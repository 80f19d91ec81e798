import { objectKey, type ObjectKeys } from './keys';
import { query } from './query';

/** The owner of one object by (catalog, oid); the row of catalog `database` (oid 0) is the database's. */
export interface OwnerRow {
  readonly catalog: string;
  readonly oid: number;
  readonly owner: string;
}

export const OWNERS = query<OwnerRow>(
  `SELECT 'pg_class' AS catalog, c.oid::int, pg_catalog.pg_get_userbyid(c.relowner) AS owner FROM pg_catalog.pg_class c
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND c.oid >= 16384
    UNION ALL SELECT 'pg_type', t.oid::int, pg_catalog.pg_get_userbyid(t.typowner) FROM pg_catalog.pg_type t WHERE t.oid >= 16384
    UNION ALL SELECT 'pg_proc', p.oid::int, pg_catalog.pg_get_userbyid(p.proowner) FROM pg_catalog.pg_proc p WHERE p.oid >= 16384
    UNION ALL SELECT 'pg_namespace', n.oid::int, pg_catalog.pg_get_userbyid(n.nspowner) FROM pg_catalog.pg_namespace n
    UNION ALL SELECT 'pg_collation', c.oid::int, pg_catalog.pg_get_userbyid(c.collowner) FROM pg_catalog.pg_collation c WHERE c.oid >= 16384
    UNION ALL SELECT 'pg_operator', o.oid::int, pg_catalog.pg_get_userbyid(o.oprowner) FROM pg_catalog.pg_operator o WHERE o.oid >= 16384
    UNION ALL SELECT 'pg_ts_dict', d.oid::int, pg_catalog.pg_get_userbyid(d.dictowner) FROM pg_catalog.pg_ts_dict d WHERE d.oid >= 16384
    UNION ALL SELECT 'pg_ts_config', c.oid::int, pg_catalog.pg_get_userbyid(c.cfgowner) FROM pg_catalog.pg_ts_config c WHERE c.oid >= 16384
    UNION ALL SELECT 'pg_event_trigger', e.oid::int, pg_catalog.pg_get_userbyid(e.evtowner) FROM pg_catalog.pg_event_trigger e
    UNION ALL SELECT 'pg_publication', p.oid::int, pg_catalog.pg_get_userbyid(p.pubowner) FROM pg_catalog.pg_publication p
    UNION ALL SELECT 'pg_statistic_ext', s.oid::int, pg_catalog.pg_get_userbyid(s.stxowner) FROM pg_catalog.pg_statistic_ext s
    UNION ALL SELECT 'database', 0, pg_catalog.pg_get_userbyid(d.datdba) FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()
    ORDER BY 1, 2`,
  {
    catalog: 'text',
    oid: 'int',
    owner: 'text',
  },
);

/** Owners by key (a composite type's pg_class row is its type's: the type's own row says it), and the database's. */
export function buildOwners(
  rows: readonly OwnerRow[],
  keys: ObjectKeys,
): { owners: Map<string, string>; databaseOwner: string } {
  const owners = new Map<string, string>();
  for (const r of rows) {
    if (r.catalog === 'database') continue;
    const key = objectKey(keys, r.catalog, r.oid, 0);
    if (key && !(r.catalog === 'pg_class' && key.startsWith('type:'))) owners.set(key, r.owner);
  }
  return { owners, databaseOwner: rows.find((r) => r.catalog === 'database')?.owner ?? '' };
}
