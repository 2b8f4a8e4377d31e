/**
 * Pool extend (issue 11 item 7c) crashed after every step it takes: the pool then activates
 * (its devices kept live, as after an agent restart, or after a reboot) with either the old or the
 * new data size, never anything else, with its data intact and its catalog consistent; when the
 * extend did not reach its commit point, doing it again with the same device succeeds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isEngineError } from '@thinfleet/engine';
import { CrashPlan, crashingBlock, crashingDm } from './support/crash-plan.js';
import { EngineTestHost, expectSameBytes, pattern, SMALL_CATALOG } from './support/engine-test-host.js';
import { poolCore } from '../src/pool.js';

const MiB = 1024 * 1024;
let hosts: EngineTestHost[] = [];

afterEach(async () => {
  for (const h of hosts.splice(0)) await h.teardown();
});

describe('pool extend', () => {
  for (const reboot of [false, true]) {
    it(`leaves the old or the new size after a crash at any step (${reboot ? 'then a reboot' : 'kernel kept'})`, async () => {
      const sizes = new Set<string>();
      for (let n = 1; ; n++) {
        const host = await EngineTestHost.open();
        hosts.push(host);
        let paths = await host.devices(2, 32 * MiB);
        const name = host.poolName();
        const made = await host.engine().createPool({ name, devices: [paths[0]!], ...SMALL_CATALOG });
        await made.createVolume('v', 4 * MiB);
        await host.writePattern(made, 'v', 7);
        await made.deactivateVolume('v');
        const oldBlocks = poolCore(made).catalog.state.pool.layout.dataBlocks;
        await made.deactivate();

        const plan = new CrashPlan(n, 'after');
        const crashing = await host.engine({ dm: crashingDm(host.dm, plan), block: crashingBlock(host.block, plan) }).activatePool(name, [paths[0]!]);
        plan.arm();
        const crashed = await crashing.extend({ devicePath: paths[1]!, sizeBytes: null }).then(
          () => false,
          (err: unknown) => {
            if (!plan.dead) throw err;
            return true;
          },
        );
        if (reboot) paths = await host.reboot();
        const pool = await host
          .engine()
          .activatePool(name, paths)
          .catch((err: unknown) => {
            throw new Error(`crash after step ${n} (${plan.log[n - 1]}): ${String(err)}`, { cause: err });
          });
        const blocks = (await pool.status()).dataTotalBytes / (64 * 1024);
        const catalogBlocks = poolCore(pool).catalog.state.pool.layout.dataBlocks;
        expect(blocks, `step ${n}: kernel and catalog agree`).toBe(catalogBlocks);
        expect([oldBlocks, oldBlocks + (31 * MiB) / (64 * 1024)], `step ${n}`).toContain(blocks);
        sizes.add(blocks === oldBlocks ? 'old' : 'new');
        expect((await pool.reconcile()).consistent, `step ${n}`).toBe(true);
        expectSameBytes(await host.readStart(pool, 'v'), pattern(7, 64 * 1024));
        if (blocks === oldBlocks) {
          // Not committed: the same device is taken again (its leftover label is this pool's).
          const again = await pool.extend({ devicePath: paths[1]!, sizeBytes: null });
          expect(again).toMatchObject({ newDevice: true, addedBytes: 31 * MiB });
        } else {
          // Committed: the device is the pool's and has nothing left to give.
          const refused = await pool.extend({ devicePath: paths[1]!, sizeBytes: null }).catch((err: unknown) => err);
          expect(isEngineError(refused, 'INVALID_ARGUMENT'), `step ${n}: ${String(refused)}`).toBe(true);
        }
        await host.teardown();
        hosts = hosts.filter((h) => h !== host);
        if (!crashed) break;
      }
      expect(sizes).toEqual(new Set(['old', 'new']));
    }, 180_000);
  }

  it('refuses a device of another pool and one a device-mapper device uses, changing nothing', async () => {
    const host = await EngineTestHost.open();
    hosts.push(host);
    const paths = await host.devices(4, 32 * MiB);
    const a = await host.engine().createPool({ name: host.poolName(), devices: [paths[0]!], ...SMALL_CATALOG });
    await host.engine().createPool({ name: host.poolName('q'), devices: [paths[1]!], ...SMALL_CATALOG });
    const before = JSON.stringify(poolCore(a).catalog.state.pool);
    const other = (await a.extend({ devicePath: paths[1]!, sizeBytes: null }).then(
      () => new Error('extended'),
      (err: unknown) => err,
    )) as Error;
    expect(isEngineError(other, 'DEVICE_UNUSABLE')).toBe(true);
    expect(other.message).toMatch(/carries the label of pool .*q/);
    const lin = `${host.poolName('lin')}`;
    await host.dm.create(lin);
    await host.dm.load(lin, [{ startSector: 0, lengthSectors: 2048, type: 'linear', params: `${paths[2]!} 0` }]);
    await host.dm.resume(lin);
    const used = (await a.extend({ devicePath: paths[2]!, sizeBytes: null }).then(
      () => new Error('extended'),
      (err: unknown) => err,
    )) as Error;
    expect(isEngineError(used, 'DEVICE_UNUSABLE')).toBe(true);
    expect(used.message).toContain(`in use by device-mapper device ${lin}`);
    await host.dm.remove(lin);
    expect(JSON.stringify(poolCore(a).catalog.state.pool)).toBe(before);
    const partial = await a.extend({ devicePath: paths[3]!, sizeBytes: 8 * MiB + 1000 });
    expect(partial).toMatchObject({ addedBytes: 8 * MiB, newDevice: true, extent: { deviceIndex: 1, offsetBytes: MiB, lengthBytes: 8 * MiB } });
    const rest = await a.extend({ devicePath: paths[3]!, sizeBytes: null });
    expect(rest).toMatchObject({ newDevice: false, extent: { deviceIndex: 1, offsetBytes: 9 * MiB, lengthBytes: 23 * MiB } });
    expect((await a.status()).dataTotalBytes).toBe(poolCore(a).catalog.state.pool.layout.dataBlocks * 64 * 1024);
  });
});
