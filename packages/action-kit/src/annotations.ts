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
  const report = { error: core.error, warning: core.warning, notice: core.notice }[annotation.level];
  report(redact(annotation.message), properties);
}

/** GitHub shows at most this many annotations of each level per step, and drops the rest silently. */
export const ANNOTATIONS_PER_STEP = 10;

/**
 * Annotates each of a step's findings. Past GitHub's 10 per level, the 10th says how many more there
 * are, and the rest still reach the log (as plain lines), so none is lost silently.
 */
export function annotateAll(annotations: readonly Annotation[], options: { readonly root?: string } = {}): void {
  for (const level of ['error', 'warning', 'notice'] as const) {
    const ofLevel = annotations.filter((a) => a.level === level);
    const shown = ofLevel.length > ANNOTATIONS_PER_STEP ? ofLevel.slice(0, ANNOTATIONS_PER_STEP - 1) : ofLevel;
    for (const annotation of shown) annotate(annotation, options);
    const rest = ofLevel.slice(shown.length);
    if (rest.length === 0) continue;
    annotate(
      {
        level,
        message: `${rest.length} more ${level}s are not shown as annotations (GitHub keeps ${ANNOTATIONS_PER_STEP} per step): see the log and the job summary`,
      },
      options,
    );
    for (const annotation of rest) {
      const where = annotation.file
        ? `${repositoryPath(annotation.file, options.root ?? process.env.GITHUB_WORKSPACE)}${annotation.line !== undefined ? `:${annotation.line}` : ''}: `
        : '';
      core.info(redact(`${level}: ${where}${annotation.title ? `${annotation.title}: ` : ''}${annotation.message}`));
    }
  }
}

function repositoryPath(file: string, root: string | undefined): string {
  if (!isAbsolute(file) || !root) return file.split(sep).join('/');
  const inside = relative(root, file);
  if (inside.startsWith('..') || isAbsolute(inside)) return file;
  return inside.split(sep).join('/');
}
