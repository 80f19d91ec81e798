/**
 * `--shard i/n`: a stable one-in-n slice of the targets, so a fleet too large for one runner spreads over
 * a workflow matrix. A target's shard depends on its name alone (a hash), never on its position in the
 * file: adding or removing a database does not move the others between shards.
 */
import { createHash } from 'node:crypto';
import { ConfigurationError } from '../errors';

export interface Shard {
  /** 1-based: 1..count. */
  readonly index: number;
  readonly count: number;
}

/** Parses `i/n` (1 <= i <= n); `input` names the option in error messages. */
export function parseShard(text: string, input = 'the shard'): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match)
    throw new ConfigurationError(`${input} must look like i/n (e.g. 2/4), got "${text}"`, { option: 'shard' });
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || index < 1 || index > count)
    throw new ConfigurationError(`${input} ${index}/${count}: i must be between 1 and n`, { option: 'shard' });
  return { index, count };
}

/** The 1-based shard a target name falls in. */
export function shardOf(name: string, count: number): number {
  const hash = createHash('sha256').update(name).digest().readUInt32BE(0);
  return (hash % count) + 1;
}

export function selectShard<T extends { readonly name: string }>(targets: readonly T[], shard: Shard | undefined): T[] {
  if (!shard) return [...targets];
  return targets.filter((t) => shardOf(t.name, shard.count) === shard.index);
}
