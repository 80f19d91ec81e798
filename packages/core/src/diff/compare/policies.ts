import type { PolicyInfo } from '../catalog';
import { hazards } from '../hazards';
import { DiffContext, Phase } from '../plan';
import { ident } from '../sql';
import { relationName } from './tables';

const COMMANDS: Record<string, string> = { r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE', '*': 'ALL' };

function roleList(roles: readonly string[]): string {
  return roles.map((r) => (r === 'public' ? 'PUBLIC' : ident(r))).join(', ');
}

function same(a: PolicyInfo, b: PolicyInfo): boolean {
  return a.permissive === b.permissive && a.command === b.command && a.using === b.using &&
    a.withCheck === b.withCheck && roleList(a.roles) === roleList(b.roles);
}

/** Row-level security policies; a changed policy is dropped and created again (ALTER POLICY cannot change all). */
export function decidePolicies(ctx: DiffContext): void {
  for (const [key, a] of ctx.from.policies) {
    if (ctx.gone(key)) continue;
    const b = ctx.to.policies.get(key);
    if (!b || !same(a, b)) ctx.markGone(key);
  }
}

export function emitPolicies(ctx: DiffContext): void {
  for (const [key, a] of ctx.from.policies) {
    if (!ctx.gone(key) || ctx.implicitlyDropped.has(key)) continue;
    ctx.emit({
      sql: `DROP POLICY ${ident(a.name)} ON ${relationName({ schema: a.schema, name: a.table })}`,
      object: { kind: 'policy', name: `${a.schema}.${a.table}.${a.name}` },
      action: 'drop',
      phase: Phase.dropPolicy,
      removes: [key],
      hazards: [hazards.changesAccess(`drops policy ${a.name} on ${a.schema}.${a.table}`)],
    });
  }
  for (const [key, b] of ctx.to.policies) {
    if (ctx.from.policies.has(key) && !ctx.gone(key)) continue;
    let sql = `CREATE POLICY ${ident(b.name)} ON ${relationName({ schema: b.schema, name: b.table })}`;
    sql += ` AS ${b.permissive ? 'PERMISSIVE' : 'RESTRICTIVE'} FOR ${COMMANDS[b.command] ?? 'ALL'} TO ${roleList(b.roles)}`;
    if (b.using !== null) sql += ` USING (${b.using})`;
    if (b.withCheck !== null) sql += ` WITH CHECK (${b.withCheck})`;
    ctx.emit({
      sql,
      object: { kind: 'policy', name: `${b.schema}.${b.table}.${b.name}` },
      action: 'create',
      phase: Phase.createPolicy,
      produces: [key],
      needs: [b.tableKey],
      hazards: [hazards.changesAccess(`creates policy ${b.name} on ${b.schema}.${b.table}`)],
    });
  }
}
