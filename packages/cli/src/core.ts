/**
 * @db-migrate/core, loaded when a command first uses it: `help` prints every command's options without
 * loading the core (its database client, git, child processes). The CLI imports the core from here.
 */
import type * as Core from '@db-migrate/core';

let loaded: typeof Core | undefined;

const core: typeof Core = new Proxy({} as typeof Core, {
  get: (_target, name) => (loaded ??= require('@db-migrate/core') as typeof Core)[name as keyof typeof Core],
});

export = core;
