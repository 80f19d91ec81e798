/**
 * Where the bookkeeping of one database is, who owns it, and what the connected role may do with it,
 * read in one catalog query that needs no privilege beyond CONNECT.
 *
 * gorp_migrations is found exactly as sql-migrate finds it: sql-migrate runs an unqualified
 * `CREATE TABLE IF NOT EXISTS gorp_migrations`, which lands in the first schema of the role's
 * search_path that exists (current_schema()), and then reads it unqualified, which resolves to that
 * same table. When current_schema() has none but a later schema of the search_path does, the two tools
 * would use different tables (sql-migrate would start an empty one and re-apply everything): refused.
 *
 * Bookkeeping that another role owns, or that carries triggers or rules, is refused before anything is
 * written to it: a trigger runs with the rights of the role that fires it, the migration role.
 */
import type { Client } from 'pg';
import { ConfigurationError } from '../errors';
import { BOOKKEEPING_SCHEMA, TRACKING_TABLE } from '../tracking';

export const CHECKSUM_TABLE = 'applied_checksums';

export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

interface RelationRow {
  readonly kind: 'tracking' | 'checksums' | 'schema';
  readonly schema: string;
  readonly relkind: string | null;
  readonly owner: string;
  readonly trusted_owner: boolean;
  readonly triggers: string | null;
  readonly rules: string | null;
  readonly can_read: boolean;
  readonly can_write: boolean;
  readonly can_use: boolean;
}

interface SessionRow {
  readonly role: string;
  readonly database: string;
  readonly create_schema: string | null;
  readonly path: string[];
  readonly search_path: string;
  readonly can_create_schema: boolean;
  readonly can_create_table: boolean;
}

/** One bookkeeping object found in the database. */
export interface BookkeepingObject {
  /** Quoted, schema-qualified name. */
  readonly qualified: string;
  readonly label: string;
  readonly owner: string;
  /** Owned by the connected role, a role it is a member of, or a superuser. */
  readonly trustedOwner: boolean;
  readonly triggers: readonly string[];
  readonly rules: readonly string[];
  readonly canRead: boolean;
  readonly canWrite: boolean;
}

export interface Bookkeeping {
  readonly role: string;
  readonly database: string;
  readonly searchPath: string;
  /** Where sql-migrate creates gorp_migrations: current_schema(); null when no schema of the search_path exists. */
  readonly trackingSchema: string | null;
  /** The quoted name of the tracking table sql-migrate uses (whether it exists yet or not). */
  readonly trackingTable?: string;
  readonly tracking?: BookkeepingObject;
  /** A gorp_migrations in a later schema of the search_path that sql-migrate would not use. */
  readonly shadowedTracking?: string;
  readonly schema?: BookkeepingObject;
  readonly checksums?: BookkeepingObject;
  readonly canCreateSchema: boolean;
  readonly canCreateTable: boolean;
}

const SESSION_QUERY = `SELECT current_user AS role, current_database() AS database, current_schema() AS create_schema,
  current_schemas(false)::text[] AS path, current_setting('search_path') AS search_path,
  has_database_privilege(current_database(), 'CREATE') AS can_create_schema,
  coalesce(has_schema_privilege(current_schema(), 'CREATE'), false) AS can_create_table`;

// Catalog rows only: reading them needs no USAGE on the schemas (to_regclass would need it, and fail).
const OBJECTS_QUERY = `SELECT CASE WHEN c.relname = $1 THEN 'tracking' ELSE 'checksums' END AS kind, n.nspname AS schema, c.relkind::text AS relkind,
    pg_get_userbyid(c.relowner) AS owner,
    (pg_has_role(current_user, c.relowner, 'MEMBER') OR (SELECT rolsuper FROM pg_roles WHERE oid = c.relowner)) AS trusted_owner,
    (SELECT string_agg(t.tgname, ', ' ORDER BY t.tgname) FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal) AS triggers,
    (SELECT string_agg(r.rulename, ', ' ORDER BY r.rulename) FROM pg_rewrite r WHERE r.ev_class = c.oid) AS rules,
    has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT') AS can_read,
    has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'INSERT, DELETE') AS can_write,
    has_schema_privilege(n.oid, 'USAGE') AS can_use
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE (c.relname = $1 AND n.nspname = ANY(current_schemas(false))) OR (c.relname = $2 AND n.nspname = $3)
  UNION ALL
  SELECT 'schema', n.nspname, NULL, pg_get_userbyid(n.nspowner),
    (pg_has_role(current_user, n.nspowner, 'MEMBER') OR (SELECT rolsuper FROM pg_roles WHERE oid = n.nspowner)),
    NULL, NULL, has_schema_privilege(n.oid, 'USAGE'), has_schema_privilege(n.oid, 'CREATE'), has_schema_privilege(n.oid, 'USAGE')
  FROM pg_namespace n WHERE n.nspname = $3`;

function toObject(row: RelationRow, name: string): BookkeepingObject {
  const qualified = row.kind === 'schema' ? quoteIdent(row.schema) : `${quoteIdent(row.schema)}.${quoteIdent(name)}`;
  return {
    qualified,
    label: row.kind === 'schema' ? `schema ${row.schema}` : `${row.schema}.${name}`,
    owner: row.owner,
    trustedOwner: row.trusted_owner,
    triggers: row.triggers ? row.triggers.split(', ') : [],
    rules: row.rules ? row.rules.split(', ') : [],
    canRead: row.can_read,
    canWrite: row.can_write,
  };
}

/** Reads where the bookkeeping is and what the role may do with it. Changes nothing. */
export async function inspectBookkeeping(client: Client): Promise<Bookkeeping> {
  // One round trip: both statements in one simple query (the names are constants, quoted as literals).
  const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;
  const objects = OBJECTS_QUERY.replace(/\$1/g, literal(TRACKING_TABLE))
    .replace(/\$2/g, literal(CHECKSUM_TABLE))
    .replace(/\$3/g, literal(BOOKKEEPING_SCHEMA));
  const results = (await client.query(`${SESSION_QUERY};\n${objects}`)) as unknown as [
    { rows: SessionRow[] },
    { rows: RelationRow[] },
  ];
  const session = results[0].rows[0];
  const rows = results[1].rows;
  const trackingRows = rows
    .filter((r) => r.kind === 'tracking')
    .sort((a, b) => session.path.indexOf(a.schema) - session.path.indexOf(b.schema));
  const own = trackingRows.find((r) => r.schema === session.create_schema);
  const first = trackingRows[0];
  const schemaRow = rows.find((r) => r.kind === 'schema');
  const checksumRow = rows.find((r) => r.kind === 'checksums');
  return {
    role: session.role,
    database: session.database,
    searchPath: session.search_path,
    trackingSchema: session.create_schema,
    ...(session.create_schema
      ? { trackingTable: `${quoteIdent(session.create_schema)}.${quoteIdent(TRACKING_TABLE)}` }
      : {}),
    ...(own ? { tracking: toObject(own, TRACKING_TABLE) } : {}),
    ...(!own && first ? { shadowedTracking: `${first.schema}.${TRACKING_TABLE}` } : {}),
    ...(schemaRow ? { schema: toObject(schemaRow, BOOKKEEPING_SCHEMA) } : {}),
    ...(checksumRow ? { checksums: toObject(checksumRow, CHECKSUM_TABLE) } : {}),
    canCreateSchema: session.can_create_schema,
    canCreateTable: session.can_create_table,
  };
}

/**
 * The one place the location of gorp_migrations can make sql-migrate and db-migrate disagree; a
 * ConfigurationError when they would (or when there is no schema to put it in).
 */
export function trackingProblem(b: Bookkeeping): string | undefined {
  if (b.shadowedTracking) {
    return (
      `${b.shadowedTracking} exists, but with the search_path of role ${b.role} (${b.searchPath}) sql-migrate creates and uses ` +
      `${b.trackingSchema}.${TRACKING_TABLE}, so the two tools would record migrations in different tables: ` +
      `set the role's search_path so that ${b.shadowedTracking.split('.')[0]} comes first (ALTER ROLE ${quoteIdent(b.role)} SET search_path = ...), or move the table to ${b.trackingSchema}`
    );
  }
  if (!b.trackingSchema) {
    return `no schema of the search_path of role ${b.role} (${b.searchPath}) exists or is usable by it, so there is nowhere to find or create ${TRACKING_TABLE} (sql-migrate fails the same way): fix the role's search_path or GRANT USAGE on its schema`;
  }
  return undefined;
}

/** Bookkeeping db-migrate must not write to: another role's, or with triggers or rules that would run as the migration role. */
function foreignBookkeeping(b: Bookkeeping): string | undefined {
  for (const object of [b.tracking, b.schema, b.checksums]) {
    if (!object) continue;
    if (!object.trustedOwner) {
      return (
        `${object.label} is owned by role ${object.owner}, not by ${b.role} (or a role it belongs to): refusing to write migration records ` +
        `into another role's objects (its triggers or rules would run with ${b.role}'s rights). Check who created it; if it is legitimate, ` +
        `ALTER ${object.label.startsWith('schema ') ? 'SCHEMA' : 'TABLE'} ${object.qualified} OWNER TO ${quoteIdent(b.role)}`
      );
    }
    const hooks = [...object.triggers.map((t) => `trigger ${t}`), ...object.rules.map((r) => `rule ${r}`)];
    if (hooks.length > 0) {
      return `${object.label} has ${hooks.join(', ')}: refusing to write migration records through it (it would run with ${b.role}'s rights); drop it (bookkeeping tables carry no triggers or rules)`;
    }
  }
  return undefined;
}

/** What is missing for db-migrate to create its bookkeeping, as a GRANT the user can run. */
function missingCreateRights(b: Bookkeeping): string | undefined {
  if (!b.tracking && !b.canCreateTable) {
    return (
      `role ${b.role} lacks CREATE on schema ${b.trackingSchema}: needed to create ${b.trackingSchema}.${TRACKING_TABLE} (where sql-migrate records migrations); ` +
      `GRANT CREATE ON SCHEMA ${quoteIdent(b.trackingSchema!)} TO ${quoteIdent(b.role)}, or create the table beforehand`
    );
  }
  if (!b.schema && !b.canCreateSchema) {
    return (
      `role ${b.role} lacks CREATE on database ${b.database}: needed to create schema ${BOOKKEEPING_SCHEMA}; ` +
      `GRANT CREATE ON DATABASE ${quoteIdent(b.database)} TO ${quoteIdent(b.role)}, or create the schema beforehand ` +
      `(CREATE SCHEMA ${BOOKKEEPING_SCHEMA} AUTHORIZATION ${quoteIdent(b.role)})`
    );
  }
  if (b.schema && !b.checksums && !b.schema.canWrite) {
    return `role ${b.role} lacks CREATE on schema ${BOOKKEEPING_SCHEMA}: needed to create ${BOOKKEEPING_SCHEMA}.${CHECKSUM_TABLE}; GRANT CREATE ON SCHEMA ${BOOKKEEPING_SCHEMA} TO ${quoteIdent(b.role)}`;
  }
  for (const object of [b.tracking, b.checksums]) {
    if (object && !object.canWrite) {
      return `role ${b.role} cannot write ${object.label}: GRANT SELECT, INSERT, UPDATE, DELETE ON ${object.qualified} TO ${quoteIdent(b.role)}`;
    }
  }
  return undefined;
}

/** The first reason the role cannot record migrations here (named by database), or undefined. */
export function unwritableReason(b: Bookkeeping, database: string): string | undefined {
  const problem = trackingProblem(b) ?? foreignBookkeeping(b) ?? missingCreateRights(b);
  return problem && (database ? `${database}: ${problem}` : problem);
}

/** Throws the first reason the role cannot record migrations here, before anything is written. */
export function checkWritable(b: Bookkeeping, database: string): void {
  const problem = unwritableReason(b, database);
  if (problem) throw new ConfigurationError(problem);
}
