/**
 * The schema each version implies: migrations 1..n applied by the real applier to a shadow database,
 * then introspected. Built once per version and shared by every target at that version.
 *
 * One sweep builds them all: a single shadow database, on one connection, is migrated one version
 * at a time up to the highest version asked for, and introspected at each version on the way (at the
 * versions asked for only, when the set has more than SWEEP_EVERY_VERSION_UP_TO versions). A fleet
 * spread over versions 0..10 thus costs one database, each migration once and eleven catalog reads.
 * A version asked for after the sweep passed it without reading it is built alone, from empty.
 */
import { performance } from 'node:perf_hooks';
import type { Client } from 'pg';
import { runPlan } from '../applier/migrator';
import { copyAtVersion } from '../rehearsal/rehearsal';
import { type Catalog, introspect } from '../diff';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import type { MigrationSet } from '../migrations/store';
import { describeDatabase } from '../database-url';
import { connectDatabase } from '../pg/connect';
import type { ShadowServer, ShadowDatabase } from '../shadow/types';

/** Up to this many versions, the sweep reads every version it passes (cheap, and later targets find theirs ready). */
export const SWEEP_EVERY_VERSION_UP_TO = 32;

export interface ExpectedSchema {
  readonly version: number;
  readonly catalog: Catalog;
}

export interface ExpectedSchemaStats {
  /** Versions asked for and built (each once; the sweep may read others on the way, not counted). */
  readonly built: readonly number[];
  /** Time spent creating, migrating and introspecting them, summed. */
  readonly buildMs: number;
  readonly introspectMs: number;
}

export interface ExpectedSchemas {
  /** The schema `version` implies; rejects (with a one-line message) when its migrations fail on an empty database. */
  get(version: number): Promise<ExpectedSchema>;
  /**
   * A new database copied (as a template) from the one built for `version`, which stays intact: the
   * pre-flight runs the pending migrations there. The caller drops it.
   */
  copy(version: number): Promise<ShadowDatabase>;
  stats(): ExpectedSchemaStats;
}

/**
 * `server` is asked for lazily: a run whose targets all fail before their check never starts a shadow
 * server. The databases are dropped when the caller closes the server.
 */
export function expectedSchemas(
  server: () => Promise<ShadowServer>,
  set: MigrationSet,
  options: { readonly logger?: Logger } = {},
): ExpectedSchemas {
  const logger = options.logger ?? silentLogger;
  const versions = [0, ...set.migrations.map((m) => m.version)];
  const readEvery = versions.length <= SWEEP_EVERY_VERSION_UP_TO;
  const schemas = new Map<number, Promise<ExpectedSchema>>();
  const waiting = new Map<number, { resolve: (schema: ExpectedSchema) => void; reject: (error: Error) => void }>();
  /** Versions asked for and built: the stats' `built`. */
  const built: number[] = [];
  const asked = new Set<number>();
  let buildMs = 0;
  let introspectMs = 0;
  /** Index in `versions` the sweep database is at (-1: not created yet) and the highest index asked for. */
  let position = -1;
  let goal = -1;
  let sweepDb: ShadowDatabase | undefined;
  let _sweeping: Promise<void> | undefined;
  /** Where the sweep stopped for good: a migration that fails on an empty database, or no shadow server. */
  let failure: { index: number; error: (version: number) => Error } | undefined;

  const failed = (version: number, message: string) =>
    new Error(`cannot build the schema of version ${version} on the shadow server: ${message}`);

  async function read(client: Client, version: number, started: number): Promise<ExpectedSchema> {
    const introspected = performance.now();
    const catalog = await introspect(client);
    const done = performance.now();
    introspectMs += done - introspected;
    buildMs += done - started;
    return { version, catalog };
  }

  async function sweep(): Promise<void> {
    const shadow = await server();
    sweepDb ??= await shadow.createDatabase({});
    const client = await connectDatabase(sweepDb.url);
    try {
      while (position < goal) {
        const index = position + 1;
        const version = versions[index]!;
        const started = performance.now();
        if (index > 0) {
          const migration = set.migrations[index - 1]!;
          const plan = {
            database: describeDatabase(sweepDb.url),
            from: versions[index - 1]!,
            to: version,
            direction: 'up' as const,
            migrations: [migration],
          };
          const run = await runPlan(client, set, plan, { logger: silentLogger });
          if (run.error) throw Object.assign(new Error(run.error.message), { migrationIndex: index });
        }
        position = index;
        const pending = waiting.get(version);
        if (pending || readEvery) {
          const schema = await read(client, version, started);
          logger.debug(
            `expected schema of version ${version} read on the sweep in ${Math.round(performance.now() - started)} ms`,
          );
          waiting.delete(version);
          if (pending) pending.resolve(schema);
          else schemas.set(version, Promise.resolve(schema));
        } else {
          buildMs += performance.now() - started;
        }
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  function continueSweep(): void {
    _sweeping ??= sweep()
      .catch((error: unknown) => {
        const index = (error as { migrationIndex?: number }).migrationIndex;
        // A migration failing: every version from it on cannot be built; anything else fails as it is.
        failure =
          index === undefined
            ? { index: position + 1, error: () => error as Error }
            : { index, error: (version) => failed(version, (error as Error).message) };
      })
      .finally(() => {
        _sweeping = undefined;
        // Everyone still waiting is at or above the failure (or was asked for while the sweep ended).
        for (const [version, pending] of [...waiting]) {
          if (failure && versions.indexOf(version) >= failure.index) {
            waiting.delete(version);
            pending.reject(failure.error(version));
          }
        }
        if (!failure && goal > position) continueSweep();
      });
  }

  /** A version the sweep passed without reading it: migrated alone on a database of its own. */
  async function buildAlone(version: number): Promise<ExpectedSchema> {
    const shadow = await server();
    const started = performance.now();
    const { db, error } = await copyAtVersion(() => shadow.createDatabase({}), set, version);
    if (error) throw failed(version, error);
    const client = await connectDatabase(db.url);
    try {
      return await read(client, version, started);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  return {
    get(version: number): Promise<ExpectedSchema> {
      let promise = schemas.get(version);
      if (promise && !asked.has(version)) {
        // Read by the sweep before anyone asked.
        asked.add(version);
        built.push(version);
      }
      if (promise) return promise;
      asked.add(version);
      const index = versions.indexOf(version);
      if (index < 0) promise = Promise.reject(failed(version, `no migration version ${version} in ${set.dir}`));
      else if (failure && index >= failure.index) promise = Promise.reject(failure.error(version));
      else if (index <= position) promise = buildAlone(version);
      else {
        promise = new Promise<ExpectedSchema>((resolve, reject) => waiting.set(version, { resolve, reject }));
        goal = Math.max(goal, index);
        continueSweep();
      }
      schemas.set(version, promise);
      promise.then(() => built.push(version)).catch(() => undefined); // observed by every caller of get(); never an unhandled rejection
      return promise;
    },
    async copy(version: number): Promise<ShadowDatabase> {
      const shadow = await server();
      const { db, error } = await copyAtVersion(() => shadow.createDatabase({}), set, version);
      if (error) {
        await db.drop().catch(() => undefined);
        throw failed(version, error);
      }
      return db;
    },
    stats: () => ({
      built: [...built].sort((a, b) => a - b),
      buildMs: Math.round(buildMs),
      introspectMs: Math.round(introspectMs),
    }),
  };
}
