import type { PolicyInfo } from '../catalog';
import { hazards } from '../hazards';
import { type DiffContext, Phase } from '../plan';
import { ident } from '../sql';
import { decideKeyed, dropOnTable, emitKeyed, type KeyedKind, onTableName } from './keyed';
import { relationName } from './tables';

const COMMANDS: Record<string, string> = { r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE', '*': 'ALL' };

function roleList(roles: readonly string[]): string {
  return roles.map((r) => (r === 'public' ? 'PUBLIC' : ident(r))).join(', ');
}

function createPolicy(b: PolicyInfo): string {
  let sql = `CREATE POLICY ${ident(b.name)} ON ${relationName({ schema: b.schema, name: b.table })}`;
  sql += ` AS ${b.permissive ? 'PERMISSIVE' : 'RESTRICTIVE'} FOR ${COMMANDS[b.command] ?? 'ALL'} TO ${roleList(b.roles)}`;
  if (b.using !== null) sql += ` USING (${b.using})`;
  if (b.withCheck !== null) sql += ` WITH CHECK (${b.withCheck})`;
  return sql;
}

/** Row-level security policies; a changed policy is dropped and created again (ALTER POLICY cannot change all). */
const policies: KeyedKind<PolicyInfo> = {
  kind: 'policy',
  objects: (catalog) => catalog.policies,
  name: onTableName,
  same: (a, b) =>
    a.permissive === b.permissive &&
    a.command === b.command &&
    a.using === b.using &&
    a.withCheck === b.withCheck &&
    roleList(a.roles) === roleList(b.roles),
  drop: {
    phase: Phase.dropPolicy,
    sql: dropOnTable('POLICY'),
    hazards: (a) => [hazards.changesAccess(`drops policy ${a.name} on ${a.schema}.${a.table}`)],
  },
  create: {
    phase: Phase.createPolicy,
    sql: createPolicy,
    needs: (b) => [b.tableKey],
    hazards: (b) => [hazards.changesAccess(`creates policy ${b.name} on ${b.schema}.${b.table}`)],
  },
};

export function decidePolicies(ctx: DiffContext): void {
  decideKeyed(ctx, policies);
}

export function emitPolicies(ctx: DiffContext): void {
  emitKeyed(ctx, policies);
}
