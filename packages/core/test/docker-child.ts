/**
 * Runs the docker provider inside the Docker engine's network namespace (docker.test.ts starts it through
 * `docker-engine.sh exec`): for each case of the JSON argument, opens a shadow server with that case's
 * environment, builds a table in a shadow database, closes it, and prints one JSON line of what happened.
 * Usage: node -r scripts/register-ts.js packages/core/test/docker-child.ts '[{"name":..,"major":15,"env":{..}}]'
 */
import { hostname } from 'node:os';
import Docker from 'dockerode';
import { ConfigurationError } from '../src/errors';
import { silentLogger } from '../src/logger';
import { DOCKER_OWNER_LABEL } from '../src/shadow/docker';
import { openDockerServer } from '../src/shadow/docker';
import { query } from '../../../test/support/pg';

interface Case {
  readonly name: string;
  readonly major: number;
  readonly env?: Record<string, string>;
}

async function ourContainers(): Promise<number> {
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`${DOCKER_OWNER_LABEL}=${hostname()}:${process.pid}`] },
  });
  return list.length;
}

async function run(test: Case): Promise<Record<string, unknown>> {
  const env = { ...process.env, ...test.env };
  try {
    const server = await openDockerServer({ postgresVersion: test.major, logger: silentLogger, env });
    const whileOpen = await ourContainers();
    try {
      const db = await server.createDatabase();
      await query(db.url, 'create table t (id int primary key)');
      const [row] = await query<{ v: string }>(db.url, `select current_setting('server_version_num') as v`);
      return {
        name: test.name,
        ok: true,
        description: server.description,
        major: server.major,
        versionNum: Number(row!.v),
        whileOpen,
      };
    } finally {
      await server.close();
    }
  } catch (error) {
    return {
      name: test.name,
      ok: false,
      configuration: error instanceof ConfigurationError,
      message: (error as Error).message,
    };
  }
}

async function main(): Promise<void> {
  const cases = JSON.parse(process.argv[2]!) as Case[];
  for (const test of cases) {
    const report = await run(test);
    process.stdout.write(JSON.stringify({ ...report, left: await ourContainers() }) + '\n');
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`docker-child: ${String(error)}\n`);
  process.exit(1);
});
