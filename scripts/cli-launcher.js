#!/usr/bin/env node
// Splits the CLI bundle in two after ncc: the bundle moves to dist/cli.js and dist/index.js becomes the
// small entry below, which turns Node's compile cache on before the bundle is compiled.
// Usage: node scripts/cli-launcher.js <dist dir>
const { renameSync, writeFileSync, chmodSync } = require('node:fs');
const { join } = require('node:path');

const dist = process.argv[2];
if (!dist) throw new Error('usage: cli-launcher.js <dist dir>');

const LAUNCHER = `#!/usr/bin/env node
'use strict';
// db-migrate's entry. Node >= 22.1 keeps the compiled bundle (cli.js) in its compile cache (the OS
// temporary directory, or NODE_COMPILE_CACHE), so later starts skip compiling it; older Node runs it as is.
const { enableCompileCache } = require('node:module');
if (typeof enableCompileCache === 'function') enableCompileCache();
require('./cli.js').runFromCommandLine();
`;

renameSync(join(dist, 'index.js'), join(dist, 'cli.js'));
writeFileSync(join(dist, 'index.js'), LAUNCHER);
chmodSync(join(dist, 'index.js'), 0o755);
