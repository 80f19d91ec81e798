import type { Command } from '../command';
import { upCommand } from './up';
import { downCommand } from './down';
import { statusCommand } from './status';

/** Every CLI command, in the order `db-migrate --help` lists them. One file per command. */
export const commands: readonly Command[] = [upCommand, downCommand, statusCommand];
