/**
 * Request ids (issue 11 item 19): a retried mutating call with the same `request_id` is answered
 * from its first attempt, also when the caller gave up on the first before it committed.
 */
import { status } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_PER_SCOPE, REMEMBER_MS, RequestIds } from '../src/request-ids.js';
import { failure, rawClients, type RawClients } from './support/raw-clients.js';
import { startTestAgent, type TestAgent } from './support/test-agent.js';

const MiB = 1024 * 1024;

describe('RequestIds', () => {
  it('answers a repeated id from the first attempt and runs a failed one again', async () => {
    const ids = new RequestIds();
    let runs = 0;
    const ok = async (): Promise<number> => ++runs;
    expect(await ids.run('p', 'CreateVolume', { name: 'a' }, 'r1', ok)).toBe(1);
    expect(await ids.run('p', 'CreateVolume', { name: 'a', requestId: 'r1' }, 'r1', ok)).toBe(1);
    expect(await ids.run('q', 'CreateVolume', { name: 'a' }, 'r1', ok)).toBe(2);
    await expect(ids.run('p', 'CreateVolume', { name: 'b' }, 'r1', ok)).rejects.toMatchObject({ code: 'BAD_REQUEST', field: 'request_id' });
    await expect(ids.run('p', 'CreateVolume', { name: 'c' }, 'r2', () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(await ids.run('p', 'CreateVolume', { name: 'c' }, 'r2', ok)).toBe(3);
    await expect(ids.run('p', 'CreateVolume', {}, 'has space', ok)).rejects.toMatchObject({ field: 'request_id' });
  });

  it('forgets ids REMEMBER_MS after they ended, and the oldest beyond MAX_PER_SCOPE', async () => {
    let now = 1_000;
    const ids = new RequestIds(() => now);
    let runs = 0;
    const ok = async (): Promise<number> => ++runs;
    await ids.run('p', 'PinVolume', {}, 'old', ok);
    now += REMEMBER_MS + 1;
    expect(await ids.run('p', 'PinVolume', {}, 'old', ok)).toBe(2);
    for (let i = 0; i < MAX_PER_SCOPE + 5; i++) await ids.run('p', 'PinVolume', {}, `id-${i}`, ok);
    expect(ids.size('p')).toBe(MAX_PER_SCOPE);
    const before = runs;
    expect(await ids.run('p', 'PinVolume', {}, 'id-0', ok)).toBe(before + 1);
  });

  it('forgets the oldest answers beyond MAX_BYTES_PER_SCOPE', async () => {
    const ids = new RequestIds();
    const big = 'x'.repeat(20 * 1024 * 1024);
    let runs = 0;
    const answer = async (): Promise<string> => `${++runs}${big}`;
    for (const id of ['one', 'two', 'three', 'four']) await ids.run('p', 'Batch', {}, id, answer);
    expect(ids.size('p')).toBe(3);
    expect((await ids.run('p', 'Batch', {}, 'one', answer)).startsWith('5')).toBe(true);
    expect((await ids.run('p', 'Batch', {}, 'four', answer)).startsWith('4')).toBe(true);
  });
});

describe('request_id over gRPC', () => {
  let t: TestAgent;
  let c: RawClients;

  beforeEach(async () => {
    t = await startTestAgent();
    c = rawClients(t.socketPath);
    const disk = t.sparseFile('disk0.img', 1024 * MiB);
    await c.call(c.pool, 'CreatePool', { name: 'p', devices: [disk] });
  });

  afterEach(async () => {
    c.close();
    await t.dispose();
  });

  it('a retried create with the same id gets the first answer, not NAME_EXISTS', async () => {
    const first = await c.call<{ volume: { uuid: string } }>(c.volume, 'CreateVolume', { pool: 'p', name: 'a', sizeBytes: MiB, requestId: 'create-a-1' });
    const again = await c.call<{ volume: { uuid: string } }>(c.volume, 'CreateVolume', { pool: 'p', name: 'a', sizeBytes: MiB, requestId: 'create-a-1' });
    expect(again.volume.uuid).toBe(first.volume.uuid);
    expect(await failure(c.call(c.volume, 'CreateVolume', { pool: 'p', name: 'a', sizeBytes: MiB }))).toMatchObject({ code: status.ALREADY_EXISTS });
    expect(await failure(c.call(c.volume, 'CreateVolume', { pool: 'p', name: 'b', sizeBytes: MiB, requestId: 'create-a-1' }))).toMatchObject({
      code: status.INVALID_ARGUMENT,
      field: 'request_id',
    });
  });

  it('a 400-op batch whose caller gave up commits anyway, and its retry is answered from it', async () => {
    await t.dispose();
    c.close();
    // Hold the batch's first kernel create until the caller has cancelled the call.
    let release!: () => void;
    let held!: () => void;
    const reached = new Promise<void>((resolve) => (held = resolve));
    let holding = false;
    t = await startTestAgent({
      wrapDm: (dm) =>
        new Proxy(dm, {
          get(target, key, receiver) {
            const value = Reflect.get(target, key, receiver) as unknown;
            if (key !== 'message' || typeof value !== 'function') return value;
            return async (...args: unknown[]) => {
              if (!holding && String(args[2]).startsWith('create_thin')) {
                holding = true;
                await new Promise<void>((resolve) => {
                  release = resolve;
                  held();
                });
              }
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            };
          },
        }),
    });
    c = rawClients(t.socketPath);
    const disk = t.sparseFile('disk0.img', 1024 * MiB);
    await c.call(c.pool, 'CreatePool', { name: 'p', devices: [disk] });

    const ops = Array.from({ length: 400 }, (_, i) => ({ item: `c${i}`, create: { name: `v${i}`, sizeBytes: MiB } }));
    const request = { pool: 'p', ops, requestId: 'batch-400' };
    const client = c.volume as unknown as Record<string, (...args: unknown[]) => { cancel(): void }>;
    let lost!: Promise<number>;
    const call = await new Promise<{ cancel(): void }>((resolve) => {
      lost = new Promise<number>((done) => {
        resolve(client.Batch!.call(c.volume, request, (err: { code: number } | null) => done(err?.code ?? 0)));
      });
    });
    await reached;
    call.cancel();
    expect(await lost).toBe(status.CANCELLED);
    release();
    // The agent finishes what it started, though no one waits for the answer.
    for (;;) {
      const listed = await c.call<{ volumes: unknown[] }>(c.volume, 'ListVolumes', { pool: 'p' });
      if (listed.volumes.length === 400) break;
      await new Promise((r) => setImmediate(r));
    }
    const retried = await c.call<{ results: Array<{ item: string }> }>(c.volume, 'Batch', request);
    expect(retried.results).toHaveLength(400);
    expect(retried.results[399]!.item).toBe('c399');
    // Without the id, the same batch is a new request, and fails as it must.
    expect(await failure(c.call(c.volume, 'Batch', { pool: 'p', ops }))).toMatchObject({ code: status.ALREADY_EXISTS });
  });
});
