/**
 * What the capacity monitor tells watchers: a pool's data or metadata use crossed its threshold
 * (or fell back under it), the pool ran out of data space (or has space again), or it was
 * extended.
 */

/** The kinds of pool events, as the API names them (PoolEvent.kind). */
export type PoolEventKind =
  /** Data use reached the data threshold. */
  | 'data-threshold-crossed'
  /** Data use fell back under the data threshold. */
  | 'data-threshold-cleared'
  | 'metadata-threshold-crossed'
  | 'metadata-threshold-cleared'
  /** The kernel reports the pool out of data space (writes queue or fail, per the pool's mode). */
  | 'out-of-data-space'
  /** The pool left out-of-data-space mode. */
  | 'data-space-available'
  /** The pool's data region grew (pool extend, by hand or autoextend). */
  | 'extended'
  /** An autoextend was due but could not be done (no spare device, the spare is used up, or it failed). */
  | 'autoextend-failed';

export interface PoolEvent {
  readonly pool: string;
  readonly kind: PoolEventKind;
  /** Bytes in use of the region the event is about (data, or metadata for metadata events). */
  readonly usedBytes: number;
  /** Size of that region in bytes. */
  readonly totalBytes: number;
  /** The threshold that was crossed, in percent; 0 for events without one. */
  readonly thresholdPercent: number;
  /** Milliseconds since the epoch, from the monitor's clock. */
  readonly atMs: number;
  /** One line for a person. */
  readonly message: string;
  /** True for the events a new watcher receives first: the pool's current state, not a change. */
  readonly current: boolean;
}

/** `used` of `total` in percent with one decimal; 0 for an empty region. */
export function percentOf(used: number, total: number): number {
  return total <= 0 ? 0 : Math.round((used / total) * 1000) / 10;
}
