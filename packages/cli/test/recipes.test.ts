/**
 * The recipes of examples/recipes, each run as its README says: create -> verify -> up, in a fresh git
 * repository holding the recipe's files, with the framework's bookkeeping tables left out.
 */
import { cpSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminUrl, createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';
import { makeTestRepo, type TestRepo } from '../../core/test/git-fixture';
import { cli } from '../../../test/support/cli';

const RECIPES = join(__dirname, '..', '..', '..', 'examples', 'recipes');

interface Recipe {
  readonly name: string;
  /** create/verify arguments after the command, relative to the repository (run from its root). */
  readonly source: string[];
  readonly migrations: string;
  /** The application's tables, as up leaves them in public (bookkeeping not included). */
  readonly tables: string[];
  /** The framework's own tables, schema-qualified: never in the migration. */
  readonly bookkeeping: string[];
  /** Packages the build needs, installed in the checkout (as `npm ci` would): linked from the repository's install. */
  readonly nodeModules?: boolean;
}

const recipes: Recipe[] = [
  {
    name: 'plain-sql',
    source: ['--schema-dir', 'db/schema', '--schema-sql', '.'],
    migrations: 'db/migrations',
    tables: ['customers', 'invoices'],
    bookkeeping: [],
  },
  {
    name: 'rails',
    source: ['--schema-dir', 'db', '--schema-sql', 'structure.sql'],
    migrations: 'db/sql-migrations',
    tables: ['articles'],
    bookkeeping: ['public.schema_migrations', 'public.ar_internal_metadata'],
  },
  {
    name: 'django',
    // The README says python3; the tests use Debian's, which has python3-django (scripts/setup.sh).
    source: ['--schema-dir', '.', '--schema-command', '/usr/bin/python3 manage.py migrate --no-input -v 0'],
    migrations: 'db-migrations',
    tables: ['shop_customer', 'shop_order'],
    bookkeeping: ['public.django_migrations'],
  },
  {
    name: 'drizzle',
    source: ['--schema-dir', '.', '--schema-command', 'npx drizzle-kit migrate'],
    migrations: 'db-migrations',
    tables: ['authors', 'posts'],
    bookkeeping: ['drizzle.__drizzle_migrations'],
    nodeModules: true,
  },
];

describe.each(recipes.map((r) => [r.name, r] as const))('recipe %s', (_name, recipe) => {
  let repo: TestRepo;
  let cwd: string;
  beforeEach(() => {
    repo = makeTestRepo();
    cpSync(join(RECIPES, recipe.name), repo.dir, {
      recursive: true,
      filter: (src) => !/README\.md$|__pycache__|node_modules/.test(src),
    });
    // node_modules is never committed: the checkout has it installed, the copy of each commit gets a link to it.
    if (recipe.nodeModules)
      symlinkSync(join(RECIPES, recipe.name, 'node_modules'), join(repo.dir, 'node_modules'), 'dir');
    writeFileSync(join(repo.dir, '.gitignore'), 'node_modules\n');
    mkdirSync(join(repo.dir, recipe.migrations), { recursive: true });
    writeFileSync(join(repo.dir, recipe.migrations, '.gitkeep'), '');
    repo.git('add', '--all');
    repo.commit('the recipe', {});
    cwd = process.cwd();
    process.chdir(repo.dir);
  });
  afterEach(() => {
    process.chdir(cwd);
    repo.remove();
  });

  it('create -> verify -> up, bookkeeping tables left out', async () => {
    const common = [...recipe.source, '--dir', recipe.migrations, '--shadow', adminUrl()];
    const created = await cli(['create', ...common]);
    expect(created.stderr).not.toMatch(/^error|unexpected/m);
    expect(created.code).toBe(0);
    const [file] = readdirSync(recipe.migrations).filter((f) => f.endsWith('.sql'));
    const sql = readFileSync(join(recipe.migrations, file), 'utf8');
    for (const table of recipe.tables) expect(sql).toContain(`CREATE TABLE "public"."${table}"`);
    for (const table of recipe.bookkeeping) {
      expect(sql).not.toContain(table.split('.')[1]);
      expect(created.stderr).toContain(`${table} (`);
    }
    expect(sql).not.toMatch(/CREATE SCHEMA/);

    const verified = await cli(['verify', ...common, '--goal', 'HEAD']);
    expect(verified.stdout).toMatch(/Consistency: passed/);
    expect(verified.code).toBe(0);

    const db = await createTestDatabase(`recipe_${recipe.name.replace(/-/g, '_')}`);
    try {
      expect(await cli(['up', '--dir', recipe.migrations, '--database', db])).toMatchObject({
        code: 0,
        stdout: expect.stringContaining('1 migration applied, now at version 1'),
      });
      const tables = await query<{ t: string }>(
        db,
        "select table_name as t from information_schema.tables where table_schema = 'public' and table_name <> 'gorp_migrations' order by 1",
      );
      expect(tables.map((r) => r.t)).toEqual(recipe.tables);
    } finally {
      await dropTestDatabase(db);
    }
  });
});
