import type { DefaultPrivilegeInfo } from '../catalog';
import { type DiffContext, Phase } from '../plan';
import { ident } from '../sql';
import { accessHazards, aclChanges, aclClause } from './privileges';

const OBJECT_WORDS: Record<string, string> = { r: 'TABLES', S: 'SEQUENCES', f: 'FUNCTIONS', T: 'TYPES', n: 'SCHEMAS' };

/**
 * ALTER DEFAULT PRIVILEGES so that each role's defaults (database-wide and per schema) match `to`
 * (withPrivileges only, like every grant). An entry absent on one side stands for its default: the
 * built-in one database-wide, nothing in a schema. They run before anything is created, so objects this
 * migration creates get the same privileges as in `to`.
 */
export function emitDefaultPrivileges(ctx: DiffContext): void {
  if (!ctx.options.withPrivileges) return;
  const keys = new Set([...ctx.from.defaultPrivileges.keys(), ...ctx.to.defaultPrivileges.keys()]);
  for (const key of [...keys].sort()) {
    const a = ctx.from.defaultPrivileges.get(key);
    const b = ctx.to.defaultPrivileges.get(key);
    const entry: DefaultPrivilegeInfo = (b ?? a)!;
    // Dropping a schema drops its entries with it.
    if (entry.schema !== null && ctx.dropped.has(`schema:${entry.schema}`)) continue;
    // The side without the entry has its default; both sides compute the same one for the same role.
    const current = a?.acl ?? entry.defaultAcl;
    const target = b?.acl ?? entry.defaultAcl;
    for (const change of aclChanges(current, target)) {
      ctx.emit({
        sql: `ALTER DEFAULT PRIVILEGES ${scope(entry)} ${aclClause(change, OBJECT_WORDS[entry.objectType]!)}`,
        object: {
          kind: 'default privileges',
          name: `${entry.role}${entry.schema === null ? '' : ' in ' + entry.schema} on ${OBJECT_WORDS[entry.objectType]!.toLowerCase()}`,
        },
        action: change.action,
        phase: Phase.defaultPrivileges,
        produces: [key],
        needs: entry.schema === null ? [] : [`schema:${entry.schema}`],
        hazards: accessHazards(
          ctx,
          change,
          `future ${OBJECT_WORDS[entry.objectType]!.toLowerCase()} of ${entry.role}${entry.schema === null ? '' : ' in ' + entry.schema}`,
        ),
      });
    }
  }
}

/** `FOR ROLE r [IN SCHEMA s]`: always explicit, so the statement means the same whoever runs it. */
function scope(entry: DefaultPrivilegeInfo): string {
  return `FOR ROLE ${ident(entry.role)}${entry.schema === null ? '' : ` IN SCHEMA ${ident(entry.schema)}`}`;
}
