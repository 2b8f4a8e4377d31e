/**
 * Progress of a long job for people: on a terminal one line redrawn in place
 * (`[#########...........] 42% 1.2 GiB/2.9 GiB`); elsewhere one line each time another 10% is
 * done, so logs stay short. The CLI never makes one in --json mode.
 */
import { formatBytes, percentDone } from './sizes.js';

/** Bar cells. */
const WIDTH = 20;

/** Draws one job's progress onto a stream (the CLI uses standard error). */
export class ProgressBar {
  private readonly write: (text: string) => void;
  private readonly isTTY: boolean;
  private lastLine = '';
  private lastTenth = -1;
  private drawn = false;

  /** `write` gets the text to print; `isTTY` says whether it may redraw a line in place. */
  constructor(write: (text: string) => void, isTTY: boolean) {
    this.write = write;
    this.isTTY = isTTY;
  }

  /** Shows `doneBytes` of `totalBytes`. Redraws only when the text changes. */
  update(doneBytes: number, totalBytes: number): void {
    const line = progressLine(doneBytes, totalBytes);
    if (this.isTTY) {
      if (line === this.lastLine) return;
      this.write(`\r${line}\x1b[K`);
      this.drawn = true;
    } else {
      const tenth = Math.floor(percentDone(doneBytes, totalBytes) / 10);
      if (tenth <= this.lastTenth) return;
      this.lastTenth = tenth;
      this.write(`${line}\n`);
    }
    this.lastLine = line;
  }

  /** Ends the bar: on a terminal, moves past the redrawn line. Idempotent. */
  finish(): void {
    if (this.isTTY && this.drawn) this.write('\n');
    this.drawn = false;
  }
}

/** The bar's text for `doneBytes` of `totalBytes`, without any line control. */
export function progressLine(doneBytes: number, totalBytes: number): string {
  const percent = percentDone(doneBytes, totalBytes);
  const filled = Math.floor((percent * WIDTH) / 100);
  return `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${percent}% ${formatBytes(doneBytes)}/${formatBytes(totalBytes)}`;
}
