/**
 * DeviceSnapshotService over real gRPC with the simulated device-mapper: create, list, merge (a
 * job followed through JobService) and delete of a device snapshot of a loop device; hostile
 * input refused naming the field, with nothing changed; the pool's own device refused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentials, status, type Client } from '@grpc/grpc-js';
import { loadAgentApi } from '@thinfleet/proto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pattern } from '../../../packages/devmapper/test/conformance/dm-test-host.js';
import { failure, rawClients, type RawClients } from './support/raw-clients.js';
import { startTestAgent, type TestAgent } from './support/test-agent.js';

const MiB = 1024 * 1024;
const CHUNK = 4096;

describe('device snapshots over gRPC (simulated device-mapper)', () => {
  let t: TestAgent;
  let c: RawClients;
  let ds: Client;
  let disk: string;
  let device: string;

  beforeEach(async () => {
    t = await startTestAgent();
    c = rawClients(t.socketPath);
    ds = new (loadAgentApi().DeviceSnapshotService)(`unix:${t.socketPath}`, credentials.createInsecure());
    disk = t.sparseFile('disk.img', 128 * MiB);
    await c.call(c.pool, 'CreatePool', { name: 'demo', devices: [disk] });
    device = await t.agent.backend.block.attachLoop(t.sparseFile('lun.img', MiB));
    await t.agent.backend.block.write(device, 0, pattern(1, MiB));
  });

  afterEach(async () => {
    ds.close();
    c.close();
    await t.dispose();
  });

  interface Snap {
    name: string;
    state: string;
    originDevicePath: string;
    snapshotDevicePath: string;
    device: { path: string; sizeBytes: number; label: string };
  }
  const list = async (): Promise<Snap[]> => (await c.call<{ snapshots: Snap[] }>(ds, 'ListDeviceSnapshots', { pool: 'demo' })).snapshots;
  const block = () => t.agent.backend.block;

  it('creates, lists, merges back and deletes a device snapshot', async () => {
    const { snapshot } = await c.call<{ snapshot: Snap }>(ds, 'CreateDeviceSnapshot', { pool: 'demo', name: 'lun', device });
    expect(snapshot).toMatchObject({ name: 'lun', state: 'active', device: { path: device, sizeBytes: MiB } });
    expect(snapshot.device.label).toMatch(/^loop-file:/);
    expect(await list()).toMatchObject([{ name: 'lun', originDevicePath: snapshot.originDevicePath }]);
    await block().write(snapshot.originDevicePath, 5 * CHUNK, pattern(2, 3 * CHUNK));
    const { job } = await c.call<{ job: { id: string; kind: string; phase: string } }>(ds, 'MergeDeviceSnapshot', { pool: 'demo', name: 'lun' });
    expect(job).toMatchObject({ kind: 'merge', phase: 'merge' });
    let state = '';
    for (let i = 0; i < 500 && state !== 'JOB_STATE_SUCCEEDED'; i++) {
      state = (await c.call<{ job: { state: string } }>(c.job, 'GetJob', { id: job.id })).job.state;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(state).toBe('JOB_STATE_SUCCEEDED');
    expect(Buffer.compare(await block().read(device, 0, MiB), pattern(1, MiB))).toBe(0);
    expect(await list()).toEqual([]);

    await c.call(ds, 'CreateDeviceSnapshot', { pool: 'demo', name: 'again', device, chunkSectors: 16 });
    expect(await c.call(ds, 'DeleteDeviceSnapshot', { pool: 'demo', name: 'again' })).toEqual({ originKept: false });
    expect(await list()).toEqual([]);
  });

  it("refuses hostile input naming the field, and the pool's own device, changing nothing", async () => {
    const loop = (JSON.parse(readFileSync(join(t.stateDir, 'pools.json'), 'utf8')) as { pools: Record<string, { loops: Record<string, string> }> }).pools['demo']!.loops[disk]!;
    const cases: Array<[Record<string, unknown>, string, number]> = [
      [{ name: 'x', device: 'relative/path' }, 'device', status.INVALID_ARGUMENT],
      [{ name: 'x', device: `/${'d'.repeat(5000)}` }, 'device', status.INVALID_ARGUMENT],
      [{ name: 'x', device: '/dev/\u0001bad' }, 'device', status.INVALID_ARGUMENT],
      [{ name: 'x', device: '' }, 'device', status.INVALID_ARGUMENT],
      [{ name: 'bad name', device }, 'name', status.INVALID_ARGUMENT],
      [{ name: 'x', device, chunkSectors: 12 }, 'chunk_sectors', status.INVALID_ARGUMENT],
      [{ name: 'x', device, sizeBytes: 100 }, 'size_bytes', status.INVALID_ARGUMENT],
      [{ name: 'x', device: loop }, 'device', status.FAILED_PRECONDITION],
      [{ name: 'x', device: disk }, 'device', status.INVALID_ARGUMENT],
      [{ name: 'x', device: '/dev/mapper/tf-demo-_tpool' }, 'device', status.FAILED_PRECONDITION],
    ];
    for (const [request, field, code] of cases) {
      const f = await failure(c.call(ds, 'CreateDeviceSnapshot', { pool: 'demo', ...request }));
      expect(f, JSON.stringify(request).slice(0, 80)).toMatchObject({ code, field });
      expect(f.details.length).toBeLessThan(300);
    }
    expect(await list()).toEqual([]);
    expect((await c.call<{ volumes: unknown[] }>(c.volume, 'ListVolumes', { pool: 'demo' })).volumes).toEqual([]);
    expect(await failure(c.call(ds, 'MergeDeviceSnapshot', { pool: 'demo', name: 'missing' }))).toMatchObject({ code: status.NOT_FOUND });
    expect(await failure(c.call(ds, 'DeleteDeviceSnapshot', { pool: 'demo', name: 'missing' }))).toMatchObject({ code: status.NOT_FOUND });
  });
});
