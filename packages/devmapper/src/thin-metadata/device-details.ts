/**
 * The device-details btree: thin id → `struct disk_device_details`, 24 bytes, little-endian:
 *
 * | offset | field |
 * | --- | --- |
 * | 0 | mapped_blocks u64 |
 * | 8 | transaction_id u64 (the pool's transaction id when the device was created) |
 * | 16 | creation_time u32 (snapshot clock) |
 * | 20 | snapshotted_time u32 |
 */
import { MAX_THIN_ID } from '../thin-id.js';
import { walkBtree } from './btree-walk.js';
import { corruptMetadata, MetadataBlockReader, readU64 } from './metadata-block-reader.js';

/** Size of a device-details value. */
export const DEVICE_DETAILS_BYTES = 24;

/** One thin device's details as the kernel keeps them. */
export interface ThinDeviceDetails {
  readonly mappedBlocks: number;
  readonly transactionId: bigint;
  readonly creationTime: number;
  readonly snapshottedTime: number;
}

/**
 * Reads the device-details tree rooted at `root`.
 * @returns the details by thin id, in ascending id order.
 * @throws DmError EILSEQ for a bad node or a key that is not a 24-bit thin id.
 */
export async function readDeviceDetails(reader: MetadataBlockReader, root: number): Promise<Map<number, ThinDeviceDetails>> {
  const out = new Map<number, ThinDeviceDetails>();
  await walkBtree(reader, root, DEVICE_DETAILS_BYTES, 'device details', (key, leaf, index) => {
    if (key > MAX_THIN_ID) throw corruptMetadata(`device details: key ${key} is not a 24-bit thin id`);
    const at = leaf.valuesOffset + index * DEVICE_DETAILS_BYTES;
    out.set(key, {
      mappedBlocks: readU64(leaf.data, at, `mapped_blocks of thin ${key}`),
      transactionId: leaf.data.readBigUInt64LE(at + 8),
      creationTime: leaf.data.readUInt32LE(at + 16),
      snapshottedTime: leaf.data.readUInt32LE(at + 20),
    });
  });
  return out;
}
