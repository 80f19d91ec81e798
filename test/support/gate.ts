import { Client } from 'pg';
import { query } from './pg';
import { waitFor } from './time';

/**
 * A gate for holding a migration in the middle of its run, without a clock: the statement waits, on database
 * `database` only (not on the throwaway copies a run builds), until a session named `name` (its
 * application_name) connects. pg_stat_clear_snapshot makes each turn read pg_stat_activity afresh.
 */
export function gateStatement(database: string, name: string): string {
  return (
    `DO $$ BEGIN WHILE current_database() = '${database}' AND NOT EXISTS ` +
    `(SELECT 1 FROM pg_stat_activity WHERE application_name = '${name}') ` +
    'LOOP PERFORM pg_sleep(0.02); PERFORM pg_stat_clear_snapshot(); END LOOP; END $$'
  );
}

/** Resolves with the pid of the session waiting at gate `name` on the server of `url`, once one does; `unless` as in waitFor. */
export function waitAtGate(url: string, name: string, unless?: Promise<unknown>): Promise<number> {
  return waitFor(
    `a session waiting at gate ${name}`,
    async () =>
      (
        await query<{ pid: number }>(
          url,
          // Only the gated session sleeps: a copy running the same statement (the pre-flight's) passes at once.
          `SELECT pid FROM pg_stat_activity WHERE query LIKE $1 AND state = 'active' AND wait_event = 'PgSleep' AND pid <> pg_backend_pid()`,
          [`%application_name = '${name}'%`],
        )
      )[0]?.pid,
    unless,
  );
}

/** Opens gate `name` for as long as the returned session stays connected (end() closes it again). */
export async function openGate(url: string, name: string): Promise<Client> {
  const session = new Client({ connectionString: url, application_name: name });
  await session.connect();
  return session;
}
