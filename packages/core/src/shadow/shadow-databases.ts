import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Client } from 'pg';
import { ConfigurationError, errorMessage } from '../errors';
import { registerUrlSecrets } from '../database-url';
import type { Logger } from '../logger';
import { connectDatabase } from '../pg/connect';
import { onExitCleanup, onSignalCleanup } from '../process/cleanup';
import { ownerIsGone, ownerStamp, parseStampComment, stampComment } from '../process/owner-stamp';
import type { CreateDatabaseOptions, ShadowServer, ShadowDatabase } from './types';

/**
 * Every shadow database is named with this prefix plus random hex, so it can never be mistaken for a
 * real database, and creation fails (rather than reusing) if the name is somehow taken.
 */
export const SHADOW_DATABASE_PREFIX = 'db_migrate_tmp_';

export function shadowDatabaseName(): string {
  return SHADOW_DATABASE_PREFIX + randomBytes(8).toString('hex');
}

export function isShadowDatabaseName(name: string): boolean {
  return name.startsWith(SHADOW_DATABASE_PREFIX);
}

/** The URL of another database on the same server: same credentials and parameters, another path. */
function siblingDatabaseUrl(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = '/' + encodeURIComponent(name);
  return registerUrlSecrets(parsed.toString());
}

/**
 * The shadow databases of one server, created and dropped over one maintenance connection.
 * Every database it creates is dropped by dropAll()/close(), on SIGINT/SIGTERM (awaited), and, as a
 * last resort when the process exits some other way, by a synchronous `psql` if one is on PATH
 * (unless dropOnExit is false). SIGKILL leaves them behind: their prefix tells what they are.
 */
export interface ShadowDatabases {
  readonly serverVersionNum: number;
  readonly major: number;
  create(options?: CreateDatabaseOptions): Promise<ShadowDatabase>;
  /** Drops every database created here and still present; returns the names it could not drop. */
  dropAll(): Promise<readonly string[]>;
  /** dropAll(), then closes the maintenance connection. */
  close(): Promise<void>;
}

export interface ShadowDatabasesOptions {
  /** Names the server in error messages; safe to print. */
  readonly label: string;
  readonly logger: Logger;
  /** False when the whole server goes away with the process (embedded, docker): no drops on exit or signal. */
  readonly dropOnExit?: boolean;
  /** Draws a new database name; shadowDatabaseName unless given (tests force a name collision with it). */
  readonly newName?: () => string;
}

const quote = (identifier: string) => '"' + identifier.replace(/"/g, '""') + '"';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pgCode = (error: unknown) => (error as { code?: string } | undefined)?.code;

/** Postgres refuses to copy a template that has sessions; they may take a moment to go after termination. */
const TEMPLATE_COPY_ATTEMPTS = 6;

/**
 * CREATE DATABASE statements run at once, each on a connection of its own (the maintenance connection
 * and up to two more): a command that builds several databases waits for them all, and one at a time
 * they queue behind each other.
 */
const CREATE_CONNECTIONS = 3;

export async function openShadowDatabases(adminUrl: string, options: ShadowDatabasesOptions): Promise<ShadowDatabases> {
  registerUrlSecrets(adminUrl);
  const { label, logger } = options;
  let admin: Client;
  try {
    admin = await connectDatabase(adminUrl);
  } catch (error) {
    throw error instanceof ConfigurationError
      ? new ConfigurationError(`shadow database server: ${error.message}`)
      : error;
  }
  const versionNum = Number(
    (await admin.query<{ v: string }>(`select current_setting('server_version_num') as v`)).rows[0].v,
  );
  const forceDrop = versionNum >= 130000;
  const created = new Set<string>();
  const templateLocks = new Map<string, Promise<unknown>>();
  let closed = false;
  // The connections CREATE DATABASE runs on: the maintenance one, and more opened when several wait.
  const idleCreators: Client[] = [admin];
  const extraCreators: Client[] = [];
  let extraReserved = 0;
  const waitingForCreator: ((client: Client) => void)[] = [];
  async function withCreator<T>(statement: (client: Client) => Promise<T>): Promise<T> {
    let client = idleCreators.pop();
    if (!client && !closed && extraReserved < CREATE_CONNECTIONS - 1) {
      // Reserved before connecting, so concurrent callers do not open more than the limit.
      extraReserved++;
      client = await connectDatabase(adminUrl).catch(() => undefined);
      if (client) extraCreators.push(client);
      else extraReserved--; // the connections already open will do
    }
    // A failed connect may end after every other statement did: take an idle connection, or wait for one.
    client ??=
      idleCreators.pop() ?? (await new Promise<Client>((resolveClient) => waitingForCreator.push(resolveClient)));
    try {
      return await statement(client);
    } finally {
      const next = waitingForCreator.shift();
      if (next) next(client);
      else idleCreators.push(client);
    }
  }

  const dropSql = (name: string) =>
    forceDrop
      ? [`DROP DATABASE IF EXISTS ${quote(name)} WITH (FORCE)`]
      : [
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`,
          `DROP DATABASE IF EXISTS ${quote(name)}`,
        ];

  async function drop(name: string): Promise<void> {
    if (!created.has(name)) return;
    for (const sql of dropSql(name)) await admin.query(sql);
    created.delete(name);
  }

  async function dropAll(): Promise<readonly string[]> {
    const failed: string[] = [];
    for (const name of [...created]) {
      try {
        await drop(name);
      } catch (error) {
        failed.push(name);
        logger.warning(`could not drop shadow database ${name} on ${label}: ${errorMessage(error)}`);
      }
    }
    return failed;
  }

  // Last resort for an exit that is not a signal (process.exit, an uncaught error): nothing asynchronous
  // can run from the 'exit' event, so hand the drops to a synchronous psql. Best effort: skipped without psql.
  function dropAllWithPsql(): void {
    if (created.size === 0) return;
    const url = new URL(adminUrl);
    const password = decodeURIComponent(url.password);
    url.password = '';
    const args = ['-X', '-q', '-d', url.toString()];
    for (const name of created) for (const sql of dropSql(name)) args.push('-c', sql);
    spawnSync('psql', args, {
      stdio: 'ignore',
      timeout: 10_000,
      env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '5' },
    });
    created.clear();
  }
  // A server that goes away with the process (embedded, docker) takes its databases with it: no handlers.
  const handlesExit = options.dropOnExit !== false;
  if (handlesExit) await sweepLeftoverDatabases(admin, dropSql, label, logger);
  const unregisterExit = handlesExit ? onExitCleanup(dropAllWithPsql) : () => false;
  const unregisterSignal = handlesExit ? onSignalCleanup(async () => void (await dropAll())) : () => false;

  function templateName(template: ShadowDatabase | string): string {
    return typeof template === 'string' ? template : template.name;
  }

  /** Copies a template; sessions on a template we created are closed first, never those of another database. */
  async function copyTemplate(name: string, template: string): Promise<void> {
    const ours = created.has(template);
    const inUse = (error?: unknown) =>
      new ConfigurationError(
        `cannot copy template database "${template}" on ${label}: other sessions are connected to it` +
          (error ? ` (${errorMessage(error)})` : ''),
      );
    if (!ours) {
      // Fail at once rather than after the 5 s Postgres waits for a busy template's sessions to go.
      const sessions = await admin.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() LIMIT 1`,
        [template],
      );
      if (sessions.rows.length > 0) throw inUse();
    }
    for (let attempt = 1; ; attempt++) {
      if (ours) {
        await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
          [template],
        );
      }
      try {
        await withCreator((client) => client.query(`CREATE DATABASE ${quote(name)} TEMPLATE ${quote(template)}`));
        return;
      } catch (error) {
        if (pgCode(error) !== '55006') throw error;
        if (!ours) throw inUse(error);
        if (attempt >= TEMPLATE_COPY_ATTEMPTS) throw error;
        await sleep(100 * attempt);
      }
    }
  }

  async function create(createOptions: CreateDatabaseOptions = {}): Promise<ShadowDatabase> {
    if (closed) throw new Error(`shadow server ${label} is closed`);
    const name = (options.newName ?? shadowDatabaseName)();
    if (!isShadowDatabaseName(name))
      throw new Error(`shadow database name ${name} lacks the ${SHADOW_DATABASE_PREFIX} prefix`);
    const template = createOptions.template === undefined ? undefined : templateName(createOptions.template);
    // Recorded before CREATE so that a signal arriving mid-statement still drops it (DROP ... IF EXISTS).
    created.add(name);
    try {
      if (template === undefined) {
        // template0, not the server's default template1: an existing server's template1 may hold extensions
        // or tables, and an "empty" database must really be empty.
        await withCreator((client) => client.query(`CREATE DATABASE ${quote(name)} TEMPLATE template0`));
      } else {
        // One copy of a given template at a time: a concurrent copy would see the other's terminations race.
        const previous = templateLocks.get(template) ?? Promise.resolve();
        const current = previous.catch(() => undefined).then(() => copyTemplate(name, template));
        templateLocks.set(template, current);
        await current;
      }
    } catch (error) {
      // Never drop what we did not create: if CREATE failed, the name may belong to someone else.
      created.delete(name);
      if (error instanceof ConfigurationError) throw error;
      if (pgCode(error) === '42501') {
        throw new ConfigurationError(
          `the shadow database user on ${label} may not create databases (grant it CREATEDB): ${errorMessage(error)}`,
        );
      }
      if (pgCode(error) === '3D000' && template !== undefined) {
        throw new ConfigurationError(`template database "${template}" does not exist on ${label}`);
      }
      throw new Error(`could not create shadow database ${name} on ${label}: ${errorMessage(error)}`);
    }
    // The owner stamp lets the next run on this server drop it if this process dies without cleaning up.
    await admin
      .query(`COMMENT ON DATABASE ${quote(name)} IS '${stampComment(ownerStamp()).replace(/'/g, "''")}'`)
      .catch((error: unknown) => {
        logger.debug(`could not stamp shadow database ${name}: ${errorMessage(error)}`);
      });
    const url = siblingDatabaseUrl(adminUrl, name);
    logger.debug(`created shadow database ${name} on ${label}${template ? ` from template ${template}` : ''}`);
    return { name, url, drop: () => drop(name) };
  }

  return {
    serverVersionNum: versionNum,
    major: Math.floor(versionNum / 10000),
    create,
    dropAll,
    async close() {
      if (closed) return;
      closed = true;
      const failed = await dropAll();
      if (failed.length === 0) {
        unregisterExit();
        unregisterSignal();
      }
      await Promise.all([admin, ...extraCreators].map((client) => client.end().catch(() => undefined)));
    },
  };
}

/**
 * Drops the shadow databases that dead runs left on this server (SIGKILL, a vanished runner): those
 * whose owner stamp names a process gone from this host, or that are older than LEFTOVER_MAX_AGE_MS.
 * Unstamped ones, and those of live runs, are left alone. Failures are warnings: the run goes on.
 */
async function sweepLeftoverDatabases(
  admin: Client,
  dropSql: (name: string) => string[],
  label: string,
  logger: Logger,
): Promise<void> {
  let rows: { datname: string; comment: string | null }[];
  try {
    rows = (
      await admin.query<{ datname: string; comment: string | null }>(
        `SELECT datname, shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE starts_with(datname, $1)`,
        [SHADOW_DATABASE_PREFIX],
      )
    ).rows;
  } catch (error) {
    logger.debug(`could not list leftover shadow databases on ${label}: ${errorMessage(error)}`);
    return;
  }
  for (const row of rows) {
    const stamp = parseStampComment(row.comment);
    if (!stamp || !ownerIsGone(stamp)) continue;
    try {
      for (const sql of dropSql(row.datname)) await admin.query(sql);
      logger.info(
        `dropped shadow database ${row.datname} on ${label}, left by a run that is gone (pid ${stamp.pid} on ${stamp.host}, ${stamp.created})`,
      );
    } catch (error) {
      logger.warning(
        `could not drop shadow database ${row.datname} on ${label}, left by a run that is gone: ${errorMessage(error)}`,
      );
    }
  }
}

/**
 * Every provider checks the server it got (server_version_num) against the requested major: the schema
 * built and diffed there must be what production's PostgreSQL would produce.
 */
export function refuseOtherMajor(databases: ShadowDatabases, requested: number, label: string): void {
  if (databases.major === requested) return;
  throw new ConfigurationError(
    `shadow database server ${label} runs PostgreSQL ${databases.major} (server_version_num ${databases.serverVersionNum}), ` +
      `but PostgreSQL ${requested} was requested: use a server of that major, or change the requested major`,
  );
}

/**
 * A shadow server on a PostgreSQL server this job started itself (embedded or a container): databases come and go
 * through openShadowDatabases, and close() drops them, then stops the server with `stopServer`. No last-resort
 * psql drop on exit is needed: stopping the server takes its databases with it.
 */
export async function shadowOnOwnedServer(
  adminUrl: string,
  options: { description: string; postgresVersion: number; logger: Logger; stopServer: () => Promise<void> },
): Promise<ShadowServer> {
  const databases = await openShadowDatabases(adminUrl, {
    label: options.description,
    logger: options.logger,
    dropOnExit: false,
  });
  try {
    refuseOtherMajor(databases, options.postgresVersion, options.description);
  } catch (error) {
    await databases.close();
    throw error;
  }
  let closed = false;
  return {
    description: options.description,
    major: databases.major,
    createDatabase: (createOptions) => databases.create(createOptions),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await databases.close();
      } finally {
        await options.stopServer();
      }
    },
  };
}
