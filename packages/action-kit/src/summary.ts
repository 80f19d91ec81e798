import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import { redact } from '@db-migrate/core';

/**
 * The pieces a job summary is made of. Every text is escaped and redacted here, so callers pass
 * plain strings (SQL with `<`, error messages with URLs) without thinking about HTML or secrets.
 */
export type SummaryBlock =
  | { readonly kind: 'heading'; readonly text: string; readonly level?: 1 | 2 | 3 | 4 }
  | { readonly kind: 'text'; readonly text: string }
  /** Trusted markdown (links, emphasis) written by our code; still redacted. */
  | { readonly kind: 'markdown'; readonly markdown: string }
  | { readonly kind: 'table'; readonly header: readonly string[]; readonly rows: readonly (readonly string[])[] }
  | { readonly kind: 'code'; readonly code: string; readonly language?: string }
  | { readonly kind: 'list'; readonly items: readonly string[] }
  /** A folded section, for long output such as a whole migration. */
  | { readonly kind: 'details'; readonly summary: string; readonly blocks: readonly SummaryBlock[] };

/** A code block longer than this is cut: the step summary holds at most 1 MiB in all. */
export const SUMMARY_CODE_LIMIT = 100_000;

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The summary as GitHub renders it (HTML blocks in markdown), without writing it. */
export function renderSummary(blocks: readonly SummaryBlock[]): string {
  return blocks.map(renderBlock).join('\n\n') + '\n';
}

function renderBlock(block: SummaryBlock): string {
  const text = (s: string) => escapeHtml(redact(s));
  switch (block.kind) {
    case 'heading': {
      const level = block.level ?? 2;
      return `<h${level}>${text(block.text)}</h${level}>`;
    }
    case 'text':
      return `<p>${text(block.text)}</p>`;
    case 'markdown':
      return redact(block.markdown);
    case 'table': {
      const row = (cells: readonly string[], tag: 'th' | 'td') =>
        `<tr>${cells.map((c) => `<${tag}>${text(c)}</${tag}>`).join('')}</tr>`;
      return `<table>${row(block.header, 'th')}${block.rows.map((r) => row(r, 'td')).join('')}</table>`;
    }
    case 'code': {
      let code = block.code;
      if (code.length > SUMMARY_CODE_LIMIT)
        code =
          code.slice(0, SUMMARY_CODE_LIMIT) + `\n… (${block.code.length - SUMMARY_CODE_LIMIT} more characters cut)`;
      const lang = block.language ? ` lang="${escapeHtml(block.language)}"` : '';
      return `<pre${lang}><code>${text(code)}</code></pre>`;
    }
    case 'list':
      return `<ul>${block.items.map((i) => `<li>${text(i)}</li>`).join('')}</ul>`;
    case 'details':
      // The blank line lets GitHub render markdown blocks inside the folded section.
      return `<details><summary>${text(block.summary)}</summary>\n\n${block.blocks.map(renderBlock).join('\n\n')}\n\n</details>`;
  }
}

/**
 * The runner drops a step's summary whole when it passes 1 MiB (after escaping): the summary is kept to
 * this many bytes, with room for another step's.
 */
export const SUMMARY_BYTE_LIMIT = 900 * 1024;

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const SEPARATOR = '\n\n';

/** The escaped text cut to at most `room` bytes, never inside an entity (`&amp;`) or a character. */
function cutEscaped(escaped: string, room: number): string {
  let cut = Buffer.from(escaped, 'utf8')
    .subarray(0, Math.max(0, room))
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  const amp = cut.lastIndexOf('&');
  if (amp >= 0 && !cut.slice(amp).includes(';')) cut = cut.slice(0, amp);
  return cut;
}

/** A block rendered within `room` bytes by cutting what it holds (code, folded sections), or undefined. */
function renderShrunk(block: SummaryBlock, room: number): string | undefined {
  if (block.kind === 'code') {
    const lang = block.language ? ` lang="${escapeHtml(block.language)}"` : '';
    const shell = `<pre${lang}><code></code></pre>`;
    const note = '\n… (cut to fit the job summary)';
    const escaped = escapeHtml(redact(block.code));
    const kept = cutEscaped(escaped, room - bytes(shell) - bytes(note));
    return kept.length > 0 ? `<pre${lang}><code>${kept}${note}</code></pre>` : undefined;
  }
  if (block.kind === 'details') {
    const head = `<details><summary>${escapeHtml(redact(block.summary))}</summary>\n\n`;
    const tail = '\n\n</details>';
    const inner = renderWithin(block.blocks, room - bytes(head) - bytes(tail));
    return inner.kept > 0 ? head + inner.html + tail : undefined;
  }
  return undefined;
}

/** As many whole blocks as fit in `budget` bytes, the first one that does not fit cut down if it can be. */
function renderWithin(blocks: readonly SummaryBlock[], budget: number): { html: string; kept: number; cut: number } {
  const parts: string[] = [];
  let used = 0;
  for (const [index, block] of blocks.entries()) {
    const separator = parts.length > 0 ? bytes(SEPARATOR) : 0;
    const html = renderBlock(block);
    if (used + separator + bytes(html) <= budget) {
      parts.push(html);
      used += separator + bytes(html);
      continue;
    }
    const shrunk = renderShrunk(block, budget - used - separator);
    if (shrunk !== undefined) parts.push(shrunk);
    return { html: parts.join(SEPARATOR), kept: parts.length, cut: blocks.length - index };
  }
  return { html: parts.join(SEPARATOR), kept: parts.length, cut: 0 };
}

/**
 * The summary within `limit` bytes. When the whole one does not fit, it is written whole to `fullFile`
 * and the cut one says so, and where.
 */
export function fitSummary(
  blocks: readonly SummaryBlock[],
  fullFile: string,
  limit = SUMMARY_BYTE_LIMIT,
): { html: string; cut: boolean } {
  const whole = renderSummary(blocks);
  if (bytes(whole) <= limit) return { html: whole, cut: false };
  writeFileSync(fullFile, whole);
  const note =
    `<p><strong>This summary was cut to fit GitHub's 1 MiB limit for a step's summary (it is ${bytes(whole)} bytes in all). ` +
    `The whole summary is in ${escapeHtml(fullFile)} on the runner: keep it with actions/upload-artifact.</strong></p>`;
  const fitted = renderWithin(blocks, limit - 2 * bytes(note) - 2 * bytes(SEPARATOR) - 1);
  return { html: `${note}${SEPARATOR}${fitted.html}${SEPARATOR}${note}\n`, cut: true };
}

/** Where the whole summary goes when it is cut: the runner's temporary directory. */
export function fullSummaryFile(): string {
  return join(process.env.RUNNER_TEMP || tmpdir(), `db-migrate-summary-${randomBytes(4).toString('hex')}.html`);
}

/**
 * Appends to the job summary (GITHUB_STEP_SUMMARY), cut to fit the runner's limit (the whole one then
 * goes to a file it names). Returns false, writing nothing, when the step has no summary file (e.g.
 * outside GitHub Actions), so reporting never fails the real work.
 */
export async function writeSummary(blocks: readonly SummaryBlock[]): Promise<boolean> {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (!file) return false;
  const fitted = fitSummary(blocks, fullSummaryFile());
  if (fitted.cut) core.warning("the job summary was cut to fit GitHub's limit: it says where the whole one is");
  // Appended as core.summary.write() does, to the file the step names now (core.summary keeps the first one it saw).
  await appendFile(file, fitted.html);
  return true;
}
