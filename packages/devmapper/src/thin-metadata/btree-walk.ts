/**
 * An in-order walk of one persistent-data btree (the device-details tree, the top level of the
 * mapping tree), checking what a reader has to trust: every leaf at the same depth, keys rising
 * across the whole tree, each parent key at most its child's lowest key, child keys below the
 * next parent key, and no node on its own path (a cycle).
 */
import { childBlocks, readBtreeNode, type BtreeNode } from './btree-node.js';
import { corruptMetadata, MetadataBlockReader } from './metadata-block-reader.js';

/** Deeper than any btree a 16 GiB metadata device can hold; a guard against loops. */
export const MAX_BTREE_DEPTH = 32;

/**
 * Visits every leaf entry of the btree rooted at `root` in ascending key order.
 * @param visit called with the key, the leaf node and the entry's index in it.
 * @throws DmError EILSEQ when a node or the tree's shape does not check out.
 */
export async function walkBtree(reader: MetadataBlockReader, root: number, leafValueSize: number, what: string, visit: (key: number, leaf: BtreeNode, index: number) => void): Promise<void> {
  let leafDepth = -1;
  let lastKey = -1;
  const path = new Set<number>();

  const walk = async (block: number, depth: number, low: number, high: number): Promise<void> => {
    if (path.has(block)) throw corruptMetadata(`${what}: block ${block} is its own ancestor`);
    if (depth >= MAX_BTREE_DEPTH) throw corruptMetadata(`${what}: deeper than ${MAX_BTREE_DEPTH} levels`);
    const node = await readBtreeNode(reader, block, leafValueSize, what);
    const keys = node.keys;
    if (depth > 0 && keys.length > 0 && (keys[0]! < low || keys[keys.length - 1]! >= high)) {
      throw corruptMetadata(`${what}: node ${block} holds keys outside its parent's range`);
    }
    if (node.leaf) {
      if (leafDepth === -1) leafDepth = depth;
      else if (leafDepth !== depth) throw corruptMetadata(`${what}: leaves at depths ${leafDepth} and ${depth}`);
      for (let i = 0; i < keys.length; i++) {
        if (keys[i]! <= lastKey) throw corruptMetadata(`${what}: key ${keys[i]} after ${lastKey}`);
        lastKey = keys[i]!;
        visit(keys[i]!, node, i);
      }
      return;
    }
    path.add(block);
    const children = childBlocks(node);
    for (let i = 0; i < children.length; i++) {
      await walk(children[i]!, depth + 1, keys[i]!, i + 1 < keys.length ? keys[i + 1]! : high);
    }
    path.delete(block);
  };

  await walk(root, 0, 0, Number.POSITIVE_INFINITY);
}
