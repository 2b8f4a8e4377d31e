/**
 * What the simulated kernel keeps across a process restart (everything: the kernel kept
 * running), across a reboot (only what dm-thin committed to the disk files), and what it does
 * with torn or corrupt metadata.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, open, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDmError, NO_THIN_POOL_FEATURES, openSimHost, SimKernel, ThinPoolControl, thinId, toTargetLines, type SimHost } from '@thinfleet/devmapper';
import { expectSameBytes, pattern } from './conformance/dm-test-host.js';

const MiB = 1024 * 1024;
let dir: string;
let hosts: SimHost[] = [];

async function sim(): Promise<SimHost> {
  const h = await openSimHost(join(dir, 'kernel'));
  hosts.push(h);
  return h;
}

async function file(name: string, sizeBytes: number): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, '');
  await truncate(path, sizeBytes);
  return path;
}

async function assemble(h: SimHost, meta: string, data: string): Promise<ThinPoolControl> {
  const metaLoop = await h.block.attachLoop(meta);
  const dataLoop = await h.block.attachLoop(data);
  await h.dm.create('pool');
  await h.dm.load(
    'pool',
    toTargetLines([
      {
        startSector: 0,
        lengthSectors: (16 * MiB) / 512,
        target: { type: 'thin-pool', metadataDevice: metaLoop, dataDevice: dataLoop, dataBlockSectors: 128, lowWaterMarkBlocks: 0, features: NO_THIN_POOL_FEATURES },
      },
    ]),
  );
  await h.dm.resume('pool');
  return new ThinPoolControl(h.dm, 'pool');
}

async function activateThin(h: SimHost, name: string, id: number): Promise<string> {
  await h.dm.create(name);
  await h.dm.load(name, toTargetLines([{ startSector: 0, lengthSectors: 2048, target: { type: 'thin', poolDevice: '/dev/mapper/pool', thinId: thinId(id) } }]));
  await h.dm.resume(name);
  return h.dm.devicePath(name);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'thinfleet-sim-'));
});
afterEach(async () => {
  for (const h of hosts.splice(0)) h.close();
  await rm(dir, { recursive: true, force: true });
});

describe('SimKernel persistence', () => {
  it('rebuilds a pool stacked on linear devices after a process restart, bottom-up', async () => {
    // A pool whose metadata and data devices are dm-linear devices, as the engine stacks them:
    // the restart must rebuild the linear devices before the pool that reads their sizes.
    const meta = await file('meta', 4 * MiB);
    const data = await file('data', 16 * MiB);
    const a = await sim();
    const linear = async (name: string, loop: string, sizeBytes: number): Promise<string> => {
      await a.dm.create(name);
      await a.dm.load(name, toTargetLines([{ startSector: 0, lengthSectors: sizeBytes / 512, target: { type: 'linear', device: loop, offsetSectors: 0 } }]));
      await a.dm.resume(name);
      return a.dm.devicePath(name);
    };
    // The pool is created first so that it comes before its linear devices in the kernel's list.
    await a.dm.create('pool');
    const tmeta = await linear('tmeta', await a.block.attachLoop(meta), 4 * MiB);
    const tdata = await linear('tdata', await a.block.attachLoop(data), 16 * MiB);
    await a.dm.load(
      'pool',
      toTargetLines([
        {
          startSector: 0,
          lengthSectors: (16 * MiB) / 512,
          target: { type: 'thin-pool', metadataDevice: tmeta, dataDevice: tdata, dataBlockSectors: 128, lowWaterMarkBlocks: 0, features: NO_THIN_POOL_FEATURES },
        },
      ]),
    );
    await a.dm.resume('pool');
    await new ThinPoolControl(a.dm, 'pool').createThin(thinId(7));
    a.close();
    hosts = hosts.filter((h) => h !== a);

    const b = await sim();
    expect((await b.dm.list()).map((d) => d.name).sort()).toEqual(['pool', 'tdata', 'tmeta']);
    const status = await new ThinPoolControl(b.dm, 'pool').status();
    expect(status.totalDataBlocks).toBe((16 * MiB) / (64 * 1024));
    await activateThin(b, 'vol', 7);
  });

  it('keeps devices, tables, suspension and pool state across a process restart', async () => {
    const meta = await file('meta', 4 * MiB);
    const data = await file('data', 16 * MiB);
    const a = await sim();
    const pool = await assemble(a, meta, data);
    await pool.createThin(thinId(1));
    const thin = await activateThin(a, 'vol', 1);
    await a.block.write(thin, 0, pattern(1, 8192));
    await a.dm.suspend('vol');
    a.close();

    const b = await sim();
    expect(await b.dm.info('vol')).toMatchObject({ suspended: true, liveTable: true });
    expect(await b.dm.info('pool')).toMatchObject({ openCount: 1 });
    await b.dm.resume('vol');
    expectSameBytes(await b.block.read(thin, 0, 8192), pattern(1, 8192));
    expect((await new ThinPoolControl(b.dm, 'pool').status()).usedDataBlocks).toBe(1);
  });

  it('after a reboot finds only what the disk files hold, and reassembles the pool from them', async () => {
    const meta = await file('meta', 4 * MiB);
    const data = await file('data', 16 * MiB);
    const a = await sim();
    const pool = await assemble(a, meta, data);
    await pool.createThin(thinId(2));
    await pool.setTransactionId(0n, 9n);
    await a.block.write(await activateThin(a, 'vol', 2), 65536, pattern(2, 4096));
    a.close();
    SimKernel.reboot(join(dir, 'kernel'));

    const b = await sim();
    expect(await b.dm.list()).toEqual([]);
    expect(await b.block.loopBackingFile('/dev/loop0')).toBeNull();
    const again = await assemble(b, meta, data);
    expect((await again.status()).transactionId).toBe(9n);
    expectSameBytes(await b.block.read(await activateThin(b, 'vol', 2), 65536, 4096), pattern(2, 4096));
  });

  it('falls back to the previous commit when the newest superblock is torn', async () => {
    const meta = await file('meta', 4 * MiB);
    const data = await file('data', 16 * MiB);
    const a = await sim();
    const pool = await assemble(a, meta, data);
    await pool.setTransactionId(0n, 1n);
    await pool.setTransactionId(1n, 2n);
    const status = await pool.status();
    a.close();
    SimKernel.reboot(join(dir, 'kernel'));
    expect(status.transactionId).toBe(2n);
    // Tear the newer of the two superblocks (their sequence number is at byte 8).
    const fh = await open(meta, 'r+');
    const seqAt = async (offset: number): Promise<bigint> => {
      const b = Buffer.alloc(8);
      await fh.read(b, 0, 8, offset + 8);
      return b.readBigUInt64LE(0);
    };
    const newest = (await seqAt(0)) > (await seqAt(4096)) ? 0 : 4096;
    await fh.write(Buffer.from('torn'), 0, 4, newest + 100);
    await fh.close();
    const b = await sim();
    expect((await (await assemble(b, meta, data)).status()).transactionId).toBe(1n);
  });

  it('refuses metadata with no valid superblock (EILSEQ) and leaves no table behind', async () => {
    const meta = await file('meta', 4 * MiB);
    const data = await file('data', 16 * MiB);
    const fh = await open(meta, 'r+');
    await fh.write(Buffer.from('not a thin pool'), 0, 15, 0);
    await fh.close();
    const h = await sim();
    const err = await assemble(h, meta, data).catch((e: unknown) => e);
    expect(isDmError(err, 'EILSEQ')).toBe(true);
    expect(await h.dm.info('pool')).toMatchObject({ inactiveTable: false, liveTable: false });
  });

  it('goes read-only when its metadata device is full, keeping the last commit', async () => {
    const meta = await file('meta', 16 * 1024);
    const data = await file('data', 16 * MiB);
    const h = await sim();
    const pool = await assemble(h, meta, data);
    let created = 0;
    let failure: unknown;
    for (; created < 1000; created++) {
      failure = await pool.createThin(thinId(created)).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (failure !== undefined) break;
    }
    expect(isDmError(failure, 'ENOSPC')).toBe(true);
    expect((await pool.status()).mode).toBe('ro');
    expect(isDmError(await pool.createThin(thinId(5000)).catch((e: unknown) => e), 'EOPNOTSUPP')).toBe(true);
    h.close();
    SimKernel.reboot(join(dir, 'kernel'));
    const after = await sim();
    const reopened = await assemble(after, meta, data);
    expect(isDmError(await reopened.createThin(thinId(created - 1)).catch((e: unknown) => e), 'EEXIST')).toBe(true);
  });

  it('holds a device open like a VM would until released', async () => {
    const h = await sim();
    const loop = await h.block.attachLoop(await file('disk', MiB));
    await h.dm.create('busy');
    await h.dm.load('busy', toTargetLines([{ startSector: 0, lengthSectors: 2048, target: { type: 'linear', device: loop, offsetSectors: 0 } }]));
    await h.dm.resume('busy');
    h.dm.holdOpen('busy');
    expect(isDmError(await h.dm.remove('busy').catch((e: unknown) => e), 'EBUSY')).toBe(true);
    await h.dm.remove('busy', { deferred: true });
    h.dm.releaseOpen('busy');
    expect(isDmError(await h.dm.info('busy').catch((e: unknown) => e), 'ENXIO')).toBe(true);
  });
});
