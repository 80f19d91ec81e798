/**
 * The figures a bench measured, each beside its target: `pnpm bench` prints them all in one closing table.
 * A bench's `run()` returns its printed text, or `{ text, figures }` to add rows to that table.
 */
export interface Figure {
  /** What was measured, e.g. "400-table diff: @pgkit/migra / db-migrate". */
  name: string;
  /** The measured value as printed, e.g. "5.3x" or "41 s". */
  measured: string;
  /** The target as printed, e.g. "at least 5x"; "-" when the figure has none. */
  target: string;
  /** Whether the target was met; undefined when there is none. */
  met?: boolean;
}

export interface BenchResult {
  text: string;
  figures: Figure[];
}

export function closingTable(rows: { bench: string; figure: Figure }[]): string {
  const cells = rows.map(({ bench, figure }) => [
    bench,
    figure.name,
    figure.measured,
    figure.target,
    figure.met === undefined ? '' : figure.met ? 'met' : 'not met',
  ]);
  const header = ['bench', 'figure', 'measured', 'target', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}
