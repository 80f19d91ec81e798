/**
 * Tables that migration frameworks keep for their own bookkeeping. They are not part of the application's
 * schema: a migration that creates them empty on a client database makes the framework's own migrate
 * think nothing ran. Left out of every comparison by default (DiffOptions.includeFrameworkTables opts
 * back in). Only names no application would use for its own data are listed: TypeORM's and MikroORM's
 * plain `migrations` table is not, exclude it with an exclude-table pattern.
 */
import { globToRegExp } from '../glob';

export interface FrameworkTable {
  readonly framework: string;
  /** Only in this schema; any schema when absent (the frameworks create theirs on the search_path). */
  readonly schema?: string;
  readonly table: string;
}

export const FRAMEWORK_TABLES: readonly FrameworkTable[] = [
  { framework: 'Django', table: 'django_migrations' },
  { framework: 'Rails', table: 'schema_migrations' },
  { framework: 'Rails', table: 'ar_internal_metadata' },
  { framework: 'Alembic', table: 'alembic_version' },
  { framework: 'drizzle-kit', schema: 'drizzle', table: '__drizzle_migrations' },
  { framework: 'Prisma', table: '_prisma_migrations' },
  { framework: 'knex', table: 'knex_migrations' },
  { framework: 'knex', table: 'knex_migrations_lock' },
  { framework: 'Flyway', table: 'flyway_schema_history' },
  { framework: 'Liquibase', table: 'databasechangelog' },
  { framework: 'Liquibase', table: 'databasechangeloglock' },
  { framework: 'Sequelize', table: 'SequelizeMeta' },
  { framework: 'goose', table: 'goose_db_version' },
];

/** Schemas a framework creates only for its bookkeeping: left out too when nothing else is kept in them. */
export const FRAMEWORK_SCHEMAS: readonly string[] = ['drizzle'];

/** The framework whose bookkeeping table this is, or undefined. */
export function frameworkOf(schema: string, table: string): string | undefined {
  return FRAMEWORK_TABLES.find((t) => t.table === table && (t.schema === undefined || t.schema === schema))?.framework;
}

/** An exclude-table pattern, `table` (any schema) or `schema.table`, each part a glob (docs/globs.md). */
export function tablePatternMatcher(pattern: string): (schema: string, table: string) => boolean {
  const dot = pattern.indexOf('.');
  if (dot < 0) {
    const table = globToRegExp(pattern);
    return (_schema, name) => table.test(name);
  }
  const [schemaPart, tablePart] = [globToRegExp(pattern.slice(0, dot)), globToRegExp(pattern.slice(dot + 1))];
  return (schema, name) => schemaPart.test(schema) && tablePart.test(name);
}
