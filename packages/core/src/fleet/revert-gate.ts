/**
 * The revert gate. A Down section that drops a table or a column, narrows a column's type or removes an
 * enum value loses what the clients stored there since the migration ran. The pre-flight measures what
 * each revert loses on a copy of its starting version (the same inventory the destructive-change gate of
 * verify compares); before one target is reverted, every such loss whose object holds data on that
 * target must be named by an acknowledgement (--allow, action input allow), or the target is refused
 * with nothing run.
 */
import type { Client } from 'pg';
import { ident, qualified } from '../diff/sql';
import { type Acknowledgement, acknowledgementText, unacknowledged } from '../intent/acknowledgements';
import type { DataLoss } from '../intent/data-loss';

/** What reverting from one starting version loses, measured on a copy of it. */
export interface RevertLosses {
  readonly fromVersion: number;
  readonly losses: readonly DataLoss[];
}

/** `schema.table[.rest]` -> its parts; the rest (a column or an enum label) may be absent. */
function parts(object: string): { schema: string; name: string; rest?: string } {
  const [schema = '', name = '', ...rest] = object.split('.');
  return rest.length > 0 ? { schema, name, rest: rest.join('.') } : { schema, name };
}

async function exists(client: Client, sql: string, values: unknown[] = []): Promise<boolean> {
  const { rows } = await client.query<{ found: boolean }>(`SELECT EXISTS (${sql}) AS found`, values);
  return rows[0]?.found === true;
}

/** True when the object a loss names holds data on this database (rows, non-null values, a used label). */
async function holdsData(client: Client, loss: DataLoss): Promise<boolean> {
  const { schema, name, rest } = parts(loss.object);
  const table = qualified(schema, name);
  if (loss.code === 'enum-recreated') {
    // `schema.enum.label`: any column of that type holding the label.
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
    for (const { tbl, col } of rows) {
      if (await exists(client, `SELECT 1 FROM ${tbl} WHERE ${col}::text = $1`, [rest ?? ''])) return true;
    }
    return false;
  }
  if (rest === undefined) return exists(client, `SELECT 1 FROM ${table}`);
  return exists(client, `SELECT 1 FROM ${table} WHERE ${ident(rest)} IS NOT NULL`);
}

/**
 * Why this target must not be reverted: losses on objects that hold its data, unacknowledged. Undefined
 * when the revert may run. `losses` undefined means the pre-flight could not measure them: refused.
 */
export async function refusedRevert(
  client: Client,
  revert: { readonly database: string; readonly from: number; readonly to: number; readonly losses: readonly DataLoss[] | undefined; readonly acknowledged: readonly Acknowledgement[] },
): Promise<string | undefined> {
  const { database, from, to } = revert;
  if (revert.losses === undefined) {
    return `${database}: what reverting from version ${from} to ${to} loses could not be measured on a copy, so nothing was run (see the pre-flight lines above)`;
  }
  const atRisk: DataLoss[] = [];
  for (const loss of unacknowledged(revert.losses, revert.acknowledged)) {
    if (await holdsData(client, loss)) atRisk.push(loss);
  }
  if (atRisk.length === 0) return undefined;
  const list = atRisk.map((l) => `${l.object} (${l.code})`).join(', ');
  const flags = atRisk.map((l) => `--allow '${acknowledgementText(l)}'`).join(' ');
  return (
    `${database}: reverting from version ${from} to ${to} would lose data it holds: ${list}. Nothing was run. ` +
    `If that loss is intended, pass ${flags} (action input allow, one per line)`
  );
}
