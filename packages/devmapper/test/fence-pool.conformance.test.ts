/**
 * DmClient.fencePool conformance: the same file runs against SimDmClient (its fence written
 * over DmClient calls) in the unit tier and against NativeDmClient (dm-native's fence thread)
 * on a real kernel in the kernel tier. The pool is laid out as the engine lays it out: linear
 * `_tmeta` and `_tdata` devices over two disks, a `_tpool` thin-pool over them, and thin
 * volumes, all sharing the pool's name prefix.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NO_THIN_POOL_FEATURES, ThinPoolControl, thinId, toTargetLines, type PoolFencePlan } from '@thinfleet/devmapper';
import { DmTestHost, expectSameBytes, pattern } from './conformance/dm-test-host.js';

const MiB = 1024 * 1024;
const META_SECTORS = (4 * MiB) / 512;
const DATA_SECTORS = (32 * MiB) / 512;
const VOLUME_BYTES = 8 * MiB;

let host: DmTestHost;
beforeEach(async () => {
  host = await DmTestHost.open();
});
afterEach(async () => {
  await host.teardown();
});

/** Makes a device named `name` with `table` live. */
async function device(name: string, table: Parameters<typeof toTargetLines>[0]): Promise<void> {
  await host.dm.create(name);
  await host.dm.load(name, toTargetLines(table));
  await host.dm.resume(name);
}

/** A live pool as the engine lays one out, with two thin volumes; the first holds `written`. */
async function livePool(): Promise<{ plan: PoolFencePlan; volumes: string[]; written: Buffer }> {
  const prefix = `${host.name('fp')}-`;
  const plan: PoolFencePlan = { pool: 'fp', devicePrefix: prefix, metaDevice: `${prefix}_tmeta`, dataDevice: `${prefix}_tdata`, poolDevice: `${prefix}_tpool` };
  const metaDisk = await host.loop(META_SECTORS * 512);
  const dataDisk = await host.loop(DATA_SECTORS * 512);
  await device(plan.metaDevice, [{ startSector: 0, lengthSectors: META_SECTORS, target: { type: 'linear', device: metaDisk, offsetSectors: 0 } }]);
  await device(plan.dataDevice, [{ startSector: 0, lengthSectors: DATA_SECTORS, target: { type: 'linear', device: dataDisk, offsetSectors: 0 } }]);
  await device(plan.poolDevice, [
    {
      startSector: 0,
      lengthSectors: DATA_SECTORS,
      target: {
        type: 'thin-pool',
        metadataDevice: host.dm.devicePath(plan.metaDevice),
        dataDevice: host.dm.devicePath(plan.dataDevice),
        dataBlockSectors: 128,
        lowWaterMarkBlocks: 0,
        features: NO_THIN_POOL_FEATURES,
      },
    },
  ]);
  const control = new ThinPoolControl(host.dm, plan.poolDevice);
  const volumes = [`${prefix}vol0`, `${prefix}vol1`];
  for (const [i, name] of volumes.entries()) {
    await control.createThin(thinId(i));
    await device(name, [{ startSector: 0, lengthSectors: VOLUME_BYTES / 512, target: { type: 'thin', poolDevice: host.dm.devicePath(plan.poolDevice), thinId: thinId(i) } }]);
  }
  const written = pattern(1, 64 * 1024);
  await host.block.write(host.dm.devicePath(volumes[0]!), 0, written);
  return { plan, volumes, written };
}

describe(`DmClient.fencePool conformance (${process.env.THINFLEET_DM ?? 'sim'})`, () => {
  it('suspends the volumes noflush, swaps metadata then data to error tables of their length, and leaves the pool device alone', async () => {
    const { plan, volumes, written } = await livePool();
    const poolTable = await host.dm.table(plan.poolDevice);
    const report = await host.dm.fencePool(plan, { volumeSuspendWaitMs: 5000 });
    expect(report).toEqual({ suspendedVolumes: [...volumes].sort(), erroredDevices: [plan.metaDevice, plan.dataDevice], slowVolumes: [] });
    for (const v of volumes) expect((await host.dm.info(v)).suspended).toBe(true);
    expect(await host.dm.table(plan.metaDevice)).toEqual([{ startSector: 0, lengthSectors: META_SECTORS, type: 'error', params: '' }]);
    expect(await host.dm.table(plan.dataDevice)).toEqual([{ startSector: 0, lengthSectors: DATA_SECTORS, type: 'error', params: '' }]);
    expect(await host.dm.info(plan.metaDevice)).toMatchObject({ suspended: false, inactiveTable: false });
    expect(await host.dm.info(plan.poolDevice)).toMatchObject({ suspended: false, liveTable: true });
    expect(await host.dm.table(plan.poolDevice)).toEqual(poolTable);
    // Nothing reaches the disks through the fenced devices any more.
    await expect(host.block.read(host.dm.devicePath(plan.dataDevice), 0, 4096)).rejects.toMatchObject({ code: 'EIO' });
    expect(written.length).toBeGreaterThan(0);
  });

  it('is idempotent: a second fence changes nothing and reports nothing done', async () => {
    const { plan, volumes } = await livePool();
    await host.dm.fencePool(plan);
    expect(await host.dm.fencePool(plan)).toEqual({ suspendedVolumes: [], erroredDevices: [], slowVolumes: [] });
    for (const v of volumes) expect((await host.dm.info(v)).suspended).toBe(true);
    expect((await host.dm.table(plan.metaDevice)).map((t) => t.type)).toEqual(['error']);
  });

  it('touches no device outside the plan prefix', async () => {
    const { plan, written } = await livePool();
    const other = await livePool();
    await host.dm.fencePool(plan);
    expect((await host.dm.info(other.volumes[0]!)).suspended).toBe(false);
    expect((await host.dm.table(other.plan.metaDevice)).map((t) => t.type)).toEqual(['linear']);
    expectSameBytes(await host.block.read(host.dm.devicePath(other.volumes[0]!), 0, written.length), other.written);
  });

  it('a pool with no devices on this host is a no-op', async () => {
    const prefix = `${host.name('none')}-`;
    const plan: PoolFencePlan = { pool: 'none', devicePrefix: prefix, metaDevice: `${prefix}_tmeta`, dataDevice: `${prefix}_tdata`, poolDevice: `${prefix}_tpool` };
    const before = await host.dm.list();
    expect(await host.dm.fencePool(plan)).toEqual({ suspendedVolumes: [], erroredDevices: [], slowVolumes: [] });
    expect(await host.dm.list()).toEqual(before);
  });
});
