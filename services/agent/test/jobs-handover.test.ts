/**
 * A delete job travels with its pool (cluster mode): the job marks its volume in the pool's
 * catalog, `handOver` stops it after its current chunk and leaves its checkpoint in the mark,
 * and the manager of whichever host activates the pool next adopts it from the mark. Also the
 * crash in the middle of a hand-over, and a hand-over that cannot write its mark.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from '@thinfleet/engine';
import { JobManager, type JobRecord } from '../src/jobs/index.js';
import { volumeMessage } from '../src/proto-messages.js';
import { expectSameBytes, filledVolume, Gate, jobFixture, KiB, MiB, readAt, ScriptedBlock, settled, silentLogger, type JobFixture } from './support/job-harness.js';

const CHUNK = 256 * KiB;
const VOLUME_BYTES = 4 * MiB;
const CHUNKS = VOLUME_BYTES / CHUNK;

const fixtures: JobFixture[] = [];
const dirs: string[] = [];
const managers: JobManager[] = [];
afterEach(async () => {
  for (const m of managers.splice(0)) await m.stop();
  for (const f of fixtures.splice(0)) await f.teardown();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function setup(): Promise<{ f: JobFixture; keepBytes: Buffer; vBytes: Buffer }> {
  const f = await jobFixture();
  fixtures.push(f);
  const keepBytes = await filledVolume(f.host, f.pool, 'keep', MiB, 1);
  const vBytes = await filledVolume(f.host, f.pool, 'v', VOLUME_BYTES, 2);
  return { f, keepBytes, vBytes };
}

/** Another host's job manager: its own state directory, the same pool devices. */
async function otherHost(f: JobFixture, block: ScriptedBlock): Promise<{ m: JobManager; stateDir: string; activate(): Promise<Pool> }> {
  const stateDir = await mkdtemp(join(tmpdir(), 'thinfleet-jobs-other-'));
  dirs.push(stateDir);
  const engine = f.host.engine();
  const m = new JobManager({ stateDir, engine, block, logger: silentLogger, chunkBytes: CHUNK });
  managers.push(m);
  await m.start();
  return { m, stateDir, activate: () => engine.activatePool(f.poolName, f.paths) };
}

const recordFiles = async (stateDir: string): Promise<string[]> => (await readdir(join(stateDir, 'jobs')).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));
const names = async (pool: Pool): Promise<string[]> => (await pool.list()).map((v) => v.name);

/** Starts deleting `v` with the discard of chunk `n` held; resolves once it is held. */
async function runningAtChunk(f: JobFixture, n: number, onChange?: (j: JobRecord) => void) {
  const block = new ScriptedBlock(f.host.block);
  const gate = new Gate();
  block.before = (i) => (i === n ? gate.hold() : undefined);
  const m = f.manager({ block, chunkBytes: CHUNK, ...(onChange ? { onChange } : {}) });
  const job = await m.startDelete(f.poolName, 'v');
  await gate.reached;
  return { m, job, block, gate };
}

/** `pool`, except that markDelete fails while `refuse()` says so. */
function refusingMarks(pool: Pool, refuse: () => boolean): Pool {
  return new Proxy(pool, {
    get(target, key, receiver) {
      if (key === 'markDelete' && refuse()) return () => Promise.reject(new Error('catalog device unwritable'));
      const value = Reflect.get(target, key, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * Starts deleting `v` through pools whose markDelete fails while `refuse(true)`; resolves with
 * the discard of chunk 2 held at `gate`.
 */
async function runningWithMarksSwitch(f: JobFixture) {
  let refusing = false;
  const block = new ScriptedBlock(f.host.block);
  const gate = new Gate();
  block.before = (i) => (i === 2 ? gate.hold() : undefined);
  const engine = { pool: (name: string): Pool => refusingMarks(f.engine.pool(name), () => refusing) };
  const m = f.manager({ engine, block, chunkBytes: CHUNK });
  const job = await m.startDelete(f.poolName, 'v');
  await gate.reached;
  return { m, job, gate, refuse: (on: boolean) => void (refusing = on) };
}

describe('delete job hand-over with its pool', () => {
  it('marks its volume in the pool while it runs, and clears the mark when cancelled', async () => {
    const { f } = await setup();
    const { m, job, gate } = await runningAtChunk(f, 3);
    expect((await f.pool.show('v')).deleting).toEqual({ jobId: job.id, doneBytes: 0, chunkBytes: CHUNK, createdMs: job.createdMs });
    const cancelling = m.cancel(job.id);
    gate.open();
    expect(await cancelling).toMatchObject({ state: 'cancelled', doneBytes: 3 * CHUNK });
    expect((await f.pool.show('v')).deleting).toBeNull();
  });

  it('stops after the current chunk, leaves its checkpoint in the pool, and the next holder finishes it', async () => {
    const { f, keepBytes } = await setup();
    const { m, job, block, gate } = await runningAtChunk(f, 4);
    const moved: string[] = [];
    const seen: JobRecord[] = [];
    m.watch(
      job.id,
      (j) => seen.push(j),
      (why) => moved.push(why),
    );
    const handing = m.handOver(f.poolName);
    gate.open();
    const handed = await handing;
    expect(handed).toMatchObject([{ id: job.id, doneBytes: 4 * CHUNK }]);
    expect(block.discards).toHaveLength(4);
    // Gone from this host: record, memory; its watchers were told where it went.
    expect(await recordFiles(f.stateDir)).toEqual([]);
    expect(m.list()).toEqual([]);
    expect(() => m.get(job.id)).toThrow(/no job/);
    expect(moved).toHaveLength(1);
    expect(moved[0]).toContain(`at ${4 * CHUNK} of ${VOLUME_BYTES} bytes`);
    expect(seen.some((j) => j.state === 'succeeded' || j.state === 'failed' || j.state === 'cancelled')).toBe(false);
    // In the pool: the mark at the checkpoint, the volume inactive, so the pool can go.
    const v = await f.pool.show('v');
    expect(v).toMatchObject({ active: false, deleting: { jobId: job.id, doneBytes: 4 * CHUNK } });
    // Listings still name the job (from the mark), so a coordinator knows it is on the move.
    expect(m.jobOnVolume(f.poolName, 'v')).toBeNull();
    expect(volumeMessage(f.poolName, v, null).jobId).toBe(job.id);
    await f.pool.deactivate();

    // Another host activates the pool and adopts the job: same id, from the checkpoint.
    const block2 = new ScriptedBlock(f.host.block);
    const other = await otherHost(f, block2);
    const pool = await other.activate();
    await other.m.poolActivated(f.poolName);
    expect(other.m.get(job.id)).toMatchObject({ volume: 'v', createdMs: job.createdMs, chunkBytes: CHUNK });
    expect(await settled(other.m, job.id)).toMatchObject({ state: 'succeeded', doneBytes: VOLUME_BYTES });
    expect(block2.discards.map((d) => d.offsetBytes)).toEqual(Array.from({ length: CHUNKS - 4 }, (_, k) => (4 + k) * CHUNK));
    expect(await names(pool)).toEqual(['keep']);
    expectSameBytes(await readAt(f.host, pool, 'keep', 0, MiB), keepBytes);
    // Idempotent: activating again adopts nothing more.
    await other.m.poolActivated(f.poolName);
    expect(other.m.list().map((j) => j.id)).toEqual([job.id]);
  });

  it('after a crash between the mark and the removal of its record, the job ends once, wherever it runs', async () => {
    const { f } = await setup();
    let lastSaved: JobRecord | null = null;
    const { m, job, gate } = await runningAtChunk(f, 2, (j) => (lastSaved = j));
    const handing = m.handOver(f.poolName);
    gate.open();
    await handing;
    // The crash image: the record as last saved (checkpoint at 2 chunks), still on disk.
    await writeFile(join(f.stateDir, 'jobs', `${job.id}.json`), JSON.stringify(lastSaved));
    await f.pool.deactivate();

    // The next holder adopts it from the mark and finishes it.
    const other = await otherHost(f, new ScriptedBlock(f.host.block));
    const pool = await other.activate();
    await other.m.poolActivated(f.poolName);
    expect(await settled(other.m, job.id)).toMatchObject({ state: 'succeeded' });
    await pool.deactivate();

    // The crashed host restarts with the record, waits for the pool, and once it holds the
    // pool again finds the volume gone: the delete happened.
    const block3 = new ScriptedBlock(f.host.block);
    const engine3 = f.host.engine();
    const m3 = new JobManager({ stateDir: f.stateDir, engine: engine3, block: block3, logger: silentLogger, chunkBytes: CHUNK });
    managers.push(m3);
    await m3.start();
    expect(m3.get(job.id)).toMatchObject({ state: 'queued', doneBytes: 2 * CHUNK });
    const pool3 = await engine3.activatePool(f.poolName, f.paths);
    await m3.poolActivated(f.poolName);
    expect(await settled(m3, job.id)).toMatchObject({ state: 'succeeded' });
    expect(block3.discards).toEqual([]);
    expect(await names(pool3)).toEqual(['keep']);
  });

  it('keeps the job running here when its checkpoint cannot be written to the pool', async () => {
    const { f } = await setup();
    const { m, job, gate, refuse } = await runningWithMarksSwitch(f);
    refuse(true);
    const handing = m.handOver(f.poolName);
    gate.open();
    await expect(handing).rejects.toThrow(/catalog device unwritable/);
    refuse(false);
    // Still this host's job, and it runs on to the end.
    expect(await settled(m, job.id)).toMatchObject({ state: 'succeeded', doneBytes: VOLUME_BYTES });
    expect(await names(f.pool)).toEqual(['keep']);
  });

  it('lets a new delete replace the mark of a job that ended here without clearing it', async () => {
    const { f } = await setup();
    const { m, job: first, gate, refuse } = await runningWithMarksSwitch(f);
    refuse(true);
    const cancelling = m.cancel(first.id);
    gate.open();
    expect(await cancelling).toMatchObject({ state: 'cancelled' });
    refuse(false);
    expect((await f.pool.show('v')).deleting).toMatchObject({ jobId: first.id });
    const second = await m.startDelete(f.poolName, 'v');
    expect(await settled(m, second.id)).toMatchObject({ state: 'succeeded' });
    expect(await names(f.pool)).toEqual(['keep']);
  });

  it('after a restart, clears the leftover mark of a job that ended here instead of adopting it', async () => {
    const { f, vBytes } = await setup();
    const { m, job, gate, refuse } = await runningWithMarksSwitch(f);
    refuse(true);
    const cancelling = m.cancel(job.id);
    gate.open();
    const cancelled = await cancelling;
    expect(cancelled).toMatchObject({ state: 'cancelled', doneBytes: 2 * CHUNK });
    refuse(false);
    await m.stop();
    expect((await f.pool.show('v')).deleting).toMatchObject({ jobId: job.id });

    // The agent's start: the pool's marks are looked at before (or after) jobs/ is read.
    const block2 = new ScriptedBlock(f.host.block);
    const m2 = f.manager({ block: block2, chunkBytes: CHUNK });
    await m2.poolActivated(f.poolName);
    await m2.start();
    expect(m2.list()).toEqual([]);
    expect(block2.discards).toEqual([]);
    expect((await f.pool.show('v')).deleting).toBeNull();
    expectSameBytes(await readAt(f.host, f.pool, 'v', 2 * CHUNK, VOLUME_BYTES - 2 * CHUNK), vBytes.subarray(2 * CHUNK));
  });
});
