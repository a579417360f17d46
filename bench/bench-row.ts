/**
 * One line of a benchmark report. `baseline` is a reference measured in the same run on the same input
 * (e.g. plain JSON.parse + JSON.stringify), and `ratio = value / baseline`, so figures from different machines
 * can be compared by their ratio.
 */
export interface BenchRow {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline?: number;
  readonly ratio?: number;
}

/** Formats rows as an aligned text table. */
export function formatBenchRows(rows: readonly BenchRow[]): string {
  const cells = rows.map((r) => [r.name, fmt(r.value), r.unit, r.baseline === undefined ? '' : fmt(r.baseline), r.ratio === undefined ? '' : r.ratio.toFixed(2)]);
  const all = [['benchmark', 'value', 'unit', 'baseline', 'ratio'], ...cells];
  const widths = all[0].map((_, i) => Math.max(...all.map((row) => row[i].length)));
  return all.map((row) => row.map((c, i) => (i === 0 || i === 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}
