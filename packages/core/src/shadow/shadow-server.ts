import { errorMessage } from '../errors';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import { openDockerServer } from './docker';
import { openEmbeddedServer } from './embedded';
import { openExistingServer } from './existing-server';
import { DEFAULT_POSTGRES_VERSION } from '../postgres-server/local-server';
import { parseShadowSpec, type ShadowSpec } from './spec';
import type { ShadowServer } from './types';

export interface OpenShadowServerOptions {
  /** The PostgreSQL major to build schemas with; DEFAULT_POSTGRES_VERSION unless given. */
  readonly postgresVersion?: number;
  readonly logger?: Logger;
}

/**
 * Opens the server on which shadow databases are created, as chosen by one option (`--shadow`,
 * `shadow-database`): `embedded` (default), `docker`, or a postgres URL. Always close() it (in finally):
 * signals are handled, but a normal run should not rely on that.
 */
export async function openShadowServer(
  spec: string | ShadowSpec | undefined,
  options: OpenShadowServerOptions = {},
): Promise<ShadowServer> {
  const parsed = typeof spec === 'object' ? spec : parseShadowSpec(spec);
  const postgresVersion = options.postgresVersion ?? DEFAULT_POSTGRES_VERSION;
  const logger = options.logger ?? silentLogger;
  const server = await (parsed.kind === 'embedded'
    ? openEmbeddedServer({ postgresVersion, logger })
    : parsed.kind === 'docker'
      ? openDockerServer({ postgresVersion, logger })
      : openExistingServer(parsed.url, { postgresVersion, logger }));
  logger.debug(`shadow server: ${server.description}`);
  return server;
}

/** Runs fn with a shadow server and closes it afterwards, whatever happens. */
export async function withShadowServer<T>(
  spec: string | ShadowSpec | undefined,
  options: OpenShadowServerOptions,
  fn: (server: ShadowServer) => Promise<T>,
): Promise<T> {
  return closingAfter(await openShadowServer(spec, options), fn, options.logger ?? silentLogger);
}

/**
 * A shadow server opening while the caller does other work (reading git): use() runs fn on it and closes
 * it; close() closes it unused. One of the two must be called.
 */
export interface OpeningShadowServer {
  use<T>(fn: (server: ShadowServer) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function openShadowServerEarly(
  spec: string | ShadowSpec | undefined,
  options: OpenShadowServerOptions,
): OpeningShadowServer {
  const logger = options.logger ?? silentLogger;
  const opening = openShadowServer(spec, options);
  opening.catch(() => undefined); // awaited by use() or close()
  return {
    use: async (fn) => closingAfter(await opening, fn, logger),
    async close() {
      const server = await opening.catch(() => undefined);
      await server
        ?.close()
        .catch((error: unknown) =>
          logger.warning(`could not close the shadow server ${server.description}: ${errorMessage(error)}`),
        );
    },
  };
}

/**
 * Runs fn, then closes the server. When fn failed, a failing close() is only a warning: the user must
 * see why the work failed, not that the cleanup after it did too.
 */
async function closingAfter<T>(
  server: ShadowServer,
  fn: (server: ShadowServer) => Promise<T>,
  logger: Logger,
): Promise<T> {
  let result: T;
  try {
    result = await fn(server);
  } catch (error) {
    await server
      .close()
      .catch((closeError: unknown) =>
        logger.warning(`could not close the shadow server ${server.description}: ${errorMessage(closeError)}`),
      );
    throw error;
  }
  await server.close();
  return result;
}
