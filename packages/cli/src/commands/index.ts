import type { Command } from '../command';

/** Every CLI command, in the order `db-migrate --help` lists them. One file per command. */
export const commands: readonly Command[] = [];
