// Generated from apply/action.yml by scripts/update-init-inputs.ts: do not edit, run it again.

/** The inputs the apply action declares, in its order: the first sentence of each description, and its default. */
export const APPLY_ACTION_INPUTS: readonly {
  readonly name: string;
  readonly description: string;
  readonly default?: string;
}[] = [
  {
    name: 'migrations-dir',
    description: 'Directory of the migration files, relative to migrations-repository-path',
  },
  {
    name: 'migrations-repository-path',
    description: 'Checkout of the repository holding the migrations',
    default: '.',
  },
  {
    name: 'mode',
    description:
      '`apply` (migrate the fleet), `sync` (make each target match the schema source, unversioned: staging), `drift` (only check and report) or `baseline` (adopt databases built before db-migrate: where a database has no recorded migrations and its schema equals the schema of to-version, record versions 1..to-version as applied; nothing runs)',
    default: 'apply',
  },
  {
    name: 'targets-file',
    description:
      'YAML file (relative to the workspace) listing the databases by name with the environment variable holding each URL (`url-env`), and their groups',
  },
  {
    name: 'databases',
    description: 'Databases as `name=postgres://...` lines, for small setups (pass them from secrets)',
  },
  {
    name: 'group',
    description: 'Only the targets of this group in targets-file',
  },
  {
    name: 'target-names',
    description:
      'Only the targets of these names in targets-file (or databases), one a line or separated by commas, e.g. one client',
  },
  {
    name: 'concurrency',
    description: 'How many databases are worked on at once',
  },
  {
    name: 'concurrency-per-host',
    description:
      "How many databases on one server (host:port) are worked on at once; each uses one connection, so this is the run's connection budget per server",
  },
  {
    name: 'dry-run',
    description:
      'Show the plan for each database (pending versions, drift; for sync the SQL; for baseline the versions it would record) and change nothing',
    default: 'false',
  },
  {
    name: 'to-version',
    description:
      'Mode apply: bring every database to this version, reverting those above it through the Down sections and applying up to it those below (for manually dispatched runs)',
  },
  {
    name: 'shard',
    description: '`i/n`: take a stable one-in-n slice of the targets, to spread a large fleet over a matrix',
  },
  {
    name: 'shadow-database',
    description: '`embedded`, `docker`, or the URL of a server the job may create and drop databases on',
    default: 'embedded',
  },
  {
    name: 'postgres-version',
    description: 'Major version of PostgreSQL for embedded and docker shadow databases',
    default: '15',
  },
  {
    name: 'postponed-is-warning',
    description: 'A postponed (drifted) database is a warning rather than a failure of the job',
    default: 'false',
  },
  {
    name: 'lock-timeout',
    description: 'Modes apply and sync: lock_timeout of each migration statement, in ms',
  },
  {
    name: 'lock-retry-budget',
    description:
      'Modes apply and sync: how long, in ms, a migration keeps trying again after lock timeouts (pauses included) before it fails, naming the blocking session. 0: no retry',
  },
  {
    name: 'statement-timeout',
    description: 'Modes apply and sync: statement_timeout of each migration statement, in ms',
  },
  {
    name: 'max-failures',
    description:
      'Mode apply: the canary. Stop starting databases once this many have had a migration fail; the rest are reported `not-started` and left untouched (those already running finish)',
  },
  {
    name: 'precheck-max-rows',
    description:
      'Modes apply and sync: a pre-check on a table estimated above this many rows is skipped, with a notice (docs/prechecks.md)',
  },
  {
    name: 'precheck-timeout',
    description:
      'Modes apply and sync: statement_timeout of each pre-check, in ms; one that runs out is skipped, with a notice',
  },
  {
    name: 'large-table-rows',
    description:
      'Modes apply and sync: a statement that rewrites or scans a table above this many rows under a strong lock is refused there unless `allow` names it',
  },
  {
    name: 'large-table-bytes',
    description: 'Modes apply and sync: ... or above this size in bytes (pg_total_relation_size)',
  },
  {
    name: 'seed-sql',
    description:
      "Mode apply: SQL files (one per line, relative to the workspace) that put rows in a copy of each starting version's shadow database, on which the pre-flight also runs the pending migrations",
  },
  {
    name: 'seed-command',
    description:
      "Mode apply: a command that puts rows in the database named by DATABASE_URL (a copy of each starting version's shadow database), for the pre-flight's seeded run, run in the workspace",
  },
  {
    name: 'schema-dir',
    description: 'For mode: sync, the directory of the schema source, relative to schema-repository-path',
  },
  {
    name: 'schema-command',
    description: 'For mode: sync, the command that builds the schema into DATABASE_URL',
  },
  {
    name: 'schema-sql',
    description: 'For mode: sync, SQL files that build the schema, one per line',
  },
  {
    name: 'schema-repository-path',
    description: 'For mode: sync, the checkout of the repository holding the schema source',
  },
  {
    name: 'ref',
    description: 'For mode: sync, the ref of the schema source to sync to',
    default: 'HEAD',
  },
  {
    name: 'allow',
    description: 'Declared data losses, one `<code> <object>` per line',
  },
  {
    name: 'allow-empty-goal',
    description: 'For mode: sync, `true` syncs even when the schema build has no tables and a database has some',
    default: 'false',
  },
  {
    name: 'exclude-tables',
    description:
      'Tables left out of every comparison, one a line: `table` (any schema) or `schema.table`, each part a glob (`*`, `?`, `[...]`, docs/globs.md; e.g. `audit.*`)',
  },
  {
    name: 'include-framework-tables',
    description: "`true` compares the frameworks' bookkeeping tables too",
    default: 'false',
  },
];
