import * as core from '@actions/core';
import { isAbsolute, relative, sep } from 'node:path';
import { redact } from '@db-migrate/core';

export interface Annotation {
  readonly level: 'error' | 'warning' | 'notice';
  readonly message: string;
  readonly title?: string;
  /** The file at fault: absolute, or relative to the repository root. */
  readonly file?: string;
  readonly line?: number;
  readonly endLine?: number;
}

/**
 * Puts a message on the run and, when a file is named, on that file's line in the pull request's
 * diff. GitHub matches annotations by path from the repository root, so an absolute path is made
 * relative to `root`: the checkout of the repository the file lives in (default GITHUB_WORKSPACE).
 */
export function annotate(annotation: Annotation, options: { readonly root?: string } = {}): void {
  const properties: core.AnnotationProperties = {};
  if (annotation.title) properties.title = redact(annotation.title);
  if (annotation.file) properties.file = repositoryPath(annotation.file, options.root ?? process.env.GITHUB_WORKSPACE);
  if (annotation.line !== undefined) properties.startLine = annotation.line;
  if (annotation.endLine !== undefined) properties.endLine = annotation.endLine;
  core[annotation.level](redact(annotation.message), properties);
}

function repositoryPath(file: string, root: string | undefined): string {
  if (!isAbsolute(file) || !root) return file.split(sep).join('/');
  const inside = relative(root, file);
  if (inside.startsWith('..') || isAbsolute(inside)) return file;
  return inside.split(sep).join('/');
}
