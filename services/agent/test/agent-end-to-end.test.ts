/**
 * The agent end to end: real gRPC on a unix socket, the simulated device-mapper, files as the
 * pool's devices. Each test drives the API as a client would and checks what it reports.
 */
import { statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failure, rawClients, type RawClients } from './support/raw-clients.js';
import { startTestAgent, type TestAgent } from './support/test-agent.js';

const MiB = 1024 * 1024;

interface V {
  name: string;
  sizeBytes: number;
  origin: string;
  active: boolean;
  devicePath: string;
  jobId: string;
  mappedBytes?: number;
}

describe('agent over gRPC (simulated device-mapper)', () => {
  let t: TestAgent;
  let c: RawClients;
  let disk: string;

  beforeEach(async () => {
    t = await startTestAgent();
    c = rawClients(t.socketPath);
    disk = t.sparseFile('disk0.img', 256 * MiB);
  });

  afterEach(async () => {
    c.close();
    await t.dispose();
  });

  const names = async (pool = 'p'): Promise<string[]> => (await c.call<{ volumes: V[] }>(c.volume, 'ListVolumes', { pool })).volumes.map((v) => v.name);

  it('serves the socket with owner-only permissions and reports SERVING', async () => {
    expect(statSync(t.socketPath).mode & 0o777).toBe(0o600);
    expect(await c.call(c.health, 'Check', { service: '' })).toEqual({ status: 'SERVING' });
    expect(await c.call(c.health, 'Check', { service: 'thinfleet.agent.v1.VolumeService' })).toEqual({ status: 'SERVING' });
    expect((await failure(c.call(c.health, 'Check', { service: 'no.Such' }))).code).toBe(status.NOT_FOUND);
  });

  describe('a pool on a file, and the volumes in it', () => {
    let created: { pool: { name: string; active: boolean; mode: string; devices: string[]; dataBlockBytes: number } };

    beforeEach(async () => {
      created = await c.call<typeof created>(c.pool, 'CreatePool', { name: 'p', devices: [disk] });
    });

    const createBase = (): Promise<{ volume: V }> => c.call<{ volume: V }>(c.volume, 'CreateVolume', { pool: 'p', name: 'base', sizeBytes: 8 * MiB, activate: true });
    /** base, its snapshot snap1, and the batch's vm1, vm2 (snapshots of base) and scratch. */
    const batchOnBase = async (): Promise<{ transactionId: string; results: Array<{ item: string; volume: V }> }> => {
      await createBase();
      await c.call(c.volume, 'SnapshotVolume', { pool: 'p', source: 'base', name: 'snap1' });
      return c.call<{ transactionId: string; results: Array<{ item: string; volume: V }> }>(c.volume, 'Batch', {
        pool: 'p',
        ops: [{ snapshot: { source: 'base', name: 'vm1' } }, { item: 'second', snapshot: { source: 'base', name: 'vm2' } }, { create: { name: 'scratch', sizeBytes: 4 * MiB } }],
      });
    };

    it('creates the pool on the file: active, read-write, 64 KiB data blocks', () => {
      expect(created.pool).toMatchObject({ name: 'p', active: true, mode: 'rw', devices: [disk], dataBlockBytes: 64 * 1024 });
    });

    it('creates a volume, activated at its device path', async () => {
      const vol = await createBase();
      expect(vol.volume).toMatchObject({ name: 'base', sizeBytes: 8 * MiB, active: true, devicePath: '/dev/mapper/tf-p-base' });
    });

    it('snapshots a volume', async () => {
      await createBase();
      await c.call(c.volume, 'SnapshotVolume', { pool: 'p', source: 'base', name: 'snap1' });
      expect(await names()).toEqual(['base', 'snap1']);
    });

    it('runs a batch, naming each result by its item (ops[i] when none is given)', async () => {
      const batch = await batchOnBase();
      expect(batch.results.map((r) => [r.item, r.volume.name, r.volume.origin])).toEqual([
        ['ops[0]', 'vm1', 'base'],
        ['second', 'vm2', 'base'],
        ['ops[2]', 'scratch', ''],
      ]);
      expect(await names()).toEqual(['base', 'scratch', 'snap1', 'vm1', 'vm2']);
    });

    it('reverts an inactive volume to its snapshot', async () => {
      await createBase();
      await c.call(c.volume, 'SnapshotVolume', { pool: 'p', source: 'base', name: 'snap1' });
      await c.call(c.volume, 'DeactivateVolume', { pool: 'p', name: 'base' });
      const reverted = await c.call<{ volume: V }>(c.volume, 'RevertVolume', { pool: 'p', name: 'base', snapshot: 'snap1' });
      expect(reverted.volume.name).toBe('base');
    });

    it('grows a volume, and refuses to shrink it', async () => {
      await c.call(c.volume, 'CreateVolume', { pool: 'p', name: 'scratch', sizeBytes: 4 * MiB });
      const grown = await c.call<{ volume: V }>(c.volume, 'ResizeVolume', { pool: 'p', name: 'scratch', sizeBytes: 16 * MiB });
      expect(grown.volume.sizeBytes).toBe(16 * MiB);
      expect((await failure(c.call(c.volume, 'ResizeVolume', { pool: 'p', name: 'scratch', sizeBytes: 4 * MiB }))).code).toBe(status.FAILED_PRECONDITION);
    });

    it('deletes a volume at once (no job), and the pool counts what is left', async () => {
      await batchOnBase();
      const deleted = await c.call<{ volume: V; jobId: string }>(c.volume, 'DeleteVolume', { pool: 'p', name: 'vm2' });
      expect(deleted).toMatchObject({ volume: { name: 'vm2' }, jobId: '' });
      expect(await names()).toEqual(['base', 'scratch', 'snap1', 'vm1']);
      const pool = await c.call<{ pool: { volumes: number; transactionId: string } }>(c.pool, 'GetPool', { name: 'p' });
      expect(pool.pool.volumes).toBe(4);
    });
  });

  it('deletes through a chunked job that reports progress to a watcher, then the volume is gone', async () => {
    await c.call(c.pool, 'CreatePool', { name: 'p', devices: [disk] });
    await c.call(c.volume, 'CreateVolume', { pool: 'p', name: 'big', sizeBytes: 32 * MiB });
    const started = await c.call<{ jobId: string }>(c.volume, 'DeleteVolume', { pool: 'p', name: 'big', mode: 'DELETE_MODE_CHUNKED' });
    expect(started.jobId).not.toBe('');

    const seen: Array<{ state: string; doneBytes: number; totalBytes: number }> = [];
    await new Promise<void>((resolve, reject) => {
      const stream = (c.job as unknown as { WatchJob(r: unknown): NodeJS.EventEmitter }).WatchJob({ id: started.jobId });
      stream.on('data', (m: { job: { state: string; doneBytes: number; totalBytes: number } }) => seen.push(m.job));
      stream.on('end', () => resolve());
      stream.on('error', reject);
    });
    expect(seen.at(-1)).toMatchObject({ state: 'JOB_STATE_SUCCEEDED', doneBytes: 32 * MiB, totalBytes: 32 * MiB });
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.doneBytes).toBeGreaterThanOrEqual(seen[i - 1]!.doneBytes);
    expect(await names()).toEqual([]);
    const jobs = await c.call<{ jobs: Array<{ id: string; state: string }> }>(c.job, 'ListJobs', {});
    expect(jobs.jobs).toEqual([expect.objectContaining({ id: started.jobId, state: 'JOB_STATE_SUCCEEDED' })]);
    expect((await failure(c.call(c.job, 'GetJob', { id: 'nope' }))).code).toBe(status.NOT_FOUND);
  });

  it('refuses bad requests with INVALID_ARGUMENT naming the field, and changes nothing', async () => {
    await c.call(c.pool, 'CreatePool', { name: 'p', devices: [disk] });
    await c.call(c.volume, 'CreateVolume', { pool: 'p', name: 'keep', sizeBytes: MiB });
    const before = await c.call<{ pool: { transactionId: string } }>(c.pool, 'GetPool', { name: 'p' });

    const cases: Array<[string, unknown, string]> = [
      ['CreateVolume', { name: 'x', sizeBytes: MiB }, 'pool'],
      ['CreateVolume', { pool: 'p', sizeBytes: MiB }, 'name'],
      ['CreateVolume', { pool: 'p', name: 'x' }, 'size_bytes'],
      ['CreateVolume', { pool: 'p', name: 'a/b', sizeBytes: MiB }, 'name'],
      ['CreateVolume', { pool: 'p', name: 'bell\u0007', sizeBytes: MiB }, 'name'],
      ['CreateVolume', { pool: 'p', name: 'x', sizeBytes: 2 ** 52 }, 'size_bytes'],
      ['SnapshotVolume', { pool: 'p', source: 'keep', name: '../etc' }, 'name'],
      ['RenameVolume', { pool: 'p', name: 'keep', newName: 'a\nb' }, 'new_name'],
      ['CreateRevision', { pool: 'p', name: 'keep', keep: 0 }, 'keep'],
      ['Batch', { pool: 'p', ops: [{ snapshot: { source: 'keep', name: 'ok1' } }, { snapshot: { source: 'keep', name: 'no/slash' } }] }, 'ops[1].snapshot.name'],
      ['Batch', { pool: 'p', ops: [{ snapshot: { source: 'keep', name: 'ok1' } }, { item: 'empty' }] }, 'ops[1]'],
      ['Batch', { pool: 'p', ops: [{ create: { name: 'c1', sizeBytes: 2 ** 52 } }] }, 'ops[0].create.size_bytes'],
      ['Batch', { pool: 'p', ops: [] }, 'ops'],
      ['Batch', { pool: 'p', ops: Array.from({ length: 10_001 }, (_, i) => ({ snapshot: { source: 'keep', name: `s${i}` } })) }, 'ops'],
    ];
    for (const [method, request, field] of cases) {
      const client = method === 'CreatePool' ? c.pool : c.volume;
      const f = await failure(c.call(client, method, request));
      expect({ method, field: f.field, code: f.code }).toEqual({ method, field, code: status.INVALID_ARGUMENT });
      expect(f.details.startsWith(`${field}:`), f.details).toBe(true);
    }
    const poolCases: Array<[string, unknown, string]> = [
      ['CreatePool', { name: 'q' }, 'devices'],
      ['CreatePool', { name: 'q/r', devices: [disk] }, 'name'],
      ['CreatePool', { name: 'q', devices: ['relative.img'] }, 'devices[0]'],
      ['CreatePool', { name: 'q', devices: [join(t.stateDir, 'missing.img')] }, 'devices[0]'],
      ['CreatePool', { name: 'q', devices: [disk, disk] }, 'devices[1]'],
    ];
    for (const [method, request, field] of poolCases) {
      const f = await failure(c.call(c.pool, method, request));
      expect({ method, field: f.field, code: f.code }).toEqual({ method, field, code: status.INVALID_ARGUMENT });
    }
    expect(await names()).toEqual(['keep']);
    const after = await c.call<{ pool: { transactionId: string } }>(c.pool, 'GetPool', { name: 'p' });
    expect(after.pool.transactionId).toBe(before.pool.transactionId);
    expect((await c.call<{ pools: unknown[] }>(c.pool, 'ListPools', {})).pools).toHaveLength(1);
  });

  it('refuses fields sent with the wrong wire type, naming them', async () => {
    await c.call(c.pool, 'CreatePool', { name: 'p', devices: [disk] });
    // CreateVolumeRequest with pool = "p" and field 2 (name, a string) sent as a varint.
    const bytes = Buffer.from([0x0a, 0x01, 0x70, 0x10, 0x05, 0x18, 0x80, 0x80, 0x40]);
    const f = await failure(
      new Promise((resolve, reject) => {
        c.volume.makeUnaryRequest(
          '/thinfleet.agent.v1.VolumeService/CreateVolume',
          (b: Buffer) => b,
          (b: Buffer) => b,
          bytes,
          (err, res) => (err ? reject(err) : resolve(res)),
        );
      }),
    );
    expect(f).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'name' });
    expect(await names()).toEqual([]);
  });

  it('maps engine errors to status codes with the engine code in the trailers', async () => {
    await c.call(c.pool, 'CreatePool', { name: 'p', devices: [disk] });
    await c.call(c.volume, 'CreateVolume', { pool: 'p', name: 'a', sizeBytes: MiB });
    expect(await failure(c.call(c.volume, 'CreateVolume', { pool: 'p', name: 'a', sizeBytes: MiB }))).toMatchObject({
      code: status.ALREADY_EXISTS,
      errorCode: 'NAME_EXISTS',
    });
    expect(await failure(c.call(c.volume, 'GetVolume', { pool: 'p', name: 'zz' }))).toMatchObject({ code: status.NOT_FOUND, errorCode: 'NO_SUCH_VOLUME' });
    expect(await failure(c.call(c.volume, 'ListVolumes', { pool: 'nopool' }))).toMatchObject({ code: status.NOT_FOUND, errorCode: 'NO_SUCH_POOL' });
    const batch = await failure(
      c.call(c.volume, 'Batch', {
        pool: 'p',
        ops: [
          { item: 'one', snapshot: { source: 'a', name: 'b' } },
          { item: 'two', snapshot: { source: 'nope', name: 'c' } },
        ],
      }),
    );
    expect(batch).toMatchObject({ code: status.NOT_FOUND, item: 'two' });
    expect(await names()).toEqual(['a']);
  });

  it('keeps pools across a restart, and deactivated pools stay inactive', async () => {
    await c.call(c.pool, 'CreatePool', { name: 'p', devices: [disk] });
    await c.call(c.volume, 'CreateVolume', { pool: 'p', name: 'v', sizeBytes: MiB });
    const disk2 = join(t.stateDir, 'disk1.img');
    writeFileSync(disk2, '');
    truncateSync(disk2, 128 * MiB);
    await c.call(c.pool, 'CreatePool', { name: 'q', devices: [disk2] });
    await c.call(c.pool, 'DeactivatePool', { name: 'q' });
    c.close();
    t = await t.restart();
    c = rawClients(t.socketPath);
    const pools = await c.call<{ pools: Array<{ name: string; active: boolean; lastRecovery: { outcome: string } | null }> }>(c.pool, 'ListPools', {});
    expect(pools.pools.map((p) => [p.name, p.active])).toEqual([
      ['p', true],
      ['q', false],
    ]);
    expect(await names()).toEqual(['v']);
    const activated = await c.call<{ pool: { active: boolean } }>(c.pool, 'ActivatePool', { name: 'q' });
    expect(activated.pool.active).toBe(true);
    await c.call(c.pool, 'DestroyPool', { name: 'q' });
    expect((await c.call<{ pools: Array<{ name: string }> }>(c.pool, 'ListPools', {})).pools.map((p) => p.name)).toEqual(['p']);
    const found = await c.call<{ pools: unknown[] }>(c.pool, 'DiscoverPools', { devices: [disk2] });
    expect(found.pools).toEqual([]);
  });

  it('lets in-flight operations finish at shutdown and refuses new ones', async () => {
    // A fresh agent whose kernel holds the batch's first create_snap until the test lets go.
    await t.dispose();
    c.close();
    let holding: (() => void) | null = null;
    let held!: () => void;
    const reached = new Promise<void>((resolve) => (held = resolve));
    t = await startTestAgent({
      wrapDm: (dm) =>
        new Proxy(dm, {
          get(target, key, receiver) {
            const value = Reflect.get(target, key, receiver) as unknown;
            if (key !== 'message' || typeof value !== 'function') return value;
            return async (...args: unknown[]) => {
              if (holding === null && String(args[2]).startsWith('create_snap')) {
                await new Promise<void>((resolve) => {
                  holding = resolve;
                  held();
                });
              }
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            };
          },
        }),
    });
    c = rawClients(t.socketPath);
    disk = t.sparseFile('disk0.img', 256 * MiB);
    await c.call(c.pool, 'CreatePool', { name: 'p', devices: [disk] });
    await c.call(c.volume, 'CreateVolume', { pool: 'p', name: 'base', sizeBytes: MiB });
    const ops = Array.from({ length: 50 }, (_, i) => ({ snapshot: { source: 'base', name: `s${i}` } }));
    const inFlight = c.call<{ results: unknown[] }>(c.volume, 'Batch', { pool: 'p', ops });
    await reached;
    expect(t.agent.inFlightOperations).toBe(1);
    const stopping = t.stop();
    const refused = await failure(c.call(c.pool, 'ListPools', {}));
    expect(refused).toMatchObject({ code: status.UNAVAILABLE, errorCode: 'SHUTTING_DOWN' });
    holding!();
    const result = await inFlight;
    expect(result.results).toHaveLength(50);
    await stopping;
    c.close();
    t = await t.restart();
    c = rawClients(t.socketPath);
    expect(await names()).toHaveLength(51);
  });

  it('serves Prometheus metrics: pool usage, per-volume mapped bytes, latency and errors', async () => {
    await c.call(c.pool, 'CreatePool', { name: 'p', devices: [disk] });
    await c.call(c.volume, 'CreateVolume', { pool: 'p', name: 'v', sizeBytes: 4 * MiB });
    await failure(c.call(c.volume, 'GetVolume', { pool: 'p', name: 'nope' }));
    const response = await fetch(t.metricsUrl);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/^thinfleet_pool_data_size_bytes\{pool="p"\} [1-9]\d*$/m);
    expect(text).toMatch(/^thinfleet_pool_data_used_bytes\{pool="p"\} \d+$/m);
    expect(text).toMatch(/^thinfleet_volume_mapped_bytes\{pool="p",volume="v"\} 0$/m);
    expect(text).toMatch(/^thinfleet_pool_provisioned_bytes_total\{pool="p"\} \d+$/m);
    expect(text).toMatch(/^thinfleet_operation_duration_seconds_count\{operation="CreateVolume"\} 1$/m);
    expect(text).toMatch(/^thinfleet_operation_errors_total\{operation="GetVolume",code="NO_SUCH_VOLUME"\} 1$/m);
  });
});
