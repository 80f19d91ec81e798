import { query } from './query';

/** One cast pg_cast knows (built-in or not), as format_type names. */
export interface CastRow {
  readonly source: string;
  readonly target: string;
}

export const CASTS = query<CastRow>(
  `SELECT pg_catalog.format_type(c.castsource, NULL) AS source, pg_catalog.format_type(c.casttarget, NULL) AS target
    FROM pg_catalog.pg_cast c ORDER BY 1, 2`,
  {
    source: 'text',
    target: 'text',
  },
);

/** Every cast as `source->target`. */
export function buildCasts(rows: readonly CastRow[]): Set<string> {
  return new Set(rows.map((r) => `${r.source}->${r.target}`));
}
