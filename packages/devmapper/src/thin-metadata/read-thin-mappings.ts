/**
 * Reads one thin device's mappings over a range of virtual blocks from the kernel's metadata
 * (a held snapshot): the top level of the mapping tree is searched for the thin id, then only
 * the subtrees of the device's btree whose keys can fall in the range are read, so the cost is
 * the range's leaves plus one path, not the whole device.
 */
import { childBlocks, readBtreeNode } from './btree-node.js';
import { MAX_BTREE_DEPTH } from './btree-walk.js';
import { corruptMetadata, MetadataBlockReader, readMetadataBlock, readU64, type MetadataReadIo } from './metadata-block-reader.js';
import { parseThinSuperblock } from './thin-superblock.js';
import { MappingRunBuilder, noSuchThin, type ThinMappingRun } from './thin-mapping-runs.js';

/** Where the held snapshot is and how big the metadata device is. */
export interface ReadThinMappingsOptions {
  /** Block of the held superblock (the pool's `heldMetadataRoot`). */
  readonly superblockBlock: number;
  /** Blocks on the metadata device, for the range guard. */
  readonly metadataBlocks: number;
  /** The pool's data blocks: a mapping at or past this is corrupt. */
  readonly dataBlocks: number;
  /** For the ENODATA message. */
  readonly poolName: string;
}

/**
 * Runs of `thinId` in `[fromBlock, fromBlock + blockCount)`, ascending.
 * @throws DmError ENODATA when the snapshot has no such thin id; EILSEQ for corrupt metadata
 *   (bad node, keys outside their place, a cycle, a data block past the pool's size).
 */
export async function readThinMappingRuns(io: MetadataReadIo, options: ReadThinMappingsOptions, thinId: number, fromBlock: number, blockCount: number): Promise<ThinMappingRun[]> {
  const at = options.superblockBlock;
  const superblock = parseThinSuperblock(await readMetadataBlock(io, at, 'superblock'), at);
  const reader = new MetadataBlockReader(io, options.metadataBlocks);
  const root = await lookupDeviceRoot(reader, superblock.dataMappingRoot, thinId);
  if (root === undefined) throw noSuchThin(options.poolName, thinId);
  const builder = new MappingRunBuilder();
  if (blockCount === 0) return builder.runs;
  const end = fromBlock + blockCount;
  let lastKey = -1;

  const walk = async (block: number, depth: number, low: number, high: number, path: ReadonlySet<number>): Promise<void> => {
    if (path.has(block)) throw corruptMetadata(`mapping tree of thin ${thinId}: block ${block} is its own ancestor`);
    if (depth >= MAX_BTREE_DEPTH) throw corruptMetadata(`mapping tree of thin ${thinId}: deeper than ${MAX_BTREE_DEPTH} levels`);
    const node = await readBtreeNode(reader, block, 8, `mapping tree of thin ${thinId}`);
    const keys = node.keys;
    if (depth > 0 && keys.length > 0 && (keys[0]! < low || keys[keys.length - 1]! >= high)) {
      throw corruptMetadata(`mapping tree of thin ${thinId}: node ${block} holds keys outside its parent's range`);
    }
    if (node.leaf) {
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        if (key < fromBlock || key >= end) continue;
        if (key <= lastKey) throw corruptMetadata(`mapping tree of thin ${thinId}: key ${key} after ${lastKey}`);
        lastKey = key;
        const offset = node.valuesOffset + 8 * i;
        // value = (data block << 24) | time: the block is bits 24..63.
        const dataBlock = node.data.readUInt32LE(offset + 4) * 256 + (node.data.readUInt32LE(offset) >>> 24);
        if (dataBlock >= options.dataBlocks) throw corruptMetadata(`thin ${thinId} block ${key} maps data block ${dataBlock}, past the pool's ${options.dataBlocks}`);
        builder.add(key, dataBlock);
      }
      return;
    }
    const children = childBlocks(node);
    const inner = new Set(path).add(block);
    for (let i = 0; i < children.length; i++) {
      const childLow = keys[i]!;
      const childHigh = i + 1 < keys.length ? keys[i + 1]! : high;
      // Child i holds keys in [keys[i], keys[i+1]); skip it unless that meets the range.
      if (childHigh <= fromBlock || childLow >= end) continue;
      await walk(children[i]!, depth + 1, childLow, childHigh, inner);
    }
  };
  await walk(root, 0, 0, Number.POSITIVE_INFINITY, new Set());
  return builder.runs;
}

/** Searches the mapping tree's top level for `thinId`; the root of its btree, or undefined. */
async function lookupDeviceRoot(reader: MetadataBlockReader, root: number, thinId: number): Promise<number | undefined> {
  let block = root;
  for (let depth = 0; depth < MAX_BTREE_DEPTH; depth++) {
    const node = await readBtreeNode(reader, block, 8, 'mapping tree top level');
    const keys = node.keys;
    if (node.leaf) {
      const i = keys.indexOf(thinId);
      return i === -1 ? undefined : readU64(node.data, node.valuesOffset + 8 * i, `mapping root of thin ${thinId}`);
    }
    // The last child whose lowest key is at most thinId.
    let i = keys.length - 1;
    while (i > 0 && keys[i]! > thinId) i--;
    if (keys[i]! > thinId) return undefined;
    block = childBlocks(node)[i]!;
  }
  throw corruptMetadata(`mapping tree top level: deeper than ${MAX_BTREE_DEPTH} levels`);
}
