/**
 * The flatten job on the simulated kernel: a volume over an external origin, active, held open
 * and written by a "VM" throughout, gets every origin block it has not written copied in, then
 * loses its origin; crash at every step; cancel; hand-over to another host's manager.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from '@thinfleet/engine';
import type { JobManagerOptions } from '../src/jobs/index.js';
import { volumeMessage } from '../src/proto-messages.js';
import type { CrashMode } from '../../../packages/engine/test/support/crash-plan.js';
import { crashFixture, freezingEngine, runUntilCrash } from './support/freezing-plan.js';
import { startPatternWriter } from '../../../packages/engine/test/support/pattern-writer.js';
import { BLOCK_BYTES, expectSameBytes, Gate, jobFixture, KiB, MiB, nextHolder, pattern, settled, type JobFixture } from './support/job-harness.js';

const CHUNK = 256 * KiB;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

interface Setup {
  readonly f: JobFixture;
  readonly image: string;
  /** What `v` reads now: the origin's bytes, with the writes made since laid over them. */
  readonly expected: Buffer;
}

/**
 * A pool with volume `v` of `sizeBytes` over an origin of as many bytes: every data block holds
 * a pattern but every fifth, which is all zero.
 */
async function setup(sizeBytes: number, f?: JobFixture): Promise<Setup> {
  const fixture = f ?? (await jobFixture());
  if (f === undefined) cleanups.push(() => fixture.teardown());
  const [image] = await fixture.host.devices(1, sizeBytes);
  const origin = Buffer.alloc(sizeBytes);
  for (let b = 0; b < sizeBytes / BLOCK_BYTES; b++) if (b % 5 !== 4) pattern(1000 + b, BLOCK_BYTES).copy(origin, b * BLOCK_BYTES);
  await fixture.host.block.write(image!, 0, origin);
  await fixture.pool.createExternal('v', image!);
  return { f: fixture, image: image!, expected: origin };
}

/** The whole of volume `name` (it must be active). */
async function content(pool: Pool, name: string): Promise<Buffer> {
  const size = (await pool.show(name)).sizeBytes;
  const parts: Buffer[] = [];
  for (let at = 0; at < size; at += MiB) parts.push(await pool.readVolume(name, at, Math.min(MiB, size - at)));
  return Buffer.concat(parts);
}

const helperDevices = async (f: JobFixture): Promise<string[]> => (await f.host.dm.list()).map((d) => d.name).filter((n) => n.includes('-_flat-'));

/** Pools whose flattenChunk waits for `before(n)` (n from 1) first. */
function gatedEngine(f: JobFixture, before: (n: number) => Promise<void> | void): { pool(name: string): Pool } {
  let calls = 0;
  return {
    pool: (name: string): Pool =>
      new Proxy(f.engine.pool(name), {
        get(target, key, receiver) {
          if (key === 'flattenChunk') {
            return async (volume: string, offsetBytes: number, lengthBytes: number) => {
              calls += 1;
              await before(calls);
              return target.flattenChunk(volume, offsetBytes, lengthBytes);
            };
          }
          const value = Reflect.get(target, key, receiver) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      }),
  };
}

/** Starts flattening `v` with chunk `n` held; resolves once it is held. */
async function runningAtChunk(f: JobFixture, n: number, options: Partial<JobManagerOptions> = {}) {
  const gate = new Gate();
  const m = f.manager({ engine: gatedEngine(f, (i) => (i === n ? gate.hold() : undefined)), flattenChunkBytes: CHUNK, markEveryMs: 0, ...options });
  const job = await m.startFlatten(f.poolName, 'v');
  await gate.reached;
  return { m, job, gate };
}

describe('flatten job', () => {
  it('copies the origin into an open volume a VM writes throughout, keeps every write, then detaches the origin', async () => {
    const size = 4 * MiB;
    const { f, image, expected } = await setup(size);
    const v = await f.pool.activateVolume('v');
    const release = await f.host.holdOpen(v.devicePath!);
    cleanups.unshift(release);
    const device = v.devicePath!;

    // The VM: 4 KiB writes at pseudo-random places, each logged once acknowledged, until the job ends.
    const writer = startPatternWriter(f.host.block, device, size, expected, { yieldEachWrite: true });
    const m = f.manager({ flattenChunkBytes: CHUNK, markEveryMs: 0 });
    const job = await m.startFlatten(f.poolName, 'v');
    expect(job).toMatchObject({ kind: 'flatten', phase: 'copy', totalBytes: size, chunkBytes: CHUNK });
    expect(m.jobOnVolume(f.poolName, 'v')?.id).toBe(job.id);
    const phases: string[] = [];
    m.watch(job.id, (j) => void (phases.at(-1) !== j.phase && phases.push(j.phase)));
    const done = await settled(m, job.id);
    const duringJob = await writer.stop();
    expect(done).toMatchObject({ state: 'succeeded', doneBytes: size });
    expect(phases).toContain('detach');
    expect(duringJob).toBeGreaterThan(size / CHUNK); // the VM wrote all through the copy

    const after = await f.pool.show('v');
    expect(after).toMatchObject({ externalOrigin: null, job: null, active: true });
    expect([...f.pool.externalOriginsInUse()]).toEqual([]);
    expect(await helperDevices(f)).toEqual([]);
    expectSameBytes(await content(f.pool, 'v'), expected);
    // The origin can go: the volume does not read it any more.
    await f.host.block.write(image, 0, Buffer.alloc(size, 0xee));
    expectSameBytes(await content(f.pool, 'v'), expected);
    // Zero blocks of the origin were not copied: only those the VM wrote are mapped among them.
    expect((await f.pool.show('v')).mappedBytes).toBeLessThanOrEqual(size);
  });

  it('refuses a volume without an external origin, a second job, and a volume a job is deleting', async () => {
    const { f } = await setup(MiB);
    await f.pool.createVolume('plain', MiB);
    const m = f.manager({ flattenChunkBytes: CHUNK });
    await expect(m.startFlatten(f.poolName, 'plain')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'volume' });
    await expect(m.startFlatten(f.poolName, 'nope')).rejects.toMatchObject({ code: 'NO_SUCH_VOLUME' });
    await expect(m.startFlatten('no-pool', 'v')).rejects.toMatchObject({ code: 'NO_SUCH_POOL' });
    expect(m.list()).toEqual([]);
    await m.stop();
    const { m: runner, job, gate } = await runningAtChunk(f, 2);
    await expect(runner.startFlatten(f.poolName, 'v')).rejects.toMatchObject({ code: 'JOB_RUNNING' });
    await expect(runner.startDelete(f.poolName, 'v')).rejects.toMatchObject({ code: 'JOB_RUNNING' });
    expect(runner.jobOnVolume(f.poolName, 'v')).toMatchObject({ id: job.id, kind: 'flatten' });
    gate.open();
    expect(await settled(runner, job.id)).toMatchObject({ state: 'succeeded' });
  });

  it('cancelled mid-way, leaves a volume that still has its origin and reads as before', async () => {
    const { f, expected } = await setup(2 * MiB);
    await f.pool.activateVolume('v');
    const { m, job, gate } = await runningAtChunk(f, 3);
    expect((await f.pool.show('v')).job).toMatchObject({ kind: 'flatten', jobId: job.id, phase: 'copy', doneBytes: 2 * CHUNK });
    const cancelling = m.cancel(job.id);
    gate.open();
    const cancelled = await cancelling;
    expect(cancelled).toMatchObject({ state: 'cancelled', doneBytes: 3 * CHUNK });
    expect(cancelled.error).toContain('keeps its external origin');
    const v = await f.pool.show('v');
    expect(v.externalOrigin).not.toBeNull();
    expect(v.job).toBeNull();
    expect(await helperDevices(f)).toEqual([]);
    expectSameBytes(await content(f.pool, 'v'), expected);
    // A new flatten finishes the work.
    const again = await m.startFlatten(f.poolName, 'v');
    expect(await settled(m, again.id)).toMatchObject({ state: 'succeeded' });
    expect((await f.pool.show('v')).externalOrigin).toBeNull();
    expectSameBytes(await content(f.pool, 'v'), expected);
  });

  it('hands over mid-job with its pool; the next holder adopts it from the mark and finishes it', async () => {
    const { f, expected } = await setup(2 * MiB);
    const { m, job, gate } = await runningAtChunk(f, 4);
    const handing = m.handOver(f.poolName);
    gate.open();
    expect(await handing).toMatchObject([{ id: job.id, doneBytes: 4 * CHUNK, phase: 'copy' }]);
    expect(m.list()).toEqual([]);
    const marked = await f.pool.show('v');
    expect(marked.job).toMatchObject({ kind: 'flatten', jobId: job.id, doneBytes: 4 * CHUNK, phase: 'copy' });
    // Listings still name the job (from the mark) while it is on the move.
    expect(volumeMessage(f.poolName, marked, null).jobId).toBe(job.id);
    expect(await helperDevices(f)).toEqual([]);
    await f.pool.deactivate();

    const { manager: other, pool, stateDir } = await nextHolder(f, { flattenChunkBytes: CHUNK }, cleanups);
    expect(other.get(job.id)).toMatchObject({ kind: 'flatten', volume: 'v', doneBytes: 4 * CHUNK, phase: 'copy', createdMs: job.createdMs });
    expect(await settled(other, job.id)).toMatchObject({ state: 'succeeded', doneBytes: 2 * MiB });
    expect(await pool.show('v')).toMatchObject({ externalOrigin: null, job: null });
    await pool.activateVolume('v');
    expectSameBytes(await content(pool, 'v'), expected);
    expect(await readdir(join(stateDir, 'jobs'))).toEqual([`${job.id}.json`]);
  });
});

/** Flattens `v` (active) crashing at step n; restarts a manager over the state at death; checks the end state. */
async function crashOnce(n: number, mode: CrashMode): Promise<{ crashed: boolean; log: string[] }> {
  const { f, frozenDir, managers } = await crashFixture(cleanups);
  const { expected } = await setup(MiB, f);
  const { plan, engine, frozenJobs } = freezingEngine(f, frozenDir, n, mode);
  const pool = await engine.activatePool(f.poolName, f.paths);
  await pool.activateVolume('v');
  const run = await runUntilCrash(f, { plan, engine, frozenDir, frozenJobs, n, mode }, managers, { flattenChunkBytes: CHUNK }, (started) => started.startFlatten(f.poolName, 'v'));
  if (!run.crashed) {
    expect(run.first, run.label).toMatchObject({ state: 'succeeded' });
    return { crashed: false, log: plan.log };
  }
  const { job, label, paths, engine: engine2, manager: m2 } = run;
  const pool2 = await engine2.activatePool(f.poolName, paths);
  if (n % 2 === 1) {
    await m2.start();
    await m2.poolActivated(f.poolName);
  } else {
    await m2.poolActivated(f.poolName);
    await m2.start();
  }
  expect(await settled(m2, job.id), label).toMatchObject({ state: 'succeeded', doneBytes: MiB });
  expect(await pool2.show('v'), label).toMatchObject({ externalOrigin: null, job: null });
  expect(await pool2.reconcile(), label).toMatchObject({ consistent: true });
  expect(await helperDevices(f), label).toEqual([]);
  await pool2.activateVolume('v');
  try {
    expectSameBytes(await content(pool2, 'v'), expected);
  } catch (err) {
    throw new Error(`${label}: ${(err as Error).message}`, { cause: err });
  }
  for (const d of await f.host.dm.list()) {
    if (d.name.includes(f.poolName)) expect((await f.host.dm.info(d.name)).suspended, `${label}: ${d.name} suspended`).toBe(false);
  }
  return { crashed: true, log: plan.log };
}

describe('flatten job crash at every step', () => {
  it('resumes to a flattened volume after a crash before, after or inside any step', async () => {
    const labels: string[] = [];
    for (let n = 1; ; n++) {
      const outcome = await crashOnce(n, 'before');
      if (!outcome.crashed) break;
      const step = outcome.log[n - 1]!;
      labels.push(step);
      await crashOnce(n, 'after');
      // Torn: multi-sector writes but the copy's (a thin device maps a copied block only once all
      // of it landed: engine-crash.test.ts says why the simulator cannot tear those truthfully).
      if (step.startsWith('block.write') && !step.endsWith(' 512B)') && !step.includes('-_flat-')) await crashOnce(n, 'torn');
      for (const c of cleanups.splice(0)) await c();
    }
    // The plan covered the suspends, the copy writes through the helper and the detach's transaction.
    expect(labels.some((l) => l.startsWith('dm.suspend'))).toBe(true);
    expect(labels.some((l) => l.startsWith('block.write') && l.includes('-_flat-'))).toBe(true);
    // The detach is a catalog-only (folded) transaction: its durable intent write is its commit.
    expect(labels.filter((l) => l.startsWith('block.write') && !l.includes('-_flat-')).length).toBeGreaterThan(1);
  }, 300_000);
});
