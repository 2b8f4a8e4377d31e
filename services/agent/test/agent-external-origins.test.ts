/**
 * External origins over real gRPC with the simulated device-mapper (issue 11, item 5): a
 * device of the pool itself (its loop device, its file, its thin volumes, anything stacked on
 * them) is refused with the field named; a regular image file is attached read-only to a loop
 * device, remembered across restarts, and released once no volume uses it.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failure, rawClients, type RawClients } from './support/raw-clients.js';
import { startTestAgent, type TestAgent } from './support/test-agent.js';

const MiB = 1024 * 1024;

interface Registry {
  pools: Record<string, { loops: Record<string, string>; origins?: Record<string, string> }>;
}

describe('external origins (simulated device-mapper)', () => {
  let t: TestAgent;
  let c: RawClients;
  let disk: string;

  beforeEach(async () => {
    t = await startTestAgent();
    c = rawClients(t.socketPath);
    disk = t.sparseFile('disk.img', 128 * MiB);
    await c.call(c.pool, 'CreatePool', { name: 'demo', devices: [disk] });
  });

  afterEach(async () => {
    c.close();
    await t.dispose();
  });

  const registry = (): Registry => JSON.parse(readFileSync(join(t.stateDir, 'pools.json'), 'utf8')) as Registry;
  const names = async (): Promise<string[]> => (await c.call<{ volumes: Array<{ name: string }> }>(c.volume, 'ListVolumes', { pool: 'demo' })).volumes.map((v) => v.name);

  it('refuses the pool itself as an origin: its loop device, its file, an active thin volume, a device stacked on one', async () => {
    await c.call(c.volume, 'CreateVolume', { pool: 'demo', name: 'vm9', sizeBytes: 4 * MiB, activate: true });
    const { dm } = t.agent.backend;
    await dm.create('stacked');
    await dm.load('stacked', [{ startSector: 0, lengthSectors: 2048, type: 'linear', params: '/dev/mapper/tf-demo-vm9 0' }]);
    await dm.resume('stacked');
    const loop = registry().pools['demo']!.loops[disk]!;
    for (const origin of [loop, disk, '/dev/mapper/tf-demo-vm9', '/dev/mapper/tf-demo-_tpool', '/dev/mapper/stacked']) {
      const f = await failure(c.call(c.volume, 'CreateVolume', { pool: 'demo', name: 'x', externalOrigin: origin }));
      expect(f, origin).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'external_origin' });
      expect(f.details, origin).toContain('demo');
    }
    const batch = await failure(
      c.call(c.volume, 'Batch', { pool: 'demo', ops: [{ create: { name: 'ok', sizeBytes: MiB } }, { create: { name: 'x', externalOrigin: '/dev/mapper/tf-demo-vm9' } }] }),
    );
    expect(batch).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'ops[1].create.external_origin' });
    expect(await names()).toEqual(['vm9']);
    expect(registry().pools['demo']!.origins ?? {}).toEqual({});
  });

  it('attaches a regular image file read-only, keeps it across a restart, and releases it when no volume uses it', async () => {
    const image = join(t.stateDir, 'base.img');
    writeFileSync(image, Buffer.alloc(2 * MiB, 7));
    const made = await c.call<{ volume: { sizeBytes: number; externalOrigin: string } }>(c.volume, 'CreateVolume', {
      pool: 'demo',
      name: 'web1',
      externalOrigin: image,
      activate: true,
    });
    expect(made.volume).toMatchObject({ sizeBytes: 2 * MiB, externalOrigin: image });
    await c.call(c.volume, 'Batch', { pool: 'demo', ops: [{ create: { name: 'web2', externalOrigin: image } }] });
    const loop = registry().pools['demo']!.origins![image]!;
    const { block } = t.agent.backend;
    expect(await block.loopBackingFile(loop)).toBe(image);
    const sim = block as unknown as { kernel: { loops: Map<number, { readOnly: boolean }> } };
    expect(sim.kernel.loops.get(Number(loop.replace('/dev/loop', '')))?.readOnly).toBe(true);
    expect((await block.read('/dev/mapper/tf-demo-web1', 0, 4096)).every((b) => b === 7)).toBe(true);

    // The image file is no pool's device: --force cannot take it either.
    const taken = await failure(c.call(c.pool, 'CreatePool', { name: 'other', devices: [image], force: true }));
    expect(taken).toMatchObject({ errorCode: 'DEVICE_IN_USE', field: 'devices[0]' });

    c.close();
    t = await t.restart();
    c = rawClients(t.socketPath);
    await c.call(c.volume, 'ActivateVolume', { pool: 'demo', name: 'web2' });
    expect((await t.agent.backend.block.read('/dev/mapper/tf-demo-web2', 0, 4096)).every((b) => b === 7)).toBe(true);

    await c.call(c.volume, 'DeactivateVolume', { pool: 'demo', name: 'web1' });
    await c.call(c.volume, 'DeleteVolume', { pool: 'demo', name: 'web1' });
    expect(registry().pools['demo']!.origins![image]).toBe(loop);
    await c.call(c.volume, 'DeactivateVolume', { pool: 'demo', name: 'web2' });
    await c.call(c.volume, 'DeleteVolume', { pool: 'demo', name: 'web2' });
    expect(registry().pools['demo']!.origins).toEqual({});
    expect(await t.agent.backend.block.loopBackingFile(loop)).toBeNull();
  });

  it('attaches origin files again after a reboot, recorded or only named by the catalog', async () => {
    const image = join(t.stateDir, 'base.img');
    writeFileSync(image, Buffer.alloc(2 * MiB, 5));
    await c.call(c.volume, 'CreateVolume', { pool: 'demo', name: 'web1', externalOrigin: image, activate: true });
    const reboot = async (forgetOrigins: boolean): Promise<void> => {
      c.close();
      await t.stop();
      rmSync(join(t.stateDir, 'sim-kernel'), { recursive: true, force: true }); // the kernel forgets everything
      if (forgetOrigins) {
        const r = registry();
        delete r.pools['demo']!.origins;
        writeFileSync(join(t.stateDir, 'pools.json'), JSON.stringify({ version: 1, ...r }));
      }
      t = await startTestAgent({ stateDir: t.stateDir });
      c = rawClients(t.socketPath);
    };
    for (const forgetOrigins of [false, true]) {
      await reboot(forgetOrigins);
      await c.call(c.volume, 'ActivateVolume', { pool: 'demo', name: 'web1' });
      expect((await t.agent.backend.block.read('/dev/mapper/tf-demo-web1', 0, 4096)).every((b) => b === 5)).toBe(true);
      expect(await t.agent.backend.block.loopBackingFile(registry().pools['demo']!.origins![image]!)).toBe(image);
    }
  });

  it('refuses a missing origin file, naming the field, and remembers nothing', async () => {
    const f = await failure(c.call(c.volume, 'CreateVolume', { pool: 'demo', name: 'x', externalOrigin: join(t.stateDir, 'nope.img') }));
    expect(f).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(await names()).toEqual([]);
    expect(registry().pools['demo']!.origins ?? {}).toEqual({});
  });
});
