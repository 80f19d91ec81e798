import { diff } from '../../packages/core/src/diff';
import type { DiffOptions } from '../../packages/core/src/diff/types';

/**
 * True when the two databases have the same schema under the given options: no statement to run, and no
 * object of a kind the differ does not compare on either side (it cannot say they are equal).
 */
export async function schemasEqual(fromUrl: string, toUrl: string, options: DiffOptions = {}): Promise<boolean> {
  const { statements, warnings } = await diff(fromUrl, toUrl, options);
  return statements.length === 0 && warnings.length === 0;
}
