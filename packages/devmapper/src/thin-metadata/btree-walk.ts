/**
 * A walk of one persistent-data btree (the device-details tree, the top level of the mapping
 * tree), level by level with several reads in flight, checking what a reader has to trust: every
 * leaf at the same depth, keys rising across the whole tree, each parent key at most its child's
 * lowest key, child keys below the next parent key, and no node reached twice (a cycle, or a
 * subtree linked in two places).
 */
import { childBlocks, readBtreeNode, type BtreeNode } from './btree-node.js';
import { mapConcurrently, READ_CONCURRENCY } from './concurrent-reads.js';
import { corruptMetadata, MetadataBlockReader } from './metadata-block-reader.js';

/** Deeper than any btree a 16 GiB metadata device can hold; a guard against loops. */
export const MAX_BTREE_DEPTH = 32;

/** A node still to read, with the key range its parent allows it. */
interface Pending {
  readonly block: number;
  readonly low: number;
  readonly high: number;
}

/**
 * Visits every leaf entry of the btree rooted at `root` in ascending key order. Reads one level
 * at a time, up to READ_CONCURRENCY blocks at once (the nodes of one level are few: a level of
 * 10,000 devices' details is about 80 leaves).
 * @param visit called with the key, the leaf node and the entry's index in it.
 * @throws DmError EILSEQ when a node or the tree's shape does not check out.
 */
export async function walkBtree(reader: MetadataBlockReader, root: number, leafValueSize: number, what: string, visit: (key: number, leaf: BtreeNode, index: number) => void): Promise<void> {
  const seen = new Set<number>();
  let level: Pending[] = [{ block: root, low: 0, high: Number.POSITIVE_INFINITY }];
  for (let depth = 0; ; depth++) {
    if (depth >= MAX_BTREE_DEPTH) throw corruptMetadata(`${what}: deeper than ${MAX_BTREE_DEPTH} levels`);
    for (const p of level) {
      if (seen.has(p.block)) throw corruptMetadata(`${what}: block ${p.block} is its own ancestor or reached twice`);
      seen.add(p.block);
    }
    const nodes = await mapConcurrently(level, READ_CONCURRENCY, (p) => readBtreeNode(reader, p.block, leafValueSize, what));
    const leaves = nodes.filter((n) => n.leaf).length;
    if (leaves !== 0 && leaves !== nodes.length) throw corruptMetadata(`${what}: leaves at depth ${depth} and deeper`);
    for (let i = 0; i < nodes.length; i++) {
      const keys = nodes[i]!.keys;
      const { low, high } = level[i]!;
      if (depth > 0 && keys.length > 0 && (keys[0]! < low || keys[keys.length - 1]! >= high)) {
        throw corruptMetadata(`${what}: node ${nodes[i]!.block} holds keys outside its parent's range`);
      }
    }
    if (leaves === nodes.length) {
      let lastKey = -1;
      for (const node of nodes) {
        const keys = node.keys;
        for (let i = 0; i < keys.length; i++) {
          if (keys[i]! <= lastKey) throw corruptMetadata(`${what}: key ${keys[i]} after ${lastKey}`);
          lastKey = keys[i]!;
          visit(keys[i]!, node, i);
        }
      }
      return;
    }
    const next: Pending[] = [];
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]!;
      const children = childBlocks(node);
      for (let j = 0; j < children.length; j++) {
        next.push({ block: children[j]!, low: node.keys[j]!, high: j + 1 < node.keys.length ? node.keys[j + 1]! : level[i]!.high });
      }
    }
    level = next;
  }
}
