/**
 * The two-level data-mapping btree and what each thin device uses of the pool.
 *
 * The top level maps thin id → the root block of that device's own mapping btree (value u64).
 * A device's btree maps virtual block → `(data block << 24) | time` (value u64: the data block in
 * the top 40 bits, the snapshot clock in the low 24). `create_snap` makes the new device's root
 * the origin's root with one more reference, so devices share whole subtrees until one side
 * writes; only the path to a changed leaf is copied.
 *
 * Usage is counted over the distinct nodes, not per device: every node is read once, however
 * many devices reach it. Each node gets the number of devices that reach it (propagated from
 * the roots down, parents before children), each leaf adds that number to the per-data-block
 * counts, and then mapped and exclusive totals are summed bottom-up per node and read off at
 * each device's root.
 */
import { MAX_THIN_ID } from '../thin-id.js';
import { childBlocks, readBtreeNode } from './btree-node.js';
import { mapConcurrently, READ_CONCURRENCY } from './concurrent-reads.js';
import { MAX_BTREE_DEPTH, walkBtree } from './btree-walk.js';
import { DataBlockSharing } from './data-block-sharing.js';
import { corruptMetadata, MetadataBlockReader, readU64 } from './metadata-block-reader.js';

/** What one device uses, as counted from its mapping btree. */
export interface MappingUsage {
  readonly mappedBlocks: number;
  readonly exclusiveBlocks: number;
}

/**
 * Reads the top level of the mapping tree.
 * @returns each thin id's mapping btree root, in ascending id order.
 */
export async function readMappingRoots(reader: MetadataBlockReader, root: number): Promise<Map<number, number>> {
  const roots = new Map<number, number>();
  await walkBtree(reader, root, 8, 'mapping tree top level', (key, leaf, index) => {
    if (key > MAX_THIN_ID) throw corruptMetadata(`mapping tree: key ${key} is not a 24-bit thin id`);
    roots.set(key, readU64(leaf.data, leaf.valuesOffset + 8 * index, `mapping root of thin ${key}`));
  });
  return roots;
}

/** A node of some device's mapping btree, kept in memory without its block. */
interface MappingNode {
  readonly block: number;
  readonly leaf: boolean;
  /** Internal nodes: the keys; leaves: only the first and last key. */
  readonly keys: readonly number[];
  /** Internal nodes: indexes (into the node list) of the children, filled after loading. */
  children: number[];
  /** Leaves: the data block of each entry. */
  readonly dataBlocks: Float64Array;
  // Filled by the shape check:
  state: 0 | 1 | 2;
  height: number;
  /** Lowest and highest virtual block under this node (NaN when it holds none). */
  low: number;
  high: number;
  mapped: number;
  // Filled by the counting passes:
  devices: number;
  exclusive: number;
}

/**
 * Reads every device's mapping btree and counts, per device, the mapped blocks and the mapped
 * blocks no other device in `roots` maps.
 * @param roots thin id → root block of its mapping btree.
 * @param sharing the per-data-block counts to fill (sized by the pool's data blocks).
 * @throws DmError EILSEQ when a node, the shape of a tree, or a data block number does not
 *   check out.
 */
export async function countMappingUsage(reader: MetadataBlockReader, roots: ReadonlyMap<number, number>, sharing: DataBlockSharing): Promise<Map<number, MappingUsage>> {
  const nodes: MappingNode[] = [];
  const indexOf = new Map<number, number>();
  const childBlocksOf = new Map<number, number[]>();

  // Load level by level from the roots, each distinct block once, several reads at a time.
  let frontier = [...new Set(roots.values())];
  for (let level = 0; frontier.length > 0; level++) {
    if (level > MAX_BTREE_DEPTH) throw corruptMetadata(`mapping tree: deeper than ${MAX_BTREE_DEPTH} levels`);
    for (const block of frontier) indexOf.set(block, -1);
    const loaded = await mapConcurrently(frontier, READ_CONCURRENCY, (block) => readBtreeNode(reader, block, 8, 'mapping tree'));
    const next: number[] = [];
    for (const node of loaded) {
      const n = node.keys.length;
      let keys: readonly number[];
      let dataBlocks = EMPTY;
      if (node.leaf) {
        keys = n === 0 ? [] : [node.keys[0]!, node.keys[n - 1]!];
        dataBlocks = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          const at = node.valuesOffset + 8 * i;
          // value = (data block << 24) | time: the block is bits 24..63.
          dataBlocks[i] = node.data.readUInt32LE(at + 4) * 256 + (node.data.readUInt32LE(at) >>> 24);
        }
      } else {
        keys = node.keys;
        const children = childBlocks(node);
        childBlocksOf.set(node.block, children);
        for (const child of children) {
          if (!indexOf.has(child)) {
            indexOf.set(child, -1);
            next.push(child);
          }
        }
      }
      indexOf.set(node.block, nodes.length);
      nodes.push({
        block: node.block,
        leaf: node.leaf,
        keys,
        children: [],
        dataBlocks,
        state: 0,
        height: 0,
        low: Number.NaN,
        high: Number.NaN,
        mapped: 0,
        devices: 0,
        exclusive: 0,
      });
    }
    frontier = next;
  }
  for (const node of nodes) {
    if (!node.leaf) node.children = childBlocksOf.get(node.block)!.map((b) => indexOf.get(b)!);
  }

  // Check each tree's shape once per distinct node; heights also order the counting passes.
  const check = (index: number, depth: number): MappingNode => {
    const node = nodes[index]!;
    if (node.state === 2) return node;
    if (node.state === 1) throw corruptMetadata(`mapping tree: block ${node.block} is its own ancestor`);
    if (depth > MAX_BTREE_DEPTH) throw corruptMetadata(`mapping tree: deeper than ${MAX_BTREE_DEPTH} levels`);
    node.state = 1;
    if (node.leaf) {
      node.height = 0;
      node.mapped = node.dataBlocks.length;
      if (node.keys.length > 0) {
        node.low = node.keys[0]!;
        node.high = node.keys[1]!;
      }
    } else {
      let height = -1;
      let previousHigh = -1;
      for (let i = 0; i < node.children.length; i++) {
        const child = check(node.children[i]!, depth + 1);
        if (height === -1) height = child.height;
        else if (height !== child.height) {
          throw corruptMetadata(`mapping tree: node ${node.block} has children of heights ${height} and ${child.height}`);
        }
        node.mapped += child.mapped;
        if (Number.isNaN(child.low)) continue;
        const nextKey = i + 1 < node.keys.length ? node.keys[i + 1]! : Number.POSITIVE_INFINITY;
        if (child.low < node.keys[i]! || child.high >= nextKey || child.low <= previousHigh) {
          throw corruptMetadata(`mapping tree: node ${child.block} holds keys outside its place in node ${node.block}`);
        }
        if (Number.isNaN(node.low)) node.low = child.low;
        node.high = child.high;
        previousHigh = child.high;
      }
      node.height = height + 1;
    }
    node.state = 2;
    return node;
  };
  for (const root of roots.values()) check(indexOf.get(root)!, 0);

  // Devices reaching each node, parents (greater height) before children.
  const byHeight = nodes.map((_, i) => i).sort((a, b) => nodes[b]!.height - nodes[a]!.height);
  for (const root of roots.values()) nodes[indexOf.get(root)!]!.devices += 1;
  for (const i of byHeight) {
    const node = nodes[i]!;
    if (node.leaf) {
      for (const block of node.dataBlocks) sharing.add(block, node.devices);
    } else {
      for (const child of node.children) nodes[child]!.devices += node.devices;
    }
  }
  // Exclusive blocks per node, children before parents.
  for (let k = byHeight.length - 1; k >= 0; k--) {
    const node = nodes[byHeight[k]!]!;
    if (node.leaf) {
      let exclusive = 0;
      for (const block of node.dataBlocks) if (sharing.isExclusive(block)) exclusive++;
      node.exclusive = exclusive;
    } else {
      for (const child of node.children) node.exclusive += nodes[child]!.exclusive;
    }
  }

  const usage = new Map<number, MappingUsage>();
  for (const [id, root] of roots) {
    const node = nodes[indexOf.get(root)!]!;
    usage.set(id, { mappedBlocks: node.mapped, exclusiveBlocks: node.exclusive });
  }
  return usage;
}

const EMPTY = new Float64Array(0);
