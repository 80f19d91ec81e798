import type { ExtensionInfo } from '../catalog';
import type { ObjectKeys } from './keys';
import { query } from './query';

export interface ExtensionRow {
  readonly oid: number;
  readonly name: string;
  readonly schema: string;
  readonly version: string;
}

export const EXTENSIONS = query<ExtensionRow>(
  `SELECT e.oid::int, e.extname AS name, n.nspname AS schema, e.extversion AS version
    FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
    ORDER BY e.extname`,
  {
    oid: 'int',
    name: 'text',
    schema: 'text',
    version: 'text',
  },
);

export function buildExtensions(rows: readonly ExtensionRow[], keys: ObjectKeys): Map<string, ExtensionInfo> {
  const extensions = new Map<string, ExtensionInfo>();
  for (const r of rows) {
    const key = `ext:${r.name}`;
    keys.extensions.set(r.oid, key);
    extensions.set(key, { key, name: r.name, schema: r.schema, version: r.version, comment: null });
  }
  return extensions;
}
