#!/usr/bin/env node
'use strict';
// db-migrate's entry. Node >= 22.1 keeps the compiled bundle (cli.js) in its compile cache (the OS
// temporary directory, or NODE_COMPILE_CACHE), so later starts skip compiling it; older Node runs it as is.
const { enableCompileCache } = require('node:module');
if (typeof enableCompileCache === 'function') enableCompileCache();
require('./cli.js').runFromCommandLine();
