/**
 * A password with reserved characters (here 7 parts joined by "@", "/", "?", "#" and ":") is never
 * printed, in part or whole: not in the fleet table, on stderr, nor in --json. Written unencoded, the
 * URL is refused with "percent-encode the password" and the target's name; percent-encoded, it works.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createTestRepo } from '../../../test/support/git';
import { join } from 'node:path';
import { cli } from '../../../test/support/cli';
import { adminUrl, query } from '../../../test/support/pg';
import { createRole, dropRoles } from '../../../test/support/roles';
import { SHOP, workspace } from '../../core/test/fleet-fixture';
import { describeDatabase, registerUrlSecrets } from '../../core/src/database-url';
import { redact } from '../../core/src/redact';

const PARTS = ['pwAlpha1', 'pwBravo2', 'pwCharl3', 'pwDelta4', 'pwEcho5x', 'pwFoxtr6', 'pwGolf7y'];
const PASSWORD = `${PARTS[0]}@${PARTS[1]}/${PARTS[2]}@${PARTS[3]}?${PARTS[4]}#${PARTS[5]}:${PARTS[6]}`;

const ws = workspace('secrets');
afterAll(async () => {
  await ws.cleanup();
  await dropRoles();
});

function unencoded(url: string, user: string): string {
  const u = new URL(url);
  return `postgresql://${user}:${PASSWORD}@${u.host}${u.pathname}`;
}

function expectNoPart(text: string): void {
  for (const part of PARTS) expect(text).not.toContain(part);
}

describe('passwords with reserved characters', () => {
  it('fleet table, stderr and --json: refused by target name, no part of the password printed; encoded it works', async () => {
    const set = await ws.migrations(SHOP);
    const db = await ws.database(set, 2, 'acme');
    const role = await createRole('pw_owner', 'LOGIN', PASSWORD);
    await query(
      db.url,
      `GRANT CONNECT ON DATABASE "${new URL(db.url).pathname.slice(1)}" TO "${role.name}"; GRANT SELECT ON ALL TABLES IN SCHEMA public TO "${role.name}"`,
    );
    const targets = join(ws.dir, 'targets.yml');
    writeFileSync(
      targets,
      'databases:\n  - name: acme\n    url-env: SECRETS_ACME_URL\n  - name: good\n    url-env: SECRETS_GOOD_URL\n',
    );
    process.env.SECRETS_ACME_URL = unencoded(db.url, role.name);
    process.env.SECRETS_GOOD_URL = role.urlFor(db.url);
    try {
      const json = join(ws.dir, 'drift.json');
      const run = await cli(['drift', '--dir', set.dir, '--shadow', adminUrl(), '--targets', targets, '--json', json]);
      const report = readFileSync(json, 'utf8');
      expectNoPart(run.stdout + run.stderr + report);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^acme +\S+ +failed .*percent-encode the password/m);
      expect(run.stdout).toMatch(/^good +\S+ +consistent +2 /m);
      const acme = JSON.parse(report).targets.find((t: { name: string }) => t.name === 'acme');
      expect(acme.error).toMatch(
        /the URL of "acme" \(in SECRETS_ACME_URL\) cannot be used: .*percent-encode the password/,
      );

      const single = await cli(['status', '--dir', set.dir, '--database', unencoded(db.url, role.name)]);
      expectNoPart(single.stdout + single.stderr);
      expect(single.code).toBe(1);
      expect(single.stderr).toMatch(
        /^db-migrate status: the URL of 127\.0\.0\.1:\d+\/\S+ cannot be used: .*percent-encode the password/m,
      );

      const listed = await cli([
        'drift',
        '--dir',
        set.dir,
        '--shadow',
        adminUrl(),
        '--database',
        `acme=${unencoded(db.url, role.name)}`,
      ]);
      expectNoPart(listed.stdout + listed.stderr);
      expect(listed.stderr).toMatch(/--database #1: the URL of "acme" cannot be used: .*percent-encode the password/);
    } finally {
      delete process.env.SECRETS_ACME_URL;
      delete process.env.SECRETS_GOOD_URL;
    }
  });

  it("sync: the schema command never sees the targets' URL variables", async () => {
    const repo = createTestRepo();
    const set = await ws.migrations({});
    const staging = await ws.database(set, 0, 'staging');
    const targets = join(ws.dir, 'sync-targets.yml');
    writeFileSync(targets, 'databases:\n  - name: staging\n    url-env: SECRETS_STAGING_URL\n');
    const dump = join(ws.dir, 'build-env.txt');
    process.env.SECRETS_STAGING_URL = staging.url;
    process.env.SECRETS_PLAIN = 'kept';
    try {
      mkdirSync(join(repo.dir, 'db'));
      writeFileSync(join(repo.dir, 'db', 'build.sh'), `env > '${dump}'\npsql -q -c 'CREATE TABLE accounts (id int)'\n`);
      repo.commitAll('schema');
      const run = await cli([
        'sync',
        '--repo',
        repo.dir,
        '--schema-dir',
        'db',
        '--schema-command',
        'sh build.sh',
        '--shadow',
        adminUrl(),
        '--targets',
        targets,
      ]);
      expect(run.stdout).toMatch(/applied +synced: 1 statement applied$/m);
      const env = readFileSync(dump, 'utf8');
      expect(env).toMatch(/^SECRETS_PLAIN=kept$/m);
      expect(env).not.toMatch(/^SECRETS_STAGING_URL=/m);
      expect(env).not.toContain(new URL(staging.url).pathname.slice(1));
      expect(env).toMatch(/^DATABASE_URL=postgresql:\/\//m);
    } finally {
      delete process.env.SECRETS_STAGING_URL;
      delete process.env.SECRETS_PLAIN;
      repo.remove();
    }
  });

  it('redact() removes everything between :// and the last @, registered secrets first', () => {
    const url = 'postgres://app:ab@cd/ef@db.example.com:5432/shop';
    registerUrlSecrets(url);
    expect(describeDatabase(url)).toBe('db.example.com:5432/shop');
    expect(redact(`cannot connect to ${url}; password ab@cd/ef`)).toBe(
      'cannot connect to postgres://***@db.example.com:5432/shop; password ***',
    );
    expect(redact('git https://x-access-token:ghs_abc@github.com/o/r')).toBe('git https://***@github.com/o/r');
  });
});
