import type { DefinedObjectInfo } from '../catalog';
import type { ObjectKeys } from './keys';
import { query, type Columns } from './query';
import { notExtensionMember, USER_NAMESPACE } from './scope';

/*
 * Operators, casts, text search dictionaries and configurations, event triggers and publications: kinds
 * PostgreSQL prints no definition of, so each query builds the statements that create the object (as pg_dump
 * writes them) in SQL, with every name qualified (introspection runs with an empty search_path). Every query
 * returns the same row shape.
 */

/** One row of any defined-object query. */
export interface DefinedObjectRow {
  readonly oid: number;
  /** The system catalog the object lives in (pg_operator...), to map comments and pg_depend rows onto it. */
  readonly catalog: string;
  readonly kind: DefinedObjectInfo['kind'];
  readonly schema: string | null;
  readonly key: string;
  readonly name: string;
  readonly definition: string[];
  readonly drop_sql: string;
  readonly comment_target: string;
  /** `catalog:oid` of rows that belong to the object (a publication's tables and schemas), for pg_depend. */
  readonly members: string[];
}

const qi = (x: string) => `pg_catalog.quote_ident(${x})`;
const type = (oid: string) => `pg_catalog.format_type(NULLIF(${oid}, 0), NULL)`;
const opArgs = (o: string) =>
  `COALESCE(${type(`${o}.oprleft`)}, 'NONE') || ', ' || COALESCE(${type(`${o}.oprright`)}, 'NONE')`;
const noMembers = `ARRAY[]::text[] AS members`;

const operators = `SELECT o.oid::int, 'pg_operator' AS catalog, 'operator' AS kind, n.nspname AS schema,
    'op:' || n.nspname || '.' || o.oprname || '(' || ${opArgs('o')} || ')' AS key,
    n.nspname || '.' || o.oprname || '(' || ${opArgs('o')} || ')' AS name,
    ARRAY['CREATE OPERATOR ' || ${qi('n.nspname')} || '.' || o.oprname || ' (' || pg_catalog.concat_ws(', ',
      'FUNCTION = ' || o.oprcode::text,
      'LEFTARG = ' || ${type('o.oprleft')},
      'RIGHTARG = ' || ${type('o.oprright')},
      'COMMUTATOR = OPERATOR(' || ${qi('cn.nspname')} || '.' || co.oprname || ')',
      'NEGATOR = OPERATOR(' || ${qi('ngn.nspname')} || '.' || ng.oprname || ')',
      'RESTRICT = ' || NULLIF(o.oprrest::oid, 0)::regproc::text,
      'JOIN = ' || NULLIF(o.oprjoin::oid, 0)::regproc::text,
      CASE WHEN o.oprcanhash THEN 'HASHES' END,
      CASE WHEN o.oprcanmerge THEN 'MERGES' END) || ')'] AS definition,
    'DROP OPERATOR ' || ${qi('n.nspname')} || '.' || o.oprname || ' (' || ${opArgs('o')} || ')' AS drop_sql,
    'OPERATOR ' || ${qi('n.nspname')} || '.' || o.oprname || ' (' || ${opArgs('o')} || ')' AS comment_target,
    ${noMembers}
  FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
  LEFT JOIN pg_catalog.pg_operator co ON co.oid = o.oprcom LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.oprnamespace
  LEFT JOIN pg_catalog.pg_operator ng ON ng.oid = o.oprnegate LEFT JOIN pg_catalog.pg_namespace ngn ON ngn.oid = ng.oprnamespace
  WHERE o.oprcode::oid <> 0 AND ${USER_NAMESPACE} AND ${notExtensionMember('pg_operator', 'o.oid')}
  ORDER BY 5`;

const castPair = `'(' || pg_catalog.format_type(c.castsource, NULL) || ' AS ' || pg_catalog.format_type(c.casttarget, NULL) || ')'`;
const casts = `SELECT c.oid::int, 'pg_cast' AS catalog, 'cast' AS kind, NULL AS schema,
    'cast:' || pg_catalog.format_type(c.castsource, NULL) || '->' || pg_catalog.format_type(c.casttarget, NULL) AS key,
    'cast ' || ${castPair} AS name,
    ARRAY['CREATE CAST ' || ${castPair} || ' ' ||
      CASE c.castmethod WHEN 'f' THEN 'WITH FUNCTION ' || c.castfunc::regprocedure::text WHEN 'i' THEN 'WITH INOUT' ELSE 'WITHOUT FUNCTION' END ||
      CASE c.castcontext WHEN 'a' THEN ' AS ASSIGNMENT' WHEN 'i' THEN ' AS IMPLICIT' ELSE '' END] AS definition,
    'DROP CAST ' || ${castPair} AS drop_sql, 'CAST ' || ${castPair} AS comment_target, ${noMembers}
  FROM pg_catalog.pg_cast c
  WHERE c.oid >= 16384 AND ${notExtensionMember('pg_cast', 'c.oid')}
    -- A range type makes its multirange casts itself (an internal dependency): they come and go with it.
    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend i WHERE i.classid = 'pg_catalog.pg_cast'::regclass AND i.objid = c.oid AND i.deptype = 'i')
  ORDER BY 5`;

const dictName = `${qi('n.nspname')} || '.' || ${qi('d.dictname')}`;
const textSearchDictionaries = `SELECT d.oid::int, 'pg_ts_dict' AS catalog, 'text search dictionary' AS kind, n.nspname AS schema,
    'tsdict:' || n.nspname || '.' || d.dictname AS key, n.nspname || '.' || d.dictname AS name,
    ARRAY['CREATE TEXT SEARCH DICTIONARY ' || ${dictName} || ' (TEMPLATE = ' || ${qi('tn.nspname')} || '.' || ${qi('t.tmplname')} ||
      COALESCE(', ' || d.dictinitoption, '') || ')'] AS definition,
    'DROP TEXT SEARCH DICTIONARY ' || ${dictName} AS drop_sql, 'TEXT SEARCH DICTIONARY ' || ${dictName} AS comment_target, ${noMembers}
  FROM pg_catalog.pg_ts_dict d JOIN pg_catalog.pg_namespace n ON n.oid = d.dictnamespace
  JOIN pg_catalog.pg_ts_template t ON t.oid = d.dicttemplate JOIN pg_catalog.pg_namespace tn ON tn.oid = t.tmplnamespace
  WHERE ${USER_NAMESPACE} AND ${notExtensionMember('pg_ts_dict', 'd.oid')}
  ORDER BY 5`;

const configName = `${qi('n.nspname')} || '.' || ${qi('c.cfgname')}`;
const textSearchConfigurations = `SELECT c.oid::int, 'pg_ts_config' AS catalog, 'text search configuration' AS kind, n.nspname AS schema,
    'tscfg:' || n.nspname || '.' || c.cfgname AS key, n.nspname || '.' || c.cfgname AS name,
    ARRAY['CREATE TEXT SEARCH CONFIGURATION ' || ${configName} || ' (PARSER = ' || ${qi('pn.nspname')} || '.' || ${qi('p.prsname')} || ')'] ||
      ARRAY(SELECT 'ALTER TEXT SEARCH CONFIGURATION ' || ${configName} || ' ADD MAPPING FOR ' || t.alias || ' WITH ' ||
          pg_catalog.string_agg(${qi('dn.nspname')} || '.' || ${qi('d.dictname')}, ', ' ORDER BY m.mapseqno)
        FROM pg_catalog.pg_ts_config_map m
        JOIN pg_catalog.ts_token_type(c.cfgparser) t ON t.tokid = m.maptokentype
        JOIN pg_catalog.pg_ts_dict d ON d.oid = m.mapdict JOIN pg_catalog.pg_namespace dn ON dn.oid = d.dictnamespace
        WHERE m.mapcfg = c.oid GROUP BY m.maptokentype, t.alias ORDER BY m.maptokentype) AS definition,
    'DROP TEXT SEARCH CONFIGURATION ' || ${configName} AS drop_sql, 'TEXT SEARCH CONFIGURATION ' || ${configName} AS comment_target, ${noMembers}
  FROM pg_catalog.pg_ts_config c JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace
  JOIN pg_catalog.pg_ts_parser p ON p.oid = c.cfgparser JOIN pg_catalog.pg_namespace pn ON pn.oid = p.prsnamespace
  WHERE ${USER_NAMESPACE} AND ${notExtensionMember('pg_ts_config', 'c.oid')}
  ORDER BY 5`;

const eventTriggers = `SELECT et.oid::int, 'pg_event_trigger' AS catalog, 'event trigger' AS kind, NULL AS schema,
    'evt:' || et.evtname AS key, et.evtname::text AS name,
    ARRAY['CREATE EVENT TRIGGER ' || ${qi('et.evtname')} || ' ON ' || ${qi('et.evtevent')} ||
      COALESCE(' WHEN TAG IN (' || (SELECT pg_catalog.string_agg(pg_catalog.quote_literal(t.tag), ', ' ORDER BY t.i)
        FROM pg_catalog.unnest(et.evttags) WITH ORDINALITY AS t(tag, i)) || ')', '') ||
      ' EXECUTE FUNCTION ' || et.evtfoid::regproc::text || '()'] ||
      CASE et.evtenabled WHEN 'D' THEN ARRAY['ALTER EVENT TRIGGER ' || ${qi('et.evtname')} || ' DISABLE']
        WHEN 'R' THEN ARRAY['ALTER EVENT TRIGGER ' || ${qi('et.evtname')} || ' ENABLE REPLICA']
        WHEN 'A' THEN ARRAY['ALTER EVENT TRIGGER ' || ${qi('et.evtname')} || ' ENABLE ALWAYS'] ELSE ARRAY[]::text[] END AS definition,
    'DROP EVENT TRIGGER ' || ${qi('et.evtname')} AS drop_sql, 'EVENT TRIGGER ' || ${qi('et.evtname')} AS comment_target, ${noMembers}
  FROM pg_catalog.pg_event_trigger et
  WHERE ${notExtensionMember('pg_event_trigger', 'et.oid')}
  ORDER BY 5`;

/** The tables of a publication: column lists and row filters exist on PostgreSQL 15 and later only. */
const publicationTables = (
  columnsAndFilters: boolean,
) => `(SELECT 'TABLE ' || pg_catalog.string_agg(${qi('rn.nspname')} || '.' || ${qi('rc.relname')}${
  columnsAndFilters
    ? ` ||
      COALESCE(' (' || (SELECT pg_catalog.string_agg(${qi('a.attname')}, ', ' ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = pr.prrelid AND a.attnum = ANY (pr.prattrs)) || ')', '') ||
      COALESCE(' WHERE (' || pg_catalog.pg_get_expr(pr.prqual, pr.prrelid) || ')', '')`
    : ''
}, ', ' ORDER BY rn.nspname, rc.relname)
    FROM pg_catalog.pg_publication_rel pr JOIN pg_catalog.pg_class rc ON rc.oid = pr.prrelid
    JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace WHERE pr.prpubid = p.oid)`;
const publicationSchemas = `(SELECT 'TABLES IN SCHEMA ' || pg_catalog.string_agg(${qi('pn.nspname')}, ', ' ORDER BY pn.nspname)
    FROM pg_catalog.pg_publication_namespace ps JOIN pg_catalog.pg_namespace pn ON pn.oid = ps.pnnspid WHERE ps.pnpubid = p.oid)`;
/** Publications; `since15`: with column lists, row filters and TABLES IN SCHEMA, which PostgreSQL 14 lacks. */
const publications = (
  since15: boolean,
) => `SELECT p.oid::int, 'pg_publication' AS catalog, 'publication' AS kind, NULL AS schema,
    'pub:' || p.pubname AS key, p.pubname::text AS name,
    ARRAY['CREATE PUBLICATION ' || ${qi('p.pubname')} ||
      CASE WHEN p.puballtables THEN ' FOR ALL TABLES'
        ELSE COALESCE(' FOR ' || NULLIF(pg_catalog.concat_ws(', ', ${publicationTables(since15)}${since15 ? `, ${publicationSchemas}` : ''}), ''), '') END ||
      ' WITH (publish = ' || pg_catalog.quote_literal(pg_catalog.concat_ws(', ', CASE WHEN p.pubinsert THEN 'insert' END,
        CASE WHEN p.pubupdate THEN 'update' END, CASE WHEN p.pubdelete THEN 'delete' END, CASE WHEN p.pubtruncate THEN 'truncate' END)) ||
      ', publish_via_partition_root = ' || p.pubviaroot::text || ')'] AS definition,
    'DROP PUBLICATION ' || ${qi('p.pubname')} AS drop_sql, 'PUBLICATION ' || ${qi('p.pubname')} AS comment_target,
    ARRAY(SELECT 'pg_publication_rel:' || pr.oid FROM pg_catalog.pg_publication_rel pr WHERE pr.prpubid = p.oid${
      since15
        ? `
      UNION ALL SELECT 'pg_publication_namespace:' || ps.oid FROM pg_catalog.pg_publication_namespace ps WHERE ps.pnpubid = p.oid`
        : ''
    }
      ORDER BY 1) AS members
  FROM pg_catalog.pg_publication p
  ORDER BY 5`;

const opName = (nsp: string, name: string) =>
  `CASE WHEN ${nsp} = 'pg_catalog' THEN ${name}::text ELSE ${qi(nsp)} || '.' || ${name} END`;
/** The members (operators, support functions) of an operator family that pg_depend ties to `owner` (a class or a family). */
const members = (family: string, owner: string) => `ARRAY(SELECT m.item FROM (
    SELECT 0 AS kind, ao.amopstrategy::int AS n, 'OPERATOR ' || ao.amopstrategy || ' ' || ${opName('aon.nspname', 'aop.oprname')} ||
        '(' || pg_catalog.format_type(ao.amoplefttype, NULL) || ', ' || pg_catalog.format_type(ao.amoprighttype, NULL) || ')' ||
        CASE WHEN ao.amoppurpose = 'o' THEN ' FOR ORDER BY ' || ${qi('sfn.nspname')} || '.' || ${qi('sf.opfname')} ELSE '' END AS item,
        pg_catalog.format_type(ao.amoplefttype, NULL) || pg_catalog.format_type(ao.amoprighttype, NULL) AS types
      FROM pg_catalog.pg_amop ao JOIN pg_catalog.pg_operator aop ON aop.oid = ao.amopopr
      JOIN pg_catalog.pg_namespace aon ON aon.oid = aop.oprnamespace
      LEFT JOIN pg_catalog.pg_opfamily sf ON sf.oid = ao.amopsortfamily LEFT JOIN pg_catalog.pg_namespace sfn ON sfn.oid = sf.opfnamespace
      WHERE ao.amopfamily = ${family} AND EXISTS (SELECT 1 FROM pg_catalog.pg_depend md WHERE md.classid = 'pg_catalog.pg_amop'::regclass
        AND md.objid = ao.oid AND md.refobjid = ${owner})
    UNION ALL SELECT 1, ap.amprocnum::int, 'FUNCTION ' || ap.amprocnum || ' (' || pg_catalog.format_type(ap.amproclefttype, NULL) || ', ' ||
        pg_catalog.format_type(ap.amprocrighttype, NULL) || ') ' || ap.amproc::regprocedure::text,
        pg_catalog.format_type(ap.amproclefttype, NULL) || pg_catalog.format_type(ap.amprocrighttype, NULL)
      FROM pg_catalog.pg_amproc ap
      WHERE ap.amprocfamily = ${family} AND EXISTS (SELECT 1 FROM pg_catalog.pg_depend md WHERE md.classid = 'pg_catalog.pg_amproc'::regclass
        AND md.objid = ap.oid AND md.refobjid = ${owner})
    ) m ORDER BY m.kind, m.n, m.types)`;

/** A family an operator class made for itself (CREATE OPERATOR CLASS without FAMILY): same name and schema as the class. */
const implicitFamily = `(f.opfname = c.opcname AND f.opfnamespace = c.opcnamespace)`;
const className = `${qi('n.nspname')} || '.' || ${qi('c.opcname')}`;
const operatorClasses = `SELECT c.oid::int, 'pg_opclass' AS catalog, 'operator class' AS kind, n.nspname AS schema,
    'opc:' || n.nspname || '.' || c.opcname || '/' || am.amname AS key, n.nspname || '.' || c.opcname || ' USING ' || am.amname AS name,
    ARRAY['CREATE OPERATOR CLASS ' || ${className} || CASE WHEN c.opcdefault THEN ' DEFAULT' ELSE '' END ||
      ' FOR TYPE ' || pg_catalog.format_type(c.opcintype, NULL) || ' USING ' || ${qi('am.amname')} ||
      CASE WHEN ${implicitFamily} THEN '' ELSE ' FAMILY ' || ${qi('fn.nspname')} || '.' || ${qi('f.opfname')} END || ' AS ' ||
      pg_catalog.array_to_string(${members('c.opcfamily', 'c.oid')} ||
        CASE WHEN c.opckeytype <> 0 THEN ARRAY['STORAGE ' || pg_catalog.format_type(c.opckeytype, NULL)] ELSE ARRAY[]::text[] END, ', ')] ||
      -- Members bound to the family it made for itself (btree's support function 4, ALTER OPERATOR FAMILY ... ADD).
      CASE WHEN ${implicitFamily} AND pg_catalog.cardinality(${members('f.oid', 'f.oid')}) > 0
        THEN ARRAY['ALTER OPERATOR FAMILY ' || ${qi('fn.nspname')} || '.' || ${qi('f.opfname')} || ' USING ' || ${qi('am.amname')} ||
          ' ADD ' || pg_catalog.array_to_string(${members('f.oid', 'f.oid')}, ', ')]
        ELSE ARRAY[]::text[] END AS definition,
    -- Dropping the family a class made for itself drops both (DROP OPERATOR CLASS would leave the family behind).
    CASE WHEN ${implicitFamily} THEN 'DROP OPERATOR FAMILY ' || ${qi('fn.nspname')} || '.' || ${qi('f.opfname')}
      ELSE 'DROP OPERATOR CLASS ' || ${className} END || ' USING ' || ${qi('am.amname')} AS drop_sql,
    'OPERATOR CLASS ' || ${className} || ' USING ' || ${qi('am.amname')} AS comment_target,
    ARRAY(SELECT md.classid::regclass::text || ':' || md.objid FROM pg_catalog.pg_depend md
      WHERE md.classid IN ('pg_catalog.pg_amop'::regclass, 'pg_catalog.pg_amproc'::regclass)
        AND ((md.refobjid = c.oid AND md.refclassid = 'pg_catalog.pg_opclass'::regclass)
          OR (${implicitFamily} AND md.refobjid = f.oid AND md.refclassid = 'pg_catalog.pg_opfamily'::regclass)) ORDER BY 1) AS members
  FROM pg_catalog.pg_opclass c JOIN pg_catalog.pg_namespace n ON n.oid = c.opcnamespace JOIN pg_catalog.pg_am am ON am.oid = c.opcmethod
  JOIN pg_catalog.pg_opfamily f ON f.oid = c.opcfamily JOIN pg_catalog.pg_namespace fn ON fn.oid = f.opfnamespace
  WHERE ${USER_NAMESPACE} AND ${notExtensionMember('pg_opclass', 'c.oid')}
  ORDER BY 5`;

const familyName = `${qi('n.nspname')} || '.' || ${qi('f.opfname')} || ' USING ' || ${qi('am.amname')}`;
const operatorFamilies = `SELECT f.oid::int, 'pg_opfamily' AS catalog, 'operator family' AS kind, n.nspname AS schema,
    'opf:' || n.nspname || '.' || f.opfname || '/' || am.amname AS key, n.nspname || '.' || f.opfname || ' USING ' || am.amname AS name,
    ARRAY['CREATE OPERATOR FAMILY ' || ${familyName}] ||
      CASE WHEN pg_catalog.cardinality(${members('f.oid', 'f.oid')}) > 0
        THEN ARRAY['ALTER OPERATOR FAMILY ' || ${familyName} || ' ADD ' || pg_catalog.array_to_string(${members('f.oid', 'f.oid')}, ', ')]
        ELSE ARRAY[]::text[] END AS definition,
    'DROP OPERATOR FAMILY ' || ${familyName} AS drop_sql, 'OPERATOR FAMILY ' || ${familyName} AS comment_target,
    ARRAY(SELECT md.classid::regclass::text || ':' || md.objid FROM pg_catalog.pg_depend md
      WHERE md.classid IN ('pg_catalog.pg_amop'::regclass, 'pg_catalog.pg_amproc'::regclass) AND md.refobjid = f.oid
        AND md.refclassid = 'pg_catalog.pg_opfamily'::regclass ORDER BY 1) AS members
  FROM pg_catalog.pg_opfamily f JOIN pg_catalog.pg_namespace n ON n.oid = f.opfnamespace JOIN pg_catalog.pg_am am ON am.oid = f.opfmethod
  WHERE ${USER_NAMESPACE} AND ${notExtensionMember('pg_opfamily', 'f.oid')}
    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_opclass c WHERE c.opcfamily = f.oid AND ${implicitFamily})
  ORDER BY 5`;

const COLUMNS: Columns<DefinedObjectRow> = {
  oid: 'int',
  catalog: 'text',
  kind: 'text',
  schema: 'text | null',
  key: 'text',
  name: 'text',
  definition: 'text[]',
  drop_sql: 'text',
  comment_target: 'text',
  members: 'text[]',
};

export const DEFINED_OBJECT_QUERIES = {
  operatorFamilies: query<DefinedObjectRow>(operatorFamilies, COLUMNS),
  operatorClasses: query<DefinedObjectRow>(operatorClasses, COLUMNS),
  operators: query<DefinedObjectRow>(operators, COLUMNS),
  userCasts: query<DefinedObjectRow>(casts, COLUMNS),
  textSearchDictionaries: query<DefinedObjectRow>(textSearchDictionaries, COLUMNS),
  textSearchConfigurations: query<DefinedObjectRow>(textSearchConfigurations, COLUMNS),
  eventTriggers: query<DefinedObjectRow>(eventTriggers, COLUMNS),
  publications: query<DefinedObjectRow>(publications(true), COLUMNS),
} as const;

/** The publications query for PostgreSQL 14, which has no column lists, row filters or schema publications. */
export const PUBLICATIONS_BEFORE_15 = query<DefinedObjectRow>(publications(false), COLUMNS);

/**
 * The defined objects by key; their `catalog:oid` keys go to `keys.defined`, which comments and pg_depend rows
 * are mapped through (members of a publication stand for it).
 */
export function buildDefinedObjects(
  rows: readonly DefinedObjectRow[],
  keys: ObjectKeys,
): Map<string, DefinedObjectInfo> {
  const objects = new Map<string, DefinedObjectInfo>();
  for (const r of rows) {
    keys.defined.set(`${r.catalog}:${r.oid}`, r.key);
    for (const m of r.members) keys.defined.set(m, r.key);
    objects.set(r.key, {
      key: r.key,
      kind: r.kind,
      schema: r.schema,
      name: r.name,
      definition: r.definition,
      drop: r.drop_sql,
      commentTarget: r.comment_target,
      comment: null,
    });
  }
  return objects;
}
