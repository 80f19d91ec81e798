/**
 * Data at risk on a target: of the losses a change causes (measured by the inventory of data-loss/measure.ts:
 * tables and columns gone, types narrowed, enum values removed), those whose object holds data on this
 * database and that no acknowledgement names. apply (migrations up or a revert) and sync refuse the
 * target while any is left, naming each object, what it holds and how to acknowledge it.
 */
import type { Client } from 'pg';
import { changedByConversion } from '../diff/conversions';
import { ident, qualified } from '../diff/sql';
import { type Acknowledgement, acknowledgementText, unacknowledged } from '../intent/acknowledgements';
import { type DataInventory, type DataLoss, dataLosses } from '../data-loss/measure';

/**
 * What holds data at each version a rehearsal passed through, by OID, one rehearsal (one database) at a
 * time: what a run from version a to version b loses is the difference between the two inventories of a
 * rehearsal that passed through both (a table renamed on the way and dropped later is named as at a).
 */
export interface VersionInventories {
  /** Records one rehearsal's inventories, by version reached (those it reached before a failure too). */
  add(inventories: ReadonlyMap<number, DataInventory>): void;
  /**
   * What going from `from` towards `to` loses, as far as a rehearsal got (`through`: `to`, or the last
   * version it reached before a failure it left to the targets); undefined when none passed `from`.
   */
  losses(from: number, to: number): { readonly losses: DataLoss[]; readonly through: number } | undefined;
}

export function versionInventories(): VersionInventories {
  const rehearsals: ReadonlyMap<number, DataInventory>[] = [];
  // Many targets share a starting version: each range is compared once.
  const measured = new Map<string, { readonly losses: DataLoss[]; readonly through: number } | undefined>();
  const measure = (from: number, to: number) => {
    let best: { readonly inventories: ReadonlyMap<number, DataInventory>; readonly through: number } | undefined;
    for (const inventories of rehearsals) {
      if (!inventories.has(from)) continue;
      // The version of this rehearsal between `from` and `to` that is closest to `to`.
      const between = [...inventories.keys()].filter((v) => (to >= from ? v >= from && v <= to : v <= from && v >= to));
      const through = to >= from ? Math.max(...between) : Math.min(...between);
      if (!best || Math.abs(to - through) < Math.abs(to - best.through)) best = { inventories, through };
      if (through === to) break;
    }
    return (
      best && {
        losses: dataLosses(best.inventories.get(from)!, best.inventories.get(best.through)!),
        through: best.through,
      }
    );
  };
  return {
    add(inventories) {
      rehearsals.push(inventories);
      measured.clear();
    },
    losses(from, to) {
      const key = `${from}:${to}`;
      if (!measured.has(key)) measured.set(key, measure(from, to));
      return measured.get(key);
    },
  };
}

export interface DataAtRisk {
  readonly loss: DataLoss;
  /** What the object holds here: `3 rows`, `2 values`, `more than 10000 rows`, `2 values that would change`. */
  readonly holds: string;
}

/** Counted up to this many; beyond it, "more than". */
const COUNT_LIMIT = 10_000;

/** `schema.table[.rest]` -> its parts; the rest (a column or an enum label) may be absent. */
function parts(object: string): { schema: string; name: string; rest?: string } {
  const [schema = '', name = '', ...rest] = object.split('.');
  return rest.length > 0 ? { schema, name, rest: rest.join('.') } : { schema, name };
}

async function countUpTo(client: Client, from: string, values: unknown[] = []): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${from} LIMIT ${COUNT_LIMIT + 1}) AS held`,
    values,
  );
  return rows[0]?.n ?? 0;
}

function described(count: number, unit: string): string {
  return count > COUNT_LIMIT ? `more than ${COUNT_LIMIT} ${unit}s` : `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/** What the object a loss names holds on this database, or undefined when it holds nothing. */
async function heldBy(client: Client, loss: DataLoss): Promise<string | undefined> {
  const { schema, name, rest } = parts(loss.object);
  if (loss.code === 'enum-recreated') {
    // `schema.enum.label`: the rows of every column of that type holding the label.
    const { rows } = await client.query<{ tbl: string; col: string }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS tbl, format('%I', a.attname) AS col
         FROM pg_catalog.pg_attribute a
         JOIN pg_catalog.pg_class c ON c.oid = a.attrelid AND c.relkind IN ('r', 'p')
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
         JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
        WHERE tn.nspname = $1 AND t.typname = $2 AND a.attnum > 0 AND NOT a.attisdropped`,
      [schema, name],
    );
    let count = 0;
    for (const { tbl, col } of rows) count += await countUpTo(client, `${tbl} WHERE ${col}::text = $1`, [rest ?? '']);
    return count > 0 ? described(count, 'row') + ' with that value' : undefined;
  }
  const table = qualified(schema, name);
  if (rest === undefined) {
    const count = await countUpTo(client, table);
    return count > 0 ? described(count, 'row') : undefined;
  }
  if (loss.code === 'narrows-type' && loss.conversion) return valuesChanged(client, table, rest, loss.conversion);
  const count = await countUpTo(client, `${table} WHERE ${ident(rest)} IS NOT NULL`);
  return count > 0 ? described(count, 'value') : undefined;
}

/**
 * A type change loses only the values it would alter or refuse: counted by converting each (a column whose
 * values all fit loses nothing). A value that cannot convert at all fails the count: said as such. Inside a
 * transaction the count runs under a savepoint, so its failure leaves the transaction usable.
 */
async function valuesChanged(
  client: Client,
  table: string,
  column: string,
  conversion: { readonly from: string; readonly to: string },
): Promise<string | undefined> {
  const inTransaction = await client.query('SAVEPOINT db_migrate_conversion').then(
    () => true,
    () => false,
  );
  try {
    const count = await countUpTo(
      client,
      `${table} WHERE ${changedByConversion(ident(column), conversion.from, conversion.to)}`,
    );
    return count > 0 ? `${described(count, 'value')} that would change` : undefined;
  } catch (error) {
    if (inTransaction) await client.query('ROLLBACK TO SAVEPOINT db_migrate_conversion');
    return `values that do not convert to ${conversion.to}: ${(error as Error).message}`;
  } finally {
    if (inTransaction) await client.query('RELEASE SAVEPOINT db_migrate_conversion').catch(() => undefined);
  }
}

/** The unacknowledged losses whose objects hold data on this database, in the client's current state. */
export async function dataAtRisk(
  client: Client,
  losses: readonly DataLoss[],
  acknowledged: readonly Acknowledgement[],
): Promise<DataAtRisk[]> {
  const found: DataAtRisk[] = [];
  for (const loss of unacknowledged(losses, acknowledged)) {
    const holds = await heldBy(client, loss);
    if (holds) found.push({ loss, holds });
  }
  return found;
}

/** `<what> would lose data it holds: ...; <outcome>. If that loss is intended, pass --allow ...`. */
export function dataAtRiskMessage(what: string, atRisk: readonly DataAtRisk[], outcome: string): string {
  const list = atRisk.map((r) => `${r.loss.object} (${r.loss.code}, ${r.holds})`).join(', ');
  const flags = atRisk.map((r) => `--allow '${acknowledgementText(r.loss)}'`).join(' ');
  return `${what} would lose data it holds: ${list}; ${outcome}. If that loss is intended, pass ${flags} (action input allow, one per line)`;
}
