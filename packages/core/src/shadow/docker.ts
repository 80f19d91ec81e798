import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { Client } from 'pg';
import { ConfigurationError, errorMessage } from '../errors';
import { redact } from '../redact';
import { registerUrlSecrets } from '../database-url';
import type { Logger } from '../logger';
import { onExitCleanup, onSignalCleanup } from '../process/cleanup';
import { processExists } from '../process/owner-stamp';
import { shadowOnOwnedServer } from './shadow-databases';
import type { ShadowServer } from './types';

/** How long a new container gets to accept connections (first start runs initdb; image pulls come before). */
const DOCKER_READY_TIMEOUT_MS = 90_000;
/** How long one Docker engine call may stay silent before it is abandoned (a hung engine must not hang us). */
const DOCKER_CALL_TIMEOUT_MS = 60_000;
/** Every container this provider starts carries this label (and DOCKER_OWNER_LABEL): how leftovers are found. */
export const DOCKER_SHADOW_LABEL = 'db-migrate.shadow';
export const DOCKER_OWNER_LABEL = 'db-migrate.owner';

export interface DockerEndpoint {
  /** The unix socket to talk to. */
  readonly socketPath?: string;
  /** A TCP engine: its host (where the containers' published ports are reached too) and port. */
  readonly host?: string;
  readonly port?: number;
  readonly protocol?: 'http' | 'https';
  /** Directory holding ca.pem, cert.pem and key.pem for an https engine. */
  readonly certDir?: string;
  /** Names the engine in messages. */
  readonly label: string;
}

const hint = 'start Docker, or set shadow-database to "embedded" or a postgres URL';

/** Parses a Docker host address (DOCKER_HOST or a context's endpoint) the way the docker CLI reads it. */
function parseDockerHost(value: string, label: string, env: NodeJS.ProcessEnv, certDir?: string): DockerEndpoint {
  if (value.startsWith('unix://'))
    return { socketPath: value.slice('unix://'.length) || '/var/run/docker.sock', label };
  const withScheme = value.includes('://') ? value : `tcp://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConfigurationError(`${label} is not a Docker host address (unix:///path or tcp://host:port)`);
  }
  if (url.protocol === 'ssh:') {
    throw new ConfigurationError(
      `${label}: ssh:// Docker hosts are not supported; forward the engine's socket instead ` +
        '(ssh -NL /tmp/docker.sock:/var/run/docker.sock user@host, then DOCKER_HOST=unix:///tmp/docker.sock)',
    );
  }
  if (url.protocol !== 'tcp:' && url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigurationError(`${label}: ${url.protocol}// Docker hosts are not supported (use unix:// or tcp://)`);
  }
  const port = Number(url.port || (env.DOCKER_TLS_VERIFY === '1' ? 2376 : 2375));
  const tls = url.protocol === 'https:' || env.DOCKER_TLS_VERIFY === '1' || port === 2376;
  const certs = certDir ?? env.DOCKER_CERT_PATH;
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port,
    protocol: tls ? 'https' : 'http',
    ...(tls && certs ? { certDir: certs } : {}),
    label,
  };
}

/**
 * Where the Docker engine is, the way the docker CLI finds it: DOCKER_HOST, else the context named by
 * DOCKER_CONTEXT or by currentContext in ~/.docker/config.json (Colima, rootless, Desktop), else the user's
 * (Docker Desktop) or the system's socket.
 */
export function dockerEndpoint(env: NodeJS.ProcessEnv = process.env): DockerEndpoint {
  const host = env.DOCKER_HOST?.trim();
  if (host) return parseDockerHost(host, `DOCKER_HOST=${redact(host)}`, env);
  const configDir = env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
  let context = env.DOCKER_CONTEXT?.trim();
  let origin = 'DOCKER_CONTEXT';
  if (!context) {
    try {
      context = (JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8')) as { currentContext?: string })
        .currentContext;
      origin = `currentContext in ${join(configDir, 'config.json')}`;
    } catch {
      /* no config: the default context */
    }
  }
  if (context && context !== 'default') {
    const id = createHash('sha256').update(context).digest('hex');
    const metaFile = join(configDir, 'contexts', 'meta', id, 'meta.json');
    let endpoint: string | undefined;
    try {
      endpoint = (JSON.parse(readFileSync(metaFile, 'utf8')) as { Endpoints?: { docker?: { Host?: string } } })
        .Endpoints?.docker?.Host;
    } catch {
      throw new ConfigurationError(
        `Docker context "${context}" (${origin}) does not exist: no ${metaFile} (docker context ls lists them)`,
      );
    }
    if (!endpoint)
      throw new ConfigurationError(`Docker context "${context}" (${origin}) has no docker endpoint in ${metaFile}`);
    const tlsDir = join(configDir, 'contexts', 'tls', id, 'docker');
    return parseDockerHost(
      endpoint,
      `Docker context "${context}" (${redact(endpoint)})`,
      env,
      existsSync(tlsDir) ? tlsDir : undefined,
    );
  }
  const userSocket = join(env.HOME || homedir(), '.docker', 'run', 'docker.sock');
  const socketPath = existsSync(userSocket) ? userSocket : '/var/run/docker.sock';
  return { socketPath, label: socketPath };
}

/** Rejects when a Docker call takes longer than timeoutMs: a deadline here, on top of the modem's socket timeout. */
async function withDeadline<T>(
  promise: Promise<T>,
  timeoutMs: number,
  what: string,
  endpoint: DockerEndpoint,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ConfigurationError(
            `shadow-database "docker": the Docker engine at ${endpoint.label} did not answer ${what} within ${timeoutMs / 1000} s (${hint})`,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function connectDocker(endpoint: DockerEndpoint, timeoutMs: number): Promise<Dockerode> {
  if (endpoint.socketPath && !existsSync(endpoint.socketPath)) {
    throw new ConfigurationError(
      `shadow-database "docker": no Docker engine socket at ${endpoint.socketPath} (${hint})`,
    );
  }
  // Loaded only when chosen: dockerode is large and the other providers never need it.
  const { default: Docker } = await import('dockerode');
  const certs = endpoint.certDir
    ? {
        ca: readFileSync(join(endpoint.certDir, 'ca.pem')),
        cert: readFileSync(join(endpoint.certDir, 'cert.pem')),
        key: readFileSync(join(endpoint.certDir, 'key.pem')),
      }
    : {};
  // Every option explicit: docker-modem would otherwise read DOCKER_HOST itself (and its ssh transport).
  const docker = endpoint.socketPath
    ? new Docker({ socketPath: endpoint.socketPath, timeout: timeoutMs })
    : new Docker({
        host: endpoint.host,
        port: endpoint.port,
        protocol: endpoint.protocol,
        timeout: timeoutMs,
        ...certs,
      });
  try {
    await withDeadline(docker.ping(), timeoutMs, 'a ping', endpoint);
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    throw new ConfigurationError(
      `shadow-database "docker": the Docker engine at ${endpoint.label} does not answer: ${errorMessage(error)} (${hint})`,
    );
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
  try {
    const stream = await docker.pull(image);
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve()));
    });
  } catch (error) {
    throw new ConfigurationError(
      `shadow-database "docker": cannot pull ${image}: ${errorMessage(error)} (set DB_MIGRATE_DOCKER_IMAGE to a registry you can reach, or ${hint})`,
    );
  }
}

/** The text of `docker logs --tail n`: the engine multiplexes stdout and stderr in 8-byte-header frames. */
function demultiplexLogs(buffer: Buffer): string {
  if (buffer.length < 8 || buffer[1] !== 0 || buffer[2] !== 0 || buffer[3] !== 0) return buffer.toString('utf8');
  const parts: Buffer[] = [];
  for (let offset = 0; offset + 8 <= buffer.length; ) {
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

async function logTail(container: Dockerode.Container, lines: number): Promise<string> {
  try {
    const raw = (await container.logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
    return demultiplexLogs(Buffer.from(raw)).trimEnd();
  } catch (error) {
    return `(no logs: ${errorMessage(error)})`;
  }
}

export interface ContainerAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Where this process may reach the container's 5432, in order: the published port on the TCP engine's
 * host (a remote DOCKER_HOST, docker-in-docker), on 127.0.0.1 (a local engine), then the container's own
 * address on each of its networks (a `container:` job or docker-in-docker sharing the network).
 */
export function containerAddresses(
  endpoint: DockerEndpoint,
  info: Pick<Dockerode.ContainerInspectInfo, 'NetworkSettings'>,
): ContainerAddress[] {
  const addresses: ContainerAddress[] = [];
  const published = Number(info.NetworkSettings.Ports?.['5432/tcp']?.[0]?.HostPort);
  if (published) addresses.push({ host: endpoint.host ?? '127.0.0.1', port: published });
  for (const network of Object.values(info.NetworkSettings.Networks ?? {})) {
    if (network.IPAddress) addresses.push({ host: network.IPAddress, port: 5432 });
  }
  if (info.NetworkSettings.IPAddress && !addresses.some((a) => a.host === info.NetworkSettings.IPAddress)) {
    addresses.push({ host: info.NetworkSettings.IPAddress, port: 5432 });
  }
  return addresses;
}

async function accepts(url: string): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Waits until one of the container's addresses accepts a query, and returns that address. Fails at once,
 * with the exit code and the last log lines, when the container stops.
 */
async function waitUntilAccepting(
  container: Dockerode.Container,
  addresses: readonly ContainerAddress[],
  urlFor: (address: ContainerAddress) => string,
  options: { timeoutMs: number; callTimeoutMs: number; endpoint: DockerEndpoint; image: string },
): Promise<ContainerAddress> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  const shortId = container.id.slice(0, 12);
  // The image's entrypoint runs initdb behind a socket-only server, then restarts listening on TCP:
  // the first successful TCP query means the final server is up.
  while (Date.now() < deadline) {
    const attempts = addresses.map((address) => accepts(urlFor(address)).then(() => address));
    try {
      return await Promise.any(attempts);
    } catch (error) {
      lastError = (error as AggregateError).errors?.[0] ?? error;
    }
    const state = (await withDeadline(container.inspect(), options.callTimeoutMs, 'an inspect', options.endpoint))
      .State;
    if (!state.Running) {
      const tail = await logTail(container, 20);
      throw new ConfigurationError(
        `the postgres container ${shortId} (${options.image}) exited with code ${state.ExitCode}${state.OOMKilled ? ' (out of memory)' : ''} ` +
          `before accepting connections; its last log lines:\n${tail}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const tried = addresses.map((a) => `${a.host}:${a.port}`).join(', ');
  throw new ConfigurationError(
    `the postgres container ${shortId} did not accept connections within ${options.timeoutMs / 1000} s at ${tried || 'no address'}: ` +
      `${errorMessage(lastError)} (is the engine's network reachable from here? a remote engine needs DOCKER_HOST=tcp://host:port)`,
  );
}

/**
 * Removes shadow containers left by runs that died without cleaning up (SIGKILL, a lost runner): every
 * stopped one, and running ones whose owner process on this host is gone. Returns the ids removed.
 */
export async function sweepDeadShadowContainers(docker: Dockerode, logger: Logger): Promise<string[]> {
  const removed: string[] = [];
  const containers = await docker.listContainers({ all: true, filters: { label: [`${DOCKER_SHADOW_LABEL}=true`] } });
  for (const info of containers) {
    const [ownerHost, ownerPid] = (info.Labels?.[DOCKER_OWNER_LABEL] ?? '').split(':');
    const dead =
      info.State !== 'running' ||
      (ownerHost === hostname() && ownerPid !== undefined && !processExists(Number(ownerPid)));
    if (!dead) continue;
    try {
      await docker.getContainer(info.Id).remove({ force: true, v: true });
      removed.push(info.Id);
      logger.info(`removed shadow container ${info.Id.slice(0, 12)} left by a run that ended without cleaning up`);
    } catch (error) {
      logger.warning(`could not remove leftover shadow container ${info.Id.slice(0, 12)}: ${errorMessage(error)}`);
    }
  }
  return removed;
}

/** Inside a container (a `container:` job, docker-in-docker) the new container joins our network, where its address is reachable. */
async function ownNetwork(
  docker: Dockerode,
  callTimeoutMs: number,
  endpoint: DockerEndpoint,
): Promise<string | undefined> {
  if (!existsSync('/.dockerenv')) return undefined;
  try {
    const self = await withDeadline(docker.getContainer(hostname()).inspect(), callTimeoutMs, 'an inspect', endpoint);
    return Object.keys(self.NetworkSettings.Networks ?? {}).find((name) => name !== 'host' && name !== 'none');
  } catch {
    return undefined;
  }
}

export interface OpenDockerServerOptions {
  readonly postgresVersion: number;
  readonly logger: Logger;
  readonly env?: NodeJS.ProcessEnv;
  /** DOCKER_CALL_TIMEOUT_MS unless given. */
  readonly callTimeoutMs?: number;
}

/**
 * A `postgres:<major>` container (DB_MIGRATE_DOCKER_IMAGE replaces `postgres`, e.g. a mirror) started for
 * this job with a random password, tuned for speed (fsync off), labelled as ours, reached where this process
 * can reach it, checked to run the requested major, and removed (force) on close, on a signal, and by
 * `docker rm -f` on other exits. Leftovers of dead runs are swept first.
 */
export async function openDockerServer(options: OpenDockerServerOptions): Promise<ShadowServer> {
  const { postgresVersion, logger } = options;
  const env = options.env ?? process.env;
  const callTimeoutMs = options.callTimeoutMs ?? DOCKER_CALL_TIMEOUT_MS;
  const endpoint = dockerEndpoint(env);
  const docker = await connectDocker(endpoint, callTimeoutMs);
  const call = <T>(promise: Promise<T>, what: string) => withDeadline(promise, callTimeoutMs, what, endpoint);
  await call(sweepDeadShadowContainers(docker, logger), 'the list of leftover containers');
  const image = `${env.DB_MIGRATE_DOCKER_IMAGE?.trim() || 'postgres'}:${postgresVersion}`;
  await ensureImage(docker, image, logger);
  const password = randomBytes(16).toString('hex');
  const network = await ownNetwork(docker, callTimeoutMs, endpoint);
  const container = await call(
    docker.createContainer({
      Image: image,
      Env: [`POSTGRES_PASSWORD=${password}`],
      Cmd: [
        'postgres',
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=300',
      ],
      ExposedPorts: { '5432/tcp': {} },
      Labels: { [DOCKER_SHADOW_LABEL]: 'true', [DOCKER_OWNER_LABEL]: `${hostname()}:${process.pid}` },
      // HostPort '' lets the engine choose a free port: on loopback for a local engine, on every interface
      // of a TCP engine's host (this process reaches it there); the password is random either way.
      HostConfig: {
        PortBindings: { '5432/tcp': [{ HostIp: endpoint.host ? '' : '127.0.0.1', HostPort: '' }] },
        ...(network ? { NetworkMode: network } : {}),
      },
    }),
    'the container creation',
  );
  const shortId = container.id.slice(0, 12);
  let removed = false;
  const remove = async () => {
    if (removed) return;
    await call(container.remove({ force: true, v: true }), 'the container removal');
    removed = true;
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
    await call(container.start(), 'the container start');
    const info = await call(container.inspect(), 'an inspect');
    const addresses = containerAddresses(endpoint, info);
    const urlFor = (address: ContainerAddress) => {
      const host = address.host.includes(':') ? `[${address.host}]` : address.host;
      return registerUrlSecrets(`postgresql://postgres:${password}@${host}:${address.port}/postgres`);
    };
    const reached = await waitUntilAccepting(container, addresses, urlFor, {
      timeoutMs: DOCKER_READY_TIMEOUT_MS,
      callTimeoutMs,
      endpoint,
      image,
    });
    const description = `docker ${image} (container ${shortId}, ${reached.host}:${reached.port})`;
    return await shadowOnOwnedServer(urlFor(reached), { description, postgresVersion, logger, stopServer: stop });
  } catch (error) {
    // The original error is what the user must see: a failed removal is only a warning next to it.
    await stop().catch((removeError) =>
      logger.warning(`could not remove container ${shortId}: ${errorMessage(removeError)}`),
    );
    throw error;
  }
}
