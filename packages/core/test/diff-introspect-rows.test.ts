import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { QUERIES } from '../src/diff/introspect';
import { jsonQuery, type Query, rowsFromJson } from '../src/diff/introspect/query';
import { adminUrl, createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';
import { ensureTestRole } from './diff-harness';

/**
 * Each introspection query declares its columns and what node-postgres gives for each (diff/introspect/query.ts):
 * the builders are typed by that declaration, so here the server says whether it is true. Every query runs on
 * fixture schemas that between them hold every object kind; its column names must be exactly the declared ones,
 * and every value must be of the declared kind (NULL only where declared).
 */
const FIXTURES = [
  'migra-fixtures/everything',
  'migra-fixtures/partitioning',
  'migra-fixtures/rls',
  'migra-fixtures/collations',
  'migra-fixtures/triggers',
  'diff-cases/aggregates',
  'diff-cases/range_types',
  'diff-cases/rules',
  'diff-cases/extended_statistics',
  'diff-cases/operator_classes',
  'diff-cases/operators_casts_text_search',
  'diff-cases/event_triggers_publications',
  'diff-cases/default_privileges',
  'diff-cases/identity_columns',
  'diff-cases/domain_check_change',
  'diff-cases/comments',
  'diff-cases/column_privileges',
  'diff-cases/table_and_column_settings',
];
/** Kinds no fixture has, so that the unsupported query has rows too. */
const EXTRA = `CREATE TEXT SEARCH TEMPLATE public.tmpl (LEXIZE = dsimple_lexize)`;

function holds(kind: string, value: unknown): boolean {
  if (value === null) return kind.endsWith(' | null');
  switch (kind.replace(/ \| null$/, '')) {
    case 'text':
      return typeof value === 'string';
    case 'int':
      return Number.isInteger(value);
    case 'bool':
      return typeof value === 'boolean';
    case 'text[]':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'int[]':
      return Array.isArray(value) && value.every((v) => Number.isInteger(v));
    case 'json':
      return typeof value === 'object';
    default:
      return false;
  }
}

interface Seen {
  readonly columns: string[];
  rows: number;
  readonly wrong: string[];
  /** Fixtures where the query read as JSON (how introspection reads it) gave other rows than node-postgres. */
  readonly jsonDiffers: string[];
}

const seen = new Map<string, Seen>();

beforeAll(async () => {
  await ensureTestRole(adminUrl());
  await Promise.all(
    FIXTURES.map(async (fixture, i) => {
      const url = await createTestDatabase('rows');
      const client = new Client({ connectionString: url });
      try {
        await query(url, readFileSync(join(__dirname, fixture, 'b.sql'), 'utf8') + (i === 0 ? `;\n${EXTRA}` : ''));
        await client.connect();
        await client.query(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL search_path = ''`);
        for (const [name, q] of Object.entries(QUERIES)) {
          const result = await client.query(q.sql);
          const entry = seen.get(name) ?? {
            columns: result.fields.map((f) => f.name).sort(),
            rows: 0,
            wrong: [],
            jsonDiffers: [],
          };
          seen.set(name, entry);
          entry.rows += result.rows.length;
          for (const row of result.rows as Record<string, unknown>[]) {
            for (const [column, kind] of Object.entries(q.columns as Record<string, string>)) {
              if (!holds(kind, row[column]))
                entry.wrong.push(`${fixture}: ${column} = ${JSON.stringify(row[column])} is not ${kind}`);
            }
          }
          const json = await client.query(jsonQuery(q as Query<unknown>));
          const asJson = rowsFromJson(q as Query<unknown>, (json.rows[0] as { rows: string }).rows);
          const values = (rows: readonly unknown[]) =>
            JSON.stringify(rows.map((row) => Object.keys(q.columns).map((c) => (row as Record<string, unknown>)[c])));
          if (values(asJson) !== values(result.rows)) entry.jsonDiffers.push(fixture);
        }
        await client.query('COMMIT');
      } finally {
        await client.end().catch(() => undefined);
        await dropTestDatabase(url);
      }
    }),
  );
});

test.each(Object.keys(QUERIES))('the %s query returns the columns it declares, of the kinds it declares', (name) => {
  const entry = seen.get(name)!;
  expect(entry.columns).toEqual(Object.keys(QUERIES[name as keyof typeof QUERIES].columns).sort());
  expect(entry.wrong.slice(0, 5)).toEqual([]);
  expect(entry.rows).toBeGreaterThan(0);
});

test.each(Object.keys(QUERIES))('the %s query read as JSON gives the rows node-postgres gives, in order', (name) => {
  expect(seen.get(name)!.jsonDiffers).toEqual([]);
});
