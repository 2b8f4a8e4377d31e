/**
 * The status line of the `snapshot` and `snapshot-merge` targets, as the kernel prints it:
 * `<sectors allocated>/<total sectors> <metadata sectors>`, or one of `Invalid` (the snapshot was
 * dropped: its COW device filled up or failed; all I/O to it fails), `Overflow` (a `PO` snapshot
 * whose own write found the COW device full: writes fail, reads work) and `Merge failed` (an I/O
 * error stopped a snapshot-merge; I/O goes on). Allocated and total both count data and metadata.
 * (`snapshot-origin` prints an empty status.)
 */
import { parseCount, TableParseError } from './target.js';

/** A working snapshot's use of its COW device. */
export interface SnapshotUsage {
  readonly state: 'active';
  /** Sectors of the COW device in use, data and metadata (transient stores: data only). */
  readonly allocatedSectors: number;
  /** Size of the COW device, in 512-byte sectors. */
  readonly totalSectors: number;
  /** Of the allocated sectors, those holding the store's header and exception tables (0 for transient stores). */
  readonly metadataSectors: number;
}

export type SnapshotStatus = SnapshotUsage | { readonly state: 'invalid' } | { readonly state: 'overflow' } | { readonly state: 'merge-failed' };

/** A snapshot-merge's status with its progress. */
export type SnapshotMergeStatus =
  | (SnapshotUsage & {
      /** Exception data still to be copied back to the origin, in sectors (allocated − metadata). */
      readonly remainingSectors: number;
      /** True once nothing is left to merge (allocated == metadata). */
      readonly finished: boolean;
    })
  | Exclude<SnapshotStatus, SnapshotUsage>;

const WORDS: ReadonlyArray<readonly [Exclude<SnapshotStatus['state'], 'active'>, string]> = [
  ['invalid', 'Invalid'],
  ['overflow', 'Overflow'],
  ['merge-failed', 'Merge failed'],
];

/**
 * Parses a snapshot (or snapshot-merge) status line.
 * @throws TableParseError naming the field that has another shape
 */
export function parseSnapshotStatus(text: string): SnapshotStatus {
  const trimmed = text.trim();
  const fail = (why: string): never => {
    throw new TableParseError('snapshot status', text.slice(0, 64), why);
  };
  const word = WORDS.find(([, w]) => w === trimmed);
  if (word !== undefined) return { state: word[0] };
  const words = trimmed.split(/\s+/);
  if (words.length !== 2) return fail('expected <allocated>/<total> <metadata sectors>, Invalid, Overflow or Merge failed');
  const ratio = words[0]!.split('/');
  if (ratio.length !== 2) fail(`usage "${words[0]!.slice(0, 32)}" is not allocated/total`);
  return {
    state: 'active',
    allocatedSectors: parseCount(ratio[0]!, 'allocated sectors', fail),
    totalSectors: parseCount(ratio[1]!, 'total sectors', fail),
    metadataSectors: parseCount(words[1]!, 'metadata sectors', fail),
  };
}

/** Formats a status as the kernel prints it. Pure. */
export function formatSnapshotStatus(status: SnapshotStatus): string {
  if (status.state === 'active') return `${status.allocatedSectors}/${status.totalSectors} ${status.metadataSectors}`;
  return WORDS.find(([state]) => state === status.state)![1];
}

/**
 * Parses a snapshot-merge status line with its progress: the kernel reports the allocated count
 * shrinking as chunks are merged back, down to the metadata sectors when the merge is done.
 * @throws TableParseError as parseSnapshotStatus
 */
export function parseSnapshotMergeStatus(text: string): SnapshotMergeStatus {
  const status = parseSnapshotStatus(text);
  if (status.state !== 'active') return status;
  const remainingSectors = Math.max(0, status.allocatedSectors - status.metadataSectors);
  return { ...status, remainingSectors, finished: remainingSectors === 0 };
}
