/**
 * Job checkpoints owned by grant tokens (issue 13, item 3): a delete job's mark in the pool's
 * catalog carries its owner's token, and a holder whose record of the job is stale may neither
 * re-mark a volume nor go on answering for a job another holder adopted. Two hosts are two
 * engines and two job managers (own state directories) over one simulated kernel and disk, each
 * holding the pool under its own grant token (Engine.setPoolWriter, as the agent's
 * grant-activation does).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '@thinfleet/engine';
import { JobManager, type JobRecord } from '../src/jobs/index.js';
import { filledVolume, Gate, jobFixture, KiB, MiB, ScriptedBlock, settled, silentLogger, type JobFixture } from './support/job-harness.js';

const CHUNK = 256 * KiB;
const VOLUME_BYTES = 4 * MiB;
const A = { token: 10n, nodeId: 'node-a' };
const B = { token: 20n, nodeId: 'node-b' };
const C = { token: 30n, nodeId: 'node-c' };

/** What each test leaves to undo, last made first: managers stopped, fixtures torn down, directories removed. */
const undo: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of undo.splice(0).reverse()) await step();
});

/** A job manager of a host: `engine`, its own (or the given) state directory, discards through `block`. */
async function managerOf(engine: Engine, block: ScriptedBlock, stateDir?: string, markEveryMs = 1000): Promise<JobManager> {
  let dir = stateDir;
  if (dir === undefined) {
    const made = await mkdtemp(join(tmpdir(), 'thinfleet-jobs-host-'));
    undo.push(() => rm(made, { recursive: true, force: true }));
    dir = made;
  }
  const m = new JobManager({ stateDir: dir, engine, block, logger: silentLogger, chunkBytes: CHUNK, markEveryMs });
  undo.push(() => m.stop());
  await m.start();
  return m;
}

/** A discard path whose chunk `n` waits at the returned gate. */
function heldAt(f: JobFixture, n: number): { block: ScriptedBlock; gate: Gate } {
  const block = new ScriptedBlock(f.host.block);
  const gate = new Gate();
  block.before = (i) => (i === n ? gate.hold() : undefined);
  return { block, gate };
}

/** Resolves when job `id` of `m` ends ('ended', with its record) or leaves the host ('moved'). */
function outcomeOf(m: JobManager, id: string): Promise<{ how: 'ended'; job: JobRecord } | { how: 'moved'; why: string }> {
  return new Promise((resolve) => {
    settled(m, id).then(
      (job) => resolve({ how: 'ended', job }),
      () => undefined,
    );
    m.watch(
      id,
      () => undefined,
      (why) => resolve({ how: 'moved', why }),
    );
  });
}

/**
 * Host B (token 20, its own engine and job manager) activates the pool and adopts its marked
 * job; resolves with B's run held in its first discard.
 */
async function hostBAdopts(f: JobFixture) {
  const engineB = f.host.engine();
  engineB.setPoolWriter(f.poolName, B);
  const poolB = await engineB.activatePool(f.poolName, f.paths);
  const b = heldAt(f, 1);
  const mB = await managerOf(engineB, b.block);
  await mB.poolActivated(f.poolName);
  await b.gate.reached;
  return { poolB, mB, b };
}

async function setup() {
  const f = await jobFixture();
  undo.push(() => f.teardown());
  const vBytes = await filledVolume(f.host, f.pool, 'v', VOLUME_BYTES, 2);
  f.engine.setPoolWriter(f.poolName, A);
  return { f, vBytes };
}

describe('delete jobs owned by grant tokens', () => {
  it('a host whose record is stale does not re-mark a volume whose delete was cancelled on another host', async () => {
    const { f } = await setup();
    // Host A (token 10) starts deleting v; its agent dies mid-job (the record stays "running").
    const a = heldAt(f, 2);
    const mA = await managerOf(f.engine, a.block, f.stateDir);
    const job = await mA.startDelete(f.poolName, 'v');
    await a.gate.reached;
    expect((await f.pool.show('v')).deleting).toMatchObject({ jobId: job.id, ownerToken: '10' });
    const stopping = mA.stop();
    a.gate.open();
    await stopping;
    await f.pool.deactivate();

    // Host B (token 20) takes the pool, adopts the job from the mark, and the user cancels it there.
    const { poolB, mB, b } = await hostBAdopts(f);
    expect((await poolB.show('v')).deleting).toMatchObject({ jobId: job.id, ownerToken: '20' });
    const cancelling = mB.cancel(job.id);
    b.gate.open();
    expect(await cancelling).toMatchObject({ state: 'cancelled' });
    expect((await poolB.show('v')).deleting).toBeNull();
    await mB.stop();
    await poolB.deactivate();

    // A is granted the pool again (token 30) and its restarted agent finds its old record.
    const mA2 = await managerOf(f.engine, new ScriptedBlock(f.host.block), f.stateDir);
    expect(mA2.get(job.id)).toMatchObject({ state: 'queued', ownerToken: '10' });
    const outcome = outcomeOf(mA2, job.id);
    f.engine.setPoolWriter(f.poolName, C);
    const poolA = await f.engine.activatePool(f.poolName, f.paths);
    await mA2.poolActivated(f.poolName);
    expect(await outcome).toMatchObject({ how: 'moved' });
    // The volume whose delete was cancelled is still there, unmarked, and A no longer answers for the job.
    expect((await poolA.show('v')).deleting).toBeNull();
    expect((await poolA.list()).map((v) => v.name)).toContain('v');
    expect(() => mA2.get(job.id)).toThrow(/no job/);
  });

  it('a stalled host stops answering for a job another host adopted', async () => {
    const { f } = await setup();
    // Host A (token 10) runs the job and marks after every chunk; it stalls in chunk 2's discard.
    const a = heldAt(f, 2);
    const mA = await managerOf(f.engine, a.block, f.stateDir, 0);
    const job = await mA.startDelete(f.poolName, 'v');
    const outcomeA = outcomeOf(mA, job.id);
    await a.gate.reached;

    // Host B (token 20) is granted the pool meanwhile (A was never fenced) and adopts the job.
    const { poolB, mB, b } = await hostBAdopts(f);
    expect(mB.get(job.id)).toMatchObject({ state: 'running' });
    expect((await poolB.show('v')).deleting).toMatchObject({ jobId: job.id, ownerToken: '20' });

    // A wakes up: its next mark finds B's writes on the disk, and A lets go of the job.
    a.gate.open();
    expect(await outcomeA).toMatchObject({ how: 'moved' });
    expect(() => mA.get(job.id)).toThrow(/no job/);
    expect((await poolB.show('v')).deleting).toMatchObject({ jobId: job.id, ownerToken: '20' });
    // B, the holder, answers for it alone and finishes it.
    const done = settled(mB, job.id);
    b.gate.open();
    expect(await done).toMatchObject({ state: 'succeeded' });
  });
});
