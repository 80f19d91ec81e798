import { version } from '../../package.json';

/** What wrote a migration, recorded in its metadata (`generator`) and its header. */
export const DB_MIGRATE_GENERATOR = `db-migrate ${version}`;
