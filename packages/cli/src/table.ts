/**
 * Plain-text layouts for people: aligned tables and aligned `key: value` lists. No colours, no
 * trailing spaces, so output can be grepped and diffed.
 */

/** One table column: its header and which side its cells hug. */
export interface Column {
  readonly header: string;
  /** `right` for numbers and sizes; `left` by default. */
  readonly align?: 'left' | 'right';
}

/** The gap between columns. */
const GAP = '  ';

/**
 * Lays out `rows` under `columns`, each column as wide as its widest cell, separated by two
 * spaces, one row per line with a trailing newline. Rows shorter than the header get empty
 * cells. An empty `rows` gives just the header line.
 */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((column, index) => Math.max(column.header.length, ...rows.map((row) => (row[index] ?? '').length)));
  const render = (cells: readonly string[]): string =>
    columns
      .map((column, index) => {
        const cell = cells[index] ?? '';
        const width = widths[index] ?? 0;
        return column.align === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join(GAP)
      .trimEnd();
  return [render(columns.map((column) => column.header)), ...rows.map(render)].map((line) => `${line}\n`).join('');
}

/**
 * Lays out `key: value` pairs with the values aligned, one per line with a trailing newline.
 * Pairs whose value is null are left out.
 */
export function formatFields(pairs: readonly (readonly [string, string | null])[]): string {
  const shown = pairs.filter((pair): pair is readonly [string, string] => pair[1] !== null);
  const width = Math.max(0, ...shown.map(([key]) => key.length + 1));
  return shown.map(([key, value]) => `${`${key}:`.padEnd(width)}  ${value}`.trimEnd() + '\n').join('');
}
