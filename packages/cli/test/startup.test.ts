/**
 * Start-up of the built CLI (packages/cli/dist: `pnpm build` first), asserted by what a process loads, not
 * by its time: a `--require` hook records the Node modules each run loaded and whether it compiled any
 * WebAssembly (the SQL parser, libpg-query). `--version` loads none of db-migrate's code beyond the entry;
 * the parser loads only where SQL is read; the entry runs the bundle from a code cache of an earlier run.
 */
import { execFile } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
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

  it("the entry runs the bundle from a code cache of the command's earlier run, kept only where it is safe", async () => {
    const cache = join(work, 'code-cache');
    const files = () => (existsSync(cache) ? readdirSync(cache).filter((f) => f.endsWith('.cache')) : []);
    const { stdout } = await cli(['--version'], { DB_MIGRATE_CODE_CACHE: cache });
    expect(stdout).toMatch(/^db-migrate /);
    // Written at the first run's exit, one file per command; a later run reads it and leaves it as it is.
    const [file] = files();
    expect(files()).toEqual([expect.stringMatching(/-version\.cache$/)]);
    const written = statSync(join(cache, file!));
    expect((await cli(['--version'], { DB_MIGRATE_CODE_CACHE: cache })).stdout).toBe(stdout);
    const read = statSync(join(cache, file!));
    expect([read.ino, read.mtimeMs]).toEqual([written.ino, written.mtimeMs]);
    // A cache V8 refuses (here, garbage) is only slower: the command runs, and the cache is written anew.
    writeFileSync(join(cache, file!), 'not a code cache');
    expect((await cli(['--version'], { DB_MIGRATE_CODE_CACHE: cache })).stdout).toBe(stdout);
    expect(readFileSync(join(cache, file!)).length).toBeGreaterThan('not a code cache'.length);
    // Another command has its own file.
    await cli(['help'], { DB_MIGRATE_CODE_CACHE: cache });
    expect(files()).toHaveLength(2);

    // A directory others may write to is never used (a planted cache would run as code), nor one turned off.
    const open = join(work, 'open-cache');
    mkdirSync(open);
    chmodSync(open, 0o777);
    expect((await cli(['--version'], { DB_MIGRATE_CODE_CACHE: open })).stdout).toBe(stdout);
    expect(readdirSync(open)).toEqual([]);
    const off = join(work, 'off-cache');
    await cli(['--version'], { DB_MIGRATE_CODE_CACHE: off, NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(existsSync(off) ? readdirSync(off) : []).toEqual([]);
  });
});
