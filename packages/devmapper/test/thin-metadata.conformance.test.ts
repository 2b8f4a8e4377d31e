/**
 * Reading a live pool's metadata through a held metadata snapshot, against both clients: the
 * kernel's format through NativeDmClient in the kernel tier, the simulator's in the unit tier
 * (THINFLEET_DM picks). Small pools and few tests: the kernel tier runs Node under TCG.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import {
  DmError,
  readHeldPoolMetadata,
  readLivePoolMetadata,
  readLiveThinDiff,
  readLiveThinMappings,
  thinId,
  type BlockClient,
  type ThinMappingRun,
  type ThinMetadataSummary,
} from '@thinfleet/devmapper';
import { DmTestHost, expectErrno, expectSameBytes, pattern, type TestPool } from './conformance/dm-test-host.js';

const MiB = 1024 * 1024;
const BLOCK = 64 * 1024;

/** thin_ls's counts for the held metadata snapshot on a live pool's metadata device (the kernel's format only). */
function thinLsHeld(metadataDevice: string): Array<[number, number, number, number]> {
  const out = execFileSync('thin_ls', ['--metadata-snap', '--no-headers', '--format', 'DEV,MAPPED_BLOCKS,EXCLUSIVE_BLOCKS,SHARED_BLOCKS', metadataDevice], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` },
  });
  return out
    .trim()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number, number, number]);
}

/** The usage of every device as `[thin id, mapped, exclusive, shared]`. */
function usage(summary: ThinMetadataSummary): Array<[number, number, number, number]> {
  return [...summary.devices].map(([id, d]) => {
    expect(d.thinId).toBe(id);
    return [id, d.mappedBlocks, d.exclusiveBlocks, d.sharedBlocks];
  });
}

let host: DmTestHost;
beforeEach(async () => {
  host = await DmTestHost.open();
});
afterEach(async () => {
  await host.teardown();
});

describe(`thin metadata of a live pool (${process.env.THINFLEET_DM ?? 'sim'})`, () => {
  const read = (pool: TestPool): Promise<ThinMetadataSummary> => readLivePoolMetadata(host.dm, host.block, pool.name, pool.metadataLoop);

  it('reports thin ids with mapped, exclusive and shared blocks and the transaction id, and releases the snapshot', async () => {
    const pool = await host.pool({ dataBytes: 16 * MiB });
    const { control } = pool;
    await control.createThin(thinId(1));
    const one = await host.thin(pool, 1, 2 * MiB);
    await host.block.write(host.dm.devicePath(one), 0, pattern(1, 4 * BLOCK));
    await host.dm.suspend(one);
    await control.createSnap(thinId(2), thinId(1));
    await host.dm.resume(one);
    await host.block.write(host.dm.devicePath(one), 0, pattern(2, BLOCK)); // thin 1 breaks sharing of block 0
    await control.createSnap(thinId(5), thinId(2)); // a snapshot nobody has written to
    await control.createThin(thinId(3));
    await control.createThin(thinId(4));
    const four = await host.thin(pool, 4, 2 * MiB);
    await host.block.write(host.dm.devicePath(four), 10 * BLOCK, pattern(3, 2 * BLOCK));
    await control.setTransactionId(0n, 5n);

    const summary = await read(pool);
    expect(summary).toMatchObject({ transactionId: 5n, dataBlockSectors: 128, dataBlocks: (16 * MiB) / BLOCK });
    expect(usage(summary)).toEqual([
      [1, 4, 1, 3], // its new block 0; blocks 1-3 shared with 2 and 5
      [2, 4, 0, 4], // old block 0 shared with 5 only
      [3, 0, 0, 0],
      [4, 2, 2, 0],
      [5, 4, 0, 4],
    ]);
    expect((await control.status()).heldMetadataRoot).toBeNull();
    expect(usage(await read(pool))).toEqual(usage(summary));
    if (host.dm.kind === 'native') {
      // thin-provisioning-tools count the kernel's own metadata (subtrees shared by snapshots) the same way.
      await control.reserveMetadataSnap();
      expect(thinLsHeld(pool.metadataLoop)).toEqual(usage(summary));
      await control.releaseMetadataSnap();
    }
  });

  it('refuses while a snapshot is held, leaves it held, and reads it as of its reserve', async () => {
    const pool = await host.pool({ dataBytes: 8 * MiB });
    const { control } = pool;
    await control.createThin(thinId(1));
    const path = host.dm.devicePath(await host.thin(pool, 1, MiB));
    await host.block.write(path, 0, pattern(4, 2 * BLOCK));
    await control.setTransactionId(0n, 1n);
    await control.reserveMetadataSnap();

    await host.block.write(path, 2 * BLOCK, pattern(5, 2 * BLOCK));
    await host.block.write(path, 0, pattern(6, BLOCK));
    await control.createThin(thinId(2));
    await control.setTransactionId(1n, 2n);

    await expectErrno(read(pool), 'EBUSY');
    const held = (await control.status()).heldMetadataRoot;
    expect(held).not.toBeNull();
    const asOfReserve = await readHeldPoolMetadata(host.dm, host.block, pool.name, pool.metadataLoop);
    expect(asOfReserve.transactionId).toBe(1n);
    expect(usage(asOfReserve)).toEqual([[1, 2, 2, 0]]);
    expect((await control.status()).heldMetadataRoot).toBe(held);
    if (host.dm.kind === 'native') {
      // thin-provisioning-tools read the same held snapshot of the kernel's metadata.
      expect(thinLsHeld(pool.metadataLoop)).toEqual(usage(asOfReserve));
    }

    await control.releaseMetadataSnap();
    await expectErrno(readHeldPoolMetadata(host.dm, host.block, pool.name, pool.metadataLoop), 'ENODATA');
    const now = await read(pool);
    expect(now.transactionId).toBe(2n);
    expect(usage(now)).toEqual([
      [1, 4, 4, 0],
      [2, 0, 0, 0],
    ]);
    expect((await control.status()).heldMetadataRoot).toBeNull();

    // A read that fails still releases the snapshot it reserved.
    const failing = Object.assign(Object.create(host.block) as BlockClient, {
      read: async (path: string): Promise<Buffer> => {
        throw new DmError('EIO', 'read', path, 'injected');
      },
    });
    await expectErrno(readLivePoolMetadata(host.dm, failing, pool.name, pool.metadataLoop), 'EIO');
    expect((await control.status()).heldMetadataRoot).toBeNull();
  });
});

describe(`thin mappings of a live pool (${process.env.THINFLEET_DM ?? 'sim'})`, () => {
  const runs = (pool: TestPool, id: number, fromBlock: number, blockCount: number): Promise<ThinMappingRun[]> =>
    readLiveThinMappings(host.dm, host.block, pool.name, pool.metadataLoop, id, fromBlock, blockCount);

  /** The runs as `[virtual block, data block]` pairs, one per block. */
  const pairs = (list: readonly ThinMappingRun[]): Array<[number, number]> =>
    list.flatMap((r) => Array.from({ length: r.blocks }, (_, i): [number, number] => [r.virtualBlock + i, r.dataBlock + i]));

  /** A pool of `dataBytes` with thin id 1 of `thinBytes` active. */
  async function poolWithThin(dataBytes: number, thinBytes: number): Promise<{ pool: TestPool; control: TestPool['control']; one: string; path: string }> {
    const pool = await host.pool({ dataBytes });
    await pool.control.createThin(thinId(1));
    const one = await host.thin(pool, 1, thinBytes);
    return { pool, control: pool.control, one, path: host.dm.devicePath(one) };
  }

  /** Checks the runs are ascending, maximal (no two could be one) and each block's data is the thin's. */
  async function expectTrueRuns(pool: TestPool, thin: string, list: readonly ThinMappingRun[]): Promise<void> {
    for (let i = 1; i < list.length; i++) {
      const [a, b] = [list[i - 1]!, list[i]!];
      expect(b.virtualBlock).toBeGreaterThanOrEqual(a.virtualBlock + a.blocks);
      expect(b.virtualBlock === a.virtualBlock + a.blocks && b.dataBlock === a.dataBlock + a.blocks).toBe(false);
    }
    for (const [v, d] of pairs(list)) {
      expectSameBytes(await host.block.read(pool.dataLoop, d * BLOCK, BLOCK), await host.block.read(host.dm.devicePath(thin), v * BLOCK, BLOCK));
    }
  }

  it('gives the written blocks as ascending runs, a snapshot the same runs, a range cut at its ends, and ENODATA for a missing id', async () => {
    const { pool, control, one, path } = await poolWithThin(16 * MiB, 2 * MiB);
    // Blocks 0-3, 10-11 and 20 (one block at a time, so the pool allocates them in this order).
    for (const b of [0, 1, 2, 3, 10, 11, 20]) await host.block.write(path, b * BLOCK, pattern(100 + b, BLOCK));
    await host.dm.suspend(one);
    await control.createSnap(thinId(2), thinId(1));
    await host.dm.resume(one);
    await control.createThin(thinId(3));

    const all = await runs(pool, 1, 0, 32);
    expect(pairs(all).map(([v]) => v)).toEqual([0, 1, 2, 3, 10, 11, 20]);
    await expectTrueRuns(pool, one, all);
    expect(all.length).toBeLessThanOrEqual(3); // blocks written in order on a fresh pool sit together
    expect(await runs(pool, 2, 0, 32)).toEqual(all); // the snapshot shares every mapping
    expect(await runs(pool, 1, 0, 1 << 20)).toEqual(all); // past the end: nothing more

    // A range in the middle cuts the runs at its ends.
    const middle = await runs(pool, 1, 2, 9);
    expect(pairs(middle)).toEqual(pairs(all).filter(([v]) => v >= 2 && v < 11));
    expect(await runs(pool, 1, 4, 6)).toEqual([]);
    expect(await runs(pool, 1, 5, 0)).toEqual([]);

    // Writing thin 1 again moves its block 0; the snapshot keeps the old one.
    await host.block.write(path, 0, pattern(7, BLOCK));
    const after = pairs(await runs(pool, 1, 0, 32));
    expect(after.map(([v]) => v)).toEqual([0, 1, 2, 3, 10, 11, 20]);
    expect(after[0]![1]).not.toBe(pairs(all)[0]![1]);
    expect(await runs(pool, 2, 0, 32)).toEqual(all);

    // An empty volume has no runs; a missing id is ENODATA; a bad range EINVAL; nothing stays held.
    expect(await runs(pool, 3, 0, 32)).toEqual([]);
    await expectErrno(runs(pool, 4, 0, 32), 'ENODATA');
    await expectErrno(runs(pool, 1, -1, 2), 'EINVAL');
    await expectErrno(runs(pool, 1, 0, 0.5), 'EINVAL');
    expect((await control.status()).heldMetadataRoot).toBeNull();
  });

  it('diffs two devices of one lineage from one metadata snapshot: rewritten and new blocks, nothing where they share', async () => {
    const { pool, control, one, path } = await poolWithThin(16 * MiB, 2 * MiB);
    for (const b of [0, 1, 2, 3, 10]) await host.block.write(path, b * BLOCK, pattern(200 + b, BLOCK));
    await host.dm.suspend(one);
    await control.createSnap(thinId(2), thinId(1));
    await host.dm.resume(one);
    const diff = (from = 0, count = 32): Promise<unknown> => readLiveThinDiff(host.dm, host.block, pool.name, pool.metadataLoop, 1, 2, from, count);
    expect(await diff()).toEqual([]);
    // After the snapshot thin 1 rewrites block 1 and writes blocks 5-6; the snapshot keeps the old ones.
    await host.block.write(path, BLOCK, pattern(7, BLOCK));
    await host.block.write(path, 5 * BLOCK, pattern(8, 2 * BLOCK));
    expect(await diff()).toEqual([
      { virtualBlock: 1, blocks: 1, kind: 'different' },
      { virtualBlock: 5, blocks: 2, kind: 'left_only' },
    ]);
    expect(await diff(6, 4)).toEqual([{ virtualBlock: 6, blocks: 1, kind: 'left_only' }]);
    await expectErrno(readLiveThinDiff(host.dm, host.block, pool.name, pool.metadataLoop, 1, 9, 0, 32), 'ENODATA');
    expect((await control.status()).heldMetadataRoot).toBeNull();
  });

  it('reads only the range of a device whose btree has internal nodes', async () => {
    const { pool, one, path } = await poolWithThin(32 * MiB, 32 * MiB);
    // 400 mapped blocks (more than a leaf holds) in 50 runs of 8 with one-block gaps: 0-7, 9-16, ...
    const written: number[] = [];
    for (let run = 0; run < 50; run++) {
      await host.block.write(path, run * 9 * BLOCK, pattern(run, 8 * BLOCK));
      for (let i = 0; i < 8; i++) written.push(run * 9 + i);
    }
    const all = await runs(pool, 1, 0, 512);
    expect(pairs(all).map(([v]) => v)).toEqual(written);
    const middle = await runs(pool, 1, 300, 60);
    expect(pairs(middle)).toEqual(pairs(all).filter(([v]) => v >= 300 && v < 360));
    await expectTrueRuns(pool, one, middle);
  });
});
