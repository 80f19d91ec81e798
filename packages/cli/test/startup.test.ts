/**
 * Start-up of the built CLI (packages/cli/dist: `pnpm build` first), asserted by what a process loads, not
 * by its time: a `--require` hook records the Node modules each run loaded and whether it compiled any
 * WebAssembly (the SQL parser, libpg-query). `--version` loads none of db-migrate's code beyond the entry;
 * the parser loads only where SQL is read; the entry turns on Node's compile cache where Node has one.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, dropTestDatabase, query } from '../../../test/support/pg';

const run = promisify(execFile);
const bundle = resolve(__dirname, '..', 'dist', 'index.js');
const work = mkdtempSync(join(tmpdir(), 'db-migrate-test-startup-'));
const hook = join(work, 'hook.js');

interface Loaded {
  /** Node's built-in modules the process loaded. */
  readonly builtins: readonly string[];
  /** WebAssembly modules compiled or instantiated. */
  readonly wasm: number;
}

beforeAll(() => {
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run pnpm build first`);
  // Written at exit into the file STARTUP_REPORT names.
  writeFileSync(
    hook,
    `'use strict';
let wasm = 0;
for (const name of ['compile', 'instantiate', 'compileStreaming', 'instantiateStreaming']) {
  const original = WebAssembly[name];
  if (typeof original === 'function') WebAssembly[name] = function (...args) { wasm++; return original.apply(this, args); };
}
process.on('exit', () => {
  const builtins = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));
  require('node:fs').writeFileSync(process.env.STARTUP_REPORT, JSON.stringify({ builtins, wasm }));
});
`,
  );
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

let runs = 0;
/** Runs the bundle with the hook; its stdout and what it loaded. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; loaded: Loaded }> {
  const report = join(work, `report-${++runs}.json`);
  const { stdout } = await run(process.execPath, [bundle, ...args], {
    env: { ...process.env, NODE_OPTIONS: `--require ${hook}`, STARTUP_REPORT: report, ...env },
  });
  return { stdout, loaded: JSON.parse(readFileSync(report, 'utf8')) as Loaded };
}

// Built-in modules that db-migrate's code requires as it loads (child processes, hashing, host names),
// which bare node does not: none of them for --version. (`net` is no marker: stdout as a pipe loads it.)
const HEAVY = ['child_process', 'crypto', 'dns'];
// Of those, what only the core requires (hashing, host names): help, which loads the commands, loads neither.
const CORE_ONLY = ['crypto', 'dns'];

describe('start-up', () => {
  it('--version loads none of the commands, the database client or the parser', async () => {
    const { stdout, loaded } = await cli(['--version']);
    expect(stdout).toMatch(/^db-migrate \d+\.\d+\.\d+ \(PostgreSQL [\d, ]+; Node /);
    expect(loaded.builtins.filter((m) => HEAVY.includes(m))).toEqual([]);
    expect(loaded.wasm).toBe(0);
  });

  it('help loads the commands but not the core; a diff loads the database client; neither the parser', async () => {
    const help = await cli(['help']);
    expect(help.stdout).toContain('USAGE');
    expect(help.loaded.builtins.filter((m) => CORE_ONLY.includes(m))).toEqual([]);
    // A command's help still prints the defaults the core holds (loading the core for them).
    const up = await cli(['help', 'up']);
    expect(up.stdout).toMatch(/--lock-timeout .*\(default: \d+\)/);
    expect(help.loaded.wasm).toBe(0);
    const [from, to] = [await createTestDatabase('startup_from'), await createTestDatabase('startup_to')];
    try {
      await query(to, 'create table accounts (id int primary key)');
      const diff = await cli(['diff', from, to]);
      expect(diff.stdout).toMatch(/^CREATE TABLE "public"\."accounts"/m);
      expect(CORE_ONLY.filter((m) => diff.loaded.builtins.includes(m))).toEqual(CORE_ONLY);
      expect(diff.loaded.wasm).toBe(0);
    } finally {
      await dropTestDatabase(from);
      await dropTestDatabase(to);
    }
  });

  it('the parser loads when migration files are read (the hook sees it)', async () => {
    const dir = join(work, 'migrations');
    mkdirSync(dir);
    writeFileSync(
      join(dir, '1_accounts.sql'),
      '-- +migrate Up\ncreate table accounts (id int primary key);\n-- +migrate Down\ndrop table accounts;\n',
    );
    const database = await createTestDatabase('startup_status');
    try {
      const { stdout, loaded } = await cli(['status', '--dir', dir, '--database', database]);
      expect(stdout).toContain('1_accounts');
      expect(loaded.wasm).toBeGreaterThan(0);
    } finally {
      await dropTestDatabase(database);
    }
  });

  it("the entry keeps the bundle in Node's compile cache where Node has one", async () => {
    const cache = join(work, 'compile-cache');
    const { stdout } = await cli(['--version'], { NODE_COMPILE_CACHE: cache });
    expect(stdout).toMatch(/^db-migrate /);
    const hasCompileCache =
      typeof (require('node:module') as { enableCompileCache?: unknown }).enableCompileCache === 'function';
    const cached = existsSync(cache) ? readdirSync(cache, { recursive: true }).length : 0;
    if (hasCompileCache) expect(cached).toBeGreaterThan(0);
    else expect(cached).toBe(0);
  });
});
