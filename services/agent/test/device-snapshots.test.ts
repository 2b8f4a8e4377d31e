/**
 * Device snapshots on the simulated kernel: a pool protects a loop device it does not own with
 * a classic snapshot whose exception store is a volume of the pool (create, list, delete),
 * refuses a path that names another device, merges the snapshot back (a `merge` job) so that the
 * device reads its snapshot-time content again, and keeps that true across a crash at every step
 * of create and of merge (the host reboots, a new engine and job manager start over the same
 * devices and the job records as the crash left them) and across a hand-over of the pool in the
 * middle of a merge to another host's job manager.
 */
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DmClient, SimDmClient } from '@thinfleet/devmapper';
import { isEngineError, type DeviceIdentity, type Engine, type Pool } from '@thinfleet/engine';
import { AgentError } from '../src/agent-error.js';
import { identityReader, type IdentityReader } from '../src/device-snapshots/device-identity.js';
import { DeviceSnapshots } from '../src/device-snapshots/device-snapshots.js';
import { stackNames } from '../src/device-snapshots/snapshot-stack.js';
import { JobManager, type JobRecord } from '../src/jobs/index.js';
import { crashingBlock, crashingDm, type CrashMode } from '../../../packages/engine/test/support/crash-plan.js';
import { FreezingPlan } from './support/freezing-plan.js';
import { expectSameBytes, jobFixture, KiB, MiB, pattern, settled, silentLogger, type JobFixture } from './support/job-harness.js';

const DEVICE_BYTES = MiB;
const CHUNK = 4 * KiB;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const immediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A job fixture, the protected loop device (filled with pattern(1)) and that content. */
async function setup(): Promise<{ f: JobFixture; device: string; original: Buffer }> {
  const f = await jobFixture();
  cleanups.push(() => f.teardown());
  const [device] = await f.host.devices(1, DEVICE_BYTES);
  const original = pattern(1, DEVICE_BYTES);
  await f.host.block.write(device!, 0, original);
  return { f, device: device!, original };
}

function snapshots(f: JobFixture, engine: Engine = f.engine, dm: DmClient = f.host.dm, readIdentity?: IdentityReader): DeviceSnapshots {
  return new DeviceSnapshots({ engine, dm, block: f.host.block, readIdentity: readIdentity ?? identityReader({ block: f.host.block, sysfsRoot: null }), logger: silentLogger });
}

function manager(f: JobFixture, stateDir: string, engine: Engine, dm: DmClient = f.host.dm, block = f.host.block): JobManager {
  const m = new JobManager({
    stateDir,
    engine,
    block,
    logger: silentLogger,
    merge: { dm, readIdentity: identityReader({ block: f.host.block, sysfsRoot: null }), pollMs: 0, sleep: immediate },
  });
  cleanups.push(() => m.stop());
  return m;
}

/** Writes pattern(seed) over chunks 0, 3, 6, ... of the first 64 and a 16-chunk run at chunk 100, through `path`. */
async function scatter(f: JobFixture, path: string, seed: number, content: Buffer): Promise<void> {
  for (let chunk = 0; chunk < 64; chunk += 3) {
    await f.host.block.write(path, chunk * CHUNK, pattern(seed + chunk, CHUNK));
    pattern(seed + chunk, CHUNK).copy(content, chunk * CHUNK);
  }
  await f.host.block.write(path, 100 * CHUNK, pattern(seed + 100, 16 * CHUNK));
  pattern(seed + 100, 16 * CHUNK).copy(content, 100 * CHUNK);
}

async function dsDevices(f: JobFixture): Promise<string[]> {
  return (await f.host.dm.list()).map((d) => d.name).filter((n) => n.includes('-_ds'));
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isEngineError(err) || err instanceof AgentError ? err.code : err).toBe(code);
}

/**
 * A device snapshot of `setup()`'s device, written through its origin device, whose merge job
 * has started; the simulated kernel's merge steps after the first `freeSteps` wait at `gate`
 * until `gate.release()`.
 */
async function mergeHeldAfter(freeSteps: number) {
  const s = await setup();
  const { f } = s;
  let steps = 0;
  let hold = true;
  const waiting: Array<() => void> = [];
  (f.host.dm as SimDmClient).kernel.mergeGate = () => (hold && ++steps > freeSteps ? new Promise<void>((resolve) => waiting.push(resolve)) : immediate());
  const gate = {
    waiting,
    release(): void {
      hold = false;
      for (const go of waiting.splice(0)) go();
    },
  };
  const ds = snapshots(f);
  const made = await ds.create({ pool: f.poolName, name: 'base', device: s.device });
  await scatter(f, made.originDevicePath!, 10, Buffer.from(s.original));
  const m = manager(f, f.stateDir, f.engine);
  await m.start();
  const job = await m.startMerge(f.poolName, 'base');
  return { ...s, ds, made, m, job, gate };
}

describe('device snapshots', () => {
  it('creates, lists and deletes a device snapshot: writes through the origin device copy out first; the device keeps its content', async () => {
    const { f, device, original } = await setup();
    const ds = snapshots(f);
    const made = await ds.create({ pool: f.poolName, name: 'base', device });
    expect(made).toMatchObject({ name: 'base', state: 'active', jobId: null, record: { device: { path: device, sizeBytes: DEVICE_BYTES }, chunkSectors: 8, store: 'P' } });
    expect(made.record.device.label).toMatch(/^loop-file:\//);
    // The default store holds every chunk of the device: it cannot overflow.
    expect(made.cowSizeBytes).toBeGreaterThanOrEqual(DEVICE_BYTES + 3 * CHUNK);
    expect(made.originDevicePath).toBe(f.host.dm.devicePath(stackNames(f.poolName, 'base').origin));
    const changed = Buffer.from(original);
    await scatter(f, made.originDevicePath!, 10, changed);
    expectSameBytes(await f.host.block.read(made.snapshotDevicePath!, 0, DEVICE_BYTES), original);
    expectSameBytes(await f.host.block.read(device, 0, DEVICE_BYTES), changed);
    const [listed] = await ds.list(f.poolName);
    expect(listed).toMatchObject({ name: 'base', state: 'active' });
    expect(listed!.status).toMatch(/^\d+\/\d+ \d+$/);
    await expectCode(ds.create({ pool: f.poolName, name: 'again', device }), 'DEVICE_IN_USE');

    expect(await ds.delete(f.poolName, 'base')).toEqual({ originKept: false });
    expect(await ds.list(f.poolName)).toEqual([]);
    expect(await f.pool.list()).toEqual([]);
    expect(await dsDevices(f)).toEqual([]);
    expectSameBytes(await f.host.block.read(device, 0, DEVICE_BYTES), changed);
    expect(await f.pool.reconcile()).toMatchObject({ consistent: true });
  });

  it('refuses hostile input naming the field, changing nothing', async () => {
    const { f, device } = await setup();
    const ds = snapshots(f);
    const tx = (await f.pool.status()).transactionId;
    const bad: Array<[Parameters<DeviceSnapshots['create']>[0], string]> = [
      [{ pool: f.poolName, name: 'x', device: 'dev/loop0' }, 'device'],
      [{ pool: f.poolName, name: 'x', device: `/${'a'.repeat(5000)}` }, 'device'],
      [{ pool: f.poolName, name: 'x', device: '/nonexistent/device' }, 'device'],
      [{ pool: f.poolName, name: 'x', device, chunkSectors: 12 }, 'chunk_sectors'],
      [{ pool: f.poolName, name: 'x', device, sizeBytes: 512 }, 'size_bytes'],
      [{ pool: f.poolName, name: '../x', device }, 'name'],
    ];
    for (const [request, field] of bad) {
      const err = await ds.create(request).then(
        () => null,
        (e: unknown) => e as { field?: string; argument?: string; message: string },
      );
      expect(err?.field ?? err?.argument, err?.message).toBe(field);
      expect(err!.message.length).toBeLessThan(400);
    }
    expect((await f.pool.status()).transactionId).toBe(tx);
    expect(await dsDevices(f)).toEqual([]);
  });

  it('refuses to act on a path that now names another device (size or label), changing nothing', async () => {
    const { f, device } = await setup();
    const real = identityReader({ block: f.host.block, sysfsRoot: null });
    type Swap = (id: DeviceIdentity) => DeviceIdentity;
    let swap: Swap | null = null;
    const reader: IdentityReader = async (p) => {
      const id = await real(p);
      return swap === null ? id : swap(id);
    };
    const ds = snapshots(f, f.engine, f.host.dm, reader);
    await ds.create({ pool: f.poolName, name: 'base', device });
    const m = new JobManager({
      stateDir: f.stateDir,
      engine: f.engine,
      block: f.host.block,
      logger: silentLogger,
      merge: { dm: f.host.dm, readIdentity: reader, pollMs: 0, sleep: immediate },
    });
    cleanups.push(() => m.stop());
    await m.start();
    const others: Swap[] = [(id) => ({ ...id, label: 'serial:OTHER-DISK' }), (id) => ({ ...id, sizeBytes: 2 * DEVICE_BYTES })];
    for (const other of others) {
      swap = other;
      await expectCode(ds.delete(f.poolName, 'base'), 'DEVICE_MISMATCH');
      await expectCode(m.startMerge(f.poolName, 'base'), 'DEVICE_MISMATCH');
    }
    expect(m.list()).toEqual([]);
    expect(await ds.list(f.poolName)).toMatchObject([{ name: 'base', state: 'active' }]);
    // After a reboot, the snapshot of a device that is not there any more is not loaded.
    const paths = await f.host.reboot();
    const engine2 = f.host.engine();
    await engine2.activatePool(f.poolName, paths.slice(0, 1));
    await snapshots(f, engine2, f.host.dm, reader).restore(f.poolName);
    expect(await dsDevices(f)).toEqual([]);
    swap = null;
    await snapshots(f, engine2, f.host.dm, reader).restore(f.poolName);
    expect((await dsDevices(f)).sort()).toEqual(Object.values(stackNames(f.poolName, 'base')).sort());
  });

  it('merges a snapshot back: the device reads its snapshot-time content, the store is deleted, progress reaches the total', async () => {
    const { f, device, original } = await setup();
    const ds = snapshots(f);
    const made = await ds.create({ pool: f.poolName, name: 'base', device });
    await scatter(f, made.originDevicePath!, 10, Buffer.from(original));
    // A write to the snapshot itself is part of what the merge brings back.
    const expected = Buffer.from(original);
    await f.host.block.write(made.snapshotDevicePath!, 200 * CHUNK, pattern(9, CHUNK));
    pattern(9, CHUNK).copy(expected, 200 * CHUNK);
    const m = manager(f, f.stateDir, f.engine);
    await m.start();
    const seen: JobRecord[] = [];
    const job = await m.startMerge(f.poolName, 'base');
    m.watch(job.id, (j) => seen.push(j));
    expect(job).toMatchObject({ kind: 'merge', phase: 'merge', volume: 'base' });
    expect(job.totalBytes).toBe((22 + 16 + 1) * CHUNK);
    const done = await settled(m, job.id);
    expect(done).toMatchObject({ state: 'succeeded', doneBytes: job.totalBytes, totalBytes: job.totalBytes });
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.doneBytes).toBeGreaterThanOrEqual(seen[i - 1]!.doneBytes);
    expectSameBytes(await f.host.block.read(device, 0, DEVICE_BYTES), expected);
    expect(await f.pool.list()).toEqual([]);
    expect(await dsDevices(f)).toEqual([]);
    await expectCode(m.startMerge(f.poolName, 'base'), 'NO_SUCH_VOLUME');
  });

  it('keeps a merging origin device usable, refuses delete during a merge, and a cancelled merge still finishes at the next start', async () => {
    const { f, device, original, ds, made, m, job, gate } = await mergeHeldAfter(0);
    while ((await ds.list(f.poolName))[0]?.state !== 'merging' || (await dsDevices(f)).length !== 1) await immediate();
    // Reads through the origin device show the snapshot at once; writes land (and stay).
    expectSameBytes(await f.host.block.read(made.originDevicePath!, 0, DEVICE_BYTES), original);
    const expected = Buffer.from(original);
    await f.host.block.write(made.originDevicePath!, 6 * CHUNK, pattern(50, CHUNK));
    pattern(50, CHUNK).copy(expected, 6 * CHUNK);
    await expectCode(ds.delete(f.poolName, 'base'), 'JOB_RUNNING');
    const cancelled = await m.cancel(job.id);
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.error).toContain('cannot be undone');
    expect(await ds.list(f.poolName)).toMatchObject([{ state: 'merging' }]);
    gate.release();
    // The agent restarts: the pool's activation adopts the merge from its mark under a new job.
    await m.stop();
    const m2 = manager(f, f.stateDir, f.engine);
    await m2.start();
    await m2.poolActivated(f.poolName);
    const adopted = m2.list().find((j) => j.id !== job.id && j.kind === 'merge');
    expect(adopted).toBeDefined();
    expect(await settled(m2, adopted!.id)).toMatchObject({ state: 'succeeded' });
    expectSameBytes(await f.host.block.read(device, 0, DEVICE_BYTES), expected);
    expect(await f.pool.list()).toEqual([]);
  });

  it('hands a running merge over with its pool; the next holder reloads snapshot-merge and finishes it', async () => {
    const { f, device, original, m, job, gate } = await mergeHeldAfter(5);
    const waiting = gate.waiting;
    while (waiting.length === 0) await immediate();
    const moved = await m.handOver(f.poolName);
    expect(moved.map((j) => j.id)).toEqual([job.id]);
    const [marked] = (await f.pool.list()).filter((v) => v.name === 'base');
    expect(marked).toMatchObject({ active: false, job: { kind: 'merge', jobId: job.id, phase: 'merge' } });
    expect(await dsDevices(f)).toEqual([]);
    gate.release();
    await f.pool.deactivate();

    // The other host: its own state directory and engine, the same devices.
    const stateDir = await mkdtemp(join(tmpdir(), 'thinfleet-ds-other-'));
    cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
    const engine2 = f.host.engine();
    const m2 = manager(f, stateDir, engine2);
    await m2.start();
    await engine2.activatePool(f.poolName, f.paths);
    const ds2 = snapshots(f, engine2);
    await ds2.restore(f.poolName);
    // A merging snapshot is never loaded as a snapshot again: the merge job reloads snapshot-merge.
    expect(await ds2.list(f.poolName)).toMatchObject([{ state: 'merging', jobId: job.id, snapshotDevicePath: null, originDevicePath: null }]);
    expect(await dsDevices(f)).toEqual([]);
    await m2.poolActivated(f.poolName);
    expect(m2.get(job.id)).toMatchObject({ kind: 'merge' });
    expect(await settled(m2, job.id)).toMatchObject({ state: 'succeeded' });
    expectSameBytes(await f.host.block.read(device, 0, DEVICE_BYTES), original);
    expect(await engine2.pool(f.poolName).list()).toEqual([]);
  });
});

/** Reboots the simulated host and starts a new engine, device snapshots and job manager (over `stateDir`) in the agent's order. */
async function restart(f: JobFixture, stateDir: string): Promise<{ pool: Pool; m: JobManager; ds: DeviceSnapshots }> {
  const paths = await f.host.reboot();
  const engine = f.host.engine();
  const m = manager(f, stateDir, engine);
  await m.start();
  const pool = await engine.activatePool(f.poolName, paths.slice(0, 1));
  const ds = snapshots(f, engine);
  await ds.restore(f.poolName);
  await m.poolActivated(f.poolName);
  return { pool, m, ds };
}

/**
 * Runs `call` on device snapshots over an engine and device-mapper client that crash at step `n`
 * (counted from the call on); resolves with its result, or null when the process died.
 */
async function crashingCall<T>(f: JobFixture, n: number, mode: CrashMode, steps: string[], call: (ds: DeviceSnapshots) => Promise<T>) {
  const plan = new FreezingPlan(n, mode, () => undefined);
  const dm = crashingDm(f.host.dm, plan);
  const engine = f.host.engine({ dm, block: crashingBlock(f.host.block, plan) });
  await engine.activatePool(f.poolName, f.paths);
  plan.arm();
  const result = await call(snapshots(f, engine, dm)).catch((err: unknown) => {
    if (!plan.dead) throw err;
    return null;
  });
  steps.push(...plan.log.slice(steps.length));
  // The steps that took place (a crash "before" a step kept it from happening).
  const happened = mode === 'before' ? plan.log.slice(0, -1) : plan.log;
  return { result, dead: plan.dead, happened, label: `crash ${mode} at step ${n}` };
}

async function crashCreate(n: number, mode: CrashMode, steps: string[] = []): Promise<boolean> {
  const { f, device, original } = await setup();
  const { result: made, dead, label } = await crashingCall(f, n, mode, steps, (ds) => ds.create({ pool: f.poolName, name: 'base', device }));
  if (!dead) {
    expect(made, label).not.toBeNull();
    return false;
  }
  const { pool, ds } = await restart(f, f.stateDir);
  expect(await pool.reconcile(), label).toMatchObject({ consistent: true });
  let views = await ds.list(f.poolName);
  if (views.length === 0) views = [await ds.create({ pool: f.poolName, name: 'base', device })];
  expect(views, label).toMatchObject([{ name: 'base', state: 'active' }]);
  const view = views[0]!;
  expectSameBytes(await f.host.block.read(device, 0, DEVICE_BYTES), original);
  const changed = Buffer.from(original);
  await scatter(f, view.originDevicePath!, 30, changed);
  expectSameBytes(await f.host.block.read(view.snapshotDevicePath!, 0, DEVICE_BYTES), original);
  expectSameBytes(await f.host.block.read(device, 0, DEVICE_BYTES), changed);
  return true;
}

/**
 * Deletes a device snapshot (its device written through the origin device) with a crash at step
 * `n`; after the reboot the device snapshot is either gone for good (the drop mark was written:
 * the activation finishes the delete, never loading the snapshot again) or intact and loaded (a
 * crash before the mark), and then deletes. Either way the device keeps its current content.
 */
async function crashDelete(n: number, mode: CrashMode, steps: string[] = []): Promise<boolean> {
  const { f, device, original } = await setup();
  const made = await snapshots(f).create({ pool: f.poolName, name: 'base', device });
  const changed = Buffer.from(original);
  await scatter(f, made.originDevicePath!, 10, changed);
  const { result: deleted, dead, happened, label } = await crashingCall(f, n, mode, steps, (ds) => ds.delete(f.poolName, 'base'));
  if (!dead) {
    expect(deleted, label).toEqual({ originKept: false });
    return false;
  }
  const { pool, ds } = await restart(f, f.stateDir);
  const left = await ds.list(f.poolName);
  // Once its snapshot device was removed, the device may have been written without the store: never loaded again.
  if (happened.some((l) => /dm\.remove\(.*-_dssnap/.test(l))) expect(left, label).toEqual([]);
  if (left.length > 0) {
    // Crashed before the drop mark: the snapshot is intact, loaded, and still shows its time.
    expect(left, label).toMatchObject([{ state: 'active' }]);
    expectSameBytes(await f.host.block.read(left[0]!.snapshotDevicePath!, 0, DEVICE_BYTES), original);
    await ds.delete(f.poolName, 'base');
  }
  expect(await pool.list(), label).toEqual([]);
  expect(await dsDevices(f), label).toEqual([]);
  expectSameBytes(await f.host.block.read(device, 0, DEVICE_BYTES), changed);
  expect(await pool.reconcile(), label).toMatchObject({ consistent: true });
  return true;
}

async function crashMerge(n: number, mode: CrashMode, steps: string[] = []): Promise<boolean> {
  const { f, device, original } = await setup();
  const made = await snapshots(f).create({ pool: f.poolName, name: 'base', device });
  await scatter(f, made.originDevicePath!, 10, Buffer.from(original));
  const frozenDir = await mkdtemp(join(tmpdir(), 'thinfleet-ds-frozen-'));
  cleanups.push(() => rm(frozenDir, { recursive: true, force: true }));
  const liveJobs = join(f.stateDir, 'jobs');
  const frozenJobs = join(frozenDir, 'jobs');
  const plan = new FreezingPlan(n, mode, () => {
    if (existsSync(liveJobs)) cpSync(liveJobs, frozenJobs, { recursive: true });
    else mkdirSync(frozenJobs);
  });
  const dm = crashingDm(f.host.dm, plan);
  const block = crashingBlock(f.host.block, plan);
  const engine = f.host.engine({ dm, block });
  await engine.activatePool(f.poolName, f.paths);
  const m = manager(f, f.stateDir, engine, dm, block);
  await m.start();
  plan.arm();
  const label = `crash ${mode} at step ${n}`;
  const job = await m.startMerge(f.poolName, 'base');
  const first = await settled(m, job.id);
  steps.push(...plan.log.slice(steps.length));
  if (!plan.dead) {
    expect(first, label).toMatchObject({ state: 'succeeded' });
    return false;
  }
  await m.stop();
  const { pool, m: m2 } = await restart(f, frozenDir);
  const again = m2.list().find((j) => j.kind === 'merge' && j.state !== 'succeeded') ?? m2.get(job.id);
  expect(await settled(m2, again.id), `${label} (${plan.diedAt})`).toMatchObject({ state: 'succeeded' });
  expectSameBytes(await f.host.block.read(device, 0, DEVICE_BYTES), original);
  expect(await pool.list(), label).toEqual([]);
  expect(await dsDevices(f), label).toEqual([]);
  expect(await pool.reconcile(), label).toMatchObject({ consistent: true });
  return true;
}

/**
 * Runs `crash` before and after step 1, 2, ... until a run passes its last step without
 * crashing; returns the labels of every step the plan counted.
 */
async function crashAtEveryStep(crash: (n: number, mode: CrashMode, steps?: string[]) => Promise<boolean>): Promise<string[]> {
  const steps: string[] = [];
  for (let n = 1; ; n++) {
    const crashed = await crash(n, 'before', steps);
    await crash(n, 'after');
    for (const c of cleanups.splice(0).reverse()) await c();
    if (!crashed) break;
  }
  expect(steps.length).toBeGreaterThan(4);
  return steps;
}

describe('device snapshot crashes', () => {
  it('a crash at any step of create leaves either no device snapshot or one that loads at the next activation', async () => {
    const steps = await crashAtEveryStep(crashCreate);
    // The plan covered the store's create (kernel message, catalog writes) and both devices' loads.
    expect(steps.filter((l) => l.startsWith('dm.message'))).not.toEqual([]);
    expect(steps.filter((l) => /dm\.create\(.*-_ds(snap|origin)/.test(l))).toHaveLength(2);
    expect(steps.filter((l) => /dm\.resume\(.*-_ds(snap|origin)/.test(l))).toHaveLength(2);
  }, 300_000);

  it('a crash at any step of delete leaves the device snapshot intact or gone for good, never loaded again once marked', async () => {
    const steps = await crashAtEveryStep(crashDelete);
    // The plan covered the drop mark (a catalog write), both devices' removal and the store's delete.
    expect(steps.filter((l) => l.startsWith('block.write'))).not.toEqual([]);
    expect(steps.filter((l) => /dm\.remove\(.*-_ds(snap|origin)/.test(l))).toHaveLength(2);
    expect(steps.some((l) => l.startsWith('dm.message'))).toBe(true);
  }, 300_000);

  it('a crash at any step of a merge resumes it at the next start, and the device ends equal to the snapshot', async () => {
    const steps = await crashAtEveryStep(crashMerge);
    // The plan covered the mark, the snapshot's suspend, the merge table's load, both removals and the store's delete.
    expect(steps.filter((l) => l.startsWith('block.write'))).not.toEqual([]);
    for (const step of [/dm\.suspend\(.*-_dssnap/, /dm\.load\(.*-_dsorigin/, /dm\.remove\(.*-_dssnap/, /dm\.remove\(.*-_dsorigin/, /dm\.message/]) {
      expect(
        steps.some((l) => step.test(l)),
        String(step),
      ).toBe(true);
    }
  }, 300_000);
});
