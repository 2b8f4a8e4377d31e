/**
 * MoveVolume over real gRPC with the simulated device-mapper: the request's refusals name the
 * field (a host that is not this agent: INVALID_ARGUMENT on `host`; the same pool; an unknown
 * pool), a move of an active volume is a live move (kind `move`) and one of an inactive volume a
 * copy that keeps its uuid (kind `copy`); each ends with the volume in the target pool, same
 * uuid, same content, readable through the agent, and gone from the source pool.
 */
import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { waitUntil } from '../../../test/support/wait-until.js';
import { failure, rawClients, type RawClients } from './support/raw-clients.js';
import { startTestAgent, type TestAgent } from './support/test-agent.js';

const MiB = 1024 * 1024;

/** An agent with two pools, `slow` and `fast`, for `fn`; disposed after. */
async function withTwoPools(fn: (c: RawClients) => Promise<void>): Promise<void> {
  const t: TestAgent = await startTestAgent();
  const c = rawClients(t.socketPath);
  try {
    for (const name of ['slow', 'fast']) await c.call(c.pool, 'CreatePool', { name, devices: [t.sparseFile(`${name}.img`, 128 * MiB)] });
    await fn(c);
  } finally {
    c.close();
    await t.dispose();
  }
}

describe('MoveVolume (simulated device-mapper)', () => {
  it('refuses what it cannot move, naming the field, then moves an active volume with its content and uuid', () =>
    withTwoPools(async (c) => {
      const created = (await c.call<{ volume: { uuid: string } }>(c.volume, 'CreateVolume', { pool: 'slow', name: 'vm1', sizeBytes: 2 * MiB, activate: true })).volume;
      await c.call(c.volume, 'CreateVolume', { pool: 'slow', name: 'cold', sizeBytes: MiB });
      const data = Buffer.alloc(MiB, 0x5a);
      await c.call(c.volume, 'WriteVolume', { pool: 'slow', name: 'vm1', offsetBytes: MiB, data });

      const move = (request: object) => c.call<{ job: { id: string; kind: string; phase: string } }>(c.volume, 'MoveVolume', request);
      expect(await failure(move({ pool: 'slow', name: 'vm1', targetPool: 'fast', host: 'elsewhere.example' }))).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'host' });
      expect(await failure(move({ pool: 'slow', name: 'vm1', targetPool: '' }))).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'target_pool' });
      expect(await failure(move({ pool: 'slow', name: 'vm1', targetPool: 'slow' }))).toMatchObject({ code: status.INVALID_ARGUMENT });
      expect(await failure(move({ pool: 'slow', name: 'vm1', targetPool: 'nosuch' }))).toMatchObject({ code: status.NOT_FOUND });
      expect((await c.call<{ jobs: unknown[] }>(c.job, 'ListJobs', {})).jobs).toEqual([]);

      const started = (await move({ pool: 'slow', name: 'vm1', targetPool: 'fast' })).job;
      expect(started).toMatchObject({ kind: 'move', phase: 'prepare' });
      expect(await jobEnd(c, started.id)).toMatchObject({ state: 'JOB_STATE_SUCCEEDED' });
      const moved = (await c.call<{ volume: { uuid: string; active: boolean } }>(c.volume, 'GetVolume', { pool: 'fast', name: 'vm1' })).volume;
      expect(moved).toMatchObject({ uuid: created.uuid, active: true });
      expect(await failure(c.call(c.volume, 'GetVolume', { pool: 'slow', name: 'vm1' }))).toMatchObject({ code: status.NOT_FOUND });
      const read = async (offsetBytes: number): Promise<Buffer> =>
        (await c.call<{ data: Buffer }>(c.volume, 'ReadVolume', { pool: 'fast', name: 'vm1', offsetBytes, lengthBytes: MiB })).data;
      expect(Buffer.compare(await read(0), Buffer.alloc(MiB))).toBe(0);
      expect(Buffer.compare(await read(MiB), data)).toBe(0);

      // An inactive volume is moved by a copy that keeps its uuid, then deletes the source.
      const cold = (await c.call<{ volume: { uuid: string } }>(c.volume, 'GetVolume', { pool: 'slow', name: 'cold' })).volume;
      const copying = (await move({ pool: 'slow', name: 'cold', targetPool: 'fast' })).job;
      expect(copying).toMatchObject({ kind: 'copy' });
      expect(await jobEnd(c, copying.id)).toMatchObject({ state: 'JOB_STATE_SUCCEEDED' });
      expect((await c.call<{ volume: { uuid: string; active: boolean } }>(c.volume, 'GetVolume', { pool: 'fast', name: 'cold' })).volume).toMatchObject({ uuid: cold.uuid, active: false });
      expect(await failure(c.call(c.volume, 'GetVolume', { pool: 'slow', name: 'cold' }))).toMatchObject({ code: status.NOT_FOUND });
    }));
});

/** Job `id`'s record once it has ended. */
function jobEnd(c: RawClients, id: string): Promise<{ state: string; error: string }> {
  return waitUntil(`job ${id} ends`, async () => {
    const j = (await c.call<{ job: { state: string; error: string } }>(c.job, 'GetJob', { id })).job;
    return j.state === 'JOB_STATE_RUNNING' || j.state === 'JOB_STATE_QUEUED' ? null : j;
  });
}
