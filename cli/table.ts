/** One column of a table. */
export interface Column {
  readonly header: string;
  /** Numbers read better right-aligned. @default 'left' */
  readonly align?: 'left' | 'right';
}

/**
 * Renders rows as kubectl does: upper-case headers, columns separated by three spaces, no borders, no
 * trailing blanks. Cells are single-line (newlines become spaces) so `grep` and `awk` keep working.
 */
export function renderTable(columns: readonly Column[], rows: ReadonlyArray<readonly string[]>, options: { readonly gap?: number; readonly minWidth?: number } = {}): string {
  const gap = ' '.repeat(options.gap ?? 3);
  // Like Go's tabwriter minwidth: a column (with its gap) is never narrower than this.
  const minCell = Math.max(0, (options.minWidth ?? 0) - gap.length);
  const clean = (cell: string | undefined) => (cell ?? '').replace(/\s*\n\s*/g, ' ');
  const table = [columns.map((c) => c.header.toUpperCase()), ...rows.map((row) => columns.map((_, i) => clean(row[i])))];
  const widths = columns.map((_, i) => Math.max(minCell, ...table.map((row) => displayWidth(row[i]!))));
  return table
    .map((row) => row.map((cell, i) => pad(cell, widths[i]!, columns[i]!.align ?? 'left')).join(gap).replace(/\s+$/, ''))
    .join('\n') + '\n';
}

/** Renders `label: value` pairs with the values aligned, skipping empty values. */
export function renderFields(fields: ReadonlyArray<readonly [string, string | undefined]>): string {
  const shown = fields.filter(([, value]) => value !== undefined && value !== '');
  const width = Math.max(0, ...shown.map(([label]) => label.length + 1));
  return shown.map(([label, value]) => `${`${label}:`.padEnd(width)}  ${value}`).join('\n') + '\n';
}

function pad(cell: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(cell)));
  // Trailing fill of the last column is trimmed by the caller.
  return align === 'right' ? fill + cell : cell + fill;
}

/** Width on a terminal: ANSI colour codes take no room. */
function displayWidth(text: string): number {
  // eslint-disable-next-line no-control-regex
  return [...text.replace(/\u001b\[[0-9;]*m/g, '')].length;
}
