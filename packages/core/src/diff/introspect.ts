import type { Client } from 'pg';
import { ConfigurationError, describeDatabase, errorMessage } from '../errors';
import { runBatch } from '../pg/batch';
import { connectDatabase } from '../pg/connect';
import { parseAcl } from './acl';
import { ident, literal } from './sql';
import { defaultPrivilegeKey } from './catalog';
import { buildDefinedObjects, DEFINED_OBJECT_QUERIES, type DefinedObjectRow } from './introspect/defined-objects';
import { notExtensionMember, USER_NAMESPACE } from './introspect/scope';
import type {
  Catalog,
  CollationInfo,
  ColumnInfo,
  CompositeTypeInfo,
  ConstraintInfo,
  ConstraintType,
  DomainConstraintInfo,
  DomainInfo,
  EnumInfo,
  ExtensionInfo,
  FunctionInfo,
  IdentityOptions,
  IndexInfo,
  PolicyInfo,
  RangeTypeInfo,
  RelationInfo,
  RuleInfo,
  StatisticsInfo,
  DefaultPrivilegeInfo,
  RelationKind,
  SchemaInfo,
  SequenceInfo,
  TriggerInfo,
} from './catalog';

/*
 * One set-based query per object kind for the whole database (never one per object). System schemas and
 * objects that belong to an extension are left out here; schema options and bookkeeping are applied later
 * (filter.ts) so introspection stays a pure read of the database.
 */

const COLLATION_NAME = (oid: string) => `(SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname)
  FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = ${oid})`;

const QUERIES = {
  version: `SELECT pg_catalog.current_setting('server_version_num')::int AS version`,
  schemas: `SELECT n.oid::int, n.nspname AS name,
      COALESCE(n.nspacl, pg_catalog.acldefault('n', n.nspowner))::text[] AS acl,
      pg_catalog.acldefault('n', n.nspowner)::text[] AS default_acl
    FROM pg_catalog.pg_namespace n
    WHERE ${USER_NAMESPACE} AND ${notExtensionMember('pg_namespace', 'n.oid')}
    ORDER BY n.nspname`,
  extensions: `SELECT e.oid::int, e.extname AS name, n.nspname AS schema, e.extversion AS version
    FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
    ORDER BY e.extname`,
  collations: `SELECT c.oid::int, n.nspname AS schema, c.collname AS name, pg_catalog.to_jsonb(c) AS j
    FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace
    WHERE ${USER_NAMESPACE} AND ${notExtensionMember('pg_collation', 'c.oid')}
    ORDER BY n.nspname, c.collname`,
  types: `SELECT t.oid::int, n.nspname AS schema, t.typname AS name, t.typtype, t.typrelid::int AS relid,
      CASE WHEN t.typtype = 'e' THEN ARRAY(SELECT en.enumlabel::text FROM pg_catalog.pg_enum en
        WHERE en.enumtypid = t.oid ORDER BY en.enumsortorder) END AS labels,
      CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END AS base,
      t.typnotnull, pg_catalog.pg_get_expr(t.typdefaultbin, 0) AS default_expr,
      CASE WHEN t.typtype = 'd' AND t.typcollation <> 0 AND t.typcollation <> bt.typcollation
        THEN ${COLLATION_NAME('t.typcollation')} END AS collation,
      COALESCE(t.typacl, pg_catalog.acldefault('T', t.typowner))::text[] AS acl,
      pg_catalog.acldefault('T', t.typowner)::text[] AS default_acl,
      pg_catalog.format_type(rg.rngsubtype, NULL) AS range_subtype,
      CASE WHEN NOT opc.opcdefault THEN pg_catalog.quote_ident(opcn.nspname) || '.' || pg_catalog.quote_ident(opc.opcname) END AS range_opclass,
      CASE WHEN rg.rngcollation <> 0 AND rg.rngcollation <> st.typcollation THEN ${COLLATION_NAME('rg.rngcollation')} END AS range_collation,
      NULLIF(rg.rngcanonical, 0)::regproc::text AS range_canonical, NULLIF(rg.rngsubdiff, 0)::regproc::text AS range_subdiff,
      rg.rngmultitypid::regtype::text AS multirange, rg.rngmultitypid::int AS multirange_oid
    FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
    LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype
    LEFT JOIN pg_catalog.pg_class tc ON tc.oid = t.typrelid
    LEFT JOIN pg_catalog.pg_range rg ON rg.rngtypid = t.oid
    LEFT JOIN pg_catalog.pg_type st ON st.oid = rg.rngsubtype
    LEFT JOIN pg_catalog.pg_opclass opc ON opc.oid = rg.rngsubopc
    LEFT JOIN pg_catalog.pg_namespace opcn ON opcn.oid = opc.opcnamespace
    WHERE ${USER_NAMESPACE} AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND tc.relkind = 'c'))
      AND ${notExtensionMember('pg_type', 't.oid')}
    ORDER BY n.nspname, t.typname`,
  sequences: `SELECT c.oid::int, n.nspname AS schema, c.relname AS name,
      pg_catalog.format_type(s.seqtypid, NULL) AS data_type, s.seqstart::text AS start,
      s.seqincrement::text AS increment, s.seqmin::text AS min, s.seqmax::text AS max,
      s.seqcache::text AS cache, s.seqcycle AS cycle,
      o.deptype AS owner_deptype, o.relid::int AS owner_relid, o.schema AS owner_schema, o.tname AS owner_table,
      o.attname AS owner_column,
      COALESCE(c.relacl, pg_catalog.acldefault('s', c.relowner))::text[] AS acl,
      pg_catalog.acldefault('s', c.relowner)::text[] AS default_acl
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid
    LEFT JOIN LATERAL (
      SELECT d.deptype, t.oid AS relid, tn.nspname AS schema, t.relname AS tname, a.attname
      FROM pg_catalog.pg_depend d
      JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
      JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
      JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass
        AND d.deptype IN ('a', 'i') LIMIT 1) o ON true
    WHERE c.relkind = 'S' AND ${USER_NAMESPACE} AND ${notExtensionMember('pg_class', 'c.oid')}
    ORDER BY n.nspname, c.relname`,
  relations: `SELECT c.oid::int, n.nspname AS schema, c.relname AS name, c.relkind, c.relpersistence,
      c.relrowsecurity, c.relforcerowsecurity, c.reloptions::text[] AS options, c.relreplident,
      (SELECT ic.relname FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
        WHERE i.indrelid = c.oid AND i.indisreplident LIMIT 1) AS replident_index,
      (SELECT ic.relname FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
        WHERE i.indrelid = c.oid AND i.indisclustered LIMIT 1) AS cluster_index,
      CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS partition_key,
      c.relispartition, CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END AS bound,
      ARRAY(SELECT i.inhparent::int FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid ORDER BY i.inhseqno) AS parents,
      CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END AS view_definition,
      COALESCE(c.relacl, pg_catalog.acldefault('r', c.relowner))::text[] AS acl,
      pg_catalog.acldefault('r', c.relowner)::text[] AS default_acl
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm') AND ${USER_NAMESPACE} AND ${notExtensionMember('pg_class', 'c.oid')}
    ORDER BY n.nspname, c.relname`,
  columns: `SELECT a.attrelid::int AS relid, a.attnum AS position, a.attname AS name,
      pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.atttypid::int AS type_oid, a.attnotnull,
      EXISTS (SELECT FROM pg_catalog.pg_constraint nn WHERE nn.contype = 'n' AND nn.conrelid = a.attrelid
        AND nn.conkey[1] = a.attnum AND nn.conislocal AND nn.coninhcount > 0) AS notnull_own,
      pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) AS default_expr, a.attgenerated, a.attidentity,
      a.attislocal, a.attinhcount, a.attacl::text[] AS acl,
      CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage::text END AS storage, t.typstorage::text AS type_storage,
      a.attcompression::text AS compression,
      COALESCE(a.attstattarget, -1)::int AS stattarget, a.attoptions::text[] AS attoptions,
      CASE WHEN a.attcollation <> t.typcollation THEN ${COLLATION_NAME('a.attcollation')} END AS collation,
      pg_catalog.format_type(bt.oid, NULL) AS cast_type, bt.typcategory::text AS cast_category, t.typcategory = 'A' AS is_array
    FROM pg_catalog.pg_attribute a
    JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
    LEFT JOIN pg_catalog.pg_type et ON et.oid = CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE t.oid END
    LEFT JOIN pg_catalog.pg_type bt ON bt.oid = COALESCE(NULLIF(et.typbasetype, 0), et.oid)
    LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
    WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c') AND ${USER_NAMESPACE}
    ORDER BY n.nspname, c.relname, a.attnum`,
  constraints: `SELECT co.oid::int, n.nspname AS schema, co.conname AS name, co.contype, co.conrelid::int AS relid,
      co.contypid::int AS typid, pg_catalog.pg_get_constraintdef(co.oid) AS definition,
      co.confrelid::int AS frelid, co.conindid::int AS indid, co.conislocal, co.conparentid::int AS parentid, co.convalidated
    FROM pg_catalog.pg_constraint co JOIN pg_catalog.pg_namespace n ON n.oid = co.connamespace
    WHERE ${USER_NAMESPACE} AND (co.conrelid <> 0 OR co.contypid <> 0)
    ORDER BY n.nspname, co.conrelid::regclass::text, co.contypid::regtype::text, co.conname`,
  indexes: `SELECT i.indexrelid::int AS oid, n.nspname AS schema, ic.relname AS name, i.indrelid::int AS relid,
      ic.relispartition, i.indisvalid AS valid, backing.conindid IS NOT NULL AS backs_constraint,
      (SELECT inh.inhparent::int FROM pg_catalog.pg_inherits inh WHERE inh.inhrelid = i.indexrelid) AS parent_index,
      CASE WHEN backing.conindid IS NULL THEN pg_catalog.pg_get_indexdef(i.indexrelid) END AS definition,
      ARRAY(SELECT a.attnum || '=' || a.attstattarget FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = i.indexrelid AND COALESCE(a.attstattarget::int, -1) >= 0 ORDER BY a.attnum) AS statistics_targets
    FROM pg_catalog.pg_index i
    JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
    LEFT JOIN (SELECT DISTINCT co.conindid, co.conrelid FROM pg_catalog.pg_constraint co
      WHERE co.contype IN ('p', 'u', 'x')) backing ON backing.conindid = i.indexrelid AND backing.conrelid = i.indrelid
    WHERE ${USER_NAMESPACE}
    ORDER BY n.nspname, ic.relname`,
  functions: `SELECT p.oid::int, n.nspname AS schema, p.proname AS name, p.prokind,
      pg_catalog.pg_get_function_identity_arguments(p.oid) AS identity_arguments,
      pg_catalog.pg_get_function_arguments(p.oid) AS arguments,
      pg_catalog.pg_get_function_result(p.oid) AS result,
      pg_catalog.pg_get_functiondef(p.oid) AS definition, l.lanname AS language, p.prosrc AS body,
      COALESCE(p.proacl, pg_catalog.acldefault('f', p.proowner))::text[] AS acl,
      pg_catalog.acldefault('f', p.proowner)::text[] AS default_acl
    FROM pg_catalog.pg_proc p
    JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    JOIN pg_catalog.pg_language l ON l.oid = p.prolang
    WHERE p.prokind IN ('f', 'p', 'w') AND ${USER_NAMESPACE} AND ${notExtensionMember('pg_proc', 'p.oid')}
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend i
        WHERE i.classid = 'pg_proc'::regclass AND i.objid = p.oid AND i.deptype = 'i')
    ORDER BY n.nspname, p.proname, identity_arguments`,
  aggregates: `SELECT p.oid::int, n.nspname AS schema, p.proname AS name,
      pg_catalog.pg_get_function_identity_arguments(p.oid) AS identity_arguments,
      pg_catalog.pg_get_function_arguments(p.oid) AS arguments,
      pg_catalog.pg_get_function_result(p.oid) AS result, p.proparallel AS parallel, a.aggkind AS kind,
      a.aggtransfn::regproc::text AS sfunc, pg_catalog.format_type(a.aggtranstype, NULL) AS stype, a.aggtransspace AS sspace,
      NULLIF(a.aggfinalfn, 0)::regproc::text AS finalfunc, a.aggfinalextra AS finalextra, a.aggfinalmodify AS finalmodify,
      NULLIF(a.aggcombinefn, 0)::regproc::text AS combinefunc, NULLIF(a.aggserialfn, 0)::regproc::text AS serialfunc,
      NULLIF(a.aggdeserialfn, 0)::regproc::text AS deserialfunc, a.agginitval AS initcond,
      NULLIF(a.aggmtransfn, 0)::regproc::text AS msfunc, NULLIF(a.aggminvtransfn, 0)::regproc::text AS minvfunc,
      CASE WHEN a.aggmtranstype <> 0 THEN pg_catalog.format_type(a.aggmtranstype, NULL) END AS mstype,
      a.aggmtransspace AS msspace, NULLIF(a.aggmfinalfn, 0)::regproc::text AS mfinalfunc, a.aggmfinalextra AS mfinalextra,
      a.aggmfinalmodify AS mfinalmodify, a.aggminitval AS minitcond,
      CASE WHEN a.aggsortop <> 0 THEN 'OPERATOR(' || pg_catalog.quote_ident(opn.nspname) || '.' || op.oprname || ')' END AS sortop,
      COALESCE(p.proacl, pg_catalog.acldefault('f', p.proowner))::text[] AS acl,
      pg_catalog.acldefault('f', p.proowner)::text[] AS default_acl
    FROM pg_catalog.pg_proc p
    JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = p.oid
    JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    LEFT JOIN pg_catalog.pg_operator op ON op.oid = a.aggsortop
    LEFT JOIN pg_catalog.pg_namespace opn ON opn.oid = op.oprnamespace
    WHERE ${USER_NAMESPACE} AND ${notExtensionMember('pg_proc', 'p.oid')}
    ORDER BY n.nspname, p.proname, identity_arguments`,
  statistics: `SELECT s.oid::int, n.nspname AS schema, s.stxname AS name, s.stxrelid::int AS relid,
      pg_catalog.pg_get_statisticsobjdef(s.oid) AS definition, s.stxstattarget AS target
    FROM pg_catalog.pg_statistic_ext s JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace
    WHERE ${USER_NAMESPACE} AND ${notExtensionMember('pg_statistic_ext', 's.oid')}
    ORDER BY n.nspname, s.stxname`,
  rules: `SELECT r.oid::int, r.ev_class::int AS relid, r.rulename AS name, pg_catalog.pg_get_ruledef(r.oid) AS definition,
      r.ev_enabled AS enabled
    FROM pg_catalog.pg_rewrite r
    JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE r.rulename <> '_RETURN' AND ${USER_NAMESPACE}
    ORDER BY n.nspname, c.relname, r.rulename`,
  defaultAcls: `SELECT pg_catalog.pg_get_userbyid(d.defaclrole) AS role, n.nspname AS schema, d.defaclobjtype AS objtype,
      d.defaclacl::text[] AS acl,
      pg_catalog.acldefault(CASE d.defaclobjtype WHEN 'S' THEN 's' ELSE d.defaclobjtype END, d.defaclrole)::text[] AS builtin_acl
    FROM pg_catalog.pg_default_acl d LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
    ORDER BY 1, 2 NULLS FIRST, 3`,
  triggers: `SELECT t.oid::int, t.tgrelid::int AS relid, t.tgname AS name,
      pg_catalog.pg_get_triggerdef(t.oid) AS definition, t.tgenabled AS enabled
    FROM pg_catalog.pg_trigger t
    JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND ${USER_NAMESPACE}
    ORDER BY n.nspname, c.relname, t.tgname`,
  policies: `SELECT p.oid::int, p.polrelid::int AS relid, p.polname AS name, p.polpermissive AS permissive,
      p.polcmd AS command,
      ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(r)::text END
        FROM pg_catalog.unnest(p.polroles) AS r ORDER BY 1) AS roles,
      pg_catalog.pg_get_expr(p.polqual, p.polrelid) AS using_expr,
      pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) AS check_expr
    FROM pg_catalog.pg_policy p
    ORDER BY p.polrelid::regclass::text, p.polname`,
  casts: `SELECT pg_catalog.format_type(c.castsource, NULL) AS source, pg_catalog.format_type(c.casttarget, NULL) AS target
    FROM pg_catalog.pg_cast c ORDER BY 1, 2`,
  ...DEFINED_OBJECT_QUERIES,
  owners: `SELECT 'pg_class' AS catalog, c.oid::int, pg_catalog.pg_get_userbyid(c.relowner) AS owner FROM pg_catalog.pg_class c
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
  comments: `SELECT d.classoid::regclass::text AS catalog, d.objoid::int AS oid, d.objsubid AS subid, d.description
    FROM pg_catalog.pg_description d
    WHERE d.objoid >= 16384 OR d.classoid = 'pg_catalog.pg_namespace'::regclass
    ORDER BY 1, 2, 3`,
  unsupported: `SELECT 'foreign table' AS kind, n.nspname AS schema, c.relname::text AS name
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
  depends: `SELECT d.classid::regclass::text AS catalog, d.objid::int AS oid, d.objsubid AS subid,
      d.refclassid::regclass::text AS ref_catalog, d.refobjid::int AS ref_oid, d.refobjsubid AS ref_subid, d.deptype,
      rw.ev_class::int AS rule_relid, ad.adrelid::int AS default_relid, ad.adnum AS default_column,
      rte.oid::int AS ref_type_oid, NULLIF(rte.typrelid, 0)::int AS ref_type_relid
    FROM pg_catalog.pg_depend d
    LEFT JOIN pg_catalog.pg_rewrite rw ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND rw.oid = d.objid
    LEFT JOIN pg_catalog.pg_attrdef ad ON d.classid = 'pg_catalog.pg_attrdef'::regclass AND ad.oid = d.objid
    LEFT JOIN pg_catalog.pg_type rt ON d.refclassid = 'pg_catalog.pg_type'::regclass AND rt.oid = d.refobjid
    LEFT JOIN pg_catalog.pg_type rte ON rte.oid = CASE WHEN rt.typcategory = 'A' THEN rt.typelem ELSE rt.oid END
    WHERE d.objid >= 16384 AND d.refobjid >= 16384 AND (d.deptype IN ('n', 'a', 'e')
      OR (d.deptype = 'i' AND d.classid = 'pg_catalog.pg_proc'::regclass AND d.refclassid = 'pg_catalog.pg_type'::regclass))
    ORDER BY 1, 2, 3, 4, 5, 6`,
} as const;

type QueryName = keyof typeof QUERIES;
type Row = Record<string, any>;
type Rows = Record<QueryName, Row[]>;

/** How long reading a catalog waits for a lock held by someone else, and how long one catalog query may run. */
export const INTROSPECTION_LOCK_TIMEOUT_MS = 30_000;
const INTROSPECTION_STATEMENT_TIMEOUT_MS = 300_000;

export interface IntrospectOptions {
  /** Give up (SQLSTATE 55P03) when a catalog read waits this long for a lock; default INTROSPECTION_LOCK_TIMEOUT_MS. */
  readonly lockTimeoutMs?: number;
}

/**
 * Every query in one round trip, inside one repeatable-read read-only transaction: all of them see the
 * same snapshot, so a change committed meanwhile is seen whole or not at all. The settings are local to
 * that transaction, so a connection given by the caller (the fleet's locked one) keeps its own.
 */
async function runQueries(client: Client, database: string, options: IntrospectOptions): Promise<Rows> {
  const names = Object.keys(QUERIES) as QueryName[];
  // An empty search_path makes every pg_get_*def and format_type schema-qualify user objects,
  // so definitions compare alike and run alike whatever the applying session's search_path is.
  // Some pg_get_*def functions lock the relation they describe: behind a long exclusive lock, reading
  // gives up after the lock timeout (55P03, which the fleet retries) instead of waiting for ever.
  const lockTimeout = Math.floor(options.lockTimeoutMs ?? INTROSPECTION_LOCK_TIMEOUT_MS);
  const prologue = [
    'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
    `SELECT pg_catalog.set_config('search_path', '', true), pg_catalog.set_config('lock_timeout', '${lockTimeout}ms', true), ` +
      `pg_catalog.set_config('statement_timeout', '${INTROSPECTION_STATEMENT_TIMEOUT_MS}ms', true)`,
  ];
  const { results, failure } = await runBatch(client, [...prologue, ...names.map((name) => QUERIES[name]), 'COMMIT']);
  if (failure) {
    // The transaction stays open (aborted) after an error inside it: end it before the connection is used again.
    await client.query('ROLLBACK').catch(() => undefined);
    if (failure.failedIndex < prologue.length) throw new ConfigurationError(`cannot read the schema of ${database}: ${errorMessage(failure.error)}`);
    throw failure.error;
  }
  const rows = {} as Rows;
  names.forEach((name, i) => (rows[name] = results[prologue.length + i]!.rows));
  return rows;
}

/**
 * Reads the whole user schema of one database into plain data, in one round trip. Given a URL it opens
 * one connection and closes it; given a connected client it reads on it and leaves it open.
 */
export async function introspect(database: string | Client, options: IntrospectOptions = {}): Promise<Catalog> {
  if (typeof database !== 'string') return buildCatalog(await runQueries(database, describeClient(database), options));
  const client = await connectDatabase(database);
  try {
    return buildCatalog(await runQueries(client, describeDatabase(database), options));
  } finally {
    await client.end().catch(() => undefined);
  }
}

function describeClient(client: Client): string {
  return `${client.host}:${client.port}/${client.database ?? ''}`;
}

const relationKinds: Record<string, RelationKind> = {
  r: 'table',
  p: 'partitioned table',
  v: 'view',
  m: 'materialized view',
  f: 'foreign table',
};

function stripSemicolon(text: string): string {
  return text.replace(/;\s*$/, '');
}

function buildCatalog(rows: Rows): Catalog {
  // oid -> key maps per system catalog, for comments and dependencies.
  const classKeys = new Map<number, string>();
  const typeKeys = new Map<number, string>();
  const procKeys = new Map<number, string>();
  const constraintKeys = new Map<number, string>();
  const namespaceKeys = new Map<number, string>();
  const extensionKeys = new Map<number, string>();
  const collationKeys = new Map<number, string>();
  const triggerKeys = new Map<number, string>();
  const policyKeys = new Map<number, string>();
  const statisticsKeys = new Map<number, string>();
  const ruleKeys = new Map<number, string>();
  const comments = new Map<string, string>();
  const relByOid = new Map<number, { schema: string; name: string; key: string }>();

  const schemas = new Map<string, SchemaInfo>();
  for (const r of rows.schemas) {
    const key = `schema:${r.name}`;
    namespaceKeys.set(r.oid, key);
    schemas.set(key, { key, name: r.name, comment: null, acl: parseAcl(r.acl), defaultAcl: parseAcl(r.default_acl) });
  }

  const extensions = new Map<string, ExtensionInfo>();
  for (const r of rows.extensions) {
    const key = `ext:${r.name}`;
    extensionKeys.set(r.oid, key);
    extensions.set(key, { key, name: r.name, schema: r.schema, version: r.version, comment: null });
  }

  const collations = new Map<string, CollationInfo>();
  for (const r of rows.collations) {
    const key = `coll:${r.schema}.${r.name}`;
    const j = r.j as Record<string, unknown>;
    collationKeys.set(r.oid, key);
    collations.set(key, {
      key,
      schema: r.schema,
      name: r.name,
      provider: String(j.collprovider),
      collate: (j.collcollate as string | null) ?? null,
      ctype: (j.collctype as string | null) ?? null,
      locale: ((j.colliculocale ?? j.colllocale) as string | null) ?? null,
      deterministic: j.collisdeterministic !== false,
      comment: null,
    });
  }

  const enums = new Map<string, EnumInfo>();
  const domains = new Map<string, DomainInfo & { constraints: DomainConstraintInfo[] }>();
  const composites = new Map<string, CompositeTypeInfo & { attributes: CompositeTypeInfo['attributes'][number][] }>();
  const ranges = new Map<string, RangeTypeInfo>();
  for (const r of rows.types) {
    const key = `type:${r.schema}.${r.name}`;
    typeKeys.set(r.oid, key);
    const acl = parseAcl(r.acl);
    const defaultAcl = parseAcl(r.default_acl);
    if (r.typtype === 'r') {
      // The multirange type comes and goes with its range: a column of either uses the range.
      typeKeys.set(r.multirange_oid, key);
      ranges.set(key, {
        key, schema: r.schema, name: r.name, subtype: r.range_subtype, opclass: r.range_opclass ?? null,
        collation: r.range_collation ?? null, canonical: r.range_canonical ?? null, subtypeDiff: r.range_subdiff ?? null,
        multirange: r.multirange, comment: null, acl, defaultAcl,
      });
    } else if (r.typtype === 'e') {
      enums.set(key, { key, schema: r.schema, name: r.name, labels: r.labels, comment: null, acl, defaultAcl });
    } else if (r.typtype === 'd') {
      domains.set(key, {
        key, schema: r.schema, name: r.name, baseType: r.base, collation: r.collation ?? null,
        default: r.default_expr ?? null, notNull: r.typnotnull, constraints: [], comment: null, acl, defaultAcl,
      });
    } else {
      classKeys.set(r.relid, key);
      composites.set(key, { key, schema: r.schema, name: r.name, attributes: [], comment: null, acl, defaultAcl });
    }
  }

  const relations = new Map<string, RelationInfo & { columns: ColumnInfo[] }>();
  const relRows = new Map<number, Row>();
  for (const r of rows.relations) {
    const key = `rel:${r.schema}.${r.name}`;
    classKeys.set(r.oid, key);
    relByOid.set(r.oid, { schema: r.schema, name: r.name, key });
    relRows.set(r.oid, r);
  }
  for (const r of rows.relations) {
    const key = `rel:${r.schema}.${r.name}`;
    const parents = (r.parents as number[]).map((oid) => classKeys.get(oid)).filter((k): k is string => !!k);
    relations.set(key, {
      key,
      oid: r.oid,
      schema: r.schema,
      name: r.name,
      kind: relationKinds[r.relkind]!,
      unlogged: r.relpersistence === 'u',
      rowSecurity: r.relrowsecurity,
      forceRowSecurity: r.relforcerowsecurity,
      replicaIdentity: r.relreplident === 'i' && !r.replident_index ? 'd' : r.relreplident,
      replicaIdentityIndex: r.relreplident === 'i' ? r.replident_index ?? null : null,
      clusterIndex: r.cluster_index ?? null,
      options: (r.options as string[] | null) ?? [],
      partitionKey: r.partition_key ?? null,
      partitionOf: r.relispartition ? parents[0] ?? null : null,
      partitionBound: r.bound ?? null,
      inherits: r.relispartition ? [] : parents,
      columns: [],
      viewDefinition: r.view_definition ? stripSemicolon(r.view_definition) : null,
      comment: null,
      acl: parseAcl(r.acl),
      defaultAcl: parseAcl(r.default_acl),
    });
  }

  // Sequences; identity sequences belong to their column instead.
  const sequences = new Map<string, SequenceInfo>();
  const identityByColumn = new Map<string, IdentityOptions>();
  for (const r of rows.sequences) {
    const key = `seq:${r.schema}.${r.name}`;
    const ownerKey = r.owner_schema ? `col:${r.owner_schema}.${r.owner_table}.${r.owner_column}` : null;
    if (r.owner_deptype === 'i' && ownerKey) {
      identityByColumn.set(ownerKey, {
        sequenceName: `${r.schema}.${r.name}`, dataType: r.data_type, start: r.start, increment: r.increment,
        min: r.min, max: r.max, cache: r.cache, cycle: r.cycle,
      });
      continue;
    }
    classKeys.set(r.oid, key);
    sequences.set(key, {
      key, schema: r.schema, name: r.name, dataType: r.data_type, start: r.start, increment: r.increment,
      min: r.min, max: r.max, cache: r.cache, cycle: r.cycle,
      ownedBy: ownerKey,
      ownedByName: ownerKey ? { schema: r.owner_schema, table: r.owner_table, column: r.owner_column } : null,
      comment: null, acl: parseAcl(r.acl), defaultAcl: parseAcl(r.default_acl),
    });
  }

  const columnKeyByRelAttnum = new Map<string, string>();
  for (const r of rows.columns) {
    const typeKey = classKeys.get(r.relid);
    if (!typeKey) continue;
    if (typeKey.startsWith('type:')) {
      composites.get(typeKey)?.attributes.push({ name: r.name, type: r.type, collation: r.collation ?? null });
      continue;
    }
    const rel = relations.get(typeKey);
    if (!rel) continue;
    const key = `col:${rel.schema}.${rel.name}.${r.name}`;
    columnKeyByRelAttnum.set(`${r.relid}:${r.position}`, key);
    rel.columns.push({
      key, name: r.name, position: r.position, type: r.type, typeOid: r.type_oid, notNull: r.attnotnull, notNullOwn: r.notnull_own,
      default: r.default_expr ?? null, generated: r.attgenerated === 's' ? 's' : '',
      identity: r.attidentity === 'a' || r.attidentity === 'd' ? r.attidentity : '',
      identityOptions: identityByColumn.get(key) ?? null,
      collation: r.collation ?? null, isLocal: r.attislocal, inheritedCount: r.attinhcount, comment: null, acl: parseAcl(r.acl),
      storage: r.storage ?? null, typeStorage: r.type_storage, compression: r.compression ?? '', statisticsTarget: r.stattarget, options: r.attoptions ?? [],
      castType: r.cast_type ?? r.type, castCategory: r.cast_category ?? 'U', isArray: r.is_array === true,
    });
  }

  // Constraints: table constraints cloned onto partitions or inherited from a parent come with it.
  const constraints = new Map<string, ConstraintInfo>();
  const constraintByIndexOid = new Map<number, string>();
  const domainConstraintByOid = new Map<number, { domain: string; name: string }>();
  for (const r of rows.constraints) {
    if (r.typid) {
      const domainKey = typeKeys.get(r.typid);
      const domain = domainKey ? domains.get(domainKey) : undefined;
      if (domain && r.contype === 'c') {
        domain.constraints.push({ name: r.name, definition: r.definition, comment: null });
        constraintKeys.set(r.oid, domainKey!);
        domainConstraintByOid.set(r.oid, { domain: domainKey!, name: r.name });
      }
      continue;
    }
    const rel = relByOid.get(r.relid);
    if (!rel || r.parentid || !r.conislocal || !'pufcx'.includes(r.contype)) continue;
    const key = `con:${rel.schema}.${rel.name}.${r.name}`;
    constraintKeys.set(r.oid, key);
    if ('pux'.includes(r.contype) && r.indid) constraintByIndexOid.set(r.indid, key);
    constraints.set(key, {
      key, schema: rel.schema, table: rel.name, tableKey: rel.key, name: r.name, type: r.contype as ConstraintType,
      definition: r.definition, references: r.frelid ? relByOid.get(r.frelid)?.key ?? null : null, comment: null,
    });
  }

  // A check constraint a table inherits (a partition's, an inheritance child's) is its parent's, but it may be
  // NOT VALID there while valid here (a partition created after it was added): the parent's says where it is NOT VALID.
  const checkByRelName = new Map<string, Row>(rows.constraints.filter((r) => r.contype === 'c' && r.relid).map((r) => [`${r.relid}:${r.name}`, r]));
  for (const r of rows.constraints) {
    const child = relByOid.get(r.relid);
    if (r.contype !== 'c' || r.conislocal || r.convalidated || !child) continue;
    let root: Row | undefined;
    for (let oid = r.relid, hops = 0; !root && hops < 100; hops++) {
      const parent = ((relRows.get(oid)?.parents as number[] | undefined) ?? []).find((p) => checkByRelName.has(`${p}:${r.name}`));
      if (parent === undefined) break;
      const row = checkByRelName.get(`${parent}:${r.name}`)!;
      if (row.conislocal) root = row;
      oid = parent;
    }
    const key = root ? constraintKeys.get(root.oid) : undefined;
    const constraint = key ? constraints.get(key) : undefined;
    if (constraint) constraints.set(key!, { ...constraint, notValidOn: [...(constraint.notValidOn ?? []), child.key].sort() });
  }

  // A foreign key referencing a partitioned table has a clone per partition, on the referencing table itself:
  // each clone stands for that foreign key, so its pg_depend rows (on the partitions) become the key's, and
  // the partitions are dropped after it. (Clones on the referencing side's own partitions belong to those.)
  const constraintRows = new Map<number, Row>(rows.constraints.map((r) => [r.oid, r]));
  for (const r of rows.constraints) {
    if (!r.parentid || r.contype !== 'f' || constraintKeys.has(r.oid)) continue;
    let root = r;
    for (let hops = 0; root.parentid && constraintRows.has(root.parentid) && hops < 100; hops++) root = constraintRows.get(root.parentid)!;
    const key = constraintKeys.get(root.oid);
    if (key && root.relid === r.relid) constraintKeys.set(r.oid, key);
  }

  const indexes = new Map<string, IndexInfo>();
  const partitionIndexes = new Map<string, IndexInfo>();
  for (const r of rows.indexes) {
    const backing = constraintByIndexOid.get(r.oid);
    if (backing) {
      classKeys.set(r.oid, backing);
      continue;
    }
    const rel = relByOid.get(r.relid);
    if (!rel || r.backs_constraint) continue;
    const key = `idx:${r.schema}.${r.name}`;
    classKeys.set(r.oid, key);
    // An index on a partition attached to its parent's index is created by the parent's CREATE INDEX.
    const index = {
      key, schema: r.schema, name: r.name, tableKey: rel.key, definition: r.definition, valid: r.valid !== false,
      statisticsTargets: (r.statistics_targets as string[] | null) ?? [], comment: null,
    };
    (r.relispartition ? partitionIndexes : indexes).set(key, index);
  }
  // Parents are keyed once every index is (a parent may come after its partitions' indexes). A partition's own
  // constraint whose index is attached to a partitioned index says so too.
  for (const r of rows.indexes) {
    const key = classKeys.get(r.oid);
    if (!key || !r.parent_index) continue;
    const index = partitionIndexes.get(key);
    if (index) partitionIndexes.set(key, { ...index, parentIndexKey: classKeys.get(r.parent_index) ?? null });
    const constraint = constraints.get(key);
    if (constraint && constraintByIndexOid.get(r.oid) === key) constraints.set(key, { ...constraint, parentIndexKey: classKeys.get(r.parent_index) ?? null });
  }

  const defined = buildDefinedObjects(
    (['operators', 'operatorFamilies', 'operatorClasses', 'userCasts', 'textSearchDictionaries', 'textSearchConfigurations', 'eventTriggers', 'publications'] as const)
      .flatMap((name) => rows[name] as DefinedObjectRow[]),
  );

  const functions = new Map<string, FunctionInfo>();
  for (const r of rows.functions) {
    const key = `fn:${r.schema}.${r.name}(${r.identity_arguments})`;
    procKeys.set(r.oid, key);
    functions.set(key, {
      key, schema: r.schema, name: r.name, kind: r.prokind === 'p' ? 'procedure' : 'function',
      identityArguments: r.identity_arguments, arguments: r.arguments, result: r.result ?? null,
      definition: r.definition.replace(/\s+$/, ''), language: r.language, body: r.body ?? '', comment: null,
      acl: parseAcl(r.acl), defaultAcl: parseAcl(r.default_acl),
    });
  }

  for (const r of rows.aggregates) {
    const key = `fn:${r.schema}.${r.name}(${r.identity_arguments})`;
    procKeys.set(r.oid, key);
    functions.set(key, {
      key, schema: r.schema, name: r.name, kind: 'aggregate', identityArguments: r.identity_arguments,
      arguments: r.arguments, result: r.result ?? null, definition: aggregateDefinition(r), language: 'internal', body: '',
      comment: null, acl: parseAcl(r.acl), defaultAcl: parseAcl(r.default_acl),
    });
  }

  const statistics = new Map<string, StatisticsInfo>();
  for (const r of rows.statistics) {
    const rel = relByOid.get(r.relid);
    if (!rel) continue;
    const key = `stx:${r.schema}.${r.name}`;
    statisticsKeys.set(r.oid, key);
    statistics.set(key, { key, schema: r.schema, name: r.name, tableKey: rel.key, definition: r.definition, target: r.target ?? -1, comment: null });
  }

  const rules = new Map<string, RuleInfo>();
  for (const r of rows.rules) {
    const rel = relByOid.get(r.relid);
    if (!rel) continue;
    const key = `rule:${rel.schema}.${rel.name}.${r.name}`;
    ruleKeys.set(r.oid, key);
    rules.set(key, {
      key, schema: rel.schema, table: rel.name, tableKey: rel.key, name: r.name,
      definition: stripSemicolon(r.definition), enabled: r.enabled, comment: null,
    });
  }

  const defaultPrivileges = new Map<string, DefaultPrivilegeInfo>();
  for (const r of rows.defaultAcls) {
    const schema: string | null = r.schema ?? null;
    const key = defaultPrivilegeKey(r.role, schema, r.objtype);
    defaultPrivileges.set(key, {
      key, role: r.role, schema, objectType: r.objtype, acl: parseAcl(r.acl),
      defaultAcl: schema === null ? parseAcl(r.builtin_acl) : {},
    });
  }

  const triggers = new Map<string, TriggerInfo>();
  for (const r of rows.triggers) {
    const rel = relByOid.get(r.relid);
    if (!rel) continue;
    const key = `trg:${rel.schema}.${rel.name}.${r.name}`;
    triggerKeys.set(r.oid, key);
    triggers.set(key, {
      key, schema: rel.schema, table: rel.name, tableKey: rel.key, name: r.name, definition: r.definition,
      enabled: r.enabled, comment: null,
    });
  }

  const policies = new Map<string, PolicyInfo>();
  for (const r of rows.policies) {
    const rel = relByOid.get(r.relid);
    if (!rel) continue;
    const key = `pol:${rel.schema}.${rel.name}.${r.name}`;
    policyKeys.set(r.oid, key);
    policies.set(key, {
      key, schema: rel.schema, table: rel.name, tableKey: rel.key, name: r.name, permissive: r.permissive,
      command: r.command, roles: r.roles, using: r.using_expr ?? null, withCheck: r.check_expr ?? null, comment: null,
    });
  }

  // Comments, attached to the objects by (catalog, oid, subid).
  for (const r of rows.comments) {
    const key = objectKey(r.catalog, r.oid, r.subid);
    if (key) comments.set(key, r.description);
    if (r.catalog === 'pg_constraint' && domainConstraintByOid.has(r.oid)) {
      const { domain, name } = domainConstraintByOid.get(r.oid)!;
      comments.set(`${domain}#${name}`, r.description);
    }
  }

  function objectKey(catalog: string, oid: number, subid: number): string | undefined {
    switch (catalog) {
      case 'pg_class': {
        if (subid > 0) return columnKeyByRelAttnum.get(`${oid}:${subid}`) ?? classKeys.get(oid);
        return classKeys.get(oid);
      }
      case 'pg_type': return typeKeys.get(oid);
      case 'pg_proc': return procKeys.get(oid);
      case 'pg_constraint': return domainConstraintByOid.has(oid) ? undefined : constraintKeys.get(oid);
      case 'pg_namespace': return namespaceKeys.get(oid);
      case 'pg_extension': return extensionKeys.get(oid);
      case 'pg_collation': return collationKeys.get(oid);
      case 'pg_trigger': return triggerKeys.get(oid);
      case 'pg_policy': return policyKeys.get(oid);
      case 'pg_statistic_ext': return statisticsKeys.get(oid);
      case 'pg_rewrite': return ruleKeys.get(oid);
      default: return defined.keysByOid.get(`${catalog}:${oid}`);
    }
  }

  // Dependencies mapped onto our keys. Extension members stand for their extension, and functions a type
  // made for itself (a range type's constructors) for that type.
  const standsFor = new Map<string, string>();
  for (const r of rows.depends) {
    if (r.deptype === 'e') {
      const ext = extensionKeys.get(r.ref_oid);
      if (ext) standsFor.set(`${r.catalog}:${r.oid}`, ext);
    } else if (r.deptype === 'i') {
      const type = typeKeys.get(r.ref_oid);
      if (type) standsFor.set(`${r.catalog}:${r.oid}`, type);
    }
  }
  const dependsOn = new Map<string, Set<string>>();
  const dependents = new Map<string, Set<string>>();
  const addEdge = (from: string, to: string) => {
    if (from === to) return;
    let set = dependsOn.get(from);
    if (!set) dependsOn.set(from, (set = new Set()));
    set.add(to);
    let back = dependents.get(to);
    if (!back) dependents.set(to, (back = new Set()));
    back.add(from);
  };
  for (const r of rows.depends) {
    if (r.deptype === 'e' || r.deptype === 'i') continue;
    if (standsFor.has(`${r.catalog}:${r.oid}`)) continue;
    let from: string | undefined;
    // A view's _RETURN rule stands for the view; other rules are objects of their own.
    if (r.catalog === 'pg_rewrite') from = ruleKeys.get(r.oid) ?? (r.rule_relid ? classKeys.get(r.rule_relid) : undefined);
    else if (r.catalog === 'pg_attrdef') from = columnKeyByRelAttnum.get(`${r.default_relid}:${r.default_column}`);
    else from = objectKey(r.catalog, r.oid, r.subid);
    if (!from) continue;
    // OWNED BY is not an ordering dependency: the column's default depends on the sequence the other way.
    if (from.startsWith('seq:') && r.deptype === 'a') continue;
    const targets: string[] = [];
    const member = standsFor.get(`${r.ref_catalog}:${r.ref_oid}`);
    if (member) targets.push(member);
    else if (r.ref_catalog === 'pg_type') {
      const typeMember = r.ref_type_oid ? standsFor.get(`pg_type:${r.ref_type_oid}`) : undefined;
      if (typeMember) targets.push(typeMember);
      else if (r.ref_type_relid) {
        const k = classKeys.get(r.ref_type_relid);
        if (k) targets.push(k);
      } else if (r.ref_type_oid) {
        const k = typeKeys.get(r.ref_type_oid);
        if (k) targets.push(k);
      }
    } else if (r.ref_catalog === 'pg_class' && r.ref_subid > 0) {
      const col = columnKeyByRelAttnum.get(`${r.ref_oid}:${r.ref_subid}`);
      if (col) targets.push(col);
      // A default or generation expression reading its own table's columns says nothing about the table
      // itself: an edge to it would order every change of the column after every change of the table.
      const ownTable = r.catalog === 'pg_attrdef' && r.default_relid === r.ref_oid;
      const rel = classKeys.get(r.ref_oid);
      if (rel && !ownTable) targets.push(rel);
    } else {
      const k = objectKey(r.ref_catalog, r.ref_oid, r.ref_subid);
      if (k) targets.push(k);
    }
    for (const to of targets) addEdge(from, to);
  }

  // Owners by key (a composite type's pg_class row is its type's: the type's own row says it).
  const owners = new Map<string, string>();
  for (const r of rows.owners) {
    if (r.catalog === 'database') continue;
    const key = objectKey(r.catalog, r.oid, 0);
    if (key && !(r.catalog === 'pg_class' && key.startsWith('type:'))) owners.set(key, r.owner);
  }

  // Attach comments now that every object is known.
  const withComment = <T extends { key: string; comment: string | null }>(o: T): T =>
    comments.has(o.key) ? { ...o, comment: comments.get(o.key)! } : o;
  const mapValues = <T extends { key: string; comment: string | null }>(m: Map<string, T>) =>
    new Map([...m].map(([k, v]) => [k, withComment(v)]));

  const finalRelations = new Map<string, RelationInfo>();
  for (const [k, rel] of relations) {
    finalRelations.set(k, withComment({ ...rel, columns: rel.columns.map(withComment) }));
  }
  const finalDomains = new Map<string, DomainInfo>();
  for (const [k, d] of domains) {
    finalDomains.set(k, withComment({
      ...d,
      constraints: d.constraints.map((c) => ({ ...c, comment: comments.get(`${k}#${c.name}`) ?? null })),
    }));
  }
  const version = rows.version[0]?.version as number;
  const columns = new Map<string, { relationKey: string; column: ColumnInfo }>();
  for (const rel of finalRelations.values()) for (const column of rel.columns) columns.set(column.key, { relationKey: rel.key, column });

  return {
    serverVersion: version,
    schemas: mapValues(schemas),
    extensions: mapValues(extensions),
    definedObjects: mapValues(defined.objects),
    collations: mapValues(collations),
    enums: mapValues(enums),
    domains: finalDomains,
    compositeTypes: mapValues(composites),
    ranges: mapValues(ranges),
    sequences: mapValues(sequences),
    relations: finalRelations,
    columns,
    constraints: mapValues(constraints),
    indexes: mapValues(indexes),
    partitionIndexes: mapValues(partitionIndexes),
    functions: mapValues(functions),
    triggers: mapValues(triggers),
    policies: mapValues(policies),
    statistics: mapValues(statistics),
    rules: mapValues(rules),
    defaultPrivileges,
    dependsOn,
    dependents,
    typeKeysByOid: typeKeys,
    casts: new Set(rows.casts.map((r) => `${r.source}->${r.target}`)),
    owners,
    databaseOwner: rows.owners.find((r) => r.catalog === 'database')?.owner ?? '',
    unsupported: rows.unsupported.map((r) => ({ kind: r.kind, schema: r.schema ?? null, name: r.name })),
  };
}

const FINAL_MODIFY: Record<string, string> = { r: 'READ_ONLY', s: 'SHAREABLE', w: 'READ_WRITE' };
const PARALLEL: Record<string, string> = { s: 'SAFE', r: 'RESTRICTED' };

/**
 * CREATE OR REPLACE AGGREGATE from pg_aggregate: PostgreSQL has no pg_get_aggregatedef. Every option that
 * differs from its default is spelled out; function and type names come qualified (empty search_path).
 */
function aggregateDefinition(r: Row): string {
  const options: string[] = [`SFUNC = ${r.sfunc}`, `STYPE = ${r.stype}`];
  if (r.sspace > 0) options.push(`SSPACE = ${r.sspace}`);
  if (r.finalfunc) {
    options.push(`FINALFUNC = ${r.finalfunc}`);
    if (r.finalextra) options.push('FINALFUNC_EXTRA');
    options.push(`FINALFUNC_MODIFY = ${FINAL_MODIFY[r.finalmodify] ?? 'READ_ONLY'}`);
  }
  if (r.combinefunc) options.push(`COMBINEFUNC = ${r.combinefunc}`);
  if (r.serialfunc) options.push(`SERIALFUNC = ${r.serialfunc}`);
  if (r.deserialfunc) options.push(`DESERIALFUNC = ${r.deserialfunc}`);
  if (r.initcond !== null) options.push(`INITCOND = ${literal(r.initcond)}`);
  if (r.msfunc) {
    options.push(`MSFUNC = ${r.msfunc}`, `MINVFUNC = ${r.minvfunc}`, `MSTYPE = ${r.mstype}`);
    if (r.msspace > 0) options.push(`MSSPACE = ${r.msspace}`);
    if (r.mfinalfunc) {
      options.push(`MFINALFUNC = ${r.mfinalfunc}`);
      if (r.mfinalextra) options.push('MFINALFUNC_EXTRA');
      options.push(`MFINALFUNC_MODIFY = ${FINAL_MODIFY[r.mfinalmodify] ?? 'READ_ONLY'}`);
    }
    if (r.minitcond !== null) options.push(`MINITCOND = ${literal(r.minitcond)}`);
  }
  if (r.sortop) options.push(`SORTOP = ${r.sortop}`);
  if (PARALLEL[r.parallel]) options.push(`PARALLEL = ${PARALLEL[r.parallel]}`);
  if (r.kind === 'h') options.push('HYPOTHETICAL');
  return `CREATE OR REPLACE AGGREGATE ${ident(r.schema)}.${ident(r.name)}(${r.arguments}) (\n    ${options.join(',\n    ')}\n)`;
}
