/**
 * The engine's conformance suite: the same tests against the simulated kernel (unit tier) and
 * the real device-mapper (kernel tier, in the qemu guest). Each test makes its own pool on loop
 * devices and tears everything down.
 */
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readLivePoolMetadata, ThinPoolControl, thinId, type DmClient } from '@thinfleet/devmapper';
import { exceptionStoreBytes, isEngineError, volumeDeviceName, type BatchItem, type Engine, type EngineErrorCode, type Pool } from '@thinfleet/engine';
import { readLabel } from '@thinfleet/catalog';
import { EngineTestHost, expectSameBytes, pattern, SMALL_CATALOG } from './support/engine-test-host.js';
import { blockCatalogDevice } from '../src/block-catalog-device.js';
import { poolCore } from '../src/pool.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const BLOCK = 64 * KiB;

let host: EngineTestHost;
let engine: Engine;

beforeEach(async () => {
  host = await EngineTestHost.open();
  engine = host.engine();
});

afterEach(async () => {
  await host.teardown();
});

async function makePool(devices = 1, sizeBytes = 64 * MiB, extra: { maxVolumeBytes?: number } = {}): Promise<{ pool: Pool; paths: string[] }> {
  const paths = await host.devices(devices, sizeBytes);
  const pool = await engine.createPool({ name: host.poolName(), devices: paths, ...SMALL_CATALOG, ...extra });
  return { pool, paths };
}

async function expectEngineError(promise: Promise<unknown>, code: EngineErrorCode, item?: string): Promise<void> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isEngineError(err)) throw new Error(`expected EngineError ${code}, got ${err === null ? 'success' : inspect(err)}`);
  expect(err.code).toBe(code);
  if (item !== undefined) expect(err.item).toBe(item);
}

async function kernelIds(pool: Pool): Promise<number[]> {
  const names = poolCore(pool).names;
  const summary = await readLivePoolMetadata(host.dm, host.block, names.pool, host.dm.devicePath(names.meta));
  return [...summary.devices.keys()].sort((a, b) => a - b);
}

function catalogIds(pool: Pool): number[] {
  return Object.values(poolCore(pool).catalog.state.volumes)
    .map((v) => v.thinId)
    .sort((a, b) => a - b);
}

describe('pools', () => {
  it('creates a pool over two devices and reports its size, transaction id and mode', async () => {
    const { pool } = await makePool(2);
    const status = await pool.status();
    expect(status.mode).toBe('rw');
    expect(status.needsCheck).toBe(false);
    expect(status.transactionId).toBe('0');
    expect(status.dataBlockBytes).toBe(BLOCK);
    const layout = poolCore(pool).catalog.state.pool.layout;
    expect(layout.data).toHaveLength(2);
    expect(status.dataTotalBytes).toBe(layout.dataBlocks * BLOCK);
    expect(status.dataTotalBytes).toBeGreaterThan(64 * MiB);
    expect(status.dataUsedBytes).toBe(0);
    expect(status.metadataTotalBytes).toBe(layout.metadata.lengthBytes);
  });

  it('is found again from its devices alone after deactivation', async () => {
    const { pool, paths } = await makePool(2);
    await pool.createVolume('a', MiB);
    await host.writePattern(pool, 'a', 7);
    await pool.deactivateVolume('a');
    await pool.deactivate();
    await expectEngineError(pool.list(), 'POOL_INACTIVE');
    const found = await host.engine().discover([...paths].reverse());
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ name: pool.name, uuid: pool.uuid, complete: true, devices: paths });
    const again = await host.engine().activatePool(pool.name, paths);
    expect(again.lastRecovery?.outcome).toBe('clean');
    expectSameBytes(await host.readStart(again, 'a'), pattern(7, 64 * KiB));
  });

  it('reports a pool with a missing device as incomplete and refuses to activate it', async () => {
    const { pool, paths } = await makePool(2);
    await pool.deactivate();
    const found = await host.engine().discover([paths[0]!]);
    expect(found[0]?.complete).toBe(false);
    expect(found[0]?.problems.join()).toMatch(/device 1 of 2 is missing/);
    await expectEngineError(host.engine().activatePool(pool.name, [paths[0]!]), 'POOL_INCOMPLETE');
  });

  it('refuses devices that carry a label unless forced, and destroy removes the pool', async () => {
    const { pool, paths } = await makePool(1);
    await expectEngineError(host.engine().createPool({ name: host.poolName(), devices: paths, ...SMALL_CATALOG }), 'DEVICE_UNUSABLE');
    await pool.createVolume('v', MiB);
    await expectEngineError(engine.destroyPool(pool.name), 'VOLUME_BUSY');
    await engine.destroyPool(pool.name, { force: true });
    expect(await host.engine().discover(paths)).toEqual([]);
    const reused = await host.engine().createPool({ name: host.poolName(), devices: paths, ...SMALL_CATALOG });
    expect((await reused.list()).length).toBe(0);
  });

  it('rejects bad pool input with typed errors', async () => {
    const paths = await host.devices(1);
    await expectEngineError(engine.createPool({ name: 'bad name', devices: paths }), 'INVALID_NAME');
    await expectEngineError(engine.createPool({ name: host.poolName(), devices: [] }), 'INVALID_ARGUMENT');
    await expectEngineError(engine.createPool({ name: host.poolName(), devices: paths, dataBlockBytes: 1000 }), 'INVALID_ARGUMENT');
    await expectEngineError(engine.createPool({ name: host.poolName(), devices: ['/dev/nonexistent'] }), 'DEVICE_UNUSABLE');
    const tiny = await host.devices(1, 2 * MiB);
    await expectEngineError(engine.createPool({ name: host.poolName(), devices: tiny, ...SMALL_CATALOG }), 'DEVICE_UNUSABLE');
    expect(await engine.discover([...paths, ...tiny])).toEqual([]);
  });
});

describe('volumes', () => {
  it('creates volumes rounded to the block size, lowest free thin id first, inactive unless asked', async () => {
    const { pool } = await makePool();
    const a = await pool.createVolume('a', 100 * 512);
    expect(a).toMatchObject({ name: 'a', thinId: 0, sizeBytes: BLOCK, active: false, devicePath: null, origin: null });
    const b = await pool.createVolume('b', MiB, { activate: true });
    expect(b.thinId).toBe(1);
    expect(b.active).toBe(true);
    expect(b.devicePath).toMatch(/\/dev\/mapper\/tf-/);
    expect(await host.block.sizeBytes(b.devicePath!)).toBe(MiB);
    expect((await pool.list()).map((v) => [v.name, v.active])).toEqual([
      ['a', false],
      ['b', true],
    ]);
    expect(await kernelIds(pool)).toEqual([0, 1]);
    // Creates are folded transactions: their ids are their commit evidence, the kernel's id stays.
    expect((await pool.status()).transactionId).toBe('0');
    expect(poolCore(pool).catalog.state.committedTx).toBe('0');
  });

  it('reuses a deleted thin id only after the delete is committed', async () => {
    const { pool } = await makePool();
    for (const n of ['a', 'b', 'c']) await pool.createVolume(n, MiB);
    await pool.deleteVolume('b');
    expect((await pool.createVolume('d', MiB)).thinId).toBe(1);
    const result = await pool.batch([
      { item: 'drop-a', op: 'delete', volume: 'a' },
      { item: 'make-e', op: 'create', volume: 'e', sizeBytes: MiB },
    ]);
    expect(result.items[1]?.volume?.thinId).toBe(3);
    expect(await kernelIds(pool)).toEqual([1, 2, 3]);
    expect((await pool.createVolume('f', MiB)).thinId).toBe(0);
  });

  it('snapshots are writable, independent, and chain', async () => {
    const { pool } = await makePool();
    await pool.createVolume('base', MiB);
    await host.writePattern(pool, 'base', 1);
    const s1 = await pool.snapshot('base', 's1');
    expect(s1.origin).toBe('base');
    await host.writePattern(pool, 'base', 2);
    const s2 = await pool.snapshot('s1', 's2');
    expect(s2.origin).toBe('s1');
    await host.writePattern(pool, 's1', 3);
    expectSameBytes(await host.readStart(pool, 'base'), pattern(2, 64 * KiB));
    expectSameBytes(await host.readStart(pool, 's1'), pattern(3, 64 * KiB));
    expectSameBytes(await host.readStart(pool, 's2'), pattern(1, 64 * KiB));
    // The active origin was suspended for the snapshot and is live again.
    const base = (await pool.list()).find((v) => v.name === 'base')!;
    expect((await host.dm.info(base.devicePath!.replace('/dev/mapper/', ''))).suspended).toBe(false);
  });

  it('reports mapped, exclusive and shared bytes', async () => {
    const { pool } = await makePool();
    await pool.createVolume('v', MiB);
    await host.writePattern(pool, 'v', 1, 4 * BLOCK);
    await pool.snapshot('v', 's');
    await host.writePattern(pool, 'v', 2, BLOCK);
    const v = await pool.show('v');
    expect(v).toMatchObject({ mappedBytes: 4 * BLOCK, exclusiveBytes: BLOCK, sharedBytes: 3 * BLOCK });
    const s = await pool.show('s');
    expect(s).toMatchObject({ mappedBytes: 4 * BLOCK, exclusiveBytes: BLOCK, sharedBytes: 3 * BLOCK });
  });

  it('creates volumes over a read-only external origin', async () => {
    const { pool } = await makePool();
    const [image] = await host.devices(1, MiB);
    await host.block.write(image!, 0, pattern(9, 64 * KiB));
    const v = await pool.createExternal('vm1', image!);
    expect(v).toMatchObject({ externalOrigin: image, sizeBytes: MiB });
    await pool.createExternal('vm2', image!, { sizeBytes: 2 * MiB });
    expectSameBytes(await host.readStart(pool, 'vm1'), pattern(9, 64 * KiB));
    await host.writePattern(pool, 'vm1', 4);
    expectSameBytes(await host.readStart(pool, 'vm2'), pattern(9, 64 * KiB));
    expectSameBytes(await host.block.read(image!, 0, 64 * KiB), pattern(9, 64 * KiB));
    const snap = await pool.snapshot('vm1', 'vm1-snap');
    expect(snap.externalOrigin).toBe(image);
    await expectEngineError(pool.createExternal('vm3', '/dev/nonexistent'), 'INVALID_ARGUMENT', 'vm3');
  });

  it('refuses the pool itself as an external origin: its device, its _tpool, its thin volumes, devices stacked on them', async () => {
    const { pool, paths } = await makePool();
    await pool.createVolume('v', MiB, { activate: true });
    const volumePath = host.dm.devicePath(volumeDeviceName(pool.name, 'v'));
    const stacked = `${host.poolName()}-stacked`;
    await host.dm.create(stacked);
    try {
      await host.dm.load(stacked, [{ startSector: 0, lengthSectors: 2 * KiB, type: 'linear', params: `${volumePath} 0` }]);
      await host.dm.resume(stacked);
      for (const origin of [paths[0]!, host.dm.devicePath(poolCore(pool).names.pool), volumePath, host.dm.devicePath(stacked)]) {
        await expectEngineError(pool.createExternal('x', origin), 'INVALID_ARGUMENT', 'x');
        await expect(pool.checkExternalOrigin(origin)).rejects.toThrow(/a pool cannot be the origin of its own volumes/);
      }
    } finally {
      await host.dm.remove(stacked);
    }
    expect((await pool.list()).map((v) => v.name)).toEqual(['v']);
    // Another pool's volume may be an origin.
    const other = await engine.createPool({ name: `${host.poolName()}b`, devices: await host.devices(1, 64 * MiB), ...SMALL_CATALOG });
    await other.createVolume('base', MiB, { activate: true });
    await pool.checkExternalOrigin(host.dm.devicePath(volumeDeviceName(other.name, 'base')));
    await other.deactivateVolume('base');
  });

  it('refuses to destroy a pool whose device lost its label, and changes nothing', async () => {
    const { pool, paths } = await makePool();
    await pool.createVolume('v', MiB);
    await host.block.write(paths[0]!, 0, Buffer.alloc(4 * KiB));
    await expectEngineError(engine.destroyPool(pool.name, { force: true }), 'DEVICE_MISMATCH');
    expect(pool.isActive).toBe(true);
    expect((await pool.list()).map((v) => v.name)).toEqual(['v']);
  });

  it('renames inactive volumes, grows (active ones too) and refuses to shrink', async () => {
    const { pool } = await makePool();
    await pool.createVolume('v', MiB);
    await host.writePattern(pool, 'v', 5);
    await expectEngineError(pool.rename('v', 'w'), 'VOLUME_ACTIVE', 'v');
    const grown = await pool.grow('v', 2 * MiB);
    expect(grown.sizeBytes).toBe(2 * MiB);
    expect(await host.block.sizeBytes(grown.devicePath!)).toBe(2 * MiB);
    await expectEngineError(pool.grow('v', MiB), 'SHRINK_REFUSED', 'v');
    await pool.deactivateVolume('v');
    const renamed = await pool.rename('v', 'w');
    expect(renamed.uuid).toBe(grown.uuid);
    expectSameBytes(await host.readStart(pool, 'w'), pattern(5, 64 * KiB));
    await expectEngineError(pool.show('v'), 'NO_SUCH_VOLUME');
  });

  it('deletes an origin and leaves its snapshots intact', async () => {
    const { pool } = await makePool();
    await pool.createVolume('o', MiB);
    await host.writePattern(pool, 'o', 6);
    await pool.snapshot('o', 's');
    const deleted = await pool.deleteVolume('o');
    expect(deleted.name).toBe('o');
    expect((await pool.show('s')).origin).toBeNull();
    expectSameBytes(await host.readStart(pool, 's'), pattern(6, 64 * KiB));
    expect(await kernelIds(pool)).toEqual(catalogIds(pool));
  });

  it('reverts a volume to its snapshot, keeping name and uuid', async () => {
    const { pool } = await makePool();
    const v = await pool.createVolume('v', MiB);
    await host.writePattern(pool, 'v', 1);
    await pool.snapshot('v', 'good');
    await host.writePattern(pool, 'v', 2);
    await expectEngineError(pool.revert('v', 'good'), 'VOLUME_ACTIVE', 'v');
    await pool.deactivateVolume('v');
    await pool.createVolume('other', MiB);
    await expectEngineError(pool.revert('v', 'other'), 'INVALID_ARGUMENT', 'v');
    const reverted = await pool.revert('v', 'good');
    expect(reverted).toMatchObject({ name: 'v', uuid: v.uuid });
    expect(reverted.thinId).not.toBe(v.thinId);
    expectSameBytes(await host.readStart(pool, 'v'), pattern(1, 64 * KiB));
    expectSameBytes(await host.readStart(pool, 'good'), pattern(1, 64 * KiB));
    expect(await kernelIds(pool)).toEqual(catalogIds(pool));
  });

  it('rotates revisions, keeping the newest N and every pinned one', async () => {
    const { pool } = await makePool();
    await pool.createVolume('vm', MiB);
    for (let i = 1; i <= 3; i++) {
      await host.writePattern(pool, 'vm', i);
      await pool.revision('vm', 2);
    }
    const names = async (): Promise<string[]> => (await pool.list()).filter((v) => v.revisionOf === 'vm').map((v) => v.name);
    expect(await names()).toEqual(['vm.rev2', 'vm.rev3']);
    await pool.pin('vm.rev2');
    await pool.revision('vm', 1);
    expect(await names()).toEqual(['vm.rev2', 'vm.rev4']);
    expectSameBytes(await host.readStart(pool, 'vm.rev2'), pattern(2, 64 * KiB));
    expect((await pool.show('vm.rev2')).pinned).toBe(true);
    await expectEngineError(pool.revision('vm', 0), 'INVALID_ARGUMENT', 'vm');
  });

  it('numbers revisions by the volume, not its name: a leftover revision of an earlier volume of that name neither blocks nor rotates', async () => {
    const { pool } = await makePool();
    await pool.createVolume('vm', MiB);
    for (let i = 1; i <= 3; i++) {
      await host.writePattern(pool, 'vm', i);
      await pool.revision('vm', 3);
    }
    await pool.deleteVolume('vm.rev1');
    await pool.deleteVolume('vm');
    // The dead volume's revisions stay, belonging to nobody.
    const leftovers = (await pool.list()).filter((v) => v.name.startsWith('vm.rev'));
    expect(leftovers.map((v) => [v.name, v.revisionOf])).toEqual([
      ['vm.rev2', null],
      ['vm.rev3', null],
    ]);

    const reborn = await pool.createVolume('vm', MiB);
    await host.writePattern(pool, 'vm', 7);
    const first = await pool.revision('vm', 1);
    expect(first).toMatchObject({ name: 'vm.rev1', revision: 1, revisionOf: 'vm' });
    // vm.rev2 and vm.rev3 are taken by the dead volume's revisions: skipped, and kept.
    const second = await pool.revision('vm', 1);
    expect(second).toMatchObject({ name: 'vm.rev4', revision: 4, revisionOf: 'vm' });
    // Numbers never go back, even when the highest revision is gone.
    await pool.deleteVolume('vm.rev4');
    const third = await pool.revision('vm', 1);
    expect(third).toMatchObject({ name: 'vm.rev5', revision: 5 });
    const all = await pool.list();
    expect(all.filter((v) => v.revisionOf === 'vm').map((v) => v.name)).toEqual(['vm.rev5']);
    expect(all.filter((v) => v.revisionOf === null && v.name.startsWith('vm.rev')).map((v) => v.name)).toEqual(['vm.rev2', 'vm.rev3']);
    expectSameBytes(await host.readStart(pool, 'vm.rev2'), pattern(2, 64 * KiB));
    expectSameBytes(await host.readStart(pool, 'vm.rev3'), pattern(3, 64 * KiB));
    expect((await pool.show('vm')).uuid).toBe(reborn.uuid);
    expect(await kernelIds(pool)).toEqual(catalogIds(pool));
  });

  it('keeps a delete mark in the catalog for the next activation, clears it, and refuses a malformed one', async () => {
    const { pool, paths } = await makePool();
    await pool.createVolume('doomed', 4 * MiB, { activate: true });
    expect((await pool.show('doomed')).deleting).toBeNull();
    const mark = { jobId: 'job-1', doneBytes: MiB, chunkBytes: MiB, createdMs: 1_700_000_000_000 };
    expect((await pool.markDelete('doomed', mark)).deleting).toEqual(mark);
    const seq = poolCore(pool).catalog.seq;
    await pool.markDelete('doomed', { ...mark });
    expect(poolCore(pool).catalog.seq).toBe(seq); // an equal mark is no transaction: nothing written
    await expectEngineError(pool.markDelete('doomed', { ...mark, doneBytes: 5 * MiB }), 'INVALID_ARGUMENT', 'doomed');
    await expectEngineError(pool.markDelete('doomed', { ...mark, chunkBytes: 100 }), 'INVALID_ARGUMENT', 'doomed');
    await expectEngineError(pool.markDelete('doomed', { ...mark, jobId: '' }), 'INVALID_ARGUMENT', 'doomed');
    await expectEngineError(pool.markDelete('missing', mark), 'NO_SUCH_VOLUME');
    await pool.deactivateVolume('doomed');
    await pool.deactivate();
    // Another engine (another host) finds the mark on the pool's own devices.
    const again = await host.engine().activatePool(pool.name, paths);
    expect((await again.show('doomed')).deleting).toEqual(mark);
    expect((await again.markDelete('doomed', null)).deleting).toBeNull();
    await again.deleteVolume('doomed');
    expect(await again.list()).toEqual([]);
  });

  it('keeps a job mark (flatten, merge) in the catalog for the next activation, clears it, and refuses a malformed one', async () => {
    const { pool, paths } = await makePool();
    await pool.createVolume('base', 4 * MiB, { activate: true });
    expect((await pool.show('base')).job).toBeNull();
    const mark = { kind: 'flatten', jobId: 'job-2', doneBytes: MiB, chunkBytes: MiB, createdMs: 1_700_000_000_000, phase: 'copy' };
    expect((await pool.markJob('base', mark)).job).toEqual(mark);
    expect((await pool.show('base')).deleting).toBeNull();
    const seq = poolCore(pool).catalog.seq;
    await pool.markJob('base', { ...mark });
    expect(poolCore(pool).catalog.seq).toBe(seq); // an equal mark is no transaction: nothing written
    await expectEngineError(pool.markJob('base', { ...mark, kind: 'delete' }), 'INVALID_ARGUMENT', 'base');
    await expectEngineError(pool.markJob('base', { ...mark, kind: 'Bad Kind' }), 'INVALID_ARGUMENT', 'base');
    await expectEngineError(pool.markJob('base', { ...mark, phase: '' }), 'INVALID_ARGUMENT', 'base');
    await expectEngineError(pool.markJob('base', { ...mark, doneBytes: 5 * MiB }), 'INVALID_ARGUMENT', 'base');
    await expectEngineError(pool.markJob('missing', mark), 'NO_SUCH_VOLUME');
    expect(poolCore(pool).catalog.seq).toBe(seq); // nothing was half-applied
    const detached = { ...mark, doneBytes: 4 * MiB, phase: 'detach' };
    expect((await pool.markJob('base', detached)).job).toEqual(detached);
    await pool.deactivateVolume('base');
    await pool.deactivate();
    const again = await host.engine().activatePool(pool.name, paths);
    expect((await again.show('base')).job).toEqual(detached);
    expect((await again.markJob('base', null)).job).toBeNull();
  });

  it('records a device snapshot on its exception store volume in the create transaction, and refuses a malformed record', async () => {
    const { pool, paths } = await makePool();
    const record = { device: { path: '/dev/loop9', sizeBytes: 8 * MiB, label: 'loop-file:/images/base.img' }, chunkSectors: 8, store: 'P' as const, createdAtMs: 1_700_000_000_000 };
    const seq = poolCore(pool).catalog.seq;
    const bad = [
      { ...record, device: { ...record.device, path: 'dev/loop9' } },
      { ...record, device: { ...record.device, path: `/${'x'.repeat(2000)}` } },
      { ...record, device: { ...record.device, sizeBytes: 1000 } },
      { ...record, device: { ...record.device, label: 'no source' } },
      { ...record, chunkSectors: 12 },
      { ...record, chunkSectors: 4 },
      { ...record, store: 'N' },
    ];
    for (const deviceSnapshot of bad) {
      await expectEngineError(pool.createVolume('cow', 9 * MiB, { deviceSnapshot: deviceSnapshot as typeof record }), 'INVALID_ARGUMENT', 'cow');
    }
    expect(poolCore(pool).catalog.seq).toBe(seq);
    expect(await pool.list()).toEqual([]);
    expect((await pool.createVolume('cow', 9 * MiB, { deviceSnapshot: record })).deviceSnapshot).toEqual(record);
    expect((await pool.createVolume('plain', MiB)).deviceSnapshot).toBeNull();
    await pool.deactivate();
    const again = await host.engine().activatePool(pool.name, paths);
    expect((await again.show('cow')).deviceSnapshot).toEqual(record);
  });

  it("sizes an exception store so a device's every chunk fits", () => {
    // 1 MiB device, 4 KiB chunks: 256 data chunks, 256 pairs per area: header + 256 + 1 area + 1 spare.
    expect(exceptionStoreBytes(MiB, 8)).toBe((1 + 256 + 1 + 1) * 4 * KiB);
    expect(exceptionStoreBytes(MiB + 1, 8)).toBe((1 + 257 + 2 + 1) * 4 * KiB);
  });

  it('activates only what is asked for, and refuses to delete an open volume', async () => {
    const { pool } = await makePool();
    await pool.createVolume('a', MiB);
    await pool.createVolume('b', MiB);
    const a = await pool.activateVolume('a');
    expect(await pool.activateVolume('a')).toMatchObject({ active: true });
    expect((await pool.list()).filter((v) => v.active).map((v) => v.name)).toEqual(['a']);
    const release = await host.holdOpen(a.devicePath!);
    try {
      await expectEngineError(pool.deleteVolume('a'), 'VOLUME_BUSY', 'a');
      await expectEngineError(pool.deactivateVolume('a'), 'VOLUME_BUSY');
      await expectEngineError(pool.deactivate(), 'VOLUME_BUSY');
    } finally {
      await release();
    }
    expect(await kernelIds(pool)).toEqual([0, 1]);
    await pool.deleteVolume('a');
    expect(await kernelIds(pool)).toEqual([1]);
  });
});

describe('batches', () => {
  it('applies many operations as one transaction', async () => {
    const { pool } = await makePool();
    await pool.createVolume('origin', MiB, { activate: true });
    await host.writePattern(pool, 'origin', 3);
    await pool.createVolume('old', MiB);
    const items: BatchItem[] = [
      { item: 'new', op: 'create', volume: 'fresh', sizeBytes: MiB },
      ...Array.from({ length: 10 }, (_, i): BatchItem => ({ item: `snap${i}`, op: 'snapshot', volume: `snap${i}`, origin: 'origin' })),
      { item: 'snap-of-new', op: 'snapshot', volume: 'fresh-snap', origin: 'fresh' },
      { item: 'rename', op: 'rename', volume: 'old', newName: 'older' },
      { item: 'grow', op: 'grow', volume: 'origin', sizeBytes: 2 * MiB },
    ];
    const seqBefore = poolCore(pool).catalog.seq;
    const txBefore = (await pool.status()).transactionId;
    const result = await pool.batch(items);
    expect(poolCore(pool).catalog.seq, 'one intent, one staged commit').toBe(seqBefore + 2);
    expect(result.tx, 'a batch that deletes nothing is folded').toBe(txBefore);
    expect(result.items.map((i) => i.item)).toEqual(items.map((i) => i.item));
    expect(result.items[1]?.volume?.name).toBe('snap0');
    expect(await kernelIds(pool)).toEqual(catalogIds(pool));
    expect(catalogIds(pool)).toHaveLength(14);
    expectSameBytes(await host.readStart(pool, 'snap9'), pattern(3, 64 * KiB));
    expect((await pool.show('origin')).sizeBytes).toBe(2 * MiB);
    const deleting = await pool.batch([{ item: 'del', op: 'delete', volume: 'older' }]);
    expect(BigInt(deleting.tx), 'a batch that deletes moves the id by one').toBe(BigInt(txBefore) + 1n);
    expect((await pool.status()).transactionId).toBe(deleting.tx);
  });

  it('costs a snapshot one kernel message and no device list; a delete also sets the transaction id', async () => {
    const calls: string[] = [];
    const counting = new Proxy(host.dm, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (prop !== 'devicePath') calls.push(prop === 'message' ? `message ${String(args[2]).split(' ')[0]}` : String(prop));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const paths = await host.devices(1);
    const pool = await host.engine({ dm: counting }).createPool({ name: host.poolName(), devices: paths, ...SMALL_CATALOG });
    await pool.createVolume('a', MiB, { activate: true });
    await host.writePattern(pool, 'a', 5);
    await pool.createVolume('b', MiB);
    const count = (name: string): number => calls.filter((c) => c === name).length;

    calls.length = 0;
    await pool.snapshot('a', 'a-snap');
    expect({
      list: count('list'),
      suspend: count('suspend'),
      resume: count('resume'),
      createSnap: count('message create_snap'),
      messages: calls.filter((c) => c.startsWith('message')).length,
    }).toEqual({
      list: 0,
      suspend: 1,
      resume: 1,
      createSnap: 1,
      messages: 1,
    });
    calls.length = 0;
    await pool.snapshot('b', 'b-snap');
    expect({ list: count('list'), suspend: count('suspend'), messages: calls.filter((c) => c.startsWith('message')).length }).toEqual({ list: 0, suspend: 0, messages: 1 });
    calls.length = 0;
    await pool.createVolume('c', MiB);
    expect({ list: count('list'), messages: calls.filter((c) => c.startsWith('message')).join(',') }).toEqual({ list: 0, messages: 'message create_thin' });
    expectSameBytes(await host.readStart(pool, 'a-snap'), pattern(5, 64 * KiB));

    calls.length = 0;
    await pool.deleteVolume('b-snap');
    expect(calls.filter((c) => c.startsWith('message')).join(',')).toBe('message delete,message set_transaction_id');
  });

  it('rejects a batch with one bad item before touching anything, naming the item', async () => {
    const { pool } = await makePool();
    await pool.createVolume('a', MiB);
    const before = { tx: (await pool.status()).transactionId, ids: await kernelIds(pool), list: await pool.list() };
    const good: BatchItem = { item: 'ok', op: 'create', volume: 'b', sizeBytes: MiB };
    const cases: Array<[BatchItem, EngineErrorCode]> = [
      [{ item: 'bad-name', op: 'create', volume: 'no/slash', sizeBytes: MiB }, 'INVALID_NAME'],
      [{ item: 'long-name', op: 'create', volume: 'x'.repeat(65), sizeBytes: MiB }, 'INVALID_NAME'],
      [{ item: 'dup-name', op: 'create', volume: 'a', sizeBytes: MiB }, 'NAME_EXISTS'],
      [{ item: 'zero', op: 'create', volume: 'z', sizeBytes: 0 }, 'INVALID_SIZE'],
      [{ item: 'fractional', op: 'create', volume: 'z', sizeBytes: 1000.5 }, 'INVALID_SIZE'],
      [{ item: 'huge', op: 'create', volume: 'z', sizeBytes: 2 ** 52 }, 'INVALID_SIZE'],
      [{ item: 'unknown', op: 'snapshot', volume: 'z', origin: 'nope' }, 'NO_SUCH_VOLUME'],
      [{ item: 'shrink', op: 'grow', volume: 'a', sizeBytes: 512 }, 'SHRINK_REFUSED'],
      [{ item: 'keep', op: 'revision', volume: 'a', keep: -1 }, 'INVALID_ARGUMENT'],
      [{ item: 'op', op: 'explode', volume: 'a' } as unknown as BatchItem, 'INVALID_ARGUMENT'],
    ];
    for (const [bad, code] of cases) await expectEngineError(pool.batch([good, bad]), code, bad.item);
    await expectEngineError(pool.batch([good, { ...good, volume: 'c' }]), 'INVALID_ARGUMENT', 'ok');
    await expectEngineError(pool.batch([]), 'INVALID_ARGUMENT');
    expect((await pool.status()).transactionId).toBe(before.tx);
    expect(await kernelIds(pool)).toEqual(before.ids);
    expect(await pool.list()).toEqual(before.list);
  });

  it('rounds any whole number of bytes up to the data block size, and states the limit in units', async () => {
    const { pool } = await makePool();
    const block = (await pool.status()).dataBlockBytes;
    expect((await pool.createVolume('odd', 1000)).sizeBytes).toBe(block);
    expect((await pool.createVolume('one', 1)).sizeBytes).toBe(block);
    expect((await pool.grow('odd', block + 1)).sizeBytes).toBe(2 * block);
    await expect(pool.createVolume('huge', 2 ** 52)).rejects.toThrow(/size 4\.0 PiB is beyond the pool's limit of 1\.0 PiB per volume/);
    await expect(pool.createVolume('over', 2 ** 53)).rejects.toThrow(/size must be a whole number of bytes below 8 PiB/);
  });

  it('sees earlier items of the same batch', async () => {
    const { pool } = await makePool();
    const result = await pool.batch([
      { item: '1', op: 'create', volume: 'a', sizeBytes: MiB },
      { item: '2', op: 'snapshot', volume: 'b', origin: 'a' },
      { item: '3', op: 'rename', volume: 'a', newName: 'c' },
      { item: '4', op: 'create', volume: 'a', sizeBytes: MiB },
      { item: '5', op: 'delete', volume: 'b' },
    ]);
    expect(result.items.map((i) => i.volume?.name)).toEqual(['c', 'b', 'c', 'a', 'b']);
    expect((await pool.list()).map((v) => v.name)).toEqual(['a', 'c']);
    expect(await kernelIds(pool)).toEqual(catalogIds(pool));
  });

  it('resumes origins and rolls back when the snapshot window passes its deadline', async () => {
    const paths = await host.devices(1);
    const slow = slowMessages(host.dm, 'create_snap', 30);
    const slowEngine = host.engine({ dm: slow, snapshotDeadlineMs: 40 });
    const pool = await slowEngine.createPool({ name: host.poolName(), devices: paths, ...SMALL_CATALOG });
    await pool.createVolume('o', MiB, { activate: true });
    const ids = await kernelIds(pool);
    const items = Array.from({ length: 5 }, (_, i): BatchItem => ({ item: `s${i}`, op: 'snapshot', volume: `s${i}`, origin: 'o' }));
    await expectEngineError(pool.batch(items), 'DEADLINE_EXCEEDED');
    const o = (await pool.list()).find((v) => v.name === 'o')!;
    expect((await host.dm.info(o.devicePath!.replace('/dev/mapper/', ''))).suspended).toBe(false);
    expect((await pool.list()).map((v) => v.name)).toEqual(['o']);
    expect(await kernelIds(pool)).toEqual(ids);
  });
});

describe('recovery and reconcile', () => {
  it('reports and repairs thin ids unknown to the catalog and volumes missing in the kernel', async () => {
    const { pool } = await makePool();
    await pool.createVolume('a', MiB);
    await pool.createVolume('b', MiB);
    expect((await pool.reconcile()).consistent).toBe(true);
    const control = new ThinPoolControl(host.dm, poolCore(pool).names.pool);
    await control.createThin(thinId(77));
    await control.delete(thinId(1));
    const report = await pool.reconcile();
    expect(report.consistent).toBe(false);
    expect(report.unknownToCatalog).toEqual([{ thinId: 77, mappedBytes: 0 }]);
    expect(report.missingInKernel).toEqual([expect.objectContaining({ name: 'b', thinId: 1 })]);
    expect((await pool.list()).map((v) => v.name)).toEqual(['a', 'b']);
    await pool.repair();
    expect((await pool.reconcile()).consistent).toBe(true);
    expect((await pool.list()).map((v) => v.name)).toEqual(['a']);
    expect(await kernelIds(pool)).toEqual([0]);
  });

  it('refuses to activate when the kernel transaction id does not fit the catalog', async () => {
    const { pool, paths } = await makePool();
    await pool.createVolume('a', MiB);
    const control = new ThinPoolControl(host.dm, poolCore(pool).names.pool);
    await control.setTransactionId(0n, 5n);
    await pool.deactivate();
    await expectEngineError(host.engine().activatePool(pool.name, paths), 'RECOVERY_REFUSED');
  });

  it('refuses to activate a pool whose catalog lost its newest checkpoint and the folded creates after it', async () => {
    // Folded creates leave the kernel's transaction id alone, so only the catalog can tell that
    // its newest checkpoint, and the records committed after it, are gone.
    const paths = await host.devices(1);
    const small = host.engine({ catalogCheckpointEveryRecords: 4 });
    const pool = await small.createPool({ name: host.poolName(), devices: paths, ...SMALL_CATALOG });
    for (let i = 0; i < 8; i++) await pool.createVolume(`v${i}`, MiB);
    const catalog = poolCore(pool).catalog;
    expect(catalog.generation, 'checkpoints were taken').toBeGreaterThan(1);
    await pool.createVolume('after-checkpoint', MiB);
    await pool.deactivate();
    const layout = (await readLabel(blockCatalogDevice(host.block, paths[0]!)))!.catalog!;
    // Generation g is written to slot (g - 1) % 2: zero the newest, as a lost write would.
    const slot = (catalog.generation - 1) % 2;
    await host.block.write(paths[0]!, layout.offsetBytes + slot * layout.slotBytes, Buffer.alloc(4096));
    await expectEngineError(host.engine().activatePool(pool.name, paths), 'RECOVERY_REFUSED');
    // Nothing was written: the refusal holds on the next try too.
    await expectEngineError(host.engine().activatePool(pool.name, paths), 'RECOVERY_REFUSED');
  });

  it('adopts a pool whose devices stayed active across a restart', async () => {
    const { pool, paths } = await makePool();
    await pool.createVolume('a', MiB, { activate: true });
    await host.writePattern(pool, 'a', 8);
    const restarted = await host.engine().activatePool(pool.name, paths);
    // The last commit record was staged (group commit) and never written: recovery rolls the
    // intent forward from the kernel's transaction id.
    expect(restarted.lastRecovery?.outcome).toBe('rolled-forward');
    expect(poolCore(restarted).catalog.state.pending).toBeNull();
    expect((await restarted.list()).map((v) => [v.name, v.active])).toEqual([['a', true]]);
    expectSameBytes(await host.readStart(restarted, 'a'), pattern(8, 64 * KiB));
  });
});

/** A DmClient whose thin-pool messages of one kind take `delayMs` longer. */
function slowMessages(dm: DmClient, kind: string, delayMs: number): DmClient {
  return new Proxy(dm, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop === 'message') {
        return async (name: string, sector: number, text: string) => {
          if (text.startsWith(kind)) await new Promise((r) => setTimeout(r, delayMs));
          return target.message(name, sector, text);
        };
      }
      return typeof value === 'function' ? (value.bind(target) as unknown) : value;
    },
  });
}
