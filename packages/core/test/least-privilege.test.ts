/**
 * db-migrate as the roles a managed PostgreSQL gives (scram password auth, no superuser): a read-only
 * role runs status and drift; an owner without CREATE on the database is told which right is missing
 * and nothing is left behind; the documented least-privilege set-up works; bookkeeping another role
 * owns, or that carries a trigger, is refused before the trigger can run; gorp_migrations is found
 * where the real sql-migrate puts it for a role whose search_path is `app, public`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, fleetArgs } from '../../../test/support/cli';
import { adminUrl, query } from '../../../test/support/pg';
import { createRole, dropRoles } from '../../../test/support/roles';
import { up } from '../src/applier/migrator';
import { SHOP, workspace } from './fleet-fixture';

const ws = workspace('privs');
afterAll(async () => {
  await ws.cleanup();
  await dropRoles();
});

const dbName = (url: string) => decodeURIComponent(new URL(url).pathname.slice(1));

/** A database owned by the superuser whose public schema belongs to `owner`: CREATE in public, none on the database. */
async function ownerWithoutCreate(): Promise<{ url: string; owner: Awaited<ReturnType<typeof createRole>> }> {
  const set = await ws.migrations({});
  const db = await ws.database(set, 0);
  const owner = await createRole('owner');
  await query(
    db.url,
    `GRANT CONNECT ON DATABASE "${dbName(db.url)}" TO "${owner.name}"; ALTER SCHEMA public OWNER TO "${owner.name}"`,
  );
  return { url: db.url, owner };
}

const relationExists = async (url: string, name: string) =>
  (await query<{ n: number }>(url, `SELECT count(*)::int AS n FROM pg_class WHERE relname = $1`, [name]))[0].n > 0;
const schemaExists = async (url: string, name: string) =>
  (await query<{ n: number }>(url, `SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1`, [name]))[0].n > 0;

describe('rights', () => {
  it('an owner without CREATE on the database: up names the missing right and creates nothing; with the schema made beforehand it works', async () => {
    const set = await ws.migrations(SHOP);
    const { url, owner } = await ownerWithoutCreate();
    const failed = await cli(['up', '--dir', set.dir, '--database', owner.urlFor(url)]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(
      `role ${owner.name} lacks CREATE on database ${dbName(url)}: needed to create schema db_migrate; GRANT CREATE ON DATABASE "${dbName(url)}" TO "${owner.name}", or create the schema beforehand`,
    );
    expect(failed.stderr).not.toContain('a bug in db-migrate');
    expect(await relationExists(url, 'gorp_migrations')).toBe(false);
    expect(await schemaExists(url, 'db_migrate')).toBe(false);
    expect(await relationExists(url, 'customers')).toBe(false);

    // The least-privilege set-up of the README: the DBA creates the schema for the owner role once.
    await query(url, `CREATE SCHEMA db_migrate AUTHORIZATION "${owner.name}"`);
    const ok = await cli(['up', '--dir', set.dir, '--database', owner.urlFor(url)]);
    expect(ok.stderr).not.toMatch(/error/);
    expect(ok.code).toBe(0);
    const owners = await query<{ relname: string; owner: string }>(
      url,
      `SELECT relname, pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relname IN ('gorp_migrations', 'applied_checksums', 'customers') ORDER BY 1`,
    );
    expect(owners).toEqual(
      ['applied_checksums', 'customers', 'gorp_migrations'].map((relname) => ({ relname, owner: owner.name })),
    );
  });

  it('a read-only role: status and drift work, checksums unknown said once, nothing created', async () => {
    const set = await ws.migrations(SHOP);
    const db = await ws.database(set, 3);
    const reader = await createRole('reader');
    await query(
      db.url,
      `GRANT CONNECT ON DATABASE "${dbName(db.url)}" TO "${reader.name}"; GRANT USAGE ON SCHEMA public TO "${reader.name}"; GRANT SELECT ON ALL TABLES IN SCHEMA public TO "${reader.name}"`,
    );
    const status = await cli(['status', '--dir', set.dir, '--database', reader.urlFor(db.url)]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/at version 3, 2 pending/);
    expect(
      status.stderr.match(/cannot read db_migrate\.applied_checksums: whether applied files changed since is unknown/g),
    ).toHaveLength(1);

    const drift = await cli(['drift', ...fleetArgs(set.dir, { shop: reader.urlFor(db.url) })]);
    expect(drift.stdout).toMatch(/^shop +\S+ +consistent +3 /m);
    expect(drift.code).toBe(0);
    expect(drift.stderr.match(/cannot read db_migrate\.applied_checksums/g)).toHaveLength(1);

    // Without SELECT on gorp_migrations: a clear configuration error naming the GRANT, never "a bug".
    await query(db.url, `REVOKE SELECT ON gorp_migrations FROM "${reader.name}"`);
    const denied = await cli(['status', '--dir', set.dir, '--database', reader.urlFor(db.url)]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain(
      `role ${reader.name} cannot read public.gorp_migrations: GRANT USAGE ON SCHEMA "public" TO "${reader.name}"; GRANT SELECT ON "public"."gorp_migrations"`,
    );
    expect(denied.stderr).not.toContain('a bug in db-migrate');
  });

  it('a read-only role runs up with nothing pending: nothing written (its transactions are read-only), exit 0', async () => {
    const set = await ws.migrations(SHOP);
    const db = await ws.database(set, 5);
    const reader = await createRole('upreader');
    await query(
      db.url,
      `GRANT CONNECT ON DATABASE "${dbName(db.url)}" TO "${reader.name}"; GRANT USAGE ON SCHEMA public TO "${reader.name}"; GRANT SELECT ON ALL TABLES IN SCHEMA public TO "${reader.name}"`,
    );
    // Any write, even a CREATE ... IF NOT EXISTS, fails in a read-only transaction.
    await query(adminUrl(), `ALTER ROLE "${reader.name}" SET default_transaction_read_only = on`);
    const before = await query(db.url, `SELECT count(*)::int AS n FROM pg_class`);
    const current = await cli(['up', '--dir', set.dir, '--database', reader.urlFor(db.url)]);
    expect(current.stderr).not.toMatch(/error|cannot|lacks/i);
    expect(current.stdout).toContain('0 migrations applied, now at version 5');
    expect(current.code).toBe(0);
    expect(await query(db.url, `SELECT count(*)::int AS n FROM pg_class`)).toEqual(before);

    // With a migration pending, the same role is told what it lacks, and nothing is written.
    const more = await ws.migrations({
      ...SHOP,
      '0006_flag.sql': {
        up: ['ALTER TABLE customers ADD COLUMN flag boolean'],
        down: ['ALTER TABLE customers DROP COLUMN flag'],
      },
    });
    const pending = await up(reader.urlFor(db.url), more);
    expect(pending.error?.kind).toBe('bookkeeping');
    expect(pending.results).toEqual([]);
    expect(await query(db.url, `SELECT count(*)::int AS n FROM gorp_migrations`)).toEqual([{ n: 5 }]);
  });

  it('bookkeeping another role created, with a trigger that would grant it rights: refused, the trigger never runs', async () => {
    const set = await ws.migrations(SHOP);
    const { url, owner } = await ownerWithoutCreate();
    const intruder = await createRole('intruder');
    await query(
      url,
      `GRANT CREATE ON DATABASE "${dbName(url)}" TO "${intruder.name}"; GRANT CREATE, USAGE ON SCHEMA public TO "${intruder.name}"`,
    );
    await query(
      intruder.urlFor(url),
      `CREATE TABLE public.gorp_migrations (id text not null primary key, applied_at timestamp with time zone);
       CREATE TABLE public.trap_fired (at timestamptz DEFAULT now());
       CREATE FUNCTION public.grab() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN INSERT INTO public.trap_fired DEFAULT VALUES; EXECUTE 'GRANT ALL ON ALL TABLES IN SCHEMA public TO "${intruder.name}"'; RETURN NEW; END $$;
       CREATE TRIGGER grab AFTER INSERT ON public.gorp_migrations FOR EACH ROW EXECUTE FUNCTION public.grab();
       GRANT ALL ON public.gorp_migrations, public.trap_fired TO PUBLIC;
       CREATE SCHEMA db_migrate;`,
    );
    const run = await up(owner.urlFor(url), set);
    expect(run.error?.kind).toBe('bookkeeping');
    expect(run.error?.message).toMatch(
      new RegExp(
        `public\\.gorp_migrations is owned by role ${intruder.name}, not by ${owner.name} .*refusing to write migration records`,
      ),
    );
    expect(run.results).toEqual([]);
    expect(await query(url, 'SELECT * FROM public.trap_fired')).toEqual([]);
    expect(await relationExists(url, 'customers')).toBe(false);

    // Owned by the migration role but still carrying the trigger: refused too.
    await query(
      url,
      `ALTER TABLE public.gorp_migrations OWNER TO "${owner.name}"; ALTER SCHEMA db_migrate OWNER TO "${owner.name}"`,
    );
    const again = await up(owner.urlFor(url), set);
    expect(again.error?.message).toMatch(
      /public\.gorp_migrations has trigger grab: refusing to write migration records through it/,
    );
    expect(await query(url, 'SELECT * FROM public.trap_fired')).toEqual([]);

    // A foreign db_migrate schema is refused as well.
    await query(
      url,
      `DROP TRIGGER grab ON public.gorp_migrations; ALTER SCHEMA db_migrate OWNER TO "${intruder.name}"`,
    );
    const schema = await up(owner.urlFor(url), set);
    expect(schema.error?.message).toMatch(new RegExp(`schema db_migrate is owned by role ${intruder.name}`));
    expect(await relationExists(url, 'customers')).toBe(false);
  });
});

describe('search_path', () => {
  const SQL_MIGRATE = '/usr/bin/sql-migrate';
  function sqlMigrate(dir: string, dsn: string, ...args: string[]) {
    const result = spawnSync(
      SQL_MIGRATE,
      [args[0], `-config=${join(dir, 'dbconfig.yml')}`, '-env=test', ...args.slice(1)],
      {
        env: { ...process.env, DB_MIGRATE_TEST_DSN: `${dsn}?sslmode=disable` },
        encoding: 'utf8',
      },
    );
    if (result.status !== 0) throw new Error(`sql-migrate ${args.join(' ')} failed: ${result.stderr}${result.stdout}`);
    return result.stdout;
  }

  it('a role with search_path = app, public: db-migrate reads and writes the app.gorp_migrations sql-migrate uses; refuses a public one sql-migrate would not see', async () => {
    const set = await ws.migrations(SHOP);
    const db = await ws.database(set, 0);
    const role = await createRole('sp');
    await query(
      db.url,
      `GRANT CONNECT, CREATE ON DATABASE "${dbName(db.url)}" TO "${role.name}"; CREATE SCHEMA app AUTHORIZATION "${role.name}";
       GRANT USAGE, CREATE ON SCHEMA public TO "${role.name}"; ALTER ROLE "${role.name}" IN DATABASE "${dbName(db.url)}" SET search_path = app, public`,
    );
    const url = role.urlFor(db.url);
    const dir = join(ws.dir, `sqlmigrate-${role.name}`);
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'dbconfig.yml'),
      `test:\n  dialect: postgres\n  datasource: \${DB_MIGRATE_TEST_DSN}\n  dir: ${set.dir}\n`,
    );
    sqlMigrate(dir, url, 'up', '-limit=2');
    expect(await query(db.url, `SELECT id FROM app.gorp_migrations ORDER BY id`)).toEqual([
      { id: '0001_customers.sql' },
      { id: '0002_orders.sql' },
    ]);

    const run = await up(url, set, { to: 3 });
    expect(run.error).toBeUndefined();
    expect(run.results.map((r) => r.fileName)).toEqual(['0003_customer_email.sql']);
    expect(await query(db.url, `SELECT id FROM app.gorp_migrations ORDER BY id`)).toHaveLength(3);
    expect(await relationExists(db.url, 'gorp_migrations')).toBe(true);
    expect(await query(db.url, `SELECT count(*)::int AS n FROM pg_class WHERE relname = 'gorp_migrations'`)).toEqual([
      { n: 1 },
    ]);
    expect(sqlMigrate(dir, url, 'status')).toMatch(/0003_customer_email\.sql \| .*\d{4}/);

    // The table sql-migrate would not use (a later schema of the path, none in app): refused, not re-applied.
    await query(db.url, `ALTER TABLE app.gorp_migrations SET SCHEMA public`);
    const refused = await up(url, set);
    expect(refused.error?.message).toMatch(
      new RegExp(
        `public\\.gorp_migrations exists, but with the search_path of role ${role.name} \\(app, public\\) sql-migrate creates and uses app\\.gorp_migrations`,
      ),
    );
    expect(refused.results).toEqual([]);
    const status = await cli(['status', '--dir', set.dir, '--database', url]);
    expect(status.code).toBe(1);
    expect(status.stderr).toMatch(/sql-migrate creates and uses app\.gorp_migrations/);
  });
});
