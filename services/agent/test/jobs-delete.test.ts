/**
 * The chunked background delete on the simulated kernel: progress, the pool's used data
 * dropping chunk by chunk, other pool work going on while a job runs, cancel, the checks made
 * before anything is written, failures, and resuming after a stop and a reboot.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DmError } from '@thinfleet/devmapper';
import type { Pool } from '@thinfleet/engine';
import { AgentError } from '../src/agent-error.js';
import { JobManager, type JobRecord } from '../src/jobs/index.js';
import { expectSameBytes, filledVolume, Gate, jobFixture, KiB, MiB, readAt, recordingLogger, ScriptedBlock, settled, silentLogger, type JobFixture } from './support/job-harness.js';

const CHUNK = 256 * KiB;
const VOLUME_BYTES = 4 * MiB;
const CHUNKS = VOLUME_BYTES / CHUNK;

const fixtures: JobFixture[] = [];
afterEach(async () => {
  for (const f of fixtures.splice(0)) await f.teardown();
});

interface Setup {
  readonly f: JobFixture;
  /** What `v` holds: 4 MiB, every byte written. */
  readonly vBytes: Buffer;
  /** What `keep` holds: 1 MiB. */
  readonly keepBytes: Buffer;
}

async function setup(): Promise<Setup> {
  const f = await jobFixture();
  fixtures.push(f);
  const keepBytes = await filledVolume(f.host, f.pool, 'keep', MiB, 1);
  const vBytes = await filledVolume(f.host, f.pool, 'v', VOLUME_BYTES, 2);
  return { f, vBytes, keepBytes };
}

const names = async (pool: Pool): Promise<string[]> => (await pool.list()).map((v) => v.name);

async function recordOnDisk(stateDir: string, id: string): Promise<JobRecord> {
  return JSON.parse(await readFile(join(stateDir, 'jobs', `${id}.json`), 'utf8')) as JobRecord;
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err as Error & { code?: string },
  );
}

/**
 * Starts the delete of `v` with discards held at chunk `n`, then stops the manager there as a
 * shutdown would: the chunk in flight finishes and is checkpointed, the job stays running.
 */
async function stoppedAtChunk(f: JobFixture, n: number): Promise<{ m: JobManager; job: JobRecord; block: ScriptedBlock }> {
  const block = new ScriptedBlock(f.host.block);
  const gate = new Gate();
  block.before = (i) => (i === n ? gate.hold() : undefined);
  const m = f.manager({ block, chunkBytes: CHUNK });
  const job = await m.startDelete(f.poolName, 'v');
  await gate.reached;
  const stopping = m.stop();
  gate.open();
  await stopping;
  return { m, job, block };
}

describe('delete job', () => {
  it('discards a written volume chunk by chunk, then deletes it', async () => {
    const { f, keepBytes } = await setup();
    const block = new ScriptedBlock(f.host.block);
    const usedAfterChunk: number[] = [];
    block.after = async () => {
      usedAfterChunk.push((await f.pool.status()).dataUsedBytes);
    };
    const changes: JobRecord[] = [];
    const m = f.manager({ block, chunkBytes: CHUNK, onChange: (j) => changes.push(j) });
    await m.start();
    const usedBefore = (await f.pool.status()).dataUsedBytes;

    const job = await m.startDelete(f.poolName, 'v');
    expect(job).toMatchObject({ kind: 'delete', pool: f.poolName, volume: 'v', state: 'running', doneBytes: 0, totalBytes: VOLUME_BYTES, chunkBytes: CHUNK, error: null });
    expect(Object.isFrozen(job)).toBe(true);
    const end = await settled(m, job.id);

    expect(end).toMatchObject({ state: 'succeeded', doneBytes: VOLUME_BYTES, error: null, errorCode: null });
    const mine = changes.filter((c) => c.id === job.id);
    expect(mine[0]).toMatchObject({ state: 'running', doneBytes: 0 });
    for (let i = 1; i < mine.length; i++) expect(mine[i]!.doneBytes).toBeGreaterThanOrEqual(mine[i - 1]!.doneBytes);
    expect([...new Set(mine.map((c) => c.doneBytes))]).toEqual(Array.from({ length: CHUNKS + 1 }, (_, k) => k * CHUNK));
    expect(mine.at(-1)).toMatchObject({ state: 'succeeded', doneBytes: VOLUME_BYTES });
    expect(mine.filter((c) => c.state === 'succeeded')).toHaveLength(1);

    // One discard per chunk, in order, covering the volume exactly once.
    expect(block.discards.map((d) => [d.offsetBytes, d.lengthBytes])).toEqual(Array.from({ length: CHUNKS }, (_, k) => [k * CHUNK, CHUNK]));
    // Each chunk gave its blocks back to the pool before the volume was deleted.
    expect(usedAfterChunk).toEqual(Array.from({ length: CHUNKS }, (_, k) => usedBefore - (k + 1) * CHUNK));
    expect((await f.pool.status()).dataUsedBytes).toBe(usedBefore - VOLUME_BYTES);

    expect(await names(f.pool)).toEqual(['keep']);
    expectSameBytes(await readAt(f.host, f.pool, 'keep', 0, MiB), keepBytes);
    expect((await f.pool.reconcile()).consistent).toBe(true);
    expect(await recordOnDisk(f.stateDir, job.id)).toMatchObject({ state: 'succeeded', doneBytes: VOLUME_BYTES });
    expect(m.list()).toEqual([end]);
    expect(m.counts()).toEqual({ queued: 0, running: 0, succeeded: 1, failed: 0, cancelled: 0 });
    expect(m.countsByKind().delete).toEqual({ queued: 0, running: 0, succeeded: 1, failed: 0, cancelled: 0 });
    expect(m.jobOnVolume(f.poolName, 'v')).toBeNull();
  });

  it('leaves the pool free for other work while a job is in the middle of its chunks', async () => {
    const { f, keepBytes } = await setup();
    const block = new ScriptedBlock(f.host.block);
    const gate = new Gate();
    block.before = (n) => (n === 4 ? gate.hold() : undefined);
    const m = f.manager({ block, chunkBytes: CHUNK });
    const job = await m.startDelete(f.poolName, 'v');
    await gate.reached;

    // The job is held inside its fourth discard; the pool still takes snapshots and creates.
    expect(m.get(job.id)).toMatchObject({ state: 'running', doneBytes: 3 * CHUNK });
    const snap = await f.pool.snapshot('keep', 'keep.snap');
    expect(snap.name).toBe('keep.snap');
    await f.pool.createVolume('other', MiB);
    expect(m.get(job.id)).toMatchObject({ state: 'running', doneBytes: 3 * CHUNK });

    gate.open();
    expect(await settled(m, job.id)).toMatchObject({ state: 'succeeded' });
    expect(await names(f.pool)).toEqual(['keep', 'keep.snap', 'other']);
    expectSameBytes(await readAt(f.host, f.pool, 'keep.snap', 0, MiB), keepBytes);
    expect((await f.pool.reconcile()).consistent).toBe(true);
  });

  it('cancels a running job after its current chunk, leaving the volume with those chunks discarded', async () => {
    const { f, vBytes } = await setup();
    const block = new ScriptedBlock(f.host.block);
    const gate = new Gate();
    block.before = (n) => (n === 5 ? gate.hold() : undefined);
    const m = f.manager({ block, chunkBytes: CHUNK });
    const job = await m.startDelete(f.poolName, 'v');
    await gate.reached;

    const cancelling = m.cancel(job.id);
    gate.open();
    const cancelled = await cancelling;
    expect(cancelled).toMatchObject({ state: 'cancelled', doneBytes: 5 * CHUNK, errorCode: null });
    expect(cancelled.error).toContain(`the first ${5 * CHUNK} of its ${VOLUME_BYTES} bytes`);
    expect(block.discards).toHaveLength(5);
    expect(await recordOnDisk(f.stateDir, job.id)).toMatchObject({ state: 'cancelled', doneBytes: 5 * CHUNK });

    expect(await names(f.pool)).toEqual(['keep', 'v']);
    expectSameBytes(await readAt(f.host, f.pool, 'v', 0, 5 * CHUNK), Buffer.alloc(5 * CHUNK));
    expectSameBytes(await readAt(f.host, f.pool, 'v', 5 * CHUNK, VOLUME_BYTES - 5 * CHUNK), vBytes.subarray(5 * CHUNK));

    // Idempotent; watch on an ended job reports it once, at once.
    expect(await m.cancel(job.id)).toEqual(cancelled);
    const seen: JobRecord[] = [];
    m.watch(job.id, (j) => seen.push(j));
    expect(seen).toEqual([cancelled]);
    expect(m.jobOnVolume(f.poolName, 'v')).toBeNull();
    expect(await rejection(m.cancel('no-such-job'))).toMatchObject({ code: 'NO_SUCH_JOB' });
    expect(() => m.get('no-such-job')).toThrow(AgentError);

    // A new delete of the same volume goes through.
    const again = await m.startDelete(f.poolName, 'v');
    expect(again.id).not.toBe(job.id);
    expect(await settled(m, again.id)).toMatchObject({ state: 'succeeded' });
    expect(await names(f.pool)).toEqual(['keep']);
  });

  it('refuses a second delete of a volume a job works on, even when asked twice at once', async () => {
    const { f } = await setup();
    const block = new ScriptedBlock(f.host.block);
    const gate = new Gate();
    block.before = (n) => (n === 2 ? gate.hold() : undefined);
    const m = f.manager({ block, chunkBytes: CHUNK });

    const both = await Promise.allSettled([m.startDelete(f.poolName, 'v'), m.startDelete(f.poolName, 'v')]);
    const started = both.filter((r): r is PromiseFulfilledResult<JobRecord> => r.status === 'fulfilled');
    const refused = both.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(started).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.reason).toBeInstanceOf(AgentError);
    expect(refused[0]!.reason).toMatchObject({ code: 'JOB_RUNNING' });
    const job = started[0]!.value;

    await gate.reached;
    expect(await rejection(m.startDelete(f.poolName, 'v'))).toMatchObject({ code: 'JOB_RUNNING' });
    expect(m.jobOnVolume(f.poolName, 'v')?.id).toBe(job.id);
    expect(m.jobOnVolume(f.poolName, 'keep')).toBeNull();
    expect(m.counts()).toMatchObject({ running: 1 });
    gate.open();
    await settled(m, job.id);
    expect(m.jobOnVolume(f.poolName, 'v')).toBeNull();
    expect(m.list()).toHaveLength(1);
    expect((await readdir(join(f.stateDir, 'jobs'))).filter((n) => n.endsWith('.json'))).toEqual([`${job.id}.json`]);
  });

  it('refuses an open volume, a missing volume or pool, and an unsaveable record, having written and discarded nothing', async () => {
    const { f, vBytes } = await setup();
    const block = new ScriptedBlock(f.host.block);
    const m = f.manager({ block, chunkBytes: CHUNK });
    await m.start();

    const info = await f.pool.activateVolume('v');
    const release = await f.host.holdOpen(info.devicePath!);
    const busy = await rejection(m.startDelete(f.poolName, 'v'));
    expect(busy).toMatchObject({ name: 'EngineError', code: 'VOLUME_BUSY' });
    await release();
    expect(await rejection(m.startDelete(f.poolName, 'nope'))).toMatchObject({ name: 'EngineError', code: 'NO_SUCH_VOLUME' });
    expect(await rejection(m.startDelete('no-pool', 'v'))).toMatchObject({ name: 'EngineError', code: 'NO_SUCH_POOL' });
    expect(existsSync(join(f.stateDir, 'jobs'))).toBe(false);
    expect(m.list()).toEqual([]);

    // The record cannot be written: the call fails and nothing was done.
    await writeFile(join(f.stateDir, 'jobs'), 'not a directory');
    const unsaveable = await rejection(m.startDelete(f.poolName, 'v'));
    expect(unsaveable.code).toMatch(/^E[A-Z]+$/);
    expect(m.list()).toEqual([]);
    expect(block.discards).toEqual([]);
    expectSameBytes(await readAt(f.host, f.pool, 'v', 0, VOLUME_BYTES), vBytes);
  });

  it('marks the job failed on an I/O error, with the errno, logged with pool, volume and job', async () => {
    const { f } = await setup();
    const block = new ScriptedBlock(f.host.block);
    block.before = (n) => {
      if (n === 3) throw new DmError('EIO', 'BLKDISCARD', '/dev/mapper/x', 'injected');
    };
    const { logger, lines } = recordingLogger();
    const m = f.manager({ block, chunkBytes: CHUNK, logger });
    const job = await m.startDelete(f.poolName, 'v');
    const end = await settled(m, job.id);

    expect(end).toMatchObject({ state: 'failed', errorCode: 'EIO', doneBytes: 2 * CHUNK });
    expect(end.error).toContain('BLKDISCARD');
    expect(end.error).toContain(`the first ${2 * CHUNK} of its ${VOLUME_BYTES} bytes`);
    const logged = lines.find((l) => l.msg === 'delete job failed');
    expect(logged).toMatchObject({ level: 50, job: job.id, pool: f.poolName, volume: 'v', errorCode: 'EIO' });
    expect(m.list()).toEqual([end]);
    expect(m.counts()).toMatchObject({ failed: 1, running: 0 });
    expect(await recordOnDisk(f.stateDir, job.id)).toMatchObject({ state: 'failed', errorCode: 'EIO' });
    expect(await names(f.pool)).toEqual(['keep', 'v']);
  });

  it('stops at a checkpoint for shutdown and resumes from it after a reboot', async () => {
    const { f, keepBytes } = await setup();
    const { m, job, block } = await stoppedAtChunk(f, 7);
    // The chunk in flight finished and was checkpointed; the record stays running.
    expect(m.get(job.id)).toMatchObject({ state: 'running', doneBytes: 7 * CHUNK });
    expect(await recordOnDisk(f.stateDir, job.id)).toMatchObject({ state: 'running', doneBytes: 7 * CHUNK });
    expect(block.discards).toHaveLength(7);
    expect(await rejection(m.startDelete(f.poolName, 'keep'))).toMatchObject({ code: 'SHUTTING_DOWN' });

    const paths = await f.host.reboot();
    const engine = f.host.engine();
    const block2 = new ScriptedBlock(f.host.block);
    const m2 = f.manager({ engine, block: block2, chunkBytes: CHUNK });
    await m2.start();
    // The pool is not active yet: the job waits.
    expect(m2.get(job.id)).toMatchObject({ state: 'queued', doneBytes: 7 * CHUNK });
    expect(await recordOnDisk(f.stateDir, job.id)).toMatchObject({ state: 'queued' });
    expect(m2.jobOnVolume(f.poolName, 'v')?.id).toBe(job.id);

    const pool = await engine.activatePool(f.poolName, paths);
    const ending = settled(m2, job.id);
    await m2.poolActivated(f.poolName);
    expect(await ending).toMatchObject({ state: 'succeeded', doneBytes: VOLUME_BYTES });
    expect(block2.discards.map((d) => d.offsetBytes)).toEqual(Array.from({ length: CHUNKS - 7 }, (_, k) => (7 + k) * CHUNK));
    expect(await names(pool)).toEqual(['keep']);
    expectSameBytes(await readAt(f.host, pool, 'keep', 0, MiB), keepBytes);
    expect((await pool.reconcile()).consistent).toBe(true);
  });

  it('resumes by volume uuid: follows a rename and leaves a new volume of the old name alone', async () => {
    const { f } = await setup();
    const { job } = await stoppedAtChunk(f, 3);

    const paths = await f.host.reboot();
    const engine = f.host.engine();
    const pool = await engine.activatePool(f.poolName, paths);
    await pool.rename('v', 'v-renamed');
    const newV = await filledVolume(f.host, pool, 'v', MiB, 5);

    const block2 = new ScriptedBlock(f.host.block);
    const m2 = f.manager({ engine, block: block2, chunkBytes: CHUNK });
    await m2.start();
    const end = await settled(m2, job.id);
    expect(end).toMatchObject({ state: 'succeeded', volume: 'v-renamed' });
    expect(block2.discards[0]?.offsetBytes).toBe(3 * CHUNK);
    expect(await names(pool)).toEqual(['keep', 'v']);
    expectSameBytes(await readAt(f.host, pool, 'v', 0, MiB), newV);
  });

  it('finds the delete done when the volume is gone at resume', async () => {
    const { f } = await setup();
    const { job } = await stoppedAtChunk(f, 2);
    await f.pool.deleteVolume('v');

    const block2 = new ScriptedBlock(f.host.block);
    const m2 = f.manager({ block: block2, chunkBytes: CHUNK });
    await m2.start();
    expect(await settled(m2, job.id)).toMatchObject({ state: 'succeeded', doneBytes: VOLUME_BYTES });
    expect(block2.discards).toEqual([]);
  });

  it('parks a job whose pool is deactivated under it and resumes it when the pool is back', async () => {
    const { f } = await setup();
    const block = new ScriptedBlock(f.host.block);
    const gate = new Gate();
    block.before = (n) => (n === 3 ? gate.hold() : undefined);
    const changes: JobRecord[] = [];
    const m = f.manager({ block, chunkBytes: CHUNK, onChange: (j) => changes.push(j) });
    const job = await m.startDelete(f.poolName, 'v');
    await gate.reached;
    await f.pool.deactivate();
    gate.open();
    await new Promise<void>((resolve) => {
      const unwatch = m.watch(job.id, (j) => {
        if (j.state === 'queued') {
          unwatch();
          resolve();
        }
      });
    });
    expect(m.get(job.id)).toMatchObject({ state: 'queued', doneBytes: 2 * CHUNK });

    const pool = await f.engine.activatePool(f.poolName, f.paths);
    const ending = settled(m, job.id);
    await m.poolActivated(f.poolName);
    expect(await ending).toMatchObject({ state: 'succeeded' });
    expect(changes.some((c) => c.state === 'failed')).toBe(false);
    expect(block.discards.map((d) => d.offsetBytes)).toEqual([0, CHUNK, ...Array.from({ length: CHUNKS - 2 }, (_, k) => (2 + k) * CHUNK)]);
    expect(await names(pool)).toEqual(['keep']);
  });

  it('cancels a queued job at once', async () => {
    const { f, vBytes } = await setup();
    const { job } = await stoppedAtChunk(f, 2);

    const paths = await f.host.reboot();
    const engine = f.host.engine();
    const m2 = f.manager({ engine, chunkBytes: CHUNK });
    await m2.start();
    expect(m2.get(job.id).state).toBe('queued');
    const cancelled = await m2.cancel(job.id);
    expect(cancelled).toMatchObject({ state: 'cancelled', doneBytes: 2 * CHUNK });
    expect(await recordOnDisk(f.stateDir, job.id)).toMatchObject({ state: 'cancelled' });

    const pool = await engine.activatePool(f.poolName, paths);
    await m2.poolActivated(f.poolName);
    expect(m2.get(job.id).state).toBe('cancelled');
    // The mark its cancel could not clear (the pool was inactive) is cleared now, not adopted.
    expect((await pool.show('v')).deleting).toBeNull();
    expect(await names(pool)).toEqual(['keep', 'v']);
    expectSameBytes(await readAt(f.host, pool, 'v', 2 * CHUNK, VOLUME_BYTES - 2 * CHUNK), vBytes.subarray(2 * CHUNK));
  });

  it('prunes ended jobs at start and skips unreadable records', async () => {
    const { f } = await setup();
    const m = f.manager({ chunkBytes: MiB });
    const job = await m.startDelete(f.poolName, 'v');
    await settled(m, job.id);
    await m.stop();
    const jobsDir = join(f.stateDir, 'jobs');
    await writeFile(join(jobsDir, 'garbage.json'), '{not json');
    await writeFile(join(jobsDir, `.${job.id}.json.4242.tmp`), '{}');

    const { logger, lines } = recordingLogger();
    const m2 = new JobManager({ stateDir: f.stateDir, engine: f.engine, block: f.host.block, logger });
    await m2.start();
    expect(m2.list()).toEqual([]);
    expect((await readdir(jobsDir)).sort()).toEqual(['garbage.json']);
    expect(lines.find((l) => l.msg === 'skipping an unreadable job record')).toMatchObject({ level: 40, path: join(jobsDir, 'garbage.json') });
    await m2.stop();
  });
});

describe('job manager options', () => {
  it('rounds the chunk size to the pool data block size', async () => {
    const f = await jobFixture();
    fixtures.push(f);
    await f.pool.createVolume('a', MiB);
    await f.pool.createVolume('b', MiB);
    const small = f.manager({ chunkBytes: 1000 });
    const big = new JobManager({ stateDir: join(f.stateDir, 'other'), engine: f.engine, block: f.host.block, logger: silentLogger, chunkBytes: 200 * KiB });
    await mkdir(join(f.stateDir, 'other'));
    const a = await small.startDelete(f.poolName, 'a');
    const b = await big.startDelete(f.poolName, 'b');
    expect(a.chunkBytes).toBe(64 * KiB);
    expect(b.chunkBytes).toBe(192 * KiB);
    await settled(small, a.id);
    await settled(big, b.id);
    await big.stop();
    expect(() => f.manager({ chunkBytes: 0 })).toThrow(RangeError);
  });
});
