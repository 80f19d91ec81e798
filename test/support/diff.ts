import { diff } from '../../packages/core/src/diff';
import { createTestDatabase, dropTestDatabase, query } from './pg';
import type { DiffOptions } from '../../packages/core/src/diff/types';

/**
 * True when the two databases have the same schema under the given options: no statement to run, and no
 * object of a kind the differ does not compare on either side (it cannot say they are equal).
 */
export async function schemasEqual(fromUrl: string, toUrl: string, options: DiffOptions = {}): Promise<boolean> {
  const { statements, warnings } = await diff(fromUrl, toUrl, options);
  return statements.length === 0 && warnings.length === 0;
}

/** Two fresh databases built from `fromSql` and `toSql` (either may be empty), dropped after `fn`. */
export async function withPair<T>(
  prefix: string,
  fromSql: string,
  toSql: string,
  fn: (a: string, b: string) => Promise<T>,
): Promise<T> {
  const [a, b] = await Promise.all([createTestDatabase(`${prefix}_a`), createTestDatabase(`${prefix}_b`)]);
  try {
    await Promise.all([fromSql ? query(a, fromSql) : null, toSql ? query(b, toSql) : null]);
    return await fn(a, b);
  } finally {
    await Promise.all([dropTestDatabase(a), dropTestDatabase(b)]);
  }
}
