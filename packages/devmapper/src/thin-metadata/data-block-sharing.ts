/**
 * How many thin devices map each data block of a pool, counted only as far as the question
 * "one, or more than one?" needs: one byte per data block, saturating at 2.
 */
import { corruptMetadata } from './metadata-block-reader.js';

/** Per-data-block mapper counts, sized by the pool's data block count. */
export class DataBlockSharing {
  private readonly counts: Uint8Array;

  constructor(readonly dataBlocks: number) {
    this.counts = new Uint8Array(dataBlocks);
  }

  /**
   * Records that `devices` more thin devices map data block `block`.
   * @throws DmError EILSEQ when `block` is not below the pool's data block count.
   */
  add(block: number, devices = 1): void {
    if (!(block >= 0 && block < this.dataBlocks)) {
      throw corruptMetadata(`mapping to data block ${block}, but the pool has ${this.dataBlocks} data blocks`);
    }
    const n = this.counts[block]! + devices;
    this.counts[block] = n > 2 ? 2 : n;
  }

  /** True when exactly one device maps `block`. */
  isExclusive(block: number): boolean {
    return this.counts[block] === 1;
  }
}
