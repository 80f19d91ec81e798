import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Docker from 'dockerode';
import { caught } from '../../../test/support/rejection';
import { inEngineNetwork, startDockerEngine } from '../../../test/support/docker-engine';
import { ConfigurationError } from '../src/errors';
import { silentLogger } from '../src/logger';
import {
  containerAddresses,
  dockerEndpoint,
  DOCKER_OWNER_LABEL,
  DOCKER_SHADOW_LABEL,
  openDockerServer,
} from '../src/shadow/docker';
import { scaled } from '../../../test/support/time';

const ROOT = resolve(__dirname, '../../..');

/** A Docker config directory whose current context (or the one named) points at `host`. */
function dockerConfig(context: string, host: string, current = true): string {
  const dir = mkdtempSync(join(tmpdir(), 'db-migrate-test-docker-config-'));
  const meta = join(dir, 'contexts', 'meta', createHash('sha256').update(context).digest('hex'));
  mkdirSync(meta, { recursive: true });
  writeFileSync(
    join(meta, 'meta.json'),
    JSON.stringify({ Name: context, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }),
  );
  if (current) writeFileSync(join(dir, 'config.json'), JSON.stringify({ currentContext: context }));
  return dir;
}

describe('finding the Docker engine the way the docker CLI does', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('reads DOCKER_HOST first: a unix socket, a TCP engine (whose host also serves the published ports), TLS', () => {
    expect(dockerEndpoint({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' })).toEqual({
      socketPath: '/run/user/1000/docker.sock',
      label: 'DOCKER_HOST=unix:///run/user/1000/docker.sock',
    });
    expect(dockerEndpoint({ DOCKER_HOST: 'tcp://docker:2375' })).toEqual({
      host: 'docker',
      port: 2375,
      protocol: 'http',
      label: 'DOCKER_HOST=tcp://docker:2375',
    });
    expect(dockerEndpoint({ DOCKER_HOST: 'tcp://10.0.0.5:2376', DOCKER_CERT_PATH: '/certs' })).toMatchObject({
      host: '10.0.0.5',
      port: 2376,
      protocol: 'https',
      certDir: '/certs',
    });
    expect(dockerEndpoint({ DOCKER_HOST: 'dind:2375' })).toMatchObject({ host: 'dind', port: 2375, protocol: 'http' });
  });

  it('refuses ssh:// engines with the way round it, and addresses it cannot use', () => {
    expect(() => dockerEndpoint({ DOCKER_HOST: 'ssh://me@build-host' })).toThrow(ConfigurationError);
    expect(() => dockerEndpoint({ DOCKER_HOST: 'ssh://me@build-host' })).toThrow(
      /^DOCKER_HOST=ssh:\/\/\*\*\*@build-host: ssh:\/\/ Docker hosts are not supported; forward the engine's socket instead/,
    );
    expect(() => dockerEndpoint({ DOCKER_HOST: 'npipe:////./pipe/docker_engine' })).toThrow(
      /npipe:\/\/ Docker hosts are not supported/,
    );
  });

  it('follows DOCKER_CONTEXT, else currentContext in the config (Colima, rootless, Desktop), and names a missing context', () => {
    const colima = dockerConfig('colima', 'unix:///Users/me/.colima/default/docker.sock');
    dirs.push(colima);
    expect(dockerEndpoint({ DOCKER_CONFIG: colima })).toEqual({
      socketPath: '/Users/me/.colima/default/docker.sock',
      label: 'Docker context "colima" (unix:///Users/me/.colima/default/docker.sock)',
    });
    // DOCKER_HOST wins over the context, DOCKER_CONTEXT over the config's current one.
    expect(dockerEndpoint({ DOCKER_CONFIG: colima, DOCKER_HOST: 'tcp://docker:2375' })).toMatchObject({
      host: 'docker',
    });
    expect(dockerEndpoint({ DOCKER_CONFIG: colima, DOCKER_CONTEXT: 'default' }).socketPath).toMatch(/docker\.sock$/);
    const error = (() => {
      try {
        dockerEndpoint({ DOCKER_CONFIG: colima, DOCKER_CONTEXT: 'rootless' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error?.message).toMatch(
      /^Docker context "rootless" \(DOCKER_CONTEXT\) does not exist: no .*meta\.json \(docker context ls lists them\)$/,
    );
  });

  it('reaches a container at the published port on the engine host, then at its own address on each network', () => {
    const info = {
      NetworkSettings: {
        Ports: { '5432/tcp': [{ HostIp: '0.0.0.0', HostPort: '49153' }] },
        IPAddress: '172.17.0.3',
        Networks: { github_network_1: { IPAddress: '172.18.0.4' }, bridge: { IPAddress: '172.17.0.3' } },
      },
    } as unknown as Parameters<typeof containerAddresses>[1];
    expect(containerAddresses({ host: 'dind', port: 2375, label: '' }, info)).toEqual([
      { host: 'dind', port: 49153 },
      { host: '172.18.0.4', port: 5432 },
      { host: '172.17.0.3', port: 5432 },
    ]);
    expect(containerAddresses({ socketPath: '/var/run/docker.sock', label: '' }, info)[0]).toEqual({
      host: '127.0.0.1',
      port: 49153,
    });
  });
});

describe('an engine that hangs', () => {
  it('fails within the call timeout with a configuration error, not forever', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'db-migrate-test-hung-docker-'));
    const socketPath = join(dir, 'docker.sock');
    const sockets: Socket[] = [];
    // Accepts connections and never answers, as a wedged dockerd does.
    const hung = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((done) => hung.listen(socketPath, done));
    try {
      const error = await caught(
        openDockerServer({
          postgresVersion: 15,
          logger: silentLogger,
          env: { DOCKER_HOST: `unix://${socketPath}` },
          callTimeoutMs: 500,
        }),
      );
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error.message).toMatch(
        new RegExp(
          `^shadow-database "docker": the Docker engine at DOCKER_HOST=unix://${socketPath} (did not answer a ping within 0.5 s|does not answer: .*timeout)`,
          'i',
        ),
      );
      expect(sockets.length).toBeGreaterThan(0);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((done) => hung.close(done));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const engine = startDockerEngine();
// Names of this run's own images: a second run on the same engine must not remove them under this one.
const RELABELLED = `db-migrate-test-relabelled-${process.pid}`;
const DIES = `db-migrate-test-dies-${process.pid}`;
const describeOnEngine = engine.ok ? describe : describe.skip;

interface ChildReport {
  readonly name: string;
  readonly ok: boolean;
  readonly configuration?: boolean;
  readonly message?: string;
  readonly description?: string;
  readonly major?: number;
  readonly versionNum?: number;
  readonly whileOpen?: number;
  readonly left: number;
}

/** Runs docker-child.ts with these cases inside the engine's network namespace, on Node 24 when the tests do. */
function runChild(
  cases: readonly { name: string; major: number; env?: Record<string, string> }[],
): Promise<{ reports: ChildReport[]; stderr: string; code: number | null }> {
  if (!engine.ok) throw new Error('no engine');
  const argv = inEngineNetwork(engine, [
    process.execPath,
    '-r',
    join(ROOT, 'scripts/register-ts.js'),
    join(__dirname, 'docker-child.ts'),
    JSON.stringify(cases),
  ]);
  return new Promise((done, fail) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DOCKER_HOST: '', DOCKER_CONTEXT: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', fail);
    child.on('close', (code) =>
      done({
        code,
        stderr,
        reports: stdout
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as ChildReport),
      }),
    );
  });
}

describeOnEngine(`the docker provider on a real engine${engine.ok ? '' : ` (skipped: ${engine.reason})`}`, () => {
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  const dirs: string[] = [];
  let sweptId = '';
  let run: Awaited<ReturnType<typeof runChild>>;

  beforeAll(async () => {
    // A `postgres:16` that really runs 15 (a mislabelled mirror), and a postgres image whose server dies at start.
    execFileSync('docker', ['tag', 'postgres:15', `${RELABELLED}:16`]);
    spawnSync('docker', ['rm', '-f', `${DIES}-src`], { stdio: 'ignore' });
    execFileSync('docker', ['create', '--name', `${DIES}-src`, 'postgres:15'], { stdio: 'ignore' });
    execFileSync(
      'docker',
      [
        'commit',
        '--change',
        'ENTRYPOINT ["/bin/sh", "-c", "echo FATAL: data directory has wrong ownership >&2; exit 3"]',
        `${DIES}-src`,
        `${DIES}:15`,
      ],
      { stdio: 'ignore' },
    );
    execFileSync('docker', ['rm', `${DIES}-src`], { stdio: 'ignore' });

    // A shadow container left running by a run that died (its owner pid on this host is gone).
    const dead = spawnSync('true');
    const leftover = await docker.createContainer({
      Image: 'postgres:15',
      Entrypoint: ['sleep', '600'],
      Labels: { [DOCKER_SHADOW_LABEL]: 'true', [DOCKER_OWNER_LABEL]: `${hostname()}:${dead.pid}` },
    });
    await leftover.start();
    sweptId = leftover.id;

    const context = dockerConfig('db-migrate-test', 'unix:///var/run/docker.sock');
    dirs.push(context);
    run = await runChild([
      { name: 'through the current context', major: 15, env: { DOCKER_CONFIG: context } },
      { name: 'relabelled image', major: 16, env: { DB_MIGRATE_DOCKER_IMAGE: RELABELLED } },
      { name: 'dying server', major: 15, env: { DB_MIGRATE_DOCKER_IMAGE: DIES } },
    ]);
  }, scaled(300_000));

  afterAll(async () => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await docker
      .getContainer(sweptId)
      .remove({ force: true })
      .catch(() => undefined);
    spawnSync('docker', ['rmi', `${RELABELLED}:16`, `${DIES}:15`], { stdio: 'ignore' });
  });

  const report = (name: string) => {
    const found = run.reports.find((r) => r.name === name);
    if (!found) throw new Error(`no report for "${name}" (exit ${run.code}): ${run.stderr}`);
    return found;
  };

  it('starts a labelled postgres:15 container through the Docker context, builds in it, and removes it on close', () => {
    const opened = report('through the current context');
    expect(opened).toMatchObject({ ok: true, major: 15, whileOpen: 1, left: 0 });
    expect(Math.floor(opened.versionNum! / 10000)).toBe(15);
    // The first address that accepts: the published port on 127.0.0.1, or the container's own on its network.
    expect(opened.description).toMatch(
      /^docker postgres:15 \(container [0-9a-f]{12}, (127\.0\.0\.1:\d+|\d+\.\d+\.\d+\.\d+:5432)\)$/,
    );
  });

  it('sweeps a shadow container whose run died, and leaves none of its own behind', async () => {
    await expect(docker.getContainer(sweptId).inspect()).rejects.toThrow(/no such container/i);
    for (const r of run.reports) expect({ name: r.name, left: r.left }).toEqual({ name: r.name, left: 0 });
  });

  it('refuses an image whose server is not the requested major, naming both', () => {
    expect(report('relabelled image')).toMatchObject({
      ok: false,
      configuration: true,
      message: expect.stringMatching(
        /^shadow database server docker db-migrate-test-relabelled-\d+:16 \(container [0-9a-f]{12}, [\d.]+:\d+\) runs PostgreSQL 15 \(server_version_num 15\d{4}\), but PostgreSQL 16 was requested/,
      ),
    });
  });

  it('fails at once when the container dies, with its exit code and last log lines', () => {
    const died = report('dying server');
    expect(died).toMatchObject({ ok: false, configuration: true });
    expect(died.message).toMatch(
      /^the postgres container [0-9a-f]{12} \(db-migrate-test-dies-\d+:15\) exited with code 3 before accepting connections; its last log lines:\nFATAL: data directory has wrong ownership$/,
    );
  });

  it('prints no deprecation warning under the Node that runs the tests', () => {
    expect(run.stderr).not.toMatch(/DeprecationWarning|DEP0\d+/);
  });
});
