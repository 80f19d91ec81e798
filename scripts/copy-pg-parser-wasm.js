#!/usr/bin/env node
// Copies libpg-query's WASM file beside a bundle (ncc inlines the JavaScript, not the .wasm it loads
// from its own directory at run time). Usage: node scripts/copy-pg-parser-wasm.js <dist dir>
const { copyFileSync } = require('node:fs');
const { join } = require('node:path');

const dist = process.argv[2];
if (!dist) throw new Error('usage: copy-pg-parser-wasm.js <dist dir>');
const wasm = require.resolve('libpg-query/wasm/libpg-query.wasm', { paths: [join(__dirname, '../packages/core')] });
copyFileSync(wasm, join(dist, 'libpg-query.wasm'));
