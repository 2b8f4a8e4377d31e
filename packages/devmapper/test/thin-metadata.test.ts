/**
 * The reader of the kernel's thin-pool metadata format, against metadata made by
 * thin-provisioning-tools: `thin_restore` writes XML this file generates into the kernel's
 * format, and `thin_dump` / `thin_ls` read it back to cross-check what readThinMetadata reports.
 * Corruption tests damage blocks (with and without fixing their checksums) and expect EILSEQ.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { isDmError, readThinMetadata, type MetadataReadIo, type ThinMetadataSummary } from '@thinfleet/devmapper';
import { crc32c, dmChecksum } from '../src/thin-metadata/crc32c.js';
import { readSimMetadataSnapshot } from '../src/sim/sim-pool-state.js';
import { readThinMappingRuns } from '../src/thin-metadata/read-thin-mappings.js';
import { writePoolMetadata } from '../src/sim/sim-pool-format.js';

const BLOCK = 4096;
const SUPERBLOCK_XOR = 160774;
const BTREE_XOR = 121107;
const META_BYTES = 16 * 1024 * 1024;

/** Finds a thin-provisioning-tools program, or fails the test saying how to install it. */
function tool(name: string): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    const path = join(dir, name);
    if (dir !== '' && existsSync(path)) return path;
  }
  throw new Error(`${name} not found: these tests need thin-provisioning-tools (apt-get install thin-provisioning-tools)`);
}

/** A pool's metadata as a model: data geometry, transaction id, and each device's mappings. */
interface Model {
  readonly transactionId: bigint;
  readonly dataBlockSectors: number;
  readonly dataBlocks: number;
  /** thin id → [virtual block, data block] pairs, ascending by virtual block. */
  readonly devices: Map<number, Array<[number, number]>>;
}

/** thin_restore's XML for `model`, runs of consecutive blocks as range mappings. */
function toXml(model: Model): string {
  const lines = [
    `<superblock uuid="" time="1" transaction="${model.transactionId}" flags="0" version="2" ` + `data_block_size="${model.dataBlockSectors}" nr_data_blocks="${model.dataBlocks}">`,
  ];
  for (const [id, maps] of model.devices) {
    lines.push(`  <device dev_id="${id}" mapped_blocks="${maps.length}" transaction="0" creation_time="0" snap_time="0">`);
    for (let i = 0; i < maps.length;) {
      const [v, d] = maps[i]!;
      let n = 1;
      while (i + n < maps.length && maps[i + n]![0] === v + n && maps[i + n]![1] === d + n) n++;
      lines.push(n === 1 ? `    <single_mapping origin_block="${v}" data_block="${d}" time="0"/>` : `    <range_mapping origin_begin="${v}" data_begin="${d}" length="${n}" time="0"/>`);
      i += n;
    }
    lines.push('  </device>');
  }
  lines.push('</superblock>', '');
  return lines.join('\n');
}

/** What the reader should report for a set of devices: counted with plain Maps. */
function expectedUsage(devices: Map<number, Array<[number, number]>>): Map<number, { mapped: number; exclusive: number; shared: number }> {
  const users = new Map<number, number>();
  for (const maps of devices.values()) for (const [, d] of maps) users.set(d, (users.get(d) ?? 0) + 1);
  const out = new Map<number, { mapped: number; exclusive: number; shared: number }>();
  for (const id of [...devices.keys()].sort((a, b) => a - b)) {
    const maps = devices.get(id)!;
    const exclusive = maps.filter(([, d]) => users.get(d) === 1).length;
    out.set(id, { mapped: maps.length, exclusive, shared: maps.length - exclusive });
  }
  return out;
}

function usageOf(summary: ThinMetadataSummary): Map<number, { mapped: number; exclusive: number; shared: number }> {
  const out = new Map<number, { mapped: number; exclusive: number; shared: number }>();
  for (const [id, d] of summary.devices) {
    expect(d.thinId).toBe(id);
    out.set(id, { mapped: d.mappedBlocks, exclusive: d.exclusiveBlocks, shared: d.sharedBlocks });
  }
  return out;
}

/** Parses thin_dump's XML back into a model (what the tools say the metadata holds). */
function parseThinDump(xml: string): Model {
  const attr = (tag: string, name: string): string => {
    const m = new RegExp(`\\b${name}="([^"]*)"`).exec(tag);
    if (m === null) throw new Error(`thin_dump output: no ${name} in ${tag}`);
    return m[1]!;
  };
  const sb = /<superblock [^>]*>/.exec(xml)![0];
  const devices = new Map<number, Array<[number, number]>>();
  let current: Array<[number, number]> | undefined;
  for (const m of xml.matchAll(/<(device|single_mapping|range_mapping) [^>]*>/g)) {
    const tag = m[0];
    if (m[1] === 'device') {
      current = [];
      devices.set(Number(attr(tag, 'dev_id')), current);
    } else if (m[1] === 'single_mapping') {
      current!.push([Number(attr(tag, 'origin_block')), Number(attr(tag, 'data_block'))]);
    } else {
      const v = Number(attr(tag, 'origin_begin'));
      const d = Number(attr(tag, 'data_begin'));
      for (let k = 0; k < Number(attr(tag, 'length')); k++) current!.push([v + k, d + k]);
    }
  }
  return {
    transactionId: BigInt(attr(sb, 'transaction')),
    dataBlockSectors: Number(attr(sb, 'data_block_size')),
    dataBlocks: Number(attr(sb, 'nr_data_blocks')),
    devices,
  };
}

/** thin_ls's own per-device counts. */
function thinLs(path: string, args: string[] = []): Map<number, { mapped: number; exclusive: number; shared: number }> {
  const out = execFileSync(tool('thin_ls'), [...args, '--no-headers', '--format', 'DEV,MAPPED_BLOCKS,EXCLUSIVE_BLOCKS,SHARED_BLOCKS', path], {
    encoding: 'utf8',
  });
  const result = new Map<number, { mapped: number; exclusive: number; shared: number }>();
  for (const line of out.trim().split('\n')) {
    if (line.trim() === '') continue;
    const [dev, mapped, exclusive, shared] = line.trim().split(/\s+/).map(Number);
    result.set(dev!, { mapped: mapped!, exclusive: exclusive!, shared: shared! });
  }
  return result;
}

let dir: string;
let counter = 0;

/** Writes `model` with thin_restore into a new metadata file and returns its path. */
async function restore(model: Model, metadataBytes = META_BYTES): Promise<string> {
  counter += 1;
  const xml = join(dir, `m${counter}.xml`);
  const meta = join(dir, `m${counter}.meta`);
  await writeFile(xml, toXml(model));
  await writeFile(meta, '');
  await truncate(meta, metadataBytes);
  execFileSync(tool('thin_restore'), ['-q', '-i', xml, '-o', meta], { stdio: ['ignore', 'ignore', 'pipe'] });
  return meta;
}

/** A MetadataReadIo over a file. */
function fileIo(path: string): MetadataReadIo {
  return {
    async read(offsetBytes, lengthBytes) {
      const fh = await open(path, 'r');
      try {
        const buf = Buffer.alloc(lengthBytes);
        const { bytesRead } = await fh.read(buf, 0, lengthBytes, offsetBytes);
        return buf.subarray(0, bytesRead);
      } finally {
        await fh.close();
      }
    },
  };
}

async function readBlock(path: string, block: number): Promise<Buffer> {
  return await fileIo(path).read(block * BLOCK, BLOCK);
}

async function writeBlock(path: string, block: number, data: Buffer): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.write(data, 0, BLOCK, block * BLOCK);
  } finally {
    await fh.close();
  }
}

/** Rewrites a block's checksum after a deliberate change, so only the change itself is wrong. */
function reseal(data: Buffer, xor: number): Buffer {
  data.writeUInt32LE(dmChecksum(data.subarray(4), xor), 0);
  return data;
}

const u64 = (buf: Buffer, at: number): number => Number(buf.readBigUInt64LE(at));

/** The mapping btree root of thin `id`, found through the top level (a one-leaf tree in these files). */
async function mappingRootOf(path: string, id: number): Promise<number> {
  const top = await readBlock(path, u64(await readBlock(path, 0), 320));
  expect(top.readUInt32LE(4)).toBe(2); // leaf
  const max = top.readUInt32LE(20);
  for (let i = 0; i < top.readUInt32LE(16); i++) if (u64(top, 32 + 8 * i) === id) return u64(top, 32 + 8 * max + 8 * i);
  throw new Error(`thin ${id} not in the top level`);
}

async function expectEilseq(promise: Promise<unknown>, detail?: RegExp): Promise<void> {
  const err = await promise.then(
    () => new Error('expected EILSEQ, but the read succeeded'),
    (e: unknown) => e,
  );
  expect(isDmError(err, 'EILSEQ') ? 'EILSEQ' : err).toBe('EILSEQ');
  if (detail) expect((err as Error).message).toMatch(detail);
}

/** A prime above the data blocks used, for a scattered but collision-free data block order. */
const P = 100_003;

/** Several devices: a big one, a diverged snapshot of it, one sharing a little, an empty one, the top id. */
function fleetModel(): Model {
  const big: Array<[number, number]> = [];
  for (let v = 0; v < 50_000; v++) big.push([v, (v * 7919) % P]);
  const snap: Array<[number, number]> = big.slice(0, 30_000).map(([v, d]) => [v, d]);
  for (let k = 0; k < 1000; k++) snap.push([40_000 + k, 150_000 + k]);
  const some: Array<[number, number]> = [];
  for (let k = 0; k < 100; k++) some.push([k, big[k * 3]![1]]);
  for (let k = 0; k < 50; k++) some.push([1000 + 2 * k, 160_000 + 5 * k]);
  return {
    transactionId: 0x1234_5678_9abcn,
    dataBlockSectors: 128,
    dataBlocks: 200_000,
    devices: new Map<number, Array<[number, number]>>([
      [0, big],
      [1, snap],
      [5, some],
      [7, []],
      [
        0xff_ffff,
        [
          [0, 199_999],
          [1, 7919],
          [2, 180_000],
        ],
      ],
    ]),
  };
}

let fleetPath: string;

beforeAll(async () => {
  tool('thin_restore');
  dir = await mkdtemp(join(tmpdir(), 'thinfleet-tmeta-'));
  fleetPath = await restore(fleetModel());
});
afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('crc32c', () => {
  it('matches the standard check value and the checksums thin_restore writes', async () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
    const sb = await readBlock(fleetPath, 0);
    expect(dmChecksum(sb.subarray(4), SUPERBLOCK_XOR)).toBe(sb.readUInt32LE(0));
    const root = await readBlock(fleetPath, await mappingRootOf(fleetPath, 0));
    expect(dmChecksum(root.subarray(4), BTREE_XOR)).toBe(root.readUInt32LE(0));
  });
});

describe('readThinMetadata on metadata made by thin_restore', () => {
  it('reports ids, mapped, exclusive and shared blocks, the transaction id and the data geometry', async () => {
    const model = fleetModel();
    const summary = await readThinMetadata(fileIo(fleetPath));
    expect(summary).toMatchObject({ transactionId: model.transactionId, dataBlockSectors: 128, dataBlocks: 200_000 });
    expect([...summary.devices.keys()]).toEqual([0, 1, 5, 7, 0xff_ffff]);
    const usage = usageOf(summary);
    expect(usage).toEqual(expectedUsage(model.devices));
    // Spelled out, so a wrong model cannot hide a wrong count:
    expect(usage.get(0)).toEqual({ mapped: 50_000, exclusive: 20_000, shared: 30_000 });
    expect(usage.get(1)).toEqual({ mapped: 31_000, exclusive: 1000, shared: 30_000 });
    expect(usage.get(5)).toEqual({ mapped: 150, exclusive: 50, shared: 100 });
    expect(usage.get(7)).toEqual({ mapped: 0, exclusive: 0, shared: 0 });
    expect(usage.get(0xff_ffff)).toEqual({ mapped: 3, exclusive: 2, shared: 1 });
  });

  it('agrees with thin_dump and thin_ls on the same file', async () => {
    const summary = await readThinMetadata(fileIo(fleetPath));
    const dumped = parseThinDump(execFileSync(tool('thin_dump'), [fleetPath], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
    expect(dumped.transactionId).toBe(summary.transactionId);
    expect(dumped.dataBlockSectors).toBe(summary.dataBlockSectors);
    expect(dumped.dataBlocks).toBe(summary.dataBlocks);
    expect(usageOf(summary)).toEqual(expectedUsage(dumped.devices));
    expect(usageOf(summary)).toEqual(thinLs(fleetPath));
  });

  it('walks multi-level mapping btrees', async () => {
    const root = await readBlock(fleetPath, await mappingRootOf(fleetPath, 0));
    expect(root.readUInt32LE(4)).toBe(1); // the 50,000-mapping device's root is an internal node
    const child = await readBlock(fleetPath, u64(root, 32 + 8 * root.readUInt32LE(20)));
    expect(child.readUInt32LE(4) & 3).toBeGreaterThan(0);

    // Enough mappings for three levels: a root over internal nodes over leaves.
    const devices = new Map<number, Array<[number, number]>>();
    const huge: Array<[number, number]> = [];
    for (let v = 0; v < 200_000; v++) huge.push([2 * v, (v * 7919) % 200_003]);
    devices.set(3, huge);
    devices.set(
      4,
      huge.filter((_, i) => i % 10 === 0),
    );
    const path = await restore({ transactionId: 9n, dataBlockSectors: 256, dataBlocks: 250_000, devices }, 32 * 1024 * 1024);
    const top = await readBlock(path, await mappingRootOf(path, 3));
    const mid = await readBlock(path, u64(top, 32 + 8 * top.readUInt32LE(20)));
    expect([top.readUInt32LE(4), mid.readUInt32LE(4)]).toEqual([1, 1]);
    const summary = await readThinMetadata(fileIo(path));
    expect(usageOf(summary)).toEqual(
      new Map([
        [3, { mapped: 200_000, exclusive: 180_000, shared: 20_000 }],
        [4, { mapped: 20_000, exclusive: 0, shared: 20_000 }],
      ]),
    );
    expect(usageOf(summary)).toEqual(thinLs(path));
  });

  it('counts btree nodes shared between devices once per device that reaches them, as create_snap leaves them', async () => {
    // thin_restore gives every device its own nodes; the kernel's create_snap shares the
    // origin's root, and later writes copy only the path to the changed leaf. Point thin 7 at
    // thin 0's whole tree, and the top id at one leaf inside it (a root at a lower height).
    const path = join(dir, `shared${++counter}.meta`);
    await writeFile(path, await readFile(fleetPath));
    const sb = await readBlock(path, 0);
    const root0 = await mappingRootOf(path, 0);
    const rootNode = await readBlock(path, root0);
    const leafBlock = u64(rootNode, 32 + 8 * rootNode.readUInt32LE(20) + 8 * 3);
    const leafEntries = (await readBlock(path, leafBlock)).readUInt32LE(16);
    const patch = async (block: number, valueSize: number, values: Map<number, (node: Buffer, at: number) => void>) => {
      const node = await readBlock(path, block);
      expect(node.readUInt32LE(4)).toBe(2);
      const base = 32 + 8 * node.readUInt32LE(20);
      for (let i = 0; i < node.readUInt32LE(16); i++) values.get(u64(node, 32 + 8 * i))?.(node, base + valueSize * i);
      await writeBlock(path, block, reseal(node, BTREE_XOR));
    };
    await patch(
      u64(sb, 320),
      8,
      new Map([
        [7, (n, at) => n.writeBigUInt64LE(BigInt(root0), at)],
        [0xff_ffff, (n, at) => n.writeBigUInt64LE(BigInt(leafBlock), at)],
      ]),
    );
    await patch(
      u64(sb, 328),
      24,
      new Map([
        [7, (n, at) => n.writeBigUInt64LE(50_000n, at)],
        [0xff_ffff, (n, at) => n.writeBigUInt64LE(BigInt(leafEntries), at)],
      ]),
    );

    const usage = usageOf(await readThinMetadata(fileIo(path)));
    const dumped = parseThinDump(execFileSync(tool('thin_dump'), [path], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
    expect(dumped.devices.get(7)!.length).toBe(50_000);
    expect(usage).toEqual(expectedUsage(dumped.devices));
    expect(usage).toEqual(thinLs(path));
    expect(usage.get(0)).toEqual({ mapped: 50_000, exclusive: 0, shared: 50_000 });
    expect(usage.get(0xff_ffff)).toEqual({ mapped: leafEntries, exclusive: 0, shared: leafEntries });
  });

  it('does not read the mapping tree of a device whose details say it maps nothing', async () => {
    // The kernel gives every create_thin a root block of its own (thin_restore shares one empty
    // root): 10,000 empty volumes would be 10,000 block reads. Proof that none is read: thin 7's
    // root, unreadable here, is never touched, and the counts still come out right.
    const path = join(dir, `e${++counter}.meta`);
    await writeFile(path, await readFile(fleetPath));
    const root7 = await mappingRootOf(path, 7);
    for (const id of [0, 1, 5, 0xff_ffff]) expect(await mappingRootOf(path, id)).not.toBe(root7);
    const node = await readBlock(path, root7);
    node[100] = node[100]! ^ 0x40;
    await writeBlock(path, root7, node);
    expect(usageOf(await readThinMetadata(fileIo(path)))).toEqual(expectedUsage(fleetModel().devices));
  });

  it('walks multi-level details and top-level trees a level at a time, several reads in flight, and refuses a child linked twice', async () => {
    // Empty devices only: no mapping tree is read, so every read is the two walks'.
    const model: Model = { ...fleetModel(), devices: new Map() };
    for (let id = 0; id < 5000; id++) model.devices.set(id, []);
    const path = await restore(model);
    let inFlight = 0;
    let most = 0;
    const io = fileIo(path);
    const counted: MetadataReadIo = {
      async read(offset, length) {
        most = Math.max(most, ++inFlight);
        try {
          return await io.read(offset, length);
        } finally {
          inFlight--;
        }
      },
    };
    expect(usageOf(await readThinMetadata(counted))).toEqual(expectedUsage(model.devices));
    // One walk after the other, a node at a time, would have at most 2 (the two trees) in flight.
    expect(most).toBeGreaterThan(2);

    // The details tree's root is internal here: point its second child at its first.
    const linkedTwice = join(dir, `w${++counter}.meta`);
    await writeFile(linkedTwice, await readFile(path));
    const rootBlock = u64(await readBlock(linkedTwice, 0), 328);
    const root = await readBlock(linkedTwice, rootBlock);
    expect(root.readUInt32LE(4)).toBe(1); // internal
    const values = 32 + 8 * root.readUInt32LE(20);
    root.writeBigUInt64LE(root.readBigUInt64LE(values), values + 8);
    await writeBlock(linkedTwice, rootBlock, reseal(root, BTREE_XOR));
    await expectEilseq(readThinMetadata(fileIo(linkedTwice)), /reached twice|outside its parent/);
  });

  it('reads a pool with no thin devices', async () => {
    const path = await restore({ transactionId: 0n, dataBlockSectors: 2048, dataBlocks: 10, devices: new Map() });
    expect(await readThinMetadata(fileIo(path))).toEqual({ transactionId: 0n, dataBlockSectors: 2048, dataBlocks: 10, devices: new Map() });
  });

  it('reads a held metadata snapshot from its own superblock, taking what it lacks from block 0', async () => {
    const model = fleetModel();
    const path = await restore(model);
    // What reserve_metadata_snap leaves: a copy of the superblock in another block with both
    // space map roots wiped, and block 0 naming it as held_root.
    const held = META_BYTES / BLOCK - 1;
    const copy = await readBlock(path, 0);
    copy.fill(0, 64, 320);
    copy.writeBigUInt64LE(BigInt(held), 8);
    await writeBlock(path, held, reseal(copy, SUPERBLOCK_XOR));
    const live = await readBlock(path, 0);
    live.writeBigUInt64LE(BigInt(held), 56);
    await writeBlock(path, 0, reseal(live, SUPERBLOCK_XOR));

    const summary = await readThinMetadata(fileIo(path), { superblockBlock: held });
    expect(summary).toMatchObject({ transactionId: model.transactionId, dataBlocks: 200_000 });
    expect(usageOf(summary)).toEqual(expectedUsage(model.devices));
    expect(usageOf(summary)).toEqual(thinLs(path, ['--metadata-snap']));
    expect((await readThinMetadata(fileIo(path), { superblockBlock: held, dataBlocks: 200_001 })).dataBlocks).toBe(200_001);
    // A data block past the pool's end is corruption.
    await expectEilseq(readThinMetadata(fileIo(path), { superblockBlock: held, dataBlocks: 199_999 }), /data block 199999/);
    // A block that is not a superblock, or names itself wrongly:
    await expectEilseq(readThinMetadata(fileIo(path), { superblockBlock: held - 1 }));
    await expectEilseq(readThinMetadata(fileIo(path), { superblockBlock: 5_000 }));
  });
});

describe('readThinMetadata on damaged metadata', () => {
  async function damaged(change: (path: string) => Promise<void>): Promise<string> {
    const path = join(dir, `d${++counter}.meta`);
    await writeFile(path, await readFile(fleetPath));
    await change(path);
    return path;
  }

  async function flipByte(path: string, block: number, offset: number): Promise<void> {
    const data = await readBlock(path, block);
    data[offset] = data[offset]! ^ 0x40;
    await writeBlock(path, block, data);
  }

  it('refuses a superblock with a flipped byte, a wrong magic, or all zeroes', async () => {
    await expectEilseq(readThinMetadata(fileIo(await damaged((p) => flipByte(p, 0, 100)))), /superblock.*checksum/);
    await expectEilseq(readThinMetadata(fileIo(await damaged((p) => flipByte(p, 0, 0)))), /checksum/);
    const badMagic = await damaged(async (p) => {
      const sb = await readBlock(p, 0);
      sb.writeBigUInt64LE(27022011n, 32);
      await writeBlock(p, 0, reseal(sb, SUPERBLOCK_XOR));
    });
    await expectEilseq(readThinMetadata(fileIo(badMagic)), /magic/);
    const zero = join(dir, 'zero.meta');
    await writeFile(zero, Buffer.alloc(8 * BLOCK));
    await expectEilseq(readThinMetadata(fileIo(zero)), /all zeroes/);
  });

  it('refuses btree nodes with a flipped byte: details, top level, a mapping root, a mapping leaf', async () => {
    const sb = await readBlock(fleetPath, 0);
    const root0 = await mappingRootOf(fleetPath, 0);
    const leaf0 = u64(await readBlock(fleetPath, root0), 32 + 8 * (await readBlock(fleetPath, root0)).readUInt32LE(20));
    for (const [block, offset] of [
      [u64(sb, 328), 40],
      [u64(sb, 320), 20],
      [root0, 3000],
      [leaf0, 4095],
    ] as const) {
      await expectEilseq(readThinMetadata(fileIo(await damaged((p) => flipByte(p, block, offset)))), /checksum/);
    }
  });

  it('refuses out-of-range pointers, cycles and disagreeing device details even with good checksums', async () => {
    const root0 = await mappingRootOf(fleetPath, 0);
    const pointAt = (target: (block: number) => number) =>
      damaged(async (p) => {
        const node = await readBlock(p, root0);
        node.writeBigUInt64LE(BigInt(target(root0)), 32 + 8 * node.readUInt32LE(20) + 8);
        await writeBlock(p, root0, reseal(node, BTREE_XOR));
      });
    await expectEilseq(readThinMetadata(fileIo(await pointAt(() => 1_000_000))), /outside/);
    await expectEilseq(readThinMetadata(fileIo(await pointAt(() => 0))), /outside/);
    await expectEilseq(readThinMetadata(fileIo(await pointAt((self) => self))), /ancestor|heights/);

    const wrongCount = await damaged(async (p) => {
      const details = await readBlock(p, u64(await readBlock(p, 0), 328));
      expect(details.readUInt32LE(4)).toBe(2);
      const valueAt = 32 + 8 * details.readUInt32LE(20); // thin 0's details
      details.writeBigUInt64LE(49_999n, valueAt);
      await writeBlock(p, u64(await readBlock(p, 0), 328), reseal(details, BTREE_XOR));
    });
    await expectEilseq(readThinMetadata(fileIo(wrongCount)), /49999 mapped blocks.*50000/);

    const unordered = await damaged(async (p) => {
      const node = await readBlock(p, root0);
      node.writeBigUInt64LE(node.readBigUInt64LE(32 + 16), 32 + 8);
      await writeBlock(p, root0, reseal(node, BTREE_XOR));
    });
    await expectEilseq(readThinMetadata(fileIo(unordered)), /order/);

    const truncated = await damaged((p) => truncate(p, (root0 - 1) * BLOCK + 100));
    await expectEilseq(readThinMetadata(fileIo(truncated)));
  });
});

describe("the simulator's held snapshot", () => {
  it('still reads a snapshot reserved before it kept the transaction id and data geometry', async () => {
    const bytes = 1024 * 1024;
    const file = Buffer.alloc(bytes);
    const io = {
      sizeBytes: bytes,
      read: async (offset: number, length: number) => Buffer.from(file.subarray(offset, offset + length)),
      write: async (offset: number, data: Buffer) => void data.copy(file, offset),
    };
    const payload = { v: 1, bs: 256, blocks: 40, tx: '12', devs: [[1, [0, 3, 1, 4]]], held: { root: 9, devs: [[1, [0, 3]]] } };
    await writePoolMetadata(io, 1, Buffer.from(JSON.stringify(payload)));
    const old = await readSimMetadataSnapshot(io);
    expect(old).toMatchObject({ root: 9, transactionId: 12n, dataBlockSectors: 256, dataBlocks: 40 });
    expect([...old!.devices.get(1)!]).toEqual([[0, 3]]);

    const now = { ...payload, held: { ...payload.held, tx: '11', bs: 256, blocks: 32 } };
    await writePoolMetadata(io, 2, Buffer.from(JSON.stringify(now)));
    expect(await readSimMetadataSnapshot(io)).toMatchObject({ root: 9, transactionId: 11n, dataBlocks: 32 });
  });
});

describe('readThinMappingRuns on metadata made by thin_restore', () => {
  /** The model's pairs in `[from, from + count)` as runs, built independently of the reader. */
  function modelRuns(pairs: ReadonlyArray<[number, number]>, from: number, count: number): Array<{ virtualBlock: number; dataBlock: number; blocks: number }> {
    const out: Array<{ virtualBlock: number; dataBlock: number; blocks: number }> = [];
    for (const [v, d] of pairs) {
      if (v < from || v >= from + count) continue;
      const last = out[out.length - 1];
      if (last && last.virtualBlock + last.blocks === v && last.dataBlock + last.blocks === d) last.blocks += 1;
      else out.push({ virtualBlock: v, dataBlock: d, blocks: 1 });
    }
    return out;
  }

  /** fileIo that counts the blocks it reads. */
  function countingIo(path: string): MetadataReadIo & { reads: number } {
    const io = fileIo(path);
    const counting = { reads: 0, read: (offsetBytes: number, lengthBytes: number) => ((counting.reads += 1), io.read(offsetBytes, lengthBytes)) };
    return counting;
  }

  const options = { superblockBlock: 0, metadataBlocks: META_BYTES / BLOCK, dataBlocks: 200_000, poolName: 'tf-pool' };

  it('gives every device the runs of the model over whole and partial ranges, reading only the range', async () => {
    const model = fleetModel();
    for (const [id, pairs] of model.devices) {
      for (const [from, count] of [
        [0, 60_000],
        [12_345, 100],
        [29_990, 20],
        [39_999, 1002],
        [1000, 1],
        [60_000, 10],
      ] as const) {
        expect(await readThinMappingRuns(fileIo(fleetPath), options, id, from, count)).toEqual(modelRuns(pairs, from, count));
      }
    }
    // Device 5: 100 single blocks, then every other block from 1000: runs of one.
    expect(await readThinMappingRuns(fileIo(fleetPath), options, 5, 1000, 4)).toEqual([
      { virtualBlock: 1000, dataBlock: 160_000, blocks: 1 },
      { virtualBlock: 1002, dataBlock: 160_005, blocks: 1 },
    ]);
    const whole = countingIo(fleetPath);
    await readThinMappingRuns(whole, options, 0, 0, 60_000);
    const narrow = countingIo(fleetPath);
    await readThinMappingRuns(narrow, options, 0, 25_000, 100);
    expect(whole.reads).toBeGreaterThan(100); // 50,000 mappings fill a few hundred leaves
    expect(narrow.reads).toBeLessThanOrEqual(8); // superblock, top level, one path, a leaf or two
  });

  it('refuses a missing thin id with ENODATA and a mapping past the data size with EILSEQ', async () => {
    await expect(readThinMappingRuns(fileIo(fleetPath), options, 6, 0, 10)).rejects.toMatchObject({ code: 'ENODATA' });
    await expectEilseq(readThinMappingRuns(fileIo(fleetPath), { ...options, dataBlocks: 1000 }, 0, 0, 10), /past the pool/);
  });
});
