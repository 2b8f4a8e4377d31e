/**
 * Cluster mode, against a scripted coordinator: a pool is served only under its lock (create,
 * Acquire and activate take it and report PoolReady with the grant's token; deactivate releases
 * it), mutating calls must carry exactly the current grant's token, and contention hands an
 * idle pool over while a busy one (a call, an active volume) is kept until it is idle; a running
 * job goes with the pool and is resumed by its next holder.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import type { BlockClient } from '@thinfleet/devmapper';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitUntil } from '../../../test/support/wait-until.js';
import type { OwnershipState } from '../src/cluster/pool-ownership.js';
import { failure } from './support/raw-clients.js';
import { MiB, startClusterAgent, token, type ClusterAgent } from './support/cluster-agent.js';
import { ScriptedCoordinator } from './support/scripted-coordinator.js';

let coordinator: ScriptedCoordinator;
let t: ClusterAgent;

afterEach(async () => {
  await t?.dispose();
  await coordinator?.stop();
});

async function clusterAgent(options: { wrapBlock?: (block: BlockClient) => BlockClient } = {}): Promise<void> {
  coordinator = await ScriptedCoordinator.start();
  t = await startClusterAgent({ coordinator, ...options });
  await coordinator.waitConnected();
}

const savedSession = (): { session: string; held: Record<string, string> } =>
  JSON.parse(readFileSync(join(t.stateDir, 'cluster-session.json'), 'utf8')) as { session: string; held: Record<string, string> };
/**
 * Records each state `pool` passes through from now on (PoolOwnership.onChange is called after
 * every change): how a test sees the hand-over decide, instead of sleeping and looking.
 */
function ownershipStates(pool: string): Array<OwnershipState['kind']> {
  const seen: Array<OwnershipState['kind']> = [];
  const ownership = t.agent.cluster!.ownership;
  ownership.onChange(() => {
    const kind = ownership.state(pool).kind;
    if (seen.at(-1) !== kind) seen.push(kind);
  });
  return seen;
}
const active = async (pool: string): Promise<boolean> => (await t.c.call<{ pool: { active: boolean } }>(t.c.pool, 'GetPool', { name: pool })).pool.active;

describe('cluster mode: pools under their locks', () => {
  it('takes the lock to create a pool, releases it on deactivate, and takes it again on Acquire', async () => {
    await clusterAgent();
    await t.c.call(t.c.pool, 'CreatePool', { name: 'p', devices: [t.disk()] });
    const takeAt = coordinator.received.findIndex((m) => m.message === 'take' && m.take!.pool === 'p');
    const readyAt = coordinator.received.findIndex((m) => m.message === 'poolReady');
    expect(takeAt).toBeGreaterThanOrEqual(0);
    expect(readyAt).toBeGreaterThan(takeAt);
    expect(coordinator.received[readyAt]!.poolReady).toMatchObject({ pool: 'p', token: '100', volumeCount: 0 });
    expect(savedSession()).toMatchObject({ session: 's1', held: { p: '100' } });

    await t.c.call(t.c.pool, 'DeactivatePool', { name: 'p' });
    await coordinator.waitFor((m) => m.message === 'release' && m.release!.pool === 'p');
    await vi.waitFor(() => expect(savedSession().held).toEqual({}));
    expect(await active('p')).toBe(false);

    const from = coordinator.received.length;
    coordinator.push({ acquire: { pool: 'p' } });
    expect(await coordinator.waitFor((m) => m.poolReady, { from })).toMatchObject({ pool: 'p', token: '101' });
    expect(await active('p')).toBe(true);
    await vi.waitFor(() => expect(savedSession().held).toEqual({ p: '101' }));
    // An Acquire for a pool held already is answered with PoolReady at once, without a Take.
    const again = coordinator.received.length;
    coordinator.push({ acquire: { pool: 'p' } });
    expect(await coordinator.waitFor((m) => m.poolReady, { from: again })).toMatchObject({ pool: 'p', token: '101' });
    expect(coordinator.received.slice(again).some((m) => m.message === 'take')).toBe(false);
  });

  it('takes its pools again after a resumed stream: they keep serving and move to the new token', async () => {
    await clusterAgent();
    await t.c.call(t.c.pool, 'CreatePool', { name: 'p', devices: [t.disk()] });
    const v = await t.c.call<{ volume: { devicePath: string } }>(t.c.volume, 'CreateVolume', { pool: 'p', name: 'a', sizeBytes: MiB, activate: true }, token(100));
    await t.block.write(v.volume.devicePath, 0, Buffer.alloc(4096, 9));
    const from = coordinator.received.length;
    coordinator.drop();
    await coordinator.waitFor((m) => m.hello?.resumeSession === 's1', { from });
    expect(await coordinator.waitFor((m) => m.poolReady, { from })).toMatchObject({ pool: 'p', token: '101' });
    expect(
      coordinator.received
        .slice(from)
        .filter((m) => m.message === 'take')
        .map((m) => m.take!.pool),
    ).toEqual(['p']);
    // The volume stayed active throughout: nothing was torn down.
    expect((await t.block.read(v.volume.devicePath, 0, 4096)).equals(Buffer.alloc(4096, 9))).toBe(true);
    expect(await failure(t.c.call(t.c.volume, 'CreateVolume', { pool: 'p', name: 'b', sizeBytes: MiB }, token(100)))).toMatchObject({ errorCode: 'STALE_TOKEN' });
    await t.c.call(t.c.volume, 'CreateVolume', { pool: 'p', name: 'b', sizeBytes: MiB }, token(101));
    await vi.waitFor(() => expect(savedSession()).toMatchObject({ session: 's1', held: { p: '101' } }));
  });

  it('takes again what a broken stream cut: serves a pool the coordinator asked for, releases one nobody waits for', async () => {
    await clusterAgent();
    await t.c.call(t.c.pool, 'CreatePool', { name: 'p', devices: [t.disk()] });
    await t.c.call(t.c.pool, 'CreatePool', { name: 'q', devices: [t.disk('disk1.img')] });
    await t.c.call(t.c.pool, 'DeactivatePool', { name: 'p' });
    await t.c.call(t.c.pool, 'DeactivatePool', { name: 'q' });
    coordinator.autoGrant = false;
    coordinator.push({ acquire: { pool: 'p' } });
    const activating = t.c.call(t.c.pool, 'ActivatePool', { name: 'q' });
    await coordinator.waitFor((m) => m.message === 'take' && coordinator.pendingTakes.size === 2);
    const from = coordinator.received.length;
    coordinator.drop();
    expect(await failure(activating)).toMatchObject({ code: status.UNAVAILABLE, errorCode: 'CLUSTER_UNAVAILABLE' });
    coordinator.autoGrant = true;
    await coordinator.waitFor((m) => m.hello?.resumeSession === 's1', { from });
    expect(await coordinator.waitFor((m) => m.poolReady, { from })).toMatchObject({ pool: 'p' });
    await coordinator.waitFor((m) => m.message === 'release' && m.release!.pool === 'q', { from });
    expect(
      coordinator.received
        .slice(from)
        .filter((m) => m.message === 'take')
        .map((m) => m.take!.pool)
        .sort(),
    ).toEqual(['p', 'q']);
    expect(await active('p')).toBe(true);
    expect(await active('q')).toBe(false);
  });

  it("admits a mutating call only with the current grant's token", async () => {
    await clusterAgent();
    await t.c.call(t.c.pool, 'CreatePool', { name: 'p', devices: [t.disk()] });
    await t.c.call(t.c.volume, 'CreateVolume', { pool: 'p', name: 'a', sizeBytes: MiB }, token(100));
    expect(await failure(t.c.call(t.c.volume, 'CreateVolume', { pool: 'p', name: 'b', sizeBytes: MiB }, token(99)))).toMatchObject({
      code: status.FAILED_PRECONDITION,
      errorCode: 'STALE_TOKEN',
    });
    expect(await failure(t.c.call(t.c.volume, 'CreateVolume', { pool: 'p', name: 'b', sizeBytes: MiB }))).toMatchObject({
      code: status.FAILED_PRECONDITION,
      errorCode: 'TOKEN_REQUIRED',
    });
    const newer = await failure(t.c.call(t.c.volume, 'CreateVolume', { pool: 'p', name: 'b', sizeBytes: MiB }, token(101)));
    expect(newer).toMatchObject({ code: status.FAILED_PRECONDITION, errorCode: 'NOT_OWNER' });
    expect(newer.details).toMatch(/go through the coordinator/);
    expect(await failure(t.c.call(t.c.volume, 'CreateVolume', { pool: 'q', name: 'b', sizeBytes: MiB }, token(100)))).toMatchObject({ errorCode: 'NOT_OWNER' });
    // Reads need no token.
    const listed = await t.c.call<{ volumes: Array<{ name: string }> }>(t.c.volume, 'ListVolumes', { pool: 'p' });
    expect(listed.volumes.map((v) => v.name)).toEqual(['a']);
  });

  it('hands an idle pool over on contention, and a pool with an active volume only once it is inactive', async () => {
    await clusterAgent();
    await t.c.call(t.c.pool, 'CreatePool', { name: 'p', devices: [t.disk()] });
    await t.c.call(t.c.volume, 'CreateVolume', { pool: 'p', name: 'a', sizeBytes: MiB, activate: true }, token(100));
    const from = coordinator.received.length;
    const states = ownershipStates('p');
    coordinator.push({ contention: { pool: 'p', waiters: 1 } });
    // The hand-over looks at the pool (no call admitted while it does: releasing), finds the
    // active volume and keeps the pool (held again, looked at later): it decided to keep it.
    await waitUntil('the contended pool to be looked at', () => states.length >= 2);
    expect(states.slice(0, 2)).toEqual(['releasing', 'held']);
    expect(coordinator.received.slice(from).some((m) => m.message === 'release')).toBe(false);
    expect(await active('p')).toBe(true);

    await t.c.call(t.c.volume, 'DeactivateVolume', { pool: 'p', name: 'a' }, token(100));
    await coordinator.waitFor((m) => m.message === 'release' && m.release!.pool === 'p', { from });
    await vi.waitFor(() => expect(savedSession().held).toEqual({}));
    expect(await active('p')).toBe(false);
    expect(await failure(t.c.call(t.c.volume, 'CreateVolume', { pool: 'p', name: 'b', sizeBytes: MiB }, token(100)))).toMatchObject({ errorCode: 'NOT_OWNER' });
  });

  it("hands a contended pool over with its running job, which the pool's next holder resumes from its checkpoint", async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const discards: number[] = [];
    await clusterAgent({
      wrapBlock: (block) => ({
        ...bind(block),
        discard: async (path, offsetBytes, lengthBytes) => {
          discards.push(offsetBytes);
          if (discards.length === 2) await held;
          return block.discard(path, offsetBytes, lengthBytes);
        },
      }),
    });
    const CHUNK = 64 * 1024;
    await t.c.call(t.c.pool, 'CreatePool', { name: 'p', devices: [t.disk()] });
    const v = await t.c.call<{ volume: { devicePath: string; uuid: string } }>(t.c.volume, 'CreateVolume', { pool: 'p', name: 'big', sizeBytes: MiB, activate: true }, token(100));
    await t.block.write(v.volume.devicePath, 0, Buffer.alloc(MiB, 7));
    await t.c.call(t.c.volume, 'DeactivateVolume', { pool: 'p', name: 'big' }, token(100));
    const deleted = await t.c.call<{ jobId: string }>(t.c.volume, 'DeleteVolume', { pool: 'p', name: 'big', mode: 'DELETE_MODE_CHUNKED' }, token(100));
    const watch = (t.c.job as unknown as { WatchJob(r: unknown): NodeJS.EventEmitter }).WatchJob({ id: deleted.jobId });
    const watchEnd = new Promise<{ code: number; errorCode: unknown }>((resolve) =>
      watch.on('error', (err: { code: number; metadata?: { get(k: string): unknown[] } }) => resolve({ code: err.code, errorCode: err.metadata?.get('tf-error-code')[0] })),
    );
    watch.on('data', () => {});
    await waitUntil("the second chunk's discard", () => discards.length >= 2);

    const from = coordinator.received.length;
    const handOver = vi.spyOn(t.agent.jobs, 'handOver');
    coordinator.push({ contention: { pool: 'p', waiters: 1 } });
    // The job stops after the chunk in flight; the pool is not released before: the hand-over
    // has asked the job to stop (no call admitted meanwhile), and waits for the held chunk.
    await waitUntil("the hand-over to ask the pool's jobs to stop", () => handOver.mock.calls.length === 1);
    expect(handOver.mock.calls[0]).toEqual(['p']);
    expect(t.agent.cluster!.ownership.state('p').kind).toBe('releasing');
    expect(coordinator.received.slice(from).some((m) => m.message === 'release')).toBe(false);
    expect(discards).toEqual([0, CHUNK]);
    release();
    await coordinator.waitFor((m) => m.message === 'release' && m.release!.pool === 'p', { from });
    expect(await active('p')).toBe(false);
    expect(discards).toEqual([0, CHUNK]);
    // The job left with the pool: its watch ends with JOB_MOVED, this host no longer lists it.
    expect(await watchEnd).toMatchObject({ code: status.UNAVAILABLE, errorCode: 'JOB_MOVED' });
    expect(await failure(t.c.call(t.c.job, 'GetJob', { id: deleted.jobId }))).toMatchObject({ errorCode: 'NO_SUCH_JOB' });
    expect(readdirSync(join(t.stateDir, 'jobs')).filter((f) => f.endsWith('.json'))).toEqual([]);

    // The pool's next holder (here this host again, with nothing of the job left locally) finds
    // the job in the pool's catalog and resumes it after the two chunks done.
    coordinator.push({ acquire: { pool: 'p' } });
    await coordinator.waitFor((m) => m.poolReady, { from });
    // Adopted before the pool was reported ready: no call finds the volume without its job.
    expect((await t.c.call<{ job: { id: string } }>(t.c.job, 'GetJob', { id: deleted.jobId })).job.id).toBe(deleted.jobId);
    await vi.waitFor(
      async () => {
        expect((await t.c.call<{ job: { state: string } }>(t.c.job, 'GetJob', { id: deleted.jobId })).job.state).toBe('JOB_STATE_SUCCEEDED');
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(discards).toEqual(Array.from({ length: MiB / CHUNK }, (_, i) => i * CHUNK));
    const listed = await t.c.call<{ volumes: unknown[] }>(t.c.volume, 'ListVolumes', { pool: 'p' });
    expect(listed.volumes).toEqual([]);
  });
});

/** The methods of a BlockClient bound to it, to spread into a wrapper. */
function bind(block: BlockClient): BlockClient {
  return {
    sizeBytes: (p) => block.sizeBytes(p),
    deviceNumber: (p) => block.deviceNumber(p),
    discard: (p, o, l) => block.discard(p, o, l),
    zeroOut: (p, o, l) => block.zeroOut(p, o, l),
    read: (p, o, l) => block.read(p, o, l),
    write: (p, o, d) => block.write(p, o, d),
    attachLoop: (f, o) => block.attachLoop(f, o),
    detachLoop: (p) => block.detachLoop(p),
    loopBackingFile: (p) => block.loopBackingFile(p),
  };
}
