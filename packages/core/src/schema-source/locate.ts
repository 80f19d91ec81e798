import { existsSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ConfigurationError } from '../errors';
import { Git } from '../git';
import type { SchemaSource } from './schema-source';

/** A schema source as a person names it on the command line: paths absolute or relative. */
export interface SchemaSourceArguments {
  /** The repository; when absent it is the one holding the schema directory. */
  readonly repoDir?: string;
  readonly schemaDir: string;
  readonly command?: string;
  readonly sqlFiles?: readonly string[];
}

const real = async (path: string) => (existsSync(path) ? realpath(path) : path);

/** `path` relative to `root` with `/`, or undefined when it lies outside. */
function inside(root: string, path: string): string | undefined {
  const rel = relative(root, path).split(sep).join('/');
  if (rel === '') return '.';
  return rel === '..' || rel.startsWith('../') || isAbsolute(rel) ? undefined : rel;
}

/**
 * Turns command-line paths into a SchemaSource (paths relative to the repository's top level):
 * - the repository is --repo, else the one holding the schema directory (`git rev-parse --show-toplevel`
 *   from there), else the one holding the working directory;
 * - an absolute schema directory must lie inside the repository; a relative one is taken from the working
 *   directory when it exists there, else from the repository's top level (it may exist only in history);
 * - an absolute SQL file (or glob) must lie inside the schema directory; relative ones are relative to it.
 */
export async function locateSchemaSource(args: SchemaSourceArguments, cwd = process.cwd()): Promise<SchemaSource> {
  const fromCwd = resolve(cwd, args.schemaDir);
  const onDisk = isAbsolute(args.schemaDir) || (args.repoDir === undefined && existsSync(fromCwd));
  if (isAbsolute(args.schemaDir) && !existsSync(fromCwd)) {
    throw new ConfigurationError(`schema directory ${args.schemaDir} does not exist`);
  }
  const git = await Git.open(args.repoDir !== undefined ? resolve(cwd, args.repoDir) : onDisk ? fromCwd : cwd);
  const top = await real(git.repoDir);
  let schemaDir = args.schemaDir;
  if (onDisk) {
    const rel = inside(top, await real(fromCwd));
    if (rel === undefined)
      throw new ConfigurationError(`schema directory ${args.schemaDir} is not inside the repository ${top}`);
    schemaDir = rel;
  }
  const schemaAbs = resolve(top, schemaDir);
  const sqlFiles =
    args.sqlFiles === undefined
      ? undefined
      : await Promise.all(
          args.sqlFiles.map(async (file) => {
            if (!isAbsolute(file)) return file;
            const rel = inside(schemaAbs, await real(file));
            if (rel === undefined)
              throw new ConfigurationError(
                `SQL file ${file} is not inside the schema directory ${schemaAbs}: name it relative to the schema directory`,
              );
            return rel;
          }),
        );
  return {
    repoDir: top,
    schemaDir,
    ...(args.command !== undefined ? { command: args.command } : {}),
    ...(sqlFiles !== undefined ? { sqlFiles } : {}),
  };
}
