/**
 * What thinfleet reads out of a thin pool's metadata (the kernel's, or the simulator's): the
 * transaction id, the data block geometry, and per thin id how much of the pool it uses.
 */

/** One thin device's use of the pool's data blocks. */
export interface ThinDeviceUsage {
  readonly thinId: number;
  /** Blocks mapped by this device (from the mapping tree; must agree with the details' mapped_blocks). */
  readonly mappedBlocks: number;
  /** Mapped blocks no other thin device in this metadata maps. */
  readonly exclusiveBlocks: number;
  /** Mapped blocks at least one other thin device also maps. */
  readonly sharedBlocks: number;
}

/** A pool's metadata as of one commit (the live superblock or a held metadata snapshot). */
export interface ThinMetadataSummary {
  /** The pool's 64-bit transaction id (set_transaction_id) in that commit. */
  readonly transactionId: bigint;
  /** Data block size in 512-byte sectors. */
  readonly dataBlockSectors: number;
  /** nr_blocks of the data space map: the pool's data size in data blocks. */
  readonly dataBlocks: number;
  /** Every thin device, keyed by thin id, in ascending id order. */
  readonly devices: ReadonlyMap<number, ThinDeviceUsage>;
}
