/**
 * One node of a persistent-data btree (drivers/md/persistent-data/dm-btree-internal.h): a whole
 * 4 KiB metadata block, little-endian.
 *
 * | offset | field |
 * | --- | --- |
 * | 0 | csum u32: dm checksum of bytes 4..4095, salt 121107 |
 * | 4 | flags u32: 1 = internal, 2 = leaf |
 * | 8 | blocknr u64: the block this node lives in |
 * | 16 | nr_entries u32 |
 * | 20 | max_entries u32 |
 * | 24 | value_size u32 (internal nodes: 8, a child block number) |
 * | 28 | padding u32 |
 * | 32 | keys: u64 × max_entries, ascending; the first nr_entries are used |
 * | 32 + 8 × max_entries | values: value_size × max_entries |
 *
 * In an internal node, keys[i] is at most the lowest key under child i and every key under
 * child i is below keys[i + 1].
 */
import { dmChecksum } from './crc32c.js';
import { corruptMetadata, MetadataBlockReader, readU64, THIN_METADATA_BLOCK_BYTES } from './metadata-block-reader.js';

/** Salt of the btree node checksum (`BTREE_CSUM_XOR`). */
export const BTREE_CSUM_XOR = 121107;
const NODE_HEADER_BYTES = 32;
const INTERNAL_NODE = 1;
const LEAF_NODE = 2;

/** A checked btree node. Keys are numbers (every key thin metadata uses is below 2^53). */
export interface BtreeNode {
  readonly block: number;
  readonly leaf: boolean;
  readonly keys: readonly number[];
  /** The raw block, for reading values. */
  readonly data: Buffer;
  /** Byte offset of value `i` is `valuesOffset + i * valueSize`. */
  readonly valuesOffset: number;
  readonly valueSize: number;
}

/**
 * Reads and checks the btree node in metadata block `block`: checksum, block number, flags,
 * entry counts that fit the block, the value size the tree expects for this kind of node, and
 * strictly ascending keys.
 * @param leafValueSize the value size of this tree's leaves (internal nodes always hold 8).
 * @throws DmError EILSEQ for anything that does not check out.
 */
export async function readBtreeNode(reader: MetadataBlockReader, block: number, leafValueSize: number, what: string): Promise<BtreeNode> {
  const data = await reader.read(block, what);
  return decodeBtreeNode(data, block, leafValueSize, what);
}

/** Checks and decodes a btree node already read from block `block`. See readBtreeNode. */
export function decodeBtreeNode(data: Buffer, block: number, leafValueSize: number, what: string): BtreeNode {
  const where = `${what} node at block ${block}`;
  const stored = data.readUInt32LE(0);
  const computed = dmChecksum(data.subarray(4), BTREE_CSUM_XOR);
  if (stored !== computed) {
    throw corruptMetadata(`${where}: checksum 0x${stored.toString(16)}, computed 0x${computed.toString(16)}`);
  }
  const blocknr = readU64(data, 8, `${where} blocknr`);
  if (blocknr !== block) throw corruptMetadata(`${where} says it is block ${blocknr}`);
  const flags = data.readUInt32LE(4);
  const leaf = (flags & LEAF_NODE) !== 0;
  if (leaf === ((flags & INTERNAL_NODE) !== 0)) {
    throw corruptMetadata(`${where}: flags ${flags} are neither internal nor leaf`);
  }
  const nrEntries = data.readUInt32LE(16);
  const maxEntries = data.readUInt32LE(20);
  const valueSize = data.readUInt32LE(24);
  const expected = leaf ? leafValueSize : 8;
  if (valueSize !== expected) throw corruptMetadata(`${where}: value size ${valueSize}, expected ${expected}`);
  if (NODE_HEADER_BYTES + (8 + valueSize) * maxEntries > THIN_METADATA_BLOCK_BYTES) {
    throw corruptMetadata(`${where}: max_entries ${maxEntries} does not fit a block`);
  }
  if (nrEntries > maxEntries) throw corruptMetadata(`${where}: ${nrEntries} entries, max ${maxEntries}`);
  if (!leaf && nrEntries === 0) throw corruptMetadata(`${where}: internal node with no entries`);
  const keys = new Array<number>(nrEntries);
  let previous = -1;
  for (let i = 0; i < nrEntries; i++) {
    const key = readU64(data, NODE_HEADER_BYTES + 8 * i, `${where} key ${i}`);
    if (key <= previous) throw corruptMetadata(`${where}: keys out of order at entry ${i}`);
    keys[i] = key;
    previous = key;
  }
  return { block, leaf, keys, data, valuesOffset: NODE_HEADER_BYTES + 8 * maxEntries, valueSize };
}

/** The child block numbers of an internal node. */
export function childBlocks(node: BtreeNode): number[] {
  const out = new Array<number>(node.keys.length);
  for (let i = 0; i < node.keys.length; i++) {
    out[i] = readU64(node.data, node.valuesOffset + 8 * i, `child ${i} of node ${node.block}`);
  }
  return out;
}
