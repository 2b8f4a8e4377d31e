/**
 * The live move job on the simulated kernel: an active volume, held open and written by a "VM"
 * throughout, moves to another pool of the host (mirror, sparse resync through a disk log we
 * write, switch, rename, source deleted); cancel; refusals; a crash at every step, as an agent
 * crash (the kernel keeps its devices) and as a host crash (reboot: every device gone), each
 * checked for the volume's content and for exactly one pool holding it afterwards.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isEngineError, type Engine, type Pool } from '@thinfleet/engine';
import type { SimDmClient } from '@thinfleet/devmapper';
import { JobManager, type JobRecord } from '../src/jobs/index.js';
import { AgentError } from '../src/agent-error.js';
import type { CrashMode } from '../../../packages/engine/test/support/crash-plan.js';
import { crashFixture, firstRun, freezingEngine } from './support/freezing-plan.js';
import { startPatternWriter } from '../../../packages/engine/test/support/pattern-writer.js';
import { BLOCK_BYTES, expectSameBytes, Gate, jobFixture, MiB, pattern, settled, silentLogger, type JobFixture } from './support/job-harness.js';
import { SMALL_CATALOG } from '../../../packages/engine/test/support/engine-test-host.js';

/** The moved volume's size. */
const SIZE = 2 * MiB;

/** Run after each test (newest first for the VM's hold: see setup). */
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.shift()!();
});

/** Two pools of one host and `v` in the first; `expected` is what `v` reads now. */
type Setup = Readonly<{ f: JobFixture; target: Pool; targetName: string; targetPaths: string[]; expected: Buffer }>;

/** Two pools; volume `v` (2 MiB) in the first, active and held open, blocks 0, 5 and 17 written. */
async function setup(f?: JobFixture, engine?: Engine): Promise<Setup> {
  const fixture = f ?? (await jobFixture());
  if (f === undefined) cleanups.push(() => fixture.teardown());
  const targetPaths = await fixture.host.devices(1, 32 * MiB);
  const targetName = fixture.host.poolName('t');
  const target = await (engine ?? fixture.engine).createPool({ name: targetName, devices: targetPaths, dataBlockBytes: BLOCK_BYTES, ...SMALL_CATALOG });
  const expected = Buffer.alloc(SIZE);
  const v = await fixture.pool.createVolume('v', SIZE, { activate: true });
  for (const b of [0, 5, 17]) {
    const data = pattern(100 + b, BLOCK_BYTES);
    await fixture.host.block.write(v.devicePath!, b * BLOCK_BYTES, data);
    data.copy(expected, b * BLOCK_BYTES);
  }
  const sim = fixture.host.dm as SimDmClient;
  sim.holdOpen(`tf-${fixture.poolName.replaceAll('-', '--')}-v`);
  // The "VM" lets go before teardown, wherever its device went.
  cleanups.unshift(async () => {
    for (const d of sim.kernel.devices.values()) for (let i = d.holds; i > 0; i--) sim.releaseOpen(d.name);
  });
  return { f: fixture, target, targetName, targetPaths, expected };
}

/** The device path of the volume's top device by number: it stays valid across the rename, as a VM's open file does. */
async function byNumber(f: JobFixture): Promise<string> {
  const info = await f.host.dm.info(`tf-${f.poolName.replaceAll('-', '--')}-v`);
  return `/dev/dm-${info.dev.minor}`;
}

const helpers = async (f: JobFixture): Promise<string[]> => (await f.host.dm.list()).map((d) => d.name).filter((n) => /-_(move|mlog)-/.test(n));

/** Holds the simulated mirror's resync before its step `n` (from 1) until released. */
function holdResync(f: JobFixture, n: number): Gate {
  const gate = new Gate();
  let steps = 0;
  (f.host.dm as SimDmClient).kernel.mergeGate = () => (++steps >= n ? gate.hold() : new Promise((resolve) => setImmediate(resolve)));
  return gate;
}

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (isEngineError(err) || err instanceof AgentError) return { code: err.code, message: err.message };
  throw new Error(`expected a refusal, got ${String(err)}`);
}

/** Checks that the move ended with `v` in the target pool only, reading `expected`, its source thin id gone. */
async function expectMoved(s: Setup, source: Pool, target: Pool, label = ''): Promise<void> {
  expect(
    (await source.list()).map((v) => v.name),
    label,
  ).toEqual([]);
  const moved = await target.show('v');
  expect(moved, label).toMatchObject({ job: null, sizeBytes: SIZE });
  expect(
    (await target.list()).map((v) => v.name),
    label,
  ).toEqual(['v']);
  expect(await source.reconcile(), label).toMatchObject({ consistent: true, unknownToCatalog: [] });
  expect(await target.reconcile(), label).toMatchObject({ consistent: true });
  expect(await helpers(s.f), label).toEqual([]);
  const info = await target.activateVolume('v');
  expectSameBytes(await s.f.host.block.read(info.devicePath!, 0, SIZE), s.expected);
}

/** Checks that `v` stayed in the source pool only, unmarked, reading `expected`. */
async function expectStayed(s: Setup, source: Pool, target: Pool, label = ''): Promise<void> {
  expect((await source.show('v')).job, label).toBeNull();
  expect(
    (await target.list()).map((v) => v.name),
    label,
  ).toEqual([]);
  expect(await target.reconcile(), label).toMatchObject({ consistent: true, unknownToCatalog: [] });
  expect(await helpers(s.f), label).toEqual([]);
  const info = await source.activateVolume('v');
  expectSameBytes(await s.f.host.block.read(info.devicePath!, 0, SIZE), s.expected);
}

describe('move job', () => {
  it('moves an open volume a VM writes throughout: every acknowledged write reads back on the destination, same uuid, source gone', async () => {
    const s = await setup();
    const { f, target } = s;
    const uuid = (await f.pool.show('v')).uuid;
    const writer = startPatternWriter(f.host.block, await byNumber(f), SIZE, s.expected, { yieldEachWrite: true });
    const m = f.manager({ movePollMs: 1 });
    await m.start();
    const job = await m.startMove({ pool: f.poolName, volume: 'v', targetPool: s.targetName });
    const done = await settled(m, job.id);
    const writes = await writer.stop();
    expect(done, done.error ?? '').toMatchObject({ state: 'succeeded', kind: 'move', doneBytes: SIZE, phase: 'cleanup' });
    expect(writes).toBeGreaterThan(0);
    expect((await target.show('v')).uuid).toBe(uuid);
    // The device the VM holds was renamed into the target pool and still carries the VM's writes.
    expect((await f.host.dm.info(`tf-${s.targetName.replaceAll('-', '--')}-v`)).openCount).toBe(1);
    await expectMoved(s, f.pool, target);
  });

  it('copies only the mapped regions: the destination ends with the source blocks, not fully provisioned', async () => {
    const s = await setup();
    const m = s.f.manager({ movePollMs: 1 });
    await m.start();
    const job = await m.startMove({ pool: s.f.poolName, volume: 'v', targetPool: s.targetName });
    expect(await settled(m, job.id)).toMatchObject({ state: 'succeeded' });
    const usage = (await s.target.list({ usage: true })).find((v) => v.name === 'v');
    expect(usage?.mappedBytes).toBe(3 * BLOCK_BYTES);
    await expectMoved(s, s.f.pool, s.target);
  });

  it('cancel during the resync undoes the move: the volume stays in its pool with every write, the destination is gone', async () => {
    const s = await setup();
    const gate = holdResync(s.f, 2);
    const m = s.f.manager({ movePollMs: 1 });
    await m.start();
    const job = await m.startMove({ pool: s.f.poolName, volume: 'v', targetPool: s.targetName });
    await gate.reached;
    // The agent refuses other calls on the destination and the log volume, as on the source.
    expect(m.jobOnVolume(s.targetName, 'v')?.id).toBe(job.id);
    expect(m.jobOnVolume(s.targetName, `move-log.${job.id}`)?.id).toBe(job.id);
    expect(m.jobOnVolume(s.f.poolName, 'v')?.id).toBe(job.id);
    // A write while mirrored reaches the source.
    const data = pattern(9, BLOCK_BYTES);
    await s.f.host.block.write(await byNumber(s.f), 30 * BLOCK_BYTES, data);
    data.copy(s.expected, 30 * BLOCK_BYTES);
    const cancelled = m.cancel(job.id);
    gate.open();
    expect(await cancelled).toMatchObject({ id: job.id });
    const end = await settled(m, job.id);
    expect(end.state).toBe('cancelled');
    expect(end.error).toContain('undone');
    const table = await s.f.host.dm.table(`tf-${s.f.poolName.replaceAll('-', '--')}-v`);
    expect(table[0]?.type).toBe('thin');
    await expectStayed(s, s.f.pool, s.target);
  });

  it('refuses, changing nothing: same pool, unknown pool, name taken, inactive volume, external origin, a volume with a job', async () => {
    const s = await setup();
    const { f } = s;
    const m = f.manager({ movePollMs: 1 });
    await m.start();
    const start = (volume: string, targetPool: string): Promise<JobRecord> => m.startMove({ pool: f.poolName, volume, targetPool });
    expect(await refusal(start('v', f.poolName))).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('already in pool') });
    expect(await refusal(start('v', 'nosuchpool'))).toMatchObject({ code: 'NO_SUCH_POOL' });
    expect(await refusal(start('nosuch', s.targetName))).toMatchObject({ code: 'NO_SUCH_VOLUME' });
    await f.pool.createVolume('cold', MiB);
    const inactive = await refusal(start('cold', s.targetName));
    expect(inactive).toMatchObject({ code: 'VOLUME_INACTIVE' });
    expect(inactive.message).toContain('volume copy');
    await s.target.createVolume('v', MiB);
    expect(await refusal(start('v', s.targetName))).toMatchObject({ code: 'NAME_EXISTS' });
    await s.target.deleteVolume('v');
    const [image] = await f.host.devices(1, MiB);
    await f.pool.createExternal('ext', image!, { activate: true });
    expect(await refusal(start('ext', s.targetName))).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('flatten') });
    const gate = holdResync(f, 1);
    const first = await start('v', s.targetName);
    await gate.reached;
    expect(await refusal(start('v', s.targetName))).toMatchObject({ code: 'JOB_RUNNING' });
    gate.open();
    expect(await settled(m, first.id)).toMatchObject({ state: 'succeeded' });
  });
});

/**
 * Moves `v` with the agent "dying" at kernel or disk step n (mode), then restarts a manager over
 * the jobs as they were at death: as an agent crash (`reboot` false: the kernel keeps its
 * devices) or a host crash (true). Checks that exactly one pool holds the volume, with its content.
 */
async function crashOnce(n: number, mode: CrashMode, reboot: boolean): Promise<{ crashed: boolean; log: string[] }> {
  const { f, frozenDir, managers } = await crashFixture(cleanups);
  const s = await setup(f);
  const { plan, engine, frozenJobs } = freezingEngine(f, frozenDir, n, mode);
  await engine.activatePool(f.poolName, f.paths);
  await engine.activatePool(s.targetName, s.targetPaths);
  const m = new JobManager({ stateDir: f.stateDir, engine, block: f.host.block, logger: silentLogger, movePollMs: 1 });
  managers.push(m);
  const { job, first } = await firstRun(plan, m, (started) => started.startMove({ pool: f.poolName, volume: 'v', targetPool: s.targetName }), n, mode);
  const label = `crash ${mode} step ${n} (${plan.log[n - 1] ?? 'none'})${reboot ? ' + reboot' : ''}`;
  if (!plan.dead) {
    expect(first, label).toMatchObject({ state: 'succeeded' });
    return { crashed: false, log: plan.log };
  }
  const frozen = JSON.parse(readFileSync(join(frozenJobs, `${job.id}.json`), 'utf8')) as JobRecord;
  const paths = reboot ? await f.host.reboot() : [...f.paths, ...s.targetPaths];
  const engine2 = f.host.engine();
  const m2 = new JobManager({ stateDir: frozenDir, engine: engine2, block: f.host.block, logger: silentLogger, movePollMs: 1 });
  managers.push(m2);
  // As a restarted agent does: pools activated one after another, each pool's jobs resumed as
  // it becomes active, so the move resumes before its target pool is back.
  const source = await engine2.activatePool(f.poolName, paths);
  await m2.start();
  await m2.poolActivated(f.poolName);
  const target = await engine2.activatePool(s.targetName, paths);
  await m2.poolActivated(s.targetName);
  const end = frozen.state === 'running' || frozen.state === 'queued' ? await settled(m2, job.id) : frozen;
  const names = [(await source.list()).some((v) => v.name === 'v'), (await target.list()).some((v) => v.name === 'v' && v.job === null)];
  expect(names.filter(Boolean).length, `${label}: exactly one pool holds v (end ${end.state}: ${end.error})`).toBe(1);
  try {
    if (names[1]) await expectMoved(s, source, target, label);
    else await expectStayed(s, source, target, label);
  } catch (err) {
    throw new Error(`${label} (end ${end.state}: ${end.error}): ${(err as Error).message}`, { cause: err });
  }
  for (const d of await f.host.dm.list()) expect((await f.host.dm.info(d.name)).suspended, `${label}: ${d.name} suspended`).toBe(false);
  return { crashed: true, log: plan.log };
}

describe('move job crash at every step', () => {
  for (const reboot of [false, true]) {
    it(`ends with the volume in exactly one pool after ${reboot ? 'a host crash' : 'an agent crash'} before or after any step`, async () => {
      const labels: string[] = [];
      for (let n = 1; ; n++) {
        const outcome = await crashOnce(n, 'before', reboot);
        if (!outcome.crashed) break;
        labels.push(outcome.log[n - 1]!);
        await crashOnce(n, 'after', reboot);
        for (const c of cleanups.splice(0)) await c();
      }
      expect(labels.some((l) => l.startsWith('dm.rename'))).toBe(true);
      expect(labels.some((l) => l.startsWith('dm.load'))).toBe(true);
    }, 600_000);
  }
});
