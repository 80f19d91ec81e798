#!/usr/bin/env node
'use strict';
// db-migrate's entry. It runs the bundle (cli.js) from a V8 code cache written after an earlier run of the
// same command, which holds every function that run compiled (Node's own compile cache keeps only what is
// compiled before the code runs, a small part of it). The cache lives in DB_MIGRATE_CODE_CACHE or
// <tmp>/db-migrate-code-cache-<uid>, in a directory only its owner can write; NODE_DISABLE_COMPILE_CACHE=1
// turns it off. Nothing here can fail the command: without a cache the bundle compiles as usual.
const fs = require('node:fs');
const { join } = require('node:path');
const { createRequire, wrap } = require('node:module');
const { Script } = require('node:vm');

const BUNDLE_HASH = 'cc8b9746bb51be2e';
const BUNDLE_LENGTH = 2145092;
const file = join(__dirname, 'cli.js');
const source = fs.readFileSync(file, 'utf8');

/** The cache file of this command, or undefined when caching is off or its directory is not safely ours. */
function cacheFile() {
  if (process.env.NODE_DISABLE_COMPILE_CACHE === '1' || source.length !== BUNDLE_LENGTH) return undefined;
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const dir = process.env.DB_MIGRATE_CODE_CACHE || join(require('node:os').tmpdir(), `db-migrate-code-cache-${uid ?? 'user'}`);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = fs.statSync(dir);
    if (uid !== undefined && (stat.uid !== uid || (stat.mode & 0o022) !== 0)) return undefined;
  } catch {
    return undefined;
  }
  const command = /^-{0,2}[a-z][a-z-]{0,30}$/.test(process.argv[2] ?? '') ? process.argv[2].replace(/^-+/, '') : 'other';
  return join(dir, `${BUNDLE_HASH}-${process.version}-${process.arch}-${command}.cache`);
}

const cache = cacheFile();
let cachedData;
try {
  if (cache) cachedData = fs.readFileSync(cache);
} catch {}
// The shebang is not JavaScript inside the module wrapper: a comment of the same length keeps every position.
const script = new Script(wrap(source.replace(/^#!/, '//')), { filename: file, cachedData });
if (cache && (!cachedData || script.cachedDataRejected)) {
  process.once('exit', () => {
    try {
      const temporary = `${cache}.${process.pid}`;
      fs.writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
      fs.renameSync(temporary, cache);
    } catch {}
  });
}
const bundleModule = { exports: {}, filename: file, id: file, loaded: false };
script.runInThisContext()(bundleModule.exports, createRequire(file), bundleModule, file, __dirname);
bundleModule.exports.runFromCommandLine();
