import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { Client } from 'pg';
import { ConfigurationError, errorMessage, redact, registerUrlSecrets } from '../errors';
import type { Logger } from '../logger';
import { onExitCleanup, onSignalCleanup } from './cleanup';
import { shadowOnOwnedServer } from './temporary-databases';
import type { ShadowServer } from './types';

/** How long a new container gets to accept connections (first start runs initdb; image pulls come before). */
export const DOCKER_READY_TIMEOUT_MS = 90_000;

export interface DockerEndpoint {
  /** The unix socket to talk to, or undefined when DOCKER_HOST names a TCP/SSH engine (dockerode reads it). */
  readonly socketPath?: string;
  /** Names the engine in messages. */
  readonly label: string;
}

/** Where the Docker engine is, the way the docker CLI finds it: DOCKER_HOST, else the user's or the system's socket. */
export function dockerEndpoint(env: NodeJS.ProcessEnv = process.env): DockerEndpoint {
  const host = env.DOCKER_HOST?.trim();
  if (host && !host.startsWith('unix://')) return { label: `DOCKER_HOST=${redact(host)}` };
  const fromHost = host?.slice('unix://'.length);
  if (fromHost) return { socketPath: fromHost, label: fromHost };
  const userSocket = join(homedir(), '.docker', 'run', 'docker.sock');
  const socketPath = existsSync(userSocket) ? userSocket : '/var/run/docker.sock';
  return { socketPath, label: socketPath };
}

async function connectDocker(endpoint: DockerEndpoint): Promise<Dockerode> {
  const hint = 'start Docker, or set shadow-database to "embedded" or a postgres URL';
  if (endpoint.socketPath && !existsSync(endpoint.socketPath)) {
    throw new ConfigurationError(`shadow-database "docker": no Docker engine socket at ${endpoint.socketPath} (${hint})`);
  }
  // Loaded only when chosen: dockerode is large and the other providers never need it.
  const { default: Docker } = await import('dockerode');
  const docker = endpoint.socketPath ? new Docker({ socketPath: endpoint.socketPath }) : new Docker();
  try {
    await docker.ping();
  } catch (error) {
    throw new ConfigurationError(`shadow-database "docker": the Docker engine at ${endpoint.label} does not answer: ${errorMessage(error)} (${hint})`);
  }
  return docker;
}

async function ensureImage(docker: Dockerode, image: string, logger: Logger): Promise<void> {
  try {
    await docker.getImage(image).inspect();
    return;
  } catch {
    /* not present locally: pull it */
  }
  logger.info(`pulling ${image}`);
  const stream = await docker.pull(image);
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve()));
  });
}

async function waitUntilAccepting(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  // The image's entrypoint runs initdb behind a socket-only server, then restarts listening on TCP:
  // the first successful TCP query means the final server is up.
  while (Date.now() < deadline) {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select 1');
      await client.end();
      return;
    } catch (error) {
      lastError = error;
      await client.end().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(`the postgres container did not accept connections within ${timeoutMs / 1000} s: ${errorMessage(lastError)}`);
}

/**
 * A `postgres:<major>` container started for this job on a free 127.0.0.1 port with a random password,
 * tuned for speed (fsync off), removed (force) on close, on a signal, and by `docker rm -f` on other exits.
 */
export async function openDockerServer(options: { major: number; logger: Logger; env?: NodeJS.ProcessEnv }): Promise<ShadowServer> {
  const { major, logger } = options;
  const endpoint = dockerEndpoint(options.env);
  const docker = await connectDocker(endpoint);
  const image = `postgres:${major}`;
  await ensureImage(docker, image, logger);
  const password = randomBytes(16).toString('hex');
  const container = await docker.createContainer({
    Image: image,
    Env: [`POSTGRES_PASSWORD=${password}`],
    Cmd: ['postgres', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300'],
    ExposedPorts: { '5432/tcp': {} },
    Labels: { 'db-migrate.shadow': 'true' },
    // HostPort '' lets the engine choose a free port; bound to loopback only.
    HostConfig: { PortBindings: { '5432/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
  });
  const shortId = container.id.slice(0, 12);
  let removed = false;
  const remove = async () => {
    if (removed) return;
    removed = true;
    await container.remove({ force: true, v: true });
  };
  // `docker rm -f` is the only way to remove it synchronously from the 'exit' event; skipped without the CLI.
  const unregisterExit = onExitCleanup(() => {
    if (!removed) spawnSync('docker', ['rm', '-f', '-v', container.id], { stdio: 'ignore', timeout: 15_000 });
  });
  const unregisterSignal = onSignalCleanup(remove);
  const stop = async () => {
    try {
      await remove();
    } finally {
      unregisterExit();
      unregisterSignal();
    }
  };
  try {
    await container.start();
    const info = await container.inspect();
    const port = info.NetworkSettings.Ports['5432/tcp']?.[0]?.HostPort;
    if (!port) throw new Error(`container ${shortId} has no published port for 5432/tcp`);
    const adminUrl = registerUrlSecrets(`postgresql://postgres:${password}@127.0.0.1:${port}/postgres`);
    await waitUntilAccepting(adminUrl, DOCKER_READY_TIMEOUT_MS);
    const description = `docker ${image} (container ${shortId}, 127.0.0.1:${port})`;
    return await shadowOnOwnedServer(adminUrl, { description, major, logger, stopServer: stop });
  } catch (error) {
    await stop().catch((removeError) => logger.warning(`could not remove container ${shortId}: ${errorMessage(removeError)}`));
    throw error;
  }
}
