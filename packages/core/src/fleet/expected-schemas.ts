/**
 * The schema each version implies: migrations 1..n applied by the real applier to a throwaway database,
 * then introspected. Built once per distinct version a run asks for and shared by every target at that
 * version. A version is built from a template copy of the highest version below it already asked for
 * (CREATE DATABASE ... TEMPLATE costs a few ms; replaying every migration from empty costs more), so a
 * fleet spread over versions 3, 7 and 10 costs three copies and ten migrations, not twenty.
 *
 * Each built database is introspected once, right after it is built, and only its catalog is used from
 * then on: comparing a target is a pure function of two catalogs, and no session ever stays on a
 * database that may later be copied as a template (PostgreSQL refuses to copy a database in use).
 */
import { performance } from 'node:perf_hooks';
import { up } from '../applier/migrator';
import { type Catalog, introspect } from '../diff';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import type { MigrationSet } from '../migrations/store';
import type { ShadowServer, ThrowawayDatabase } from '../shadow/types';

export interface ExpectedSchema {
  readonly version: number;
  readonly catalog: Catalog;
}

export interface ExpectedSchemaStats {
  /** Versions built (each once). */
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
  copy(version: number): Promise<ThrowawayDatabase>;
  stats(): ExpectedSchemaStats;
}

interface Built extends ExpectedSchema {
  readonly db: ThrowawayDatabase;
}

/**
 * `server` is asked for lazily: a run whose targets all fail before their check never starts a shadow
 * server. The databases are dropped when the caller closes the server.
 */
export function expectedSchemas(server: () => Promise<ShadowServer>, set: MigrationSet, options: { readonly logger?: Logger } = {}): ExpectedSchemas {
  const logger = options.logger ?? silentLogger;
  const builds = new Map<number, Promise<Built>>();
  const built: number[] = [];
  let buildMs = 0;
  let introspectMs = 0;

  async function build(version: number, base: Promise<Built> | undefined): Promise<Built> {
    const shadow = await server();
    const started = performance.now();
    let template: Built | undefined;
    try {
      template = await base;
    } catch (error) {
      throw new Error(`cannot build the schema of version ${version}: ${(error as Error).message}`);
    }
    const db = await shadow.createDatabase(template ? { template: template.db } : {});
    if (version > 0) {
      const run = await up(db.url, set, { to: version, logger: silentLogger });
      if (run.error) {
        await db.drop().catch(() => undefined);
        throw new Error(`cannot build the schema of version ${version} on the shadow server: ${run.error.message}`);
      }
    }
    const introspected = performance.now();
    const catalog = await introspect(db.url);
    const done = performance.now();
    introspectMs += done - introspected;
    buildMs += done - started;
    built.push(version);
    logger.debug(`expected schema of version ${version} built${template ? ` from version ${template.version}` : ''} in ${Math.round(done - started)} ms`);
    return { version, catalog, db };
  }

  const buildOnce = (version: number): Promise<Built> => {
    let promise = builds.get(version);
    if (!promise) {
      // The closest lower version already asked for is the cheapest starting point.
      const below = [...builds.keys()].filter((v) => v < version).sort((a, b) => b - a)[0];
      promise = build(version, below === undefined ? undefined : builds.get(below));
      builds.set(version, promise);
      promise.catch(() => undefined); // observed by every caller of get(); never an unhandled rejection
    }
    return promise;
  };

  return {
    get: (version: number): Promise<ExpectedSchema> => buildOnce(version).then(({ version: v, catalog }) => ({ version: v, catalog })),
    async copy(version: number): Promise<ThrowawayDatabase> {
      const { db } = await buildOnce(version);
      return (await server()).createDatabase({ template: db });
    },
    stats: () => ({ built: [...built].sort((a, b) => a - b), buildMs: Math.round(buildMs), introspectMs: Math.round(introspectMs) }),
  };
}
