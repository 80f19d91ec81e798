import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { scaled } from './time';

const ROOT = resolve(__dirname, '../..');

/**
 * The real Docker engine for the docker provider's tests: `shared/docker-engine.sh` next to the clone
 * (CI keeps a read-only copy at ../shared), started with `up` (idempotent: seconds once done). It runs
 * dockerd in its own network namespace, so whatever connects to a container runs through `exec`.
 */
export type DockerEngine =
  | { readonly ok: true; readonly script: string }
  | { readonly ok: false; readonly reason: string };

export function startDockerEngine(): DockerEngine {
  const script = [
    join(ROOT, '..', 'shared', 'docker-engine.sh'),
    join(ROOT, '..', '..', 'shared', 'docker-engine.sh'),
  ].find((f) => existsSync(f));
  if (!script) return { ok: false, reason: `no shared/docker-engine.sh next to ${ROOT}` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'docker-engine.sh needs root' };
  // One `up` at a time on this machine: two test runs starting the one engine at once would race to start
  // dockerd on the same data root. The lock is released when flock exits; `-o` keeps it out of the command,
  // else the dockerd that `up` starts would inherit it and hold it for its life, and every later `up` (the
  // other run's, the next run's) would wait for ever.
  const lock = join(tmpdir(), 'db-migrate-docker-engine-up.lock');
  const up = spawnSync('flock', ['-o', lock, 'bash', script, 'up'], { encoding: 'utf8', timeout: scaled(600_000) });
  if (up.status !== 0)
    return {
      ok: false,
      reason: `docker-engine.sh up failed (${up.status}): ${(up.stderr ?? '').trim().split('\n').slice(-3).join(' / ')}`,
    };
  return { ok: true, script };
}

/** `docker-engine.sh exec CMD...` as an argv: runs CMD where the containers' published ports are reachable. */
export function inEngineNetwork(engine: { script: string }, command: readonly string[]): string[] {
  return ['bash', engine.script, 'exec', ...command];
}
