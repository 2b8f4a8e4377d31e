/**
 * DmClient.fencePool conformance: the same file runs against SimDmClient (its fence written
 * over DmClient calls) in the unit tier and against NativeDmClient (dm-native's fence thread)
 * on a real kernel in the kernel tier. The pool is laid out as the engine lays it out: linear
 * `_tmeta` and `_tdata` devices over two disks, a `_tpool` thin-pool over them, and thin
 * volumes, all sharing the pool's name prefix.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PoolFencePlan } from '@thinfleet/devmapper';
import { DmTestHost, expectSameBytes } from './conformance/dm-test-host.js';
import { DATA_SECTORS, livePool as makeLivePool, META_SECTORS } from './conformance/fence-pool-layout.js';

let host: DmTestHost;
beforeEach(async () => {
  host = await DmTestHost.open();
});
afterEach(async () => {
  await host.teardown();
});

const livePool = (): ReturnType<typeof makeLivePool> => makeLivePool(host);

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
