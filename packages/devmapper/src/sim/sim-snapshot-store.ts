/**
 * The exception stores of the simulated snapshot targets: where a snapshot keeps which origin
 * chunk was copied to which COW chunk. Two kinds, as the kernel's: transient (`N`, in kernel
 * memory, this file) and persistent (`P`/`PO`, on the COW device in the kernel's own format,
 * sim-snapshot-persistent.ts). A store belongs to one snapshot target at a time; a table reload
 * hands it to the new target (see SimSnapshot.takeOver).
 */
import { DmError } from '../dm-error.js';
import type { SnapshotUsage } from '../targets/snapshot-status.js';
import { SECTOR_BYTES } from '../units.js';

/** Byte I/O on the COW device. */
export interface CowIo {
  /** The COW device's size now, in bytes. */
  sizeBytes(): number;
  read(offsetBytes: number, lengthBytes: number): Promise<Buffer>;
  write(offsetBytes: number, data: Buffer): Promise<void>;
}

/** The newest run of consecutive exceptions a merge copies back in one step. */
export interface MergeRun {
  /** Origin chunk of the run's first exception. */
  readonly oldChunk: number;
  /** COW chunk of the run's first exception. */
  readonly newChunk: number;
  /** Chunks in the run (at least 1). */
  readonly count: number;
}

/** What kernel memory holds of a transient store (kernel.json keeps it, see SimKernel). */
export interface TransientMemory {
  readonly nextFreeSectors: number;
  /** [origin chunk, COW chunk] pairs. */
  readonly exceptions: Array<[number, number]>;
}

/** An exception store (see the module comment). */
export interface SimExceptionStore {
  readonly kind: 'P' | 'N';
  /** Chunk size in sectors (a persistent store takes the one its header records). */
  readonly chunkSectors: number;
  /** Completed exceptions: origin chunk → COW chunk. */
  readonly exceptions: Map<number, number>;
  /** False once a persistent store's header says the snapshot was dropped (or a metadata write failed). */
  readonly valid: boolean;
  /** Allocates the COW chunk of a new exception, or null when the COW device is full. */
  prepare(): number | null;
  /** Makes an exception whose data is already on the COW device durable and visible. @returns false when the store failed */
  commit(oldChunk: number, newChunk: number): Promise<boolean>;
  /** The status figures. */
  usage(): SnapshotUsage;
  /** Marks the snapshot invalid in the store (a persistent header says so from then on). */
  drop(): Promise<void>;
  /** The newest run of exceptions to merge, or null when none is left. */
  prepareMerge(): Promise<MergeRun | null>;
  /** Forgets the `count` newest exceptions (a merge copied them back), durably. */
  commitMerge(count: number): Promise<void>;
  /** What kernel memory holds beyond the COW device (null for a persistent store). */
  memory(): TransientMemory | null;
}

/** The transient store: exceptions in memory, allocated from the COW device's start. */
export class TransientStore implements SimExceptionStore {
  readonly kind = 'N' as const;
  readonly valid = true;
  readonly exceptions = new Map<number, number>();
  private nextFreeSectors = 0;

  constructor(
    private readonly cow: CowIo,
    readonly chunkSectors: number,
    restored?: TransientMemory,
  ) {
    if (restored !== undefined) {
      this.nextFreeSectors = restored.nextFreeSectors;
      for (const [o, n] of restored.exceptions) this.exceptions.set(o, n);
    }
  }

  prepare(): number | null {
    const size = Math.floor(this.cow.sizeBytes() / SECTOR_BYTES);
    if (size < this.nextFreeSectors + this.chunkSectors) return null;
    const chunk = this.nextFreeSectors / this.chunkSectors;
    this.nextFreeSectors += this.chunkSectors;
    return chunk;
  }

  async commit(oldChunk: number, newChunk: number): Promise<boolean> {
    this.exceptions.set(oldChunk, newChunk);
    return true;
  }

  usage(): SnapshotUsage {
    return { state: 'active', allocatedSectors: this.nextFreeSectors, totalSectors: Math.floor(this.cow.sizeBytes() / SECTOR_BYTES), metadataSectors: 0 };
  }

  async drop(): Promise<void> {}

  async prepareMerge(): Promise<MergeRun | null> {
    throw new DmError('EINVAL', 'snapshot-merge', undefined, 'a transient exception store does not merge');
  }

  async commitMerge(): Promise<void> {
    throw new DmError('EINVAL', 'snapshot-merge', undefined, 'a transient exception store does not merge');
  }

  memory(): TransientMemory {
    return { nextFreeSectors: this.nextFreeSectors, exceptions: [...this.exceptions] };
  }
}
