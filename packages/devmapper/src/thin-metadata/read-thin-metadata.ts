/**
 * Reads the kernel's dm-thin metadata format (what thin_dump reads) into a ThinMetadataSummary.
 */
import { readDeviceDetails } from './device-details.js';
import { DataBlockSharing } from './data-block-sharing.js';
import { countMappingUsage, readMappingRoots } from './mapping-usage.js';
import { corruptMetadata, MetadataBlockReader, readMetadataBlock, type MetadataReadIo } from './metadata-block-reader.js';
import { parseThinSuperblock, type ThinSuperblock } from './thin-superblock.js';
import type { ThinDeviceUsage, ThinMetadataSummary } from './thin-metadata-summary.js';

/** Where to start reading, and what a held snapshot's superblock does not say itself. */
export interface ReadThinMetadataOptions {
  /**
   * Block of the superblock to read: 0 (the default) for the live superblock, a pool's held
   * root (`reserve_metadata_snap`) for a metadata snapshot.
   */
  readonly superblockBlock?: number;
  /**
   * Blocks on the metadata device, for the range guard. Used only when the superblock's own
   * metadata space map root is wiped (a held snapshot); otherwise read from block 0.
   */
  readonly metadataBlocks?: number;
  /**
   * The pool's data blocks. Used only when the superblock's own data space map root is wiped
   * (a held snapshot: the kernel does not keep it there); otherwise read from block 0.
   */
  readonly dataBlocks?: number;
}

/**
 * Reads the metadata whose superblock is at `superblockBlock` (0 = the live superblock; a pool's held root for a metadata snapshot).
 *
 * Checks every superblock and btree node it reads (crc32c checksums, block numbers, magic,
 * entry counts, key order, equal leaf depths, no cycles, every block number in range, every
 * data block below the pool's data size) and that the device-details tree and the mapping tree
 * list the same thin ids with the same mapped block counts.
 *
 * Cost: the superblock, the device-details tree and the top level of the mapping tree (about
 * one block per 127 and per 250 devices), then each distinct node of the mapping trees of the
 * devices whose details say they map something, once however many devices share it. A device
 * that maps nothing (details' mapped_blocks 0) costs no read of its own: its tree is not read, so
 * its count is the details' (a tree that disagrees with them is left for thin_check to find).
 *
 * Reading block 0 of a pool that is active races with the kernel's commits; for a live pool use
 * readLivePoolMetadata, which reads a held snapshot instead.
 *
 * @example
 * ```ts
 * const io = { read: (offset: number, length: number) => block.read('/dev/loop3', offset, length) };
 * const summary = await readThinMetadata(io);
 * for (const d of summary.devices.values()) console.log(d.thinId, d.exclusiveBlocks);
 * ```
 * @throws DmError EILSEQ for corrupt metadata; EINVAL for a metadata version or feature this
 *   reader does not know; the io's own errors.
 */
export async function readThinMetadata(io: MetadataReadIo, options: ReadThinMetadataOptions = {}): Promise<ThinMetadataSummary> {
  const at = options.superblockBlock ?? 0;
  if (!Number.isSafeInteger(at) || at < 0) throw new RangeError(`superblock block ${at} is not a block number`);
  const superblock = parseThinSuperblock(await readMetadataBlock(io, at, 'superblock'), at);
  if (at !== 0 && superblock.heldRoot !== 0) {
    throw corruptMetadata(`held superblock at block ${at} itself names a held root (${superblock.heldRoot})`);
  }

  let live: ThinSuperblock | undefined;
  const fromLive = async (): Promise<ThinSuperblock> => {
    live ??= at === 0 ? superblock : parseThinSuperblock(await readMetadataBlock(io, 0, 'superblock'), 0);
    return live;
  };
  const metadataBlocks = superblock.metadataSpaceMapBlocks || options.metadataBlocks || (await fromLive()).metadataSpaceMapBlocks;
  const dataBlocks = superblock.dataSpaceMapBlocks || (options.dataBlocks !== undefined ? options.dataBlocks : (await fromLive()).dataSpaceMapBlocks);
  if (!Number.isSafeInteger(dataBlocks) || dataBlocks < 0) throw new RangeError(`data block count ${dataBlocks} is not a count`);
  if (at >= metadataBlocks) throw corruptMetadata(`superblock block ${at} is past the metadata device's ${metadataBlocks} blocks`);

  const reader = new MetadataBlockReader(io, metadataBlocks);
  // The two top-level trees are independent: their reads overlap.
  const [details, roots] = await Promise.all([readDeviceDetails(reader, superblock.deviceDetailsRoot), readMappingRoots(reader, superblock.dataMappingRoot)]);
  for (const id of details.keys()) {
    if (!roots.has(id)) throw corruptMetadata(`thin ${id} has device details but no mapping tree`);
  }
  for (const id of roots.keys()) {
    if (!details.has(id)) throw corruptMetadata(`thin ${id} has a mapping tree but no device details`);
  }
  // A device whose details say it maps nothing contributes nothing to any count: its mapping
  // tree (a root block of its own, an empty leaf) is not read. The cost is then the two small
  // top-level trees plus the nodes that hold mappings, not a block per device.
  const mapping = new Map<number, number>();
  for (const [thinId, root] of roots) if (details.get(thinId)!.mappedBlocks !== 0) mapping.set(thinId, root);
  const usage = await countMappingUsage(reader, mapping, new DataBlockSharing(dataBlocks));

  const devices = new Map<number, ThinDeviceUsage>();
  for (const thinId of roots.keys()) {
    const counted = usage.get(thinId);
    if (counted === undefined) {
      devices.set(thinId, { thinId, mappedBlocks: 0, exclusiveBlocks: 0, sharedBlocks: 0 });
      continue;
    }
    const { mappedBlocks, exclusiveBlocks } = counted;
    const recorded = details.get(thinId)!.mappedBlocks;
    if (recorded !== mappedBlocks) {
      throw corruptMetadata(`thin ${thinId}: device details say ${recorded} mapped blocks, its mapping tree has ${mappedBlocks}`);
    }
    devices.set(thinId, { thinId, mappedBlocks, exclusiveBlocks, sharedBlocks: mappedBlocks - exclusiveBlocks });
  }
  return {
    transactionId: superblock.transactionId,
    dataBlockSectors: superblock.dataBlockSectors,
    dataBlocks,
    devices,
  };
}
