import type { Acl } from './catalog';

/**
 * Parses PostgreSQL aclitem text (`grantee=privs/grantor`, grantee '' meaning PUBLIC) into one entry per
 * grantee. Grantors are ignored: two databases built by different users still hold the same grants.
 */
export function parseAcl(items: readonly string[] | null): Acl {
  if (!items || items.length === 0) return NO_GRANTS;
  // Most objects carry the same few ACLs (their owner's defaults): each distinct one is parsed once.
  const text = items.length === 1 ? items[0]! : items.join('\u0000');
  let acl = parsedAcls.get(text);
  if (!acl) {
    if (parsedAcls.size >= 10_000) parsedAcls.clear();
    parsedAcls.set(text, (acl = Object.freeze(parseAclItems(items))));
  }
  return acl;
}

const NO_GRANTS: Acl = Object.freeze({});
const parsedAcls = new Map<string, Acl>();

function parseAclItems(items: readonly string[]): Record<string, string> {
  const acl: Record<string, string> = {};
  for (const item of items) {
    const { grantee, rest } = splitGrantee(item);
    const privileges = rest.split('/')[0] ?? '';
    acl[grantee] = mergePrivileges(acl[grantee] ?? '', privileges);
  }
  return acl;
}

function splitGrantee(item: string): { grantee: string; rest: string } {
  if (item.startsWith('"')) {
    let i = 1;
    let name = '';
    while (i < item.length) {
      if (item[i] === '"' && item[i + 1] === '"') {
        name += '"';
        i += 2;
      } else if (item[i] === '"') {
        break;
      } else {
        name += item[i++];
      }
    }
    return { grantee: name, rest: item.slice(i + 2) };
  }
  const eq = item.indexOf('=');
  return { grantee: item.slice(0, eq), rest: item.slice(eq + 1) };
}

/** Privilege letters as a map letter -> with grant option. */
export function privilegeMap(privileges: string): Map<string, boolean> {
  const map = new Map<string, boolean>();
  for (let i = 0; i < privileges.length; i++) {
    const letter = privileges[i]!;
    if (letter === '*') continue;
    const withGrant = privileges[i + 1] === '*';
    map.set(letter, (map.get(letter) ?? false) || withGrant);
  }
  return map;
}

/** The union of two ACLs, grantee by grantee (what a default privilege entry adds to another). */
export function mergeAcls(a: Acl, b: Acl): Acl {
  const merged: Record<string, string> = { ...a };
  for (const [grantee, privileges] of Object.entries(b))
    merged[grantee] = mergePrivileges(merged[grantee] ?? '', privileges);
  return merged;
}

function mergePrivileges(a: string, b: string): string {
  const merged = privilegeMap(a);
  for (const [letter, grant] of privilegeMap(b)) merged.set(letter, (merged.get(letter) ?? false) || grant);
  return [...merged.entries()]
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([letter, grant]) => letter + (grant ? '*' : ''))
    .join('');
}

export const PRIVILEGE_NAMES: Readonly<Record<string, string>> = {
  r: 'SELECT',
  a: 'INSERT',
  w: 'UPDATE',
  d: 'DELETE',
  D: 'TRUNCATE',
  x: 'REFERENCES',
  t: 'TRIGGER',
  X: 'EXECUTE',
  U: 'USAGE',
  C: 'CREATE',
  c: 'CONNECT',
  T: 'TEMPORARY',
  m: 'MAINTAIN',
};
