/**
 * Reading a live pool's metadata through a held metadata snapshot, against both clients: the
 * kernel's format through NativeDmClient in the kernel tier, the simulator's in the unit tier
 * (THINFLEET_DM picks). Small pools and few tests: the kernel tier runs Node under TCG.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { DmError, readHeldPoolMetadata, readLivePoolMetadata, thinId, type BlockClient, type ThinMetadataSummary } from '@thinfleet/devmapper';
import { DmTestHost, expectErrno, pattern, type TestPool } from './conformance/dm-test-host.js';

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
