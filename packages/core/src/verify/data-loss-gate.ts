/**
 * The destructive-change gate: every data loss a new migration causes fails verify unless the file
 * acknowledges it by name (a `-- db-migrate: allow <code> <object>` line, which create copies from the
 * DB-Migrate-Allow trailers). Losses are measured, not read from the SQL: the migrations run on a
 * throwaway database up to the base, then one new migration at a time, and what holds data is compared
 * before and after each (a RENAME keeps its OID and loses nothing). Acknowledgements are read from the
 * file as it is now, so a hand edit cannot drop the gate silently.
 */
import { up } from '../applier/migrator';
import { ConfigurationError, errorMessage } from '../errors';
import { type Acknowledgement, allowMarkerLine, howToAcknowledge, readMarkers, unacknowledged } from '../intent/acknowledgements';
import { type DataInventory, dataLosses, inventoryTables, readDataInventoryAt } from '../intent/data-loss';
import { type Logger, silentLogger } from '../logger';
import type { MigrationSet } from '../migrations/store';
import type { ShadowServer } from '../shadow/types';
import type { MigrationEntry } from './numbering';
import type { VerifyFinding } from './report';

export interface DataLossGate {
  /** Errors for the unacknowledged losses (and the file's bad marker lines), notices for the acknowledged ones. */
  readonly findings: readonly VerifyFinding[];
  readonly unacknowledged: number;
  readonly acknowledged: number;
  /** The acknowledged losses, by file: the hazard warnings that name them are answered. */
  readonly answered: readonly { readonly file: string; readonly code: string; readonly object: string }[];
  /** The tables the migrations reach at the base (before the first new migration). */
  readonly baseTables: readonly string[];
  /** Why the gate could not measure (a migration that does not apply: the consistency check says why). */
  readonly skipped?: string;
}

/** The line of the statement that names the object's last part, else the Up marker. */
function lossLine(entry: MigrationEntry, object: string): number {
  const name = object.split('.').pop()!;
  const statement = entry.parsed?.up.statements.find((s) => s.sql.includes(name));
  return statement?.line ?? entry.parsed?.up.line ?? 1;
}

/** Measures and gates the data losses of the new migrations. Never throws for a migration that fails. */
export async function checkDataLoss(input: {
  readonly shadow: ShadowServer;
  readonly set: MigrationSet;
  readonly newEntries: readonly MigrationEntry[];
  readonly logger?: Logger;
}): Promise<DataLossGate> {
  const logger = input.logger ?? silentLogger;
  const fresh = input.newEntries.filter((e) => e.parsed !== undefined);
  const findings: VerifyFinding[] = [];
  let open = 0;
  let acknowledged = 0;
  let baseTables: string[] = [];
  const answered: { file: string; code: string; object: string }[] = [];
  if (fresh.length === 0) return { findings, unacknowledged: 0, acknowledged: 0, answered, baseTables };
  const db = await input.shadow.createDatabase();
  try {
    const baseVersion = Math.max(0, ...input.set.migrations.filter((m) => m.version < fresh[0]!.version).map((m) => m.version));
    const run = async (to: number): Promise<string | undefined> => {
      const result = await up(db.url, input.set, { to, logger: silentLogger });
      return result.error ? result.error.message : undefined;
    };
    if (baseVersion > 0) {
      const failed = await run(baseVersion);
      if (failed) return { findings, unacknowledged: 0, acknowledged: 0, answered, baseTables, skipped: `the migrations up to the base do not apply: ${failed}` };
    }
    let before: DataInventory = await readDataInventoryAt(db.url);
    baseTables = inventoryTables(before);
    for (const entry of fresh) {
      const failed = await run(entry.version);
      if (failed) return { findings, unacknowledged: open, acknowledged, answered, baseTables, skipped: `${entry.fileName} does not apply: ${failed}` };
      const after = await readDataInventoryAt(db.url);
      const losses = dataLosses(before, after);
      before = after;
      let allowed: Acknowledgement[];
      try {
        allowed = readMarkers(entry.text, entry.path).allow;
      } catch (error) {
        if (!(error instanceof ConfigurationError)) throw error;
        findings.push({ level: 'error', file: entry.path, line: 1, code: 'drops-data', message: errorMessage(error) });
        open++;
        allowed = [];
      }
      const missing = new Set(unacknowledged(losses, allowed));
      for (const loss of losses) {
        const line = lossLine(entry, loss.object);
        if (missing.has(loss)) {
          open++;
          findings.push({ level: 'error', file: entry.path, line, code: loss.code, message: `${entry.fileName} ${loss.message}; not acknowledged: ${howToAcknowledge(loss)}` });
        } else {
          acknowledged++;
          answered.push({ file: entry.path, code: loss.code, object: loss.object });
          findings.push({ level: 'notice', file: entry.path, line, code: loss.code, message: `${entry.fileName} ${loss.message}; acknowledged by "${allowMarkerLine(loss)}"` });
        }
      }
    }
  } finally {
    await db.drop().catch((error) => logger.warning(`could not drop ${db.name}: ${errorMessage(error)}`));
  }
  return { findings, unacknowledged: open, acknowledged, answered, baseTables };
}
