import { randomBytes } from 'node:crypto';
import { adminUrl, query } from './pg';

/**
 * Non-superuser roles on the test server (scram password auth), as a managed PostgreSQL gives them:
 * an owner role, a read-only role, an owner without CREATE on its database. Roles are cluster-wide,
 * so each gets a unique name; dropRoles() removes them (after the databases they own are dropped).
 */
export interface TestRole {
  readonly name: string;
  readonly password: string;
  /** `url` (a database URL of the test server) with this role's credentials, percent-encoded. */
  urlFor(url: string): string;
}

const created: string[] = [];

export async function createRole(
  prefix: string,
  attributes = 'LOGIN',
  password = randomBytes(9).toString('hex'),
): Promise<TestRole> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await query(adminUrl(), `CREATE ROLE "${name}" ${attributes} PASSWORD '${password.replace(/'/g, "''")}'`);
  created.push(name);
  return {
    name,
    password,
    urlFor(url: string) {
      const u = new URL(url);
      u.username = encodeURIComponent(name);
      u.password = encodeURIComponent(password);
      return u.toString();
    },
  };
}

/** Drops every role createRole made, with what it owns and its grants in the databases listed. */
export async function dropRoles(databaseUrls: readonly string[] = []): Promise<void> {
  for (const url of databaseUrls) {
    for (const name of created) await query(url, `DROP OWNED BY "${name}" CASCADE`).catch(() => undefined);
  }
  for (const name of created.splice(0)) await query(adminUrl(), `DROP ROLE IF EXISTS "${name}"`).catch(() => undefined);
}
