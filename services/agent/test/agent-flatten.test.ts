/**
 * FlattenVolume over real gRPC with the simulated device-mapper: the request's refusals name the
 * field, a volume under a flatten job takes no other change (delete, rename, revert, a second
 * flatten), and once the job ends the volume has no origin, reads the same, and the origin (an
 * image file on a read-only loop device) is released.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DmClient } from '@thinfleet/devmapper';
import { waitUntil } from '../../../test/support/wait-until.js';
import { Gate } from './support/job-harness.js';
import { failure, rawClients, type RawClients } from './support/raw-clients.js';
import { startTestAgent, type TestAgent } from './support/test-agent.js';

const MiB = 1024 * 1024;

interface JobDoc {
  id: string;
  kind: string;
  state: string;
  phase: string;
  doneBytes: number;
  totalBytes: number;
}

describe('FlattenVolume (simulated device-mapper)', () => {
  let t: TestAgent;
  let c: RawClients;
  let gate: Gate | null = null;

  beforeEach(async () => {
    // The second suspend of the volume's device (the flatten's second chunk) waits at `gate`.
    let suspends = 0;
    const wrapDm = (dm: DmClient): DmClient =>
      Object.assign(Object.create(dm) as DmClient, {
        suspend: async (name: string, options?: object) => {
          if (name === 'tf-demo-web1' && gate !== null && ++suspends === 2) await gate.hold();
          return dm.suspend(name, options);
        },
      });
    t = await startTestAgent({ wrapDm, config: { flattenChunkBytes: 512 * 1024 } });
    c = rawClients(t.socketPath);
    await c.call(c.pool, 'CreatePool', { name: 'demo', devices: [t.sparseFile('disk.img', 128 * MiB)] });
  });

  afterEach(async () => {
    gate?.open();
    gate = null;
    c.close();
    await t.dispose();
  });

  const job = async (id: string): Promise<JobDoc> => (await c.call<{ job: JobDoc }>(c.job, 'GetJob', { id })).job;

  it('refuses what cannot be flattened, holds off other changes while it runs, then drops and releases the origin', async () => {
    const image = join(t.stateDir, 'base.img');
    const base = Buffer.alloc(2 * MiB);
    for (let i = 0; i < base.length; i += 4096) base.fill((i / 4096) % 251, i, i + 4096);
    writeFileSync(image, base);
    await c.call(c.volume, 'CreateVolume', { pool: 'demo', name: 'web1', externalOrigin: image, activate: true });
    await c.call(c.volume, 'CreateVolume', { pool: 'demo', name: 'plain', sizeBytes: MiB });
    await c.call(c.volume, 'WriteVolume', { pool: 'demo', name: 'web1', offsetBytes: 4096, data: Buffer.alloc(4096, 0xab) });
    base.fill(0xab, 4096, 8192);

    expect(await failure(c.call(c.volume, 'FlattenVolume', { pool: 'demo', name: 'plain' }))).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'name' });
    expect(await failure(c.call(c.volume, 'FlattenVolume', { pool: 'demo', name: 'no such!' }))).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'name' });
    expect(await failure(c.call(c.volume, 'FlattenVolume', { pool: '', name: 'web1' }))).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'pool' });
    expect((await c.call<{ jobs: unknown[] }>(c.job, 'ListJobs', {})).jobs).toEqual([]);

    gate = new Gate();
    const started = (await c.call<{ job: JobDoc }>(c.volume, 'FlattenVolume', { pool: 'demo', name: 'web1' })).job;
    expect(started).toMatchObject({ kind: 'flatten', phase: 'copy', totalBytes: 2 * MiB });
    await gate.reached;
    for (const [method, request] of [
      ['DeleteVolume', { pool: 'demo', name: 'web1', mode: 'DELETE_MODE_NOW' }],
      ['RenameVolume', { pool: 'demo', name: 'web1', newName: 'web2' }],
      ['RevertVolume', { pool: 'demo', name: 'web1', snapshot: 'plain' }],
      ['FlattenVolume', { pool: 'demo', name: 'web1' }],
    ] as const) {
      expect(await failure(c.call(c.volume, method, request)), method).toMatchObject({ code: status.FAILED_PRECONDITION, errorCode: 'JOB_RUNNING' });
    }
    gate.open();
    const ended = await waitUntil('the flatten job ends', async () => {
      const j = await job(started.id);
      return j.state === 'JOB_STATE_RUNNING' || j.state === 'JOB_STATE_QUEUED' ? null : j;
    });
    expect(ended).toMatchObject({ state: 'JOB_STATE_SUCCEEDED', phase: 'detach', doneBytes: 2 * MiB });

    const v = (await c.call<{ volume: { externalOrigin: string; active: boolean } }>(c.volume, 'GetVolume', { pool: 'demo', name: 'web1' })).volume;
    expect(v).toMatchObject({ externalOrigin: '', active: true });
    const read = await c.call<{ data: Buffer }>(c.volume, 'ReadVolume', { pool: 'demo', name: 'web1', offsetBytes: 0, lengthBytes: MiB });
    const rest = await c.call<{ data: Buffer }>(c.volume, 'ReadVolume', { pool: 'demo', name: 'web1', offsetBytes: MiB, lengthBytes: MiB });
    expect(Buffer.concat([read.data, rest.data]).equals(base)).toBe(true);
    const registry = JSON.parse(readFileSync(join(t.stateDir, 'pools.json'), 'utf8')) as { pools: Record<string, { origins?: Record<string, string> }> };
    expect(registry.pools['demo']!.origins ?? {}).toEqual({});
    // Now a volume without an origin: flattening it again is refused.
    expect(await failure(c.call(c.volume, 'FlattenVolume', { pool: 'demo', name: 'web1' }))).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'name' });
  });
});
