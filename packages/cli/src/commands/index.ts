import type { Command } from '../command';
import { upCommand } from './up';
import { downCommand } from './down';
import { statusCommand } from './status';
import { createCommand } from './create';
import { diffCommand } from './diff';
import { verifyCommand } from './verify';
import { applyCommand } from './apply';
import { driftCommand } from './drift';
import { baselineCommand } from './baseline';
import { syncCommand } from './sync';
import { acceptEditCommand } from './accept-edit';
import { repointCommand } from './repoint';
import { adoptCommand } from './adopt';
import { initCommand } from './init';

/** Every CLI command, in the order `db-migrate --help` lists them. One file per command. */
export const commands: readonly Command[] = [
  upCommand,
  downCommand,
  statusCommand,
  createCommand,
  diffCommand,
  verifyCommand,
  applyCommand,
  driftCommand,
  baselineCommand,
  syncCommand,
  acceptEditCommand,
  repointCommand,
  adoptCommand,
  initCommand,
];
