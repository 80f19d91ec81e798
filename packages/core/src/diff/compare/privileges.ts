import { mergeAcls, PRIVILEGE_NAMES, privilegeMap } from '../acl';
import { defaultPrivilegeKey, type Acl, type Catalog, type DefaultAclObjectType } from '../catalog';
import { hazards } from '../hazards';
import { type DiffContext, Phase } from '../plan';
import { ident } from '../sql';
import type { Hazard, StatementAction } from '../types';
import { functionSignature } from './functions';
import { inSchema, type NamedObject, relationObjectKind } from './named';

interface Grantable extends NamedObject {
  /** The schema the object lives in (null for a schema itself) and its pg_default_acl object type. */
  readonly schema: string | null;
  readonly aclType: DefaultAclObjectType;
  readonly acl: Acl;
  readonly defaultAcl: Acl;
}

type WithAcls = { readonly schema: string; readonly acl: Acl; readonly defaultAcl: Acl };

function grantables(c: Catalog): Map<string, Grantable> {
  const out = new Map<string, Grantable>();
  const add = (named: NamedObject, x: WithAcls, aclType: DefaultAclObjectType) =>
    out.set(named.key, { ...named, schema: x.schema, aclType, acl: x.acl, defaultAcl: x.defaultAcl });
  for (const x of c.schemas.values())
    out.set(x.key, {
      key: x.key,
      target: `SCHEMA ${ident(x.name)}`,
      kind: 'schema',
      name: x.name,
      schema: null,
      aclType: 'n',
      acl: x.acl,
      defaultAcl: x.defaultAcl,
    });
  // GRANT ... ON TABLE also names views and materialized views.
  for (const x of c.relations.values()) add(inSchema(x, relationObjectKind(x.kind), 'TABLE'), x, 'r');
  for (const x of c.sequences.values()) add(inSchema(x, 'sequence', 'SEQUENCE'), x, 'S');
  for (const x of c.functions.values()) {
    // GRANT ... ON FUNCTION also names aggregates.
    const target = `${x.kind === 'procedure' ? 'PROCEDURE' : 'FUNCTION'} ${functionSignature(x)}`;
    add({ key: x.key, target, kind: x.kind, name: `${x.schema}.${x.name}(${x.identityArguments})` }, x, 'f');
  }
  for (const x of c.enums.values()) add(inSchema(x, 'enum', 'TYPE'), x, 'T');
  for (const x of c.domains.values()) add(inSchema(x, 'domain', 'DOMAIN'), x, 'T');
  for (const x of c.compositeTypes.values()) add(inSchema(x, 'composite type', 'TYPE'), x, 'T');
  for (const x of c.ranges.values()) add(inSchema(x, 'range type', 'TYPE'), x, 'T');
  return out;
}

function grantee(name: string): string {
  return name === '' ? 'PUBLIC' : ident(name);
}

/** One GRANT or REVOKE clause turning `current` into `target`: the caller wraps it in its statement. */
export interface AclChange {
  readonly action: Extract<StatementAction, 'grant' | 'revoke'>;
  /** E.g. `SELECT, INSERT` / `GRANT OPTION FOR SELECT`, then the grantee and a trailing option. */
  readonly privileges: string;
  readonly grantee: string;
  readonly withGrantOption: boolean;
}

/** The grants and revokes that turn one ACL into another, grantee by grantee (sorted: deterministic). */
export function aclChanges(current: Acl, target: Acl): AclChange[] {
  if (sameAcl(current, target)) return [];
  const changes: AclChange[] = [];
  const grantees = new Set([...Object.keys(current), ...Object.keys(target)]);
  const names = (letters: string[]) => letters.map((p) => PRIVILEGE_NAMES[p] ?? p).join(', ');
  for (const who of [...grantees].sort()) {
    const have = privilegeMap(current[who] ?? '');
    const want = privilegeMap(target[who] ?? '');
    const revoke = [...have.keys()].filter((p) => !want.has(p));
    const revokeGrantOption = [...have.keys()].filter((p) => want.has(p) && have.get(p) && !want.get(p));
    const grant = [...want.keys()].filter((p) => !have.has(p) || (want.get(p) && !have.get(p)));
    const plain = grant.filter((p) => !want.get(p));
    const withOption = grant.filter((p) => want.get(p));
    const to = grantee(who);
    if (revoke.length)
      changes.push({ action: 'revoke', privileges: names(revoke), grantee: to, withGrantOption: false });
    if (revokeGrantOption.length)
      changes.push({
        action: 'revoke',
        privileges: `GRANT OPTION FOR ${names(revokeGrantOption)}`,
        grantee: to,
        withGrantOption: false,
      });
    if (plain.length) changes.push({ action: 'grant', privileges: names(plain), grantee: to, withGrantOption: false });
    if (withOption.length)
      changes.push({ action: 'grant', privileges: names(withOption), grantee: to, withGrantOption: true });
  }
  return changes;
}

/** Equal ACLs: most objects of both catalogs, often the very same object (parseAcl makes one per text). */
function sameAcl(a: Acl, b: Acl): boolean {
  if (a === b) return true;
  const grantees = Object.keys(a);
  if (grantees.length !== Object.keys(b).length) return false;
  return grantees.every((who) => who in b && a[who] === b[who]);
}

/** `GRANT x ON target TO g` / `REVOKE x ON target FROM g`; with a column, each privilege names it: `SELECT ("c")`. */
export function aclClause(change: AclChange, target: string, column?: string): string {
  const privileges =
    column === undefined ? change.privileges : change.privileges.replace(/([A-Z]+)(?=,|$)/g, `$1 (${ident(column)})`);
  return change.action === 'grant'
    ? `GRANT ${privileges} ON ${target} TO ${change.grantee}${change.withGrantOption ? ' WITH GRANT OPTION' : ''}`
    : `REVOKE ${privileges} ON ${target} FROM ${change.grantee}`;
}

/** The changes-access hazard of a GRANT or REVOKE (compared privileges only: restoring a recreated object's grants changes nothing). */
export function accessHazards(ctx: DiffContext, change: AclChange, target: string): Hazard[] {
  if (!ctx.options.withPrivileges) return [];
  const verb =
    change.action === 'grant'
      ? `grants ${change.privileges} on ${target} to`
      : `revokes ${change.privileges} on ${target} from`;
  return [hazards.changesAccess(`${verb} ${change.grantee}`)];
}

/** The ACL with one role's entry moved to another (what ALTER ... OWNER TO does to the owner's entry). */
function moveEntry(acl: Acl, from: string, to: string): Acl {
  if (!(from in acl)) return acl;
  const { [from]: moved, ...rest } = acl;
  return mergeAcls(rest, { [to]: moved! });
}

/**
 * An owner's entry is compared as the owner's, whoever that is: with withOwners the owner moves first
 * (owners.ts) and takes the old owner's entry with it; without, the owner stays and `to`'s owner entry
 * stands for it. So a changed owner never becomes a REVOKE and GRANT of every privilege.
 */
function ownerAligned(ctx: DiffContext, key: string, current: Acl, target: Acl): [Acl, Acl] {
  const [before, after] = [ctx.from.owners.get(key), ctx.to.owners.get(key)];
  if (!before || !after || before === after) return [current, target];
  return ctx.options.withOwners
    ? [moveEntry(current, before, after), target]
    : [current, moveEntry(target, after, before)];
}

/**
 * The ACL an object has right after CREATE: the built-in default for its owner, as the database-wide
 * default privileges of that owner replace it, plus what those of its schema add.
 */
function initialAcl(c: Catalog, g: Grantable): Acl {
  const owner = Object.keys(g.defaultAcl).find((k) => k !== '');
  if (owner === undefined) return g.defaultAcl;
  const databaseWide = c.defaultPrivileges.get(defaultPrivilegeKey(owner, null, g.aclType))?.acl ?? g.defaultAcl;
  const inSchema =
    g.schema === null ? undefined : c.defaultPrivileges.get(defaultPrivilegeKey(owner, g.schema, g.aclType))?.acl;
  return inSchema ? mergeAcls(databaseWide, inSchema) : databaseWide;
}

/**
 * GRANT/REVOKE so each object's privileges match `to` (withPrivileges). Without withPrivileges, an object
 * dropped and recreated here gets back the privileges it had, so recreation never loses grants silently.
 * A created object starts from the default privileges in force when it is created: `to`'s (set first, see
 * default-privileges.ts) with withPrivileges, else `from`'s.
 */
export function emitPrivileges(ctx: DiffContext): void {
  const before = grantables(ctx.from);
  const after = grantables(ctx.to);
  const defaultsInForce = ctx.options.withPrivileges ? ctx.to : ctx.from;
  for (const [key, b] of after) {
    const a = before.get(key);
    const survives = !!a && !ctx.gone(key);
    const recreated = ctx.recreated.has(key);
    if (!ctx.options.withPrivileges && !recreated) continue;
    let current = survives ? a!.acl : initialAcl(defaultsInForce, b);
    let target = ctx.options.withPrivileges ? b.acl : a!.acl;
    if (survives) [current, target] = ownerAligned(ctx, key, current, target);
    for (const change of aclChanges(current, target)) {
      ctx.emit({
        sql: aclClause(change, b.target),
        object: { kind: b.kind, name: b.name },
        action: change.action,
        phase: Phase.privilege,
        needs: [key],
        hazards: accessHazards(ctx, change, b.name),
      });
    }
  }
  emitColumnPrivileges(ctx);
}

/**
 * Column privileges, on the same terms as the table's: compared with withPrivileges, else given back to
 * columns dropped and added again (or whose table is). A new column starts with none.
 */
function emitColumnPrivileges(ctx: DiffContext): void {
  for (const b of ctx.to.relations.values()) {
    for (const column of b.columns) {
      const old = ctx.from.columns.get(column.key)?.column;
      const survives = !!old && !ctx.gone(column.key) && !ctx.gone(b.key);
      if (!ctx.options.withPrivileges && (survives || !old)) continue;
      let current = survives ? old!.acl : {};
      let target = ctx.options.withPrivileges ? column.acl : old!.acl;
      if (survives) [current, target] = ownerAligned(ctx, b.key, current, target);
      for (const change of aclChanges(current, target)) {
        ctx.emit({
          sql: aclClause(change, `TABLE ${ident(b.schema)}.${ident(b.name)}`, column.name),
          object: { kind: 'column', name: `${b.schema}.${b.name}.${column.name}` },
          action: change.action,
          phase: Phase.privilege,
          needs: [column.key],
          hazards: accessHazards(ctx, change, `column ${b.schema}.${b.name}.${column.name}`),
        });
      }
    }
  }
}
