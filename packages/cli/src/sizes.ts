/**
 * Sizes as the CLI prints them. Parsing and the size rule live once, in @thinfleet/units
 * (SIZE_RULE), shared with the agent and the engine; re-exported here for the commands.
 */
export { formatBytes, MAX_SIZE_BYTES, parseSize, SIZE_RULE, sizeProblem, type ParseSizeOptions } from '@thinfleet/units';

/** `used` as a percentage of `total` with one decimal (`12.5%`); `-` when total is 0. */
export function formatPercent(used: number, total: number): string {
  if (total <= 0) return '-';
  return `${((used * 100) / total).toFixed(1)}%`;
}

/** Whole percent done, rounded down so 100 means finished; 0 when the total is 0. */
export function percentDone(doneBytes: number, totalBytes: number): number {
  if (totalBytes <= 0) return 0;
  return Math.min(100, Math.floor((doneBytes * 100) / totalBytes));
}
