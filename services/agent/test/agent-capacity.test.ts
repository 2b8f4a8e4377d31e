/**
 * Issue 11 item 7b, 7c, 7e end to end on the simulated device-mapper: a pool fills up, its
 * threshold events reach a watcher, it runs out of data space in its no-space mode, `ExtendPool`
 * grows it with a new file (data kept), refusals name the field, and an extend a crash cut short
 * after its catalog record is completed by the next activation; autoextend takes its spare step
 * by step (item 7d). Polls are driven by the test
 * (`agent.capacity.poll()`), never by sleeping.
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentClient } from '@thinfleet/client';
import { isDmError, type DmClient } from '@thinfleet/devmapper';
import { afterEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../../../test/support/wait-until.js';
import { failure, rawClients, type RawClients } from './support/raw-clients.js';
import { startTestAgent, type TestAgent } from './support/test-agent.js';

const MiB = 2 ** 20;

interface PoolMsg {
  mode: string;
  noSpaceMode: string;
  dataTotalBytes: number;
  dataUsedBytes: number;
  devices: string[];
  provisionedBytes: number;
}

interface EventMsg {
  pool: string;
  kind: string;
  current: boolean;
  thresholdPercent: number;
}

function file(dir: string, name: string, bytes: number): string {
  const path = join(dir, name);
  writeFileSync(path, '');
  truncateSync(path, bytes);
  return path;
}

/** A byte pattern that differs per `seed`. */
function pattern(seed: number, bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i += 4) b.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
  return b;
}

describe('pool capacity over gRPC', () => {
  let t: TestAgent;
  let c: RawClients;
  let client: AgentClient;

  async function start(options: Parameters<typeof startTestAgent>[0] = {}): Promise<void> {
    t = await startTestAgent({ ...options, config: { poolDataWarnPercent: 50, poolCapacityPollMs: 3_600_000, ...options.config } });
    c = rawClients(t.socketPath);
    client = await AgentClient.connect(t.socketPath);
  }

  afterEach(async () => {
    client.close();
    c.close();
    await t.dispose();
  });

  const pool = async (): Promise<PoolMsg> => (await c.call<{ pool: PoolMsg }>(c.pool, 'GetPool', { name: 'p' })).pool;

  it('reports the threshold, fails writes when full in error mode, and grows with pool extend', async () => {
    await start();
    const disk = file(t.stateDir, 'disk0.img', 64 * MiB);
    const spare = file(t.stateDir, 'spare.img', 32 * MiB);
    await c.call(c.pool, 'CreatePool', { name: 'p', devices: [disk], noSpaceMode: 'error' });
    const before = await pool();
    expect(before).toMatchObject({ mode: 'rw', noSpaceMode: 'error' });
    const data = before.dataTotalBytes;
    const { volume } = await c.call<{ volume: { devicePath: string } }>(c.volume, 'CreateVolume', { pool: 'p', name: 'v', sizeBytes: 4 * data, activate: true });
    const block = t.agent.backend.block;

    const events: EventMsg[] = [];
    const watching = (async () => {
      for await (const e of client.watchPoolEvents('p')) {
        events.push(e);
        if (e.kind === 'data-space-available') return;
      }
    })();
    const waitFor = async (kind: string): Promise<void> => {
      await t.agent.capacity.poll();
      await waitUntil(`a ${kind} pool event`, () => events.some((e) => e.kind === kind), { intervalMs: 1, detail: () => `events: ${events.map((e) => e.kind).join(', ')}` });
    };

    const first = pattern(1, data);
    await block.write(volume.devicePath, 0, first.subarray(0, data / 2 + MiB));
    await waitFor('data-threshold-crossed');
    await block.write(volume.devicePath, data / 2 + MiB, first.subarray(data / 2 + MiB));
    // Error mode: a write to a new block fails at once instead of waiting.
    const refused = await block.write(volume.devicePath, data, pattern(2, MiB)).then(
      () => null,
      (err: unknown) => err,
    );
    expect(isDmError(refused, 'ENOSPC') || (refused as { code?: string })?.code === 'ENOSPC').toBe(true);
    await waitFor('out-of-data-space');
    expect(await pool()).toMatchObject({ mode: 'out_of_data_space', dataUsedBytes: data });

    // A device already in the pool with no room left, and a missing file, are refused by field.
    const own = await failure(c.call(c.pool, 'ExtendPool', { name: 'p', device: disk }));
    expect(own.field).toBe('device');
    expect(own.errorCode).toBe('BAD_REQUEST');
    expect(own.details).toContain('has no free space left');
    const missing = await failure(c.call(c.pool, 'ExtendPool', { name: 'p', device: join(t.stateDir, 'nope.img') }));
    expect(missing.field).toBe('device');
    expect((await pool()).dataTotalBytes).toBe(data);

    const extended = await c.call<{ pool: PoolMsg; addedBytes: number }>(c.pool, 'ExtendPool', { name: 'p', device: spare, sizeBytes: 16 * MiB });
    expect(extended.addedBytes).toBe(16 * MiB);
    expect(extended.pool).toMatchObject({ mode: 'rw', dataTotalBytes: data + 16 * MiB, devices: [disk, spare] });
    await waitFor('data-space-available');
    await watching;
    expect(events.map((e) => e.kind)).toEqual(['data-threshold-crossed', 'out-of-data-space', 'extended', 'data-space-available']);

    // The write goes through now, and what was written before is intact.
    await block.write(volume.devicePath, data, pattern(2, MiB));
    expect((await block.read(volume.devicePath, 0, data)).equals(first)).toBe(true);

    // The rest of the spare, step by step: the device is the pool's now and gives what is left.
    const more = await c.call<{ addedBytes: number }>(c.pool, 'ExtendPool', { name: 'p', device: spare });
    expect(more.addedBytes).toBe(15 * MiB);

    // Another agent start finds both devices and the larger pool, with the data.
    t = await t.restart();
    c.close();
    c = rawClients(t.socketPath);
    const restarted = await c.call<{ pool: PoolMsg & { problem: string } }>(c.pool, 'GetPool', { name: 'p' });
    expect(restarted.pool.problem).toBe('');
    expect(restarted.pool).toMatchObject({ mode: 'rw', dataTotalBytes: data + 31 * MiB, devices: [disk, spare] });
    await c.call(c.volume, 'ActivateVolume', { pool: 'p', name: 'v' });
    expect((await t.agent.backend.block.read(volume.devicePath, 0, data)).equals(first)).toBe(true);
  });

  it('refuses to watch a pool this host does not know, at once, instead of watching forever', async () => {
    await start();
    const watched = (async () => {
      for await (const event of client.watchPoolEvents('nosuchpool')) return event;
      return null;
    })();
    await expect(watched).rejects.toMatchObject({ errorCode: 'NO_SUCH_POOL' });
  });

  it('refuses a device of another pool, naming the field, and changes nothing', async () => {
    await start();
    const a = file(t.stateDir, 'a.img', 64 * MiB);
    const b = file(t.stateDir, 'b.img', 64 * MiB);
    await c.call(c.pool, 'CreatePool', { name: 'p', devices: [a] });
    await c.call(c.pool, 'CreatePool', { name: 'q', devices: [b] });
    const before = await pool();
    const err = await failure(c.call(c.pool, 'ExtendPool', { name: 'p', device: b }));
    expect(err.errorCode).toBe('DEVICE_IN_USE');
    expect(err.field).toBe('device');
    expect(err.details).toContain('pool q');
    expect(await pool()).toEqual(before);
    const bad = await failure(c.call(c.pool, 'SetPool', { name: 'p', noSpaceMode: 'sometimes' }));
    expect(bad.field).toBe('no_space_mode');
  });

  it('refuses the image file an external origin reads from, under another name too, and leaves it untouched', async () => {
    await start();
    const a = file(t.stateDir, 'a.img', 64 * MiB);
    const image = file(t.stateDir, 'base.img', 16 * MiB);
    writeFileSync(image, pattern(7, 16 * MiB));
    const link = join(t.stateDir, 'base-link.img');
    symlinkSync(image, link);
    await c.call(c.pool, 'CreatePool', { name: 'p', devices: [a] });
    await c.call(c.volume, 'CreateVolume', { pool: 'p', name: 'web', externalOrigin: image });
    const before = await pool();
    for (const device of [image, link]) {
      const err = await failure(c.call(c.pool, 'ExtendPool', { name: 'p', device }));
      expect({ code: err.errorCode, field: err.field }).toEqual({ code: 'DEVICE_IN_USE', field: 'device' });
      expect(err.details).toContain('external origin');
    }
    expect(await pool()).toEqual(before);
    expect(readFileSync(image).equals(pattern(7, 16 * MiB))).toBe(true);
  });

  it('sets the no-space mode on a live pool; queue mode makes writes wait until the pool grows', async () => {
    await start();
    const disk = file(t.stateDir, 'disk0.img', 64 * MiB);
    const spare = file(t.stateDir, 'spare.img', 16 * MiB);
    await c.call(c.pool, 'CreatePool', { name: 'p', devices: [disk], noSpaceMode: 'error' });
    const set = await c.call<{ pool: PoolMsg }>(c.pool, 'SetPool', { name: 'p', noSpaceMode: 'queue' });
    expect(set.pool.noSpaceMode).toBe('queue');
    const table = await t.agent.backend.dm.table('tf-p-_tpool');
    expect(table[0]!.params).not.toContain('error_if_no_space');
    const data = set.pool.dataTotalBytes;
    const { volume } = await c.call<{ volume: { devicePath: string } }>(c.volume, 'CreateVolume', { pool: 'p', name: 'v', sizeBytes: 2 * data, activate: true });
    const block = t.agent.backend.block;
    await block.write(volume.devicePath, 0, pattern(3, data));
    let settled = false;
    const queued = block.write(volume.devicePath, data, pattern(4, MiB)).finally(() => {
      settled = true;
    });
    await t.agent.capacity.poll();
    expect((await pool()).mode).toBe('out_of_data_space');
    expect(settled).toBe(false); // the write waits for space (the pool's status says why)
    await c.call(c.pool, 'ExtendPool', { name: 'p', device: spare });
    await queued;
    expect((await block.read(volume.devicePath, data, MiB)).equals(pattern(4, MiB))).toBe(true);
    expect((await pool()).mode).toBe('rw');
  });

  it('completes an extend a crash cut short after its catalog record, at the next activation', async () => {
    let failDataLoad = false;
    const wrapDm = (dm: DmClient): DmClient =>
      new Proxy(dm, {
        get(target, prop, receiver) {
          if (prop === 'load') {
            return async (name: string, lines: unknown) => {
              if (failDataLoad && name.endsWith('_tdata')) throw new Error('simulated crash before the data device reload');
              return (target.load as unknown as (n: string, l: unknown) => Promise<unknown>).call(target, name, lines);
            };
          }
          const value = Reflect.get(target, prop, receiver) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
    await start({ wrapDm });
    const disk = file(t.stateDir, 'disk0.img', 64 * MiB);
    const spare = file(t.stateDir, 'spare.img', 16 * MiB);
    await c.call(c.pool, 'CreatePool', { name: 'p', devices: [disk] });
    const data = (await pool()).dataTotalBytes;
    failDataLoad = true;
    await failure(c.call(c.pool, 'ExtendPool', { name: 'p', device: spare }));
    expect((await pool()).dataTotalBytes).toBe(data); // the kernel still has the old size
    failDataLoad = false;
    // The agent stops (the kernel keeps the old tables) and starts again: activation finds the
    // catalog's extent and reloads the data device and the pool with it.
    t = await t.restart();
    c.close();
    c = rawClients(t.socketPath);
    expect(await pool()).toMatchObject({ problem: '', mode: 'rw', dataTotalBytes: data + 15 * MiB, devices: [disk, spare] });
  });

  it('autoextends a pool over its threshold by the configured step from its spare, until the spare is used up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tf-spare-'));
    const spare = file(dir, 'spare.img', 1 * MiB + 12 * MiB);
    await start({ config: { poolAutoextend: { p: { device: spare, stepBytes: 8 * MiB } } } });
    const disk = file(t.stateDir, 'disk0.img', 64 * MiB);
    await c.call(c.pool, 'CreatePool', { name: 'p', devices: [disk] });
    const data = (await pool()).dataTotalBytes;
    const { volume } = await c.call<{ volume: { devicePath: string } }>(c.volume, 'CreateVolume', { pool: 'p', name: 'v', sizeBytes: 4 * data, activate: true });
    const seen: EventMsg[] = [];
    t.agent.capacity.subscribe('p', (e) => seen.push(e));

    expect(await t.agent.capacity.poll()).toEqual([]); // empty: under the threshold, nothing to do
    await t.agent.backend.block.write(volume.devicePath, 0, pattern(5, data - MiB));
    expect((await t.agent.capacity.poll()).map((e) => e.kind)).toEqual(['data-threshold-crossed', 'extended']);
    expect(await pool()).toMatchObject({ dataTotalBytes: data + 8 * MiB, devices: [disk, spare] });

    // Still over 50%: the next poll takes the rest of the spare (4 MiB), then there is none left.
    expect((await t.agent.capacity.poll()).map((e) => e.kind)).toEqual(['extended']);
    expect((await pool()).dataTotalBytes).toBe(data + 12 * MiB);
    await t.agent.backend.block.write(volume.devicePath, data - MiB, pattern(6, 12 * MiB));
    const failed = await t.agent.capacity.poll();
    expect(failed.map((e) => e.kind)).toEqual(['autoextend-failed']);
    expect(failed[0]!.message).toContain('is used up');
    expect(await t.agent.capacity.poll()).toEqual([]); // reported once per crossing
    expect(seen.map((e) => e.kind)).toEqual(['data-threshold-crossed', 'extended', 'extended', 'autoextend-failed']);
    const metrics = await (await fetch(t.metricsUrl)).text();
    expect(metrics).toContain('thinfleet_pool_extensions_total{pool="p",trigger="auto"} 2');
    rmSync(dir, { recursive: true, force: true });
  });
});
