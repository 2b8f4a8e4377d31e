/**
 * Fencing a pool on shared storage (pool-fence.ts, Engine.fencePool / discardFencedPool), on the
 * simulated kernel. Two simulated hosts share the same disk files, the way two servers share a
 * SAN LUN: host A is fenced, host B takes the pool over and changes it, and nothing A's stale
 * kernel pool or Pool object does afterwards reaches the disks; A then discards its devices
 * and activates the pool afresh, seeing B's changes.
 */
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSimHost, thinId, type SimHost } from '@thinfleet/devmapper';
import { Engine, isEngineError, poolDeviceNames, volumeDeviceName } from '@thinfleet/engine';
import { waitUntil } from '../../../test/support/wait-until.js';
import { expectSameBytes, pattern, SMALL_CATALOG } from './support/engine-test-host.js';
import { poolCore } from '../src/pool.js';

const MiB = 1024 * 1024;
const CHECK = 64 * 1024;

interface Host {
  readonly sim: SimHost;
  readonly engine: Engine;
  readonly devices: string[];
}

const dirs: string[] = [];
const sims: SimHost[] = [];

afterEach(async () => {
  for (const s of sims.splice(0)) s.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** Two disk files and a host factory: each host has its own simulated kernel over the same files. */
async function sharedDisks(): Promise<{ files: string[]; host: (label: string) => Promise<Host> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tf-fence-'));
  dirs.push(dir);
  const files = [join(dir, 'disk0.img'), join(dir, 'disk1.img')];
  for (const f of files) {
    await writeFile(f, '');
    await truncate(f, 32 * MiB);
  }
  return {
    files,
    host: async (label) => {
      const sim = await openSimHost(join(dir, `kernel-${label}`));
      sims.push(sim);
      const devices: string[] = [];
      for (const f of files) devices.push(await sim.block.attachLoop(f));
      return { sim, engine: new Engine({ dm: sim.dm, block: sim.block }), devices };
    },
  };
}

const tableType = async (h: Host, name: string): Promise<string | undefined> => (await h.sim.dm.table(name))[0]?.type;
const poolDevicesOf = async (h: Host, pool: string): Promise<string[]> => (await h.sim.dm.list()).map((d) => d.name).filter((n) => n.startsWith(`tf-${pool}-`));

async function readVolume(h: Host, pool: string, volume: string): Promise<Buffer> {
  const info = await h.engine.pool(pool).activateVolume(volume);
  return h.sim.block.read(info.devicePath!, 0, CHECK);
}

describe('fencing a pool', () => {
  it('suspends its volumes, puts error tables under the pool and cuts the Pool object off', async () => {
    const disks = await sharedDisks();
    const a = await disks.host('a');
    const pool = await a.engine.createPool({ name: 'tank', devices: a.devices, ...SMALL_CATALOG });
    await pool.createVolume('v', MiB, { activate: true });
    await pool.createVolume('idle', MiB);
    const vPath = a.sim.dm.devicePath(volumeDeviceName('tank', 'v'));
    await a.sim.block.write(vPath, 0, pattern(1, CHECK));
    const names = poolDeviceNames('tank');

    const report = await a.engine.fencePool('tank');

    expect(report).toMatchObject({ suspendedVolumes: [volumeDeviceName('tank', 'v')], erroredDevices: [names.meta, names.data], slowVolumes: [] });
    expect((await a.sim.dm.info(volumeDeviceName('tank', 'v'))).suspended).toBe(true);
    expect(await tableType(a, names.meta)).toBe('error');
    expect(await tableType(a, names.data)).toBe('error');
    // The pool device itself is neither suspended nor removed: either would make dm-thin commit.
    expect(await a.sim.dm.info(names.pool)).toMatchObject({ suspended: false, liveTable: true });
    expect(await tableType(a, names.pool)).toBe('thin-pool');
    expect(await a.engine.poolDeviceState('tank')).toBe('fenced');
    expect(a.engine.pools()).toEqual([]);
    // The old Pool object refuses new calls, and its catalog cannot be written through it.
    await expect(pool.createVolume('w', MiB)).rejects.toSatisfy((e) => isEngineError(e, 'POOL_INACTIVE'));
    await expect(poolCore(pool).catalog.append({ t: 'abort', tx: '99' })).rejects.toSatisfy((e) => isEngineError(e, 'POOL_FENCED'));
    // I/O to the volume waits (queued by the noflush suspend), it does not fail yet. The writer
    // holds the device open, as a VM does.
    a.sim.dm.holdOpen(volumeDeviceName('tank', 'v'));
    let settled = false;
    const write = a.sim.block.write(vPath, 0, pattern(2, CHECK)).finally(() => {
      settled = true;
    });
    write.catch(() => undefined);
    await waitUntil('the write to queue behind the suspend', () => a.sim.kernel.waitingForResume(volumeDeviceName('tank', 'v')) === 1);
    expect(settled).toBe(false);

    // Fencing again changes nothing.
    expect(await a.engine.fencePool('tank')).toEqual({ suspendedVolumes: [], erroredDevices: [], slowVolumes: [] });

    const discarded = await a.engine.discardFencedPool('tank');
    expect(discarded.deferred).toEqual([volumeDeviceName('tank', 'v')]);
    expect([...discarded.removed].sort()).toEqual([names.data, names.meta, names.pool].sort());
    // The queued write failed: it never reached the disks. The device goes with its opener.
    await expect(write).rejects.toMatchObject({ code: 'EIO' });
    a.sim.dm.releaseOpen(volumeDeviceName('tank', 'v'));
    expect(await poolDevicesOf(a, 'tank')).toEqual([]);
    expect(await a.engine.poolDeviceState('tank')).toBe('absent');
    expect(await a.engine.discardFencedPool('tank')).toEqual({ removed: [], deferred: [] });

    const again = await a.engine.activatePool('tank', a.devices);
    expect(again).not.toBe(pool);
    expect((await again.list()).map((v) => v.name)).toEqual(['idle', 'v']);
    expectSameBytes(await readVolume(a, 'tank', 'v'), pattern(1, CHECK));
    await again.deactivate();
  });

  it('keeps a stale host off the disks while another host changes the pool', async () => {
    const disks = await sharedDisks();
    const a = await disks.host('a');
    const b = await disks.host('b');
    const poolA = await a.engine.createPool({ name: 'tank', devices: a.devices, ...SMALL_CATALOG });
    await poolA.createVolume('v', MiB, { activate: true });
    await a.sim.block.write(a.sim.dm.devicePath(volumeDeviceName('tank', 'v')), 0, pattern(1, CHECK));
    await poolA.createVolume('gone', MiB);

    await a.engine.fencePool('tank');

    // Host B is granted the pool: it activates it from the disks and changes it.
    const poolB = await b.engine.activatePool('tank', b.devices);
    await poolB.createVolume('fromB', MiB, { activate: true });
    await b.sim.block.write(b.sim.dm.devicePath(volumeDeviceName('tank', 'fromB')), 0, pattern(3, CHECK));
    await poolB.deleteVolume('gone');
    await poolB.deactivateVolume('fromB');

    // What host A's stale kernel pool would write (a metadata change and its commit) fails.
    const names = poolDeviceNames('tank');
    await expect(a.sim.dm.message(names.pool, 0, 'create_thin 77')).rejects.toMatchObject({ code: 'EIO' });
    // And the stale Pool object's kernel calls are refused before they reach the kernel.
    await expect(poolCore(poolA).control.createThin(thinId(78))).rejects.toSatisfy((e) => isEngineError(e, 'POOL_FENCED'));

    // B hands the pool back; A discards its stale devices and reads the pool afresh.
    await poolB.deactivate();
    await a.engine.discardFencedPool('tank');
    const again = await a.engine.activatePool('tank', a.devices);
    expect((await again.list()).map((v) => v.name)).toEqual(['fromB', 'v']);
    expect((await again.reconcile()).consistent).toBe(true);
    expectSameBytes(await readVolume(a, 'tank', 'fromB'), pattern(3, CHECK));
    expectSameBytes(await readVolume(a, 'tank', 'v'), pattern(1, CHECK));
    await again.deactivate();
  });

  it('never brings up a pool whose activation began before it was fenced', async () => {
    const disks = await sharedDisks();
    const a = await disks.host('a');
    await (await a.engine.createPool({ name: 'tank', devices: a.devices, ...SMALL_CATALOG })).deactivate();
    // An engine whose first label read waits until the test lets it go.
    let letGo: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      letGo = resolve;
    });
    let reads = 0;
    let reading!: () => void;
    const firstRead = new Promise<void>((resolve) => (reading = resolve));
    const block = Object.create(a.sim.block) as typeof a.sim.block;
    block.read = async (path, offset, length) => {
      if (++reads === 1) {
        reading();
        await held;
      }
      return a.sim.block.read(path, offset, length);
    };
    const engine = new Engine({ dm: a.sim.dm, block });
    const activation = engine.activatePool('tank', a.devices);
    await firstRead;
    await engine.fencePool('tank');
    letGo();
    await expect(activation).rejects.toSatisfy((e) => isEngineError(e, 'POOL_FENCED'));
    expect(await poolDevicesOf(a, 'tank')).toEqual([]);
    expect(engine.pools()).toEqual([]);
    // A later activation (a new grant) works.
    await (await engine.activatePool('tank', a.devices)).deactivate();
  });

  it('fences and discards by name alone after a restart, and leaves a volume still open to go on its last close', async () => {
    const disks = await sharedDisks();
    const a = await disks.host('a');
    const pool = await a.engine.createPool({ name: 'tank', devices: a.devices, ...SMALL_CATALOG });
    await pool.createVolume('open', MiB, { activate: true });
    await pool.createVolume('other', MiB, { activate: true });
    const openName = volumeDeviceName('tank', 'open');
    a.sim.dm.holdOpen(openName);

    // A new engine on the same kernel: the process restarted, the devices stayed.
    const restarted = new Engine({ dm: a.sim.dm, block: a.sim.block });
    expect(await restarted.poolDeviceState('tank')).toBe('live');
    // Discarding a live pool fences it first.
    const report = await restarted.discardFencedPool('tank');
    expect(report.deferred).toEqual([openName]);
    expect(await a.sim.dm.info(openName)).toMatchObject({ deferredRemove: true, suspended: false });
    expect(await tableType(a, openName)).toBe('error');
    expect(await poolDevicesOf(a, 'tank')).toEqual([openName]);

    // Activation leaves the leftover alone (it keeps failing I/O) while it is open.
    const again = await restarted.activatePool('tank', a.devices);
    expect(await tableType(a, openName)).toBe('error');
    a.sim.dm.releaseOpen(openName);
    expect(await poolDevicesOf(a, 'tank')).toEqual(poolDevicesOfAfterActivation());
    expect((await again.activateVolume('open')).active).toBe(true);
    await again.deactivate();
  });
});

/** The pool's own three devices, sorted as dm.list sorts them. */
function poolDevicesOfAfterActivation(): string[] {
  const n = poolDeviceNames('tank');
  return [n.data, n.meta, n.pool].sort();
}
