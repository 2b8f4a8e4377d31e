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
  const widths = columnWidths(columns, rows);
  return [
    renderRow(
      columns,
      widths,
      columns.map((column) => column.header),
    ),
    ...rows.map((row) => renderRow(columns, widths, row)),
  ]
    .map((line) => `${line}\n`)
    .join('');
}

/** Each column as wide as its header and its widest cell in `rows`. */
function columnWidths(columns: readonly Column[], rows: readonly (readonly string[])[]): number[] {
  return columns.map((column, index) => Math.max(column.header.length, ...rows.map((row) => (row[index] ?? '').length)));
}

/** One line of a table (no newline): cells padded to `widths`, a wider cell pushing the rest right. */
function renderRow(columns: readonly Column[], widths: readonly number[], cells: readonly string[]): string {
  return columns
    .map((column, index) => {
      const cell = cells[index] ?? '';
      const width = widths[index] ?? 0;
      return column.align === 'right' ? cell.padStart(width) : cell.padEnd(width);
    })
    .join(GAP)
    .trimEnd();
}

/**
 * A table printed as its rows arrive, a batch at a time: the header and the first batch are laid
 * out as formatTable lays them out (so one batch prints exactly what formatTable prints), later
 * batches keep those widths (a wider cell pushes only its own row). `add` any number of times,
 * then `end` once (prints the header alone when no row came).
 */
export class StreamedTable {
  private widths: number[] | null = null;

  constructor(
    private readonly columns: readonly Column[],
    private readonly write: (text: string) => void,
  ) {}

  /** Prints `rows`; the first call fixes the widths and prints the header too. */
  add(rows: readonly (readonly string[])[]): void {
    if (rows.length === 0) return;
    if (this.widths === null) {
      this.widths = columnWidths(this.columns, rows);
      this.write(
        `${renderRow(
          this.columns,
          this.widths,
          this.columns.map((column) => column.header),
        )}\n`,
      );
    }
    const widths = this.widths;
    this.write(rows.map((row) => `${renderRow(this.columns, widths, row)}\n`).join(''));
  }

  /** Ends the table: the header alone when no row was added. */
  end(): void {
    if (this.widths === null) this.write(formatTable(this.columns, []));
  }
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
