/**
 * The synthetic-row generator on a real PostgreSQL: every table of a schema full of constraints gets
 * rows that satisfy them, and a table no row can go in first is named with the reason.
 */
import { createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';
import { fillEmptyTables } from '../src/seed';

const SCHEMA = `
CREATE TYPE mood AS ENUM ('happy', 'sad', 'meh');
CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);
CREATE DOMAIN short_code AS varchar(4) NOT NULL;
CREATE TABLE accounts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email varchar(120) NOT NULL UNIQUE,
  name text,
  state mood NOT NULL DEFAULT 'happy',
  created_at timestamptz NOT NULL DEFAULT now(),
  code short_code,
  score positive_int NOT NULL,
  level smallint NOT NULL CHECK (level BETWEEN 1 AND 5),
  kind text NOT NULL CHECK (kind IN ('person', 'company')),
  price numeric(6, 2) NOT NULL CHECK (price > 0),
  tags text[] NOT NULL,
  token uuid NOT NULL UNIQUE,
  doubled integer GENERATED ALWAYS AS (score * 2) STORED
);
CREATE TABLE orders (
  id serial PRIMARY KEY,
  account_id bigint NOT NULL REFERENCES accounts (id),
  parent_id integer REFERENCES orders (id),
  note jsonb
);
-- a cycle that NULLs break
CREATE TABLE teams (id int PRIMARY KEY, captain_id int);
CREATE TABLE players (id int PRIMARY KEY, team_id int NOT NULL REFERENCES teams (id));
ALTER TABLE teams ADD FOREIGN KEY (captain_id) REFERENCES players (id);
-- a cycle no row can start
CREATE TABLE eggs (id int PRIMARY KEY, hen_id int NOT NULL);
CREATE TABLE hens (id int PRIMARY KEY, egg_id int NOT NULL REFERENCES eggs (id));
ALTER TABLE eggs ADD FOREIGN KEY (hen_id) REFERENCES hens (id);
CREATE TABLE nests (id int PRIMARY KEY, egg_id int NOT NULL REFERENCES eggs (id));
CREATE TABLE events (id bigint, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE events_all PARTITION OF events DEFAULT;
`;

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('seed');
  await query(url, SCHEMA);
});
afterAll(async () => {
  await dropTestDatabase(url);
});

test('every table gets rows satisfying its constraints; a NOT NULL foreign key cycle is named, with its dependants', async () => {
  const result = await fillEmptyTables(url);
  const unfillable = Object.fromEntries(result.unfillable.map((u) => [u.table, u.reason]));
  expect(Object.keys(unfillable).sort()).toEqual(['public.eggs', 'public.hens', 'public.nests']);
  expect(unfillable['public.eggs']).toMatch(/cycle/);
  expect(unfillable['public.nests']).toMatch(/references tables that cannot be filled \(egg_id -> public.eggs\)/);
  for (const table of ['public.accounts', 'public.orders', 'public.teams', 'public.players', 'public.events']) {
    expect(result.counts.get(table)?.rows).toBeGreaterThan(0);
  }
  // One row per enum label, so removing any label meets a row that uses it.
  const states = await query<{ state: string }>(url, 'SELECT DISTINCT state::text AS state FROM accounts ORDER BY 1');
  expect(states.map((s) => s.state)).toEqual(['happy', 'meh', 'sad']);
  // A row with every nullable column NULL (SET NOT NULL fails on it) and one with wide values (narrowing fails on it).
  const [{ nulls }] = await query<{ nulls: string }>(url, 'SELECT count(*) AS nulls FROM accounts WHERE name IS NULL');
  expect(Number(nulls)).toBeGreaterThan(0);
  const [{ longest }] = await query<{ longest: number }>(url, 'SELECT max(length(email)) AS longest FROM accounts');
  expect(longest).toBe(120);
  // A second run finds nothing empty but the tables that cannot be filled.
  const again = await fillEmptyTables(url);
  expect(again.filled.size).toBe(0);
});
