import { importHint } from '../src/schema-source/build-command';

describe('the hint after a failed build command fits its language', () => {
  it.each([
    ["ModuleNotFoundError: No module named 'app'", /PYTHONPATH="\$DB_MIGRATE_REPO_ROOT"/],
    [
      'npm ERR! npx canceled due to missing packages and no YES option: ["drizzle-kit@0.31.11"]',
      /node_modules .* is linked into the copy: install the packages in the checkout first \(npm ci\)/,
    ],
    ["Error: Cannot find module 'drizzle-orm/pg-core'", /node_modules/],
    ["Bundler::GemNotFound: Could not find gem 'pg'", /bundle install in the checkout first/],
  ])('%s', (line, hint) => {
    const text = importHint([line], 'db');
    expect(text).toMatch(hint);
    expect(text).toContain('runs in a copy of db at the commit');
  });

  it('no hint for an unrelated failure', () => {
    expect(importHint(['ERROR: relation "users" already exists'], 'db')).toBe('');
  });
});
