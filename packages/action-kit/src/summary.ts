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
      const row = (cells: readonly string[], tag: 'th' | 'td') => `<tr>${cells.map((c) => `<${tag}>${text(c)}</${tag}>`).join('')}</tr>`;
      return `<table>${row(block.header, 'th')}${block.rows.map((r) => row(r, 'td')).join('')}</table>`;
    }
    case 'code': {
      let code = block.code;
      if (code.length > SUMMARY_CODE_LIMIT) code = code.slice(0, SUMMARY_CODE_LIMIT) + `\n… (${block.code.length - SUMMARY_CODE_LIMIT} more characters cut)`;
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
 * Appends to the job summary (GITHUB_STEP_SUMMARY). Returns false, writing nothing, when the step
 * has no summary file (e.g. outside GitHub Actions), so reporting never fails the real work.
 */
export async function writeSummary(blocks: readonly SummaryBlock[]): Promise<boolean> {
  if (!process.env.GITHUB_STEP_SUMMARY) return false;
  await core.summary.addRaw(renderSummary(blocks)).write();
  return true;
}
