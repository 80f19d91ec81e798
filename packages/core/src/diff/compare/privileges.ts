import { PRIVILEGE_NAMES, privilegeMap } from '../acl';
import type { Acl, Catalog } from '../catalog';
import { DiffContext, Phase } from '../plan';
import { ident } from '../sql';
import type { ObjectKind } from '../types';
import { functionSignature } from './functions';

interface Grantable {
  readonly key: string;
  readonly target: string;
  readonly kind: ObjectKind;
  readonly name: string;
  readonly acl: Acl;
  readonly defaultAcl: Acl;
}

function grantables(c: Catalog): Map<string, Grantable> {
  const out = new Map<string, Grantable>();
  const q = (s: string, n: string) => `${ident(s)}.${ident(n)}`;
  for (const x of c.schemas.values()) out.set(x.key, { key: x.key, target: `SCHEMA ${ident(x.name)}`, kind: 'schema', name: x.name, acl: x.acl, defaultAcl: x.defaultAcl });
  for (const x of c.relations.values()) {
    const kind: ObjectKind = x.kind === 'view' ? 'view' : x.kind === 'materialized view' ? 'materialized view' : 'table';
    out.set(x.key, { key: x.key, target: `TABLE ${q(x.schema, x.name)}`, kind, name: `${x.schema}.${x.name}`, acl: x.acl, defaultAcl: x.defaultAcl });
  }
  for (const x of c.sequences.values()) out.set(x.key, { key: x.key, target: `SEQUENCE ${q(x.schema, x.name)}`, kind: 'sequence', name: `${x.schema}.${x.name}`, acl: x.acl, defaultAcl: x.defaultAcl });
  for (const x of c.functions.values()) {
    out.set(x.key, { key: x.key, target: `${x.kind === 'procedure' ? 'PROCEDURE' : 'FUNCTION'} ${functionSignature(x)}`, kind: x.kind, name: `${x.schema}.${x.name}(${x.identityArguments})`, acl: x.acl, defaultAcl: x.defaultAcl });
  }
  for (const x of c.enums.values()) out.set(x.key, { key: x.key, target: `TYPE ${q(x.schema, x.name)}`, kind: 'enum', name: `${x.schema}.${x.name}`, acl: x.acl, defaultAcl: x.defaultAcl });
  for (const x of c.domains.values()) out.set(x.key, { key: x.key, target: `DOMAIN ${q(x.schema, x.name)}`, kind: 'domain', name: `${x.schema}.${x.name}`, acl: x.acl, defaultAcl: x.defaultAcl });
  for (const x of c.compositeTypes.values()) out.set(x.key, { key: x.key, target: `TYPE ${q(x.schema, x.name)}`, kind: 'composite type', name: `${x.schema}.${x.name}`, acl: x.acl, defaultAcl: x.defaultAcl });
  return out;
}

function grantee(name: string): string {
  return name === '' ? 'PUBLIC' : ident(name);
}

/**
 * GRANT/REVOKE so each object's privileges match `to` (withPrivileges). Without withPrivileges, an object
 * dropped and recreated here gets back the privileges it had, so recreation never loses grants silently.
 */
export function emitPrivileges(ctx: DiffContext): void {
  const before = grantables(ctx.from);
  const after = grantables(ctx.to);
  for (const [key, b] of after) {
    const a = before.get(key);
    const survives = !!a && !ctx.gone(key);
    const recreated = ctx.recreated.has(key);
    if (!ctx.options.withPrivileges && !recreated) continue;
    const current = survives ? a!.acl : b.defaultAcl;
    const target = ctx.options.withPrivileges ? b.acl : a!.acl;
    const grantees = new Set([...Object.keys(current), ...Object.keys(target)]);
    for (const who of [...grantees].sort()) {
      const have = privilegeMap(current[who] ?? '');
      const want = privilegeMap(target[who] ?? '');
      const revoke = [...have.keys()].filter((p) => !want.has(p));
      const revokeGrantOption = [...have.keys()].filter((p) => want.has(p) && have.get(p) && !want.get(p));
      const grant = [...want.keys()].filter((p) => !have.has(p) || (want.get(p) && !have.get(p)));
      const names = (letters: string[]) => letters.map((p) => PRIVILEGE_NAMES[p] ?? p).join(', ');
      const emit = (sql: string, action: 'grant' | 'revoke') =>
        ctx.emit({ sql, object: { kind: b.kind, name: b.name }, action, phase: Phase.privilege, needs: [key] });
      if (revoke.length) emit(`REVOKE ${names(revoke)} ON ${b.target} FROM ${grantee(who)}`, 'revoke');
      if (revokeGrantOption.length) emit(`REVOKE GRANT OPTION FOR ${names(revokeGrantOption)} ON ${b.target} FROM ${grantee(who)}`, 'revoke');
      const plain = grant.filter((p) => !want.get(p));
      const withOption = grant.filter((p) => want.get(p));
      if (plain.length) emit(`GRANT ${names(plain)} ON ${b.target} TO ${grantee(who)}`, 'grant');
      if (withOption.length) emit(`GRANT ${names(withOption)} ON ${b.target} TO ${grantee(who)} WITH GRANT OPTION`, 'grant');
    }
  }
}
