#!/usr/bin/env node
/******/ (() => { // webpackBootstrap
/******/ 	"use strict";
/******/ 	var __webpack_modules__ = ({

/***/ 426:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.commands = void 0;
/** Every CLI command, in the order `db-migrate --help` lists them. One file per command. */
exports.commands = [];


/***/ }),

/***/ 240:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.ConfigurationError = void 0;
exports.registerSecret = registerSecret;
exports.redact = redact;
exports.registerUrlSecrets = registerUrlSecrets;
exports.describeDatabase = describeDatabase;
exports.errorMessage = errorMessage;
/**
 * Two kinds of error, as codeql-action has them: a ConfigurationError is the user's mistake
 * (bad input, a broken migration file, an unreachable database) and is reported as one clear line;
 * anything else is a bug in db-migrate.
 */
class ConfigurationError extends Error {
    name = 'ConfigurationError';
}
exports.ConfigurationError = ConfigurationError;
const registeredSecrets = new Set();
/** Remembers a secret (a password, a whole URL) so that redact() removes it from any later text. */
function registerSecret(secret) {
    if (secret && secret.length >= 3)
        registeredSecrets.add(secret);
}
/**
 * The one secret redactor. Removes passwords from postgres URLs and key=value connection strings,
 * and every secret registered with registerSecret, from any text before it is printed.
 */
function redact(text) {
    let out = text.replace(/(postgres(?:ql)?:\/\/[^:@/\s]*:)([^@\s]*)(@)/gi, '$1***$3');
    out = out.replace(/(password\s*=\s*)('[^']*'|[^\s]+)/gi, '$1***');
    for (const secret of [...registeredSecrets].sort((a, b) => b.length - a.length)) {
        out = out.split(secret).join('***');
    }
    return out;
}
/** Registers the password of a postgres URL (and the URL itself) as secrets; returns the URL unchanged. */
function registerUrlSecrets(url) {
    registerSecret(url);
    try {
        const parsed = new URL(url);
        if (parsed.password)
            registerSecret(decodeURIComponent(parsed.password));
    }
    catch {
        /* not a URL: the whole string is registered already */
    }
    return url;
}
/** A label for a database that is safe to print: host:port/dbname, never the password. */
function describeDatabase(url) {
    try {
        const parsed = new URL(url);
        const db = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || '(default)';
        return `${parsed.hostname}${parsed.port ? ':' + parsed.port : ''}/${db}`;
    }
    catch {
        return redact(url);
    }
}
/** The message of any thrown value, redacted. */
function errorMessage(error) {
    const message = error instanceof Error ? error.message : String(error);
    return redact(message);
}


/***/ }),

/***/ 843:
/***/ (function(__unused_webpack_module, exports, __nccwpck_require__) {


var __createBinding = (this && this.__createBinding) || (Object.create ? (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    var desc = Object.getOwnPropertyDescriptor(m, k);
    if (!desc || ("get" in desc ? !m.__esModule : desc.writable || desc.configurable)) {
      desc = { enumerable: true, get: function() { return m[k]; } };
    }
    Object.defineProperty(o, k2, desc);
}) : (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    o[k2] = m[k];
}));
var __exportStar = (this && this.__exportStar) || function(m, exports) {
    for (var p in m) if (p !== "default" && !Object.prototype.hasOwnProperty.call(exports, p)) __createBinding(exports, m, p);
};
Object.defineProperty(exports, "__esModule", ({ value: true }));
__exportStar(__nccwpck_require__(240), exports);
__exportStar(__nccwpck_require__(419), exports);
__exportStar(__nccwpck_require__(899), exports);


/***/ }),

/***/ 419:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.silentLogger = void 0;
exports.consoleLogger = consoleLogger;
exports.memoryLogger = memoryLogger;
const errors_1 = __nccwpck_require__(240);
function consoleLogger(options = {}) {
    const stream = options.stream ?? process.stderr;
    const write = (prefix, message) => stream.write(`${prefix}${(0, errors_1.redact)(message)}\n`);
    return {
        info: (m) => write('', m),
        warning: (m) => write('warning: ', m),
        error: (m) => write('error: ', m),
        debug: (m) => {
            if (options.verbose)
                write('debug: ', m);
        },
        async group(title, fn) {
            write('== ', title);
            return fn();
        },
    };
}
/** A logger that keeps lines in memory: for tests and for building summaries. */
function memoryLogger() {
    const lines = [];
    return {
        lines,
        info: (m) => lines.push((0, errors_1.redact)(m)),
        warning: (m) => lines.push('warning: ' + (0, errors_1.redact)(m)),
        error: (m) => lines.push('error: ' + (0, errors_1.redact)(m)),
        debug: () => undefined,
        async group(title, fn) {
            lines.push('== ' + title);
            return fn();
        },
    };
}
exports.silentLogger = {
    info: () => undefined,
    warning: () => undefined,
    error: () => undefined,
    debug: () => undefined,
    group: (_t, fn) => fn(),
};


/***/ }),

/***/ 844:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.onExitCleanup = onExitCleanup;
/**
 * Cleanup that must run however the process ends: normal exit, an uncaught error, SIGINT or SIGTERM.
 * Handlers are synchronous so they can run from the 'exit' event.
 */
const handlers = new Set();
let installed = false;
function runAll() {
    for (const handler of [...handlers]) {
        handlers.delete(handler);
        try {
            handler();
        }
        catch {
            /* keep cleaning */
        }
    }
}
function install() {
    if (installed)
        return;
    installed = true;
    process.on('exit', runAll);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
        process.on(signal, () => {
            runAll();
            process.exit(signal === 'SIGINT' ? 130 : 143);
        });
    }
}
/** Registers a cleanup; returns the function that unregisters it (call it once cleaned up normally). */
function onExitCleanup(handler) {
    install();
    handlers.add(handler);
    return () => handlers.delete(handler);
}


/***/ }),

/***/ 899:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.DEFAULT_POSTGRES_MAJOR = void 0;
exports.findPostgresBinaries = findPostgresBinaries;
exports.freePort = freePort;
exports.startLocalServer = startLocalServer;
const node_child_process_1 = __nccwpck_require__(421);
const node_fs_1 = __nccwpck_require__(24);
const node_net_1 = __nccwpck_require__(30);
const node_os_1 = __nccwpck_require__(161);
const node_path_1 = __nccwpck_require__(760);
const node_crypto_1 = __nccwpck_require__(598);
const node_util_1 = __nccwpck_require__(975);
const errors_1 = __nccwpck_require__(240);
const cleanup_1 = __nccwpck_require__(844);
const execFileAsync = (0, node_util_1.promisify)(node_child_process_1.execFile);
/** The Postgres major used when no option names one. Must match production's (diff output depends on it). */
exports.DEFAULT_POSTGRES_MAJOR = 15;
/** Finds the server binaries of a Postgres major: DB_MIGRATE_PG_BIN, Debian/Ubuntu's layout, or pg_config. */
function findPostgresBinaries(major, binDir) {
    const candidates = [
        binDir,
        process.env.DB_MIGRATE_PG_BIN,
        `/usr/lib/postgresql/${major}/bin`,
        `/usr/pgsql-${major}/bin`,
    ].filter((d) => !!d);
    for (const dir of candidates) {
        if ((0, node_fs_1.existsSync)((0, node_path_1.join)(dir, 'initdb')) && (0, node_fs_1.existsSync)((0, node_path_1.join)(dir, 'pg_ctl')))
            return dir;
    }
    try {
        const dir = (0, node_child_process_1.execFileSync)('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
        const version = (0, node_child_process_1.execFileSync)((0, node_path_1.join)(dir, 'postgres'), ['--version'], { encoding: 'utf8' });
        if ((0, node_fs_1.existsSync)((0, node_path_1.join)(dir, 'initdb')) && new RegExp(`\\b${major}\\.`).test(version))
            return dir;
    }
    catch {
        /* no pg_config on PATH */
    }
    throw new errors_1.ConfigurationError(`PostgreSQL ${major} server binaries (initdb, pg_ctl) not found; looked in ${candidates.join(', ')} and pg_config. ` +
        `Install postgresql-${major}, set DB_MIGRATE_PG_BIN, or pass a shadow database URL.`);
}
async function freePort() {
    return new Promise((resolve, reject) => {
        const server = (0, node_net_1.createServer)();
        server.unref();
        server.on('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const address = server.address();
            const port = typeof address === 'object' && address ? address.port : 0;
            server.close(() => resolve(port));
        });
    });
}
function runAsServerUser(isRoot, command, args) {
    // initdb and postgres refuse to run as root: run them as the `postgres` OS user there.
    return isRoot
        ? execFileAsync('runuser', ['-u', 'postgres', '--', command, ...args])
        : execFileAsync(command, args);
}
/**
 * Starts a throwaway PostgreSQL server on 127.0.0.1 and a free port, tuned for speed over durability
 * (fsync off): for schema builds, never for data. Stopped and removed by stop(), and on process exit or signal.
 */
async function startLocalServer(options = {}) {
    const major = options.major ?? exports.DEFAULT_POSTGRES_MAJOR;
    const binDir = findPostgresBinaries(major, options.binDir);
    const isRoot = process.getuid?.() === 0;
    const root = (0, node_fs_1.mkdtempSync)((0, node_path_1.join)((0, node_os_1.tmpdir)(), 'db-migrate-pg-'));
    const dataDir = (0, node_path_1.join)(root, 'data');
    const password = (0, node_crypto_1.randomBytes)(12).toString('hex');
    const pwFile = (0, node_path_1.join)(root, 'pw');
    (0, node_fs_1.writeFileSync)(pwFile, password + '\n', { mode: 0o600 });
    if (isRoot) {
        const uid = Number((0, node_child_process_1.execFileSync)('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
        const gid = Number((0, node_child_process_1.execFileSync)('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
        (0, node_fs_1.chownSync)(root, uid, gid);
        (0, node_fs_1.chownSync)(pwFile, uid, gid);
    }
    let stopped = false;
    const removeFiles = () => (0, node_fs_1.rmSync)(root, { recursive: true, force: true });
    const stopSync = () => {
        if (stopped)
            return;
        stopped = true;
        try {
            const args = ['-D', dataDir, '-m', 'immediate', '-w', 'stop'];
            if (isRoot)
                (0, node_child_process_1.execFileSync)('runuser', ['-u', 'postgres', '--', (0, node_path_1.join)(binDir, 'pg_ctl'), ...args], { stdio: 'ignore' });
            else
                (0, node_child_process_1.execFileSync)((0, node_path_1.join)(binDir, 'pg_ctl'), args, { stdio: 'ignore' });
        }
        catch {
            /* already down */
        }
        removeFiles();
    };
    const unregister = (0, cleanup_1.onExitCleanup)(stopSync);
    try {
        await runAsServerUser(isRoot, (0, node_path_1.join)(binDir, 'initdb'), [
            '-D', dataDir, '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8',
            '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwFile}`, '--no-sync',
        ]);
        const port = await freePort();
        const serverOptions = [
            '-c listen_addresses=127.0.0.1', `-p ${port}`, `-k ${root}`,
            '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off',
            '-c max_connections=300', '-c shared_buffers=64MB',
        ].join(' ');
        try {
            await runAsServerUser(isRoot, (0, node_path_1.join)(binDir, 'pg_ctl'), ['-D', dataDir, '-l', (0, node_path_1.join)(root, 'server.log'), '-w', '-t', '60', '-o', serverOptions, 'start']);
        }
        catch (error) {
            const log = (0, node_fs_1.existsSync)((0, node_path_1.join)(root, 'server.log')) ? (0, node_fs_1.readFileSync)((0, node_path_1.join)(root, 'server.log'), 'utf8').slice(-2000) : '';
            throw new Error(`could not start a local PostgreSQL ${major} server: ${error.message}\n${log}`);
        }
        const adminUrl = (0, errors_1.registerUrlSecrets)(`postgresql://postgres:${password}@127.0.0.1:${port}/postgres`);
        return {
            adminUrl,
            port,
            major,
            binDir,
            async stop() {
                unregister();
                stopSync();
            },
        };
    }
    catch (error) {
        unregister();
        stopSync();
        throw error;
    }
}


/***/ }),

/***/ 421:
/***/ ((module) => {

module.exports = require("node:child_process");

/***/ }),

/***/ 598:
/***/ ((module) => {

module.exports = require("node:crypto");

/***/ }),

/***/ 24:
/***/ ((module) => {

module.exports = require("node:fs");

/***/ }),

/***/ 30:
/***/ ((module) => {

module.exports = require("node:net");

/***/ }),

/***/ 161:
/***/ ((module) => {

module.exports = require("node:os");

/***/ }),

/***/ 760:
/***/ ((module) => {

module.exports = require("node:path");

/***/ }),

/***/ 975:
/***/ ((module) => {

module.exports = require("node:util");

/***/ })

/******/ 	});
/************************************************************************/
/******/ 	// The module cache
/******/ 	var __webpack_module_cache__ = {};
/******/ 	
/******/ 	// The require function
/******/ 	function __nccwpck_require__(moduleId) {
/******/ 		// Check if module is in cache
/******/ 		var cachedModule = __webpack_module_cache__[moduleId];
/******/ 		if (cachedModule !== undefined) {
/******/ 			return cachedModule.exports;
/******/ 		}
/******/ 		// Create a new module (and put it into the cache)
/******/ 		var module = __webpack_module_cache__[moduleId] = {
/******/ 			// no module.id needed
/******/ 			// no module.loaded needed
/******/ 			exports: {}
/******/ 		};
/******/ 	
/******/ 		// Execute the module function
/******/ 		var threw = true;
/******/ 		try {
/******/ 			__webpack_modules__[moduleId].call(module.exports, module, module.exports, __nccwpck_require__);
/******/ 			threw = false;
/******/ 		} finally {
/******/ 			if(threw) delete __webpack_module_cache__[moduleId];
/******/ 		}
/******/ 	
/******/ 		// Return the exports of the module
/******/ 		return module.exports;
/******/ 	}
/******/ 	
/************************************************************************/
/******/ 	/* webpack/runtime/compat */
/******/ 	
/******/ 	if (typeof __nccwpck_require__ !== 'undefined') __nccwpck_require__.ab = __dirname + "/";
/******/ 	
/************************************************************************/
var __webpack_exports__ = {};
// This entry need to be wrapped in an IIFE because it uses a non-standard name for the exports (exports).
(() => {
var exports = __webpack_exports__;

Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.main = main;
const node_util_1 = __nccwpck_require__(975);
const core_1 = __nccwpck_require__(843);
const commands_1 = __nccwpck_require__(426);
function usage() {
    const lines = ['usage: db-migrate <command> [options]', '', 'commands:'];
    for (const command of commands_1.commands)
        lines.push(`  ${command.name.padEnd(10)} ${command.summary}`);
    lines.push('', 'Run `db-migrate <command> --help` for its options.');
    return lines.join('\n');
}
function commandHelp(command) {
    const lines = [`usage: db-migrate ${command.usage}`, '', command.summary];
    return lines.join('\n');
}
/** Runs the CLI and returns its exit code: 0 success, 1 failure or bad input, 2 differences found (--exit-code). */
async function main(argv) {
    const [name, ...rest] = argv;
    if (!name || name === '--help' || name === '-h' || name === 'help') {
        process.stdout.write(usage() + '\n');
        return name ? 0 : 1;
    }
    const command = commands_1.commands.find((c) => c.name === name);
    if (!command) {
        process.stderr.write(`db-migrate: unknown command "${name}"\n\n${usage()}\n`);
        return 1;
    }
    const verbose = rest.includes('--verbose');
    const logger = (0, core_1.consoleLogger)({ verbose });
    try {
        if (rest.includes('--help') || rest.includes('-h')) {
            process.stdout.write(commandHelp(command) + '\n');
            return 0;
        }
        const { values, positionals } = (0, node_util_1.parseArgs)({
            args: rest.filter((a) => a !== '--verbose'),
            options: command.options,
            allowPositionals: command.allowPositionals ?? false,
            strict: true,
        });
        return await command.run(values, positionals, { logger, stdout: (text) => process.stdout.write(text) });
    }
    catch (error) {
        const isUsage = error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS');
        if (error instanceof core_1.ConfigurationError || isUsage) {
            process.stderr.write(`db-migrate ${name}: ${(0, core_1.errorMessage)(error)}\n`);
            if (isUsage)
                process.stderr.write(`usage: db-migrate ${command.usage}\n`);
        }
        else {
            process.stderr.write(`db-migrate ${name}: unexpected error (a bug in db-migrate): ${(0, core_1.errorMessage)(error)}\n`);
            if (verbose && error instanceof Error && error.stack)
                process.stderr.write((0, core_1.errorMessage)(error.stack) + '\n');
        }
        return 1;
    }
}
if (require.main === require.cache[eval('__filename')]) {
    main(process.argv.slice(2)).then((code) => {
        process.exitCode = code;
    }, (error) => {
        process.stderr.write(`db-migrate: ${(0, core_1.errorMessage)(error)}\n`);
        process.exitCode = 1;
    });
}

})();

module.exports = __webpack_exports__;
/******/ })()
;