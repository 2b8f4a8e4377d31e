/**
 * Which devices pool calls may touch, over real gRPC with the simulated device-mapper (issue
 * 11, items 1, 2 and 17): `--force` never reaches a device another pool of this host uses,
 * under any of its names; loop devices are released only by the pool that attached them; a
 * pool whose devices lost their label shows why and can be forgotten; refused calls change
 * nothing; messages name the files the user gave.
 */
import { readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failure, rawClients, type RawClients } from './support/raw-clients.js';
import { startTestAgent, type TestAgent } from './support/test-agent.js';

const MiB = 1024 * 1024;

interface P {
  name: string;
  uuid: string;
  active: boolean;
  problem: string;
}

describe('pool devices (simulated device-mapper)', () => {
  let t: TestAgent;
  let c: RawClients;

  beforeEach(async () => {
    t = await startTestAgent();
    c = rawClients(t.socketPath);
  });

  afterEach(async () => {
    c.close();
    await t.dispose();
  });

  const file = (name: string, bytes = 128 * MiB): string => {
    const path = join(t.stateDir, name);
    writeFileSync(path, '');
    truncateSync(path, bytes);
    return path;
  };
  /** The loop device the agent recorded for `path` of pool `pool` (pools.json). */
  const loopOf = (pool: string, path: string): string => {
    const registry = JSON.parse(readFileSync(join(t.stateDir, 'pools.json'), 'utf8')) as { pools: Record<string, { loops: Record<string, string> }> };
    return registry.pools[pool]!.loops[path]!;
  };
  const volumes = async (pool: string): Promise<string[]> => (await c.call<{ volumes: Array<{ name: string }> }>(c.volume, 'ListVolumes', { pool })).volumes.map((v) => v.name);
  const pools = async (): Promise<P[]> => (await c.call<{ pools: P[] }>(c.pool, 'ListPools', {})).pools;

  it('refuses --force over a device of another pool, by its file, a symlink or its loop device, active or not', async () => {
    const shared = file('shared.img');
    await c.call(c.pool, 'CreatePool', { name: 'pa', devices: [shared] });
    await c.call(c.volume, 'CreateVolume', { pool: 'pa', name: 'a1', sizeBytes: MiB });
    const link = join(t.stateDir, 'link.img');
    symlinkSync(shared, link);
    for (const device of [shared, link, loopOf('pa', shared)]) {
      const f = await failure(c.call(c.pool, 'CreatePool', { name: 'pb', devices: [device], force: true }));
      expect(f).toMatchObject({ code: status.FAILED_PRECONDITION, errorCode: 'DEVICE_IN_USE', field: 'devices[0]' });
      expect(f.details).toContain('pool pa');
    }
    expect((await pools()).map((p) => p.name)).toEqual(['pa']);
    expect(await volumes('pa')).toEqual(['a1']);

    await c.call(c.pool, 'DeactivatePool', { name: 'pa' });
    const inactive = await failure(c.call(c.pool, 'CreatePool', { name: 'pb', devices: [shared], force: true }));
    expect(inactive).toMatchObject({ errorCode: 'DEVICE_IN_USE', field: 'devices[0]' });
    expect(inactive.details).toContain('inactive');
    await c.call(c.pool, 'ActivatePool', { name: 'pa' });
    expect(await volumes('pa')).toEqual(['a1']);
  });

  it('overwrites with --force only the label of a pool nobody knows, says which, and names the file', async () => {
    const f = file('old.img');
    const made = await c.call<{ pool: P }>(c.pool, 'CreatePool', { name: 'old', devices: [f] });
    await c.call(c.pool, 'DeactivatePool', { name: 'old' });
    expect(await c.call(c.pool, 'ForgetPool', { name: 'old' })).toEqual({ releasedFiles: [] });

    const refused = await failure(c.call(c.pool, 'CreatePool', { name: 'fresh', devices: [f] }));
    expect(refused).toMatchObject({ code: status.FAILED_PRECONDITION, errorCode: 'DEVICE_UNUSABLE' });
    expect(refused.details).toContain(f);
    expect(refused.details).not.toMatch(/\/dev\/loop/);
    expect(refused.details).toContain('--force');

    const created = await c.call<{ pool: P; overwritten: unknown[] }>(c.pool, 'CreatePool', { name: 'fresh', devices: [f], force: true });
    expect(created.overwritten).toEqual([{ device: f, poolName: 'old', poolUuid: made.pool.uuid, deviceIndex: 0 }]);
    const plain = await c.call<{ overwritten: unknown[] }>(c.pool, 'CreatePool', { name: 'clean', devices: [file('clean.img')], force: true });
    expect(plain.overwritten).toEqual([]);
  });

  it('refuses a device that a device-mapper table holds, --force included', async () => {
    const f = file('held.img');
    const { dm, block } = t.agent.backend;
    const loop = await block.attachLoop(f);
    await dm.create('foreign');
    await dm.load('foreign', [{ startSector: 0, lengthSectors: 2048, type: 'linear', params: `${loop} 0` }]);
    await dm.resume('foreign');
    const refused = await failure(c.call(c.pool, 'CreatePool', { name: 'p', devices: [loop], force: true }));
    expect(refused).toMatchObject({ errorCode: 'DEVICE_IN_USE', field: 'devices[0]' });
    expect(refused.details).toContain('foreign');
    expect(await pools()).toEqual([]);
  });

  it('a repeated DeactivatePool never releases a loop device another pool now uses (item 17)', async () => {
    const f1 = file('f1.img');
    const f2 = file('f2.img');
    await c.call(c.pool, 'CreatePool', { name: 'a', devices: [f1] });
    await c.call(c.pool, 'CreatePool', { name: 'b', devices: [f2] });
    await c.call(c.volume, 'CreateVolume', { pool: 'b', name: 'v', sizeBytes: MiB });
    await c.call(c.pool, 'DeactivatePool', { name: 'a' });
    await c.call(c.pool, 'DeactivatePool', { name: 'b' });
    await c.call(c.pool, 'ActivatePool', { name: 'b' });
    await c.call(c.pool, 'DeactivatePool', { name: 'a' });
    expect(await t.agent.backend.block.loopBackingFile(loopOf('b', f2))).toBe(f2);

    // A refused destroy changes nothing; a forced one works.
    expect(await failure(c.call(c.pool, 'DestroyPool', { name: 'b' }))).toMatchObject({ code: status.FAILED_PRECONDITION, errorCode: 'VOLUME_BUSY' });
    expect((await pools()).find((p) => p.name === 'b')?.active).toBe(true);
    await c.call(c.pool, 'DestroyPool', { name: 'b', force: true });
    expect((await pools()).map((p) => [p.name, p.active])).toEqual([['a', false]]);
    await c.call(c.pool, 'ActivatePool', { name: 'a' });

    c.close();
    t = await t.restart();
    c = rawClients(t.socketPath);
    expect((await pools()).map((p) => [p.name, p.active, p.problem])).toEqual([['a', true, '']]);
  });

  it('shows why a pool whose devices lost their label did not activate, and forgets it without writing its devices (item 2)', async () => {
    const f = file('lost.img', 64 * MiB);
    await c.call(c.pool, 'CreatePool', { name: 'pa', devices: [f] });
    await c.call(c.volume, 'CreateVolume', { pool: 'pa', name: 'a1', sizeBytes: MiB });
    await c.call(c.pool, 'DeactivatePool', { name: 'pa' });
    const bytes = readFileSync(f);
    bytes.fill(0, 0, 4096);
    writeFileSync(f, bytes);

    const activate = await failure(c.call(c.pool, 'ActivatePool', { name: 'pa' }));
    expect(activate.code).toBe(status.NOT_FOUND);
    expect(activate.details).toContain(f);
    expect(activate.details).not.toMatch(/\/dev\/loop/);
    const [listed] = await pools();
    expect(listed).toMatchObject({ name: 'pa', active: false });
    expect(listed!.problem).toContain('no pool pa');

    const destroy = await failure(c.call(c.pool, 'DestroyPool', { name: 'pa', force: true }));
    expect(destroy).toMatchObject({ code: status.FAILED_PRECONDITION, errorCode: 'POOL_INACTIVE' });
    expect(destroy.details).toContain('pool forget pa');

    await c.call(c.pool, 'ForgetPool', { name: 'pa' });
    expect(await pools()).toEqual([]);
    expect(readFileSync(f).equals(bytes)).toBe(true);
    expect(await failure(c.call(c.pool, 'ForgetPool', { name: 'pa' }))).toMatchObject({ code: status.NOT_FOUND, errorCode: 'NO_SUCH_POOL' });
  });

  it('refuses an overlong or relative device path naming the field, quoting at most a short prefix', async () => {
    for (const path of [`/${'a'.repeat(200_000)}`, 'b'.repeat(50_000)]) {
      const f = await failure(c.call(c.pool, 'CreatePool', { name: 'p', devices: [path] }));
      expect(f).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'devices[0]' });
      expect(f.details.length).toBeLessThan(300);
    }
    expect(await pools()).toEqual([]);
  });

  it('refuses to forget an active pool, or one whose devices are still in the kernel, changing nothing', async () => {
    await c.call(c.pool, 'CreatePool', { name: 'p', devices: [file('p.img')] });
    expect(await failure(c.call(c.pool, 'ForgetPool', { name: 'p' }))).toMatchObject({ code: status.FAILED_PRECONDITION, errorCode: 'POOL_ACTIVE' });
    expect((await pools()).map((p) => [p.name, p.active])).toEqual([['p', true]]);
    await t.agent.engine.fencePool('p');
    const fenced = await failure(c.call(c.pool, 'ForgetPool', { name: 'p' }));
    expect(fenced).toMatchObject({ code: status.FAILED_PRECONDITION, errorCode: 'POOL_ACTIVE' });
    expect(fenced.details).toContain('fenced');
    expect((await pools()).map((p) => p.name)).toEqual(['p']);
  });
});
