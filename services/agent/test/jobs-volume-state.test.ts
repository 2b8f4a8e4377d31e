/**
 * What a delete job that ends without deleting its volume leaves of it (issue 11, items 3 and
 * 4): the volume the job activated is deactivated at its end (cancelled, failed), one that was
 * active before the job began stays active, and the job's message says truthfully which bytes
 * are discarded and which may be (the chunk in flight; the chunk past a resumed job's saved
 * checkpoint; anything past an adopted mark's checkpoint).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DmError } from '@thinfleet/devmapper';
import type { JobManager, JobRecord } from '../src/jobs/index.js';
import { filledVolume, Gate, jobFixture, KiB, MiB, ScriptedBlock, settled, type JobFixture } from './support/job-harness.js';

const CHUNK = 256 * KiB;
const VOLUME_BYTES = 4 * MiB;

const fixtures: JobFixture[] = [];
afterEach(async () => {
  for (const f of fixtures.splice(0)) await f.teardown();
});

async function setup(): Promise<JobFixture> {
  const f = await jobFixture();
  fixtures.push(f);
  await filledVolume(f.host, f.pool, 'v', VOLUME_BYTES, 2);
  return f;
}

const failAt = (n: number) => (i: number) => {
  if (i === n) throw new DmError('EIO', 'BLKDISCARD', '/dev/mapper/x', 'injected');
};

/** Starts deleting `v` with the discard of chunk `n` held; resolves once it is held. */
async function heldAt(f: JobFixture, n: number): Promise<{ m: JobManager; job: JobRecord; gate: Gate }> {
  const block = new ScriptedBlock(f.host.block);
  const gate = new Gate();
  block.before = (i) => (i === n ? gate.hold() : undefined);
  const m = f.manager({ block, chunkBytes: CHUNK });
  const job = await m.startDelete(f.poolName, 'v');
  await gate.reached;
  return { m, job, gate };
}

const active = async (f: JobFixture): Promise<boolean> => (await f.pool.show('v')).active;

describe('the volume a delete job leaves', () => {
  it('is deactivated when the job that activated it is cancelled', async () => {
    const f = await setup();
    expect(await active(f)).toBe(false);
    const { m, job, gate } = await heldAt(f, 3);
    expect(await active(f)).toBe(true);
    const cancelling = m.cancel(job.id);
    gate.open();
    const end = await cancelling;
    expect(end).toMatchObject({ state: 'cancelled', doneBytes: 3 * CHUNK, volumeWasActive: false });
    expect(end.error).toBe(`cancelled: the volume remains with the first ${3 * CHUNK} of its ${VOLUME_BYTES} bytes discarded (they read as zeros, or from its external origin)`);
    expect(await active(f)).toBe(false);
    expect((await f.pool.show('v')).deleting).toBeNull();
  });

  it('is deactivated when the job fails, and the message names the chunk in flight as possibly discarded', async () => {
    const f = await setup();
    const block = new ScriptedBlock(f.host.block);
    block.before = failAt(3);
    const m = f.manager({ block, chunkBytes: CHUNK });
    const end = await settled(m, (await m.startDelete(f.poolName, 'v')).id);
    expect(end).toMatchObject({ state: 'failed', errorCode: 'EIO', doneBytes: 2 * CHUNK });
    expect(end.error).toContain(`the first ${2 * CHUNK} of its ${VOLUME_BYTES} bytes discarded`);
    expect(end.error).toContain(`and bytes ${2 * CHUNK} to ${3 * CHUNK} may be partly discarded`);
    expect(end.error).not.toContain('still active');
    expect(await active(f)).toBe(false);
  });

  it('does not claim an unchanged volume when the first discard failed', async () => {
    const f = await setup();
    const block = new ScriptedBlock(f.host.block);
    block.before = failAt(1);
    const m = f.manager({ block, chunkBytes: CHUNK });
    const end = await settled(m, (await m.startDelete(f.poolName, 'v')).id);
    expect(end).toMatchObject({ state: 'failed', doneBytes: 0 });
    expect(end.error).not.toContain('unchanged; ');
    expect(end.error).toContain(`bytes 0 to ${CHUNK} of its ${VOLUME_BYTES} may be partly discarded`);
  });

  it('stays active when it was active before the job began, whether the job is cancelled or fails', async () => {
    const f = await setup();
    await f.pool.activateVolume('v');
    const { m, job, gate } = await heldAt(f, 2);
    const cancelling = m.cancel(job.id);
    gate.open();
    expect(await cancelling).toMatchObject({ state: 'cancelled', volumeWasActive: true });
    expect(await active(f)).toBe(true);

    const block = new ScriptedBlock(f.host.block);
    block.before = failAt(1);
    const m2 = f.manager({ block, chunkBytes: CHUNK });
    const end = await settled(m2, (await m2.startDelete(f.poolName, 'v')).id);
    expect(end).toMatchObject({ state: 'failed', volumeWasActive: true });
    expect(await active(f)).toBe(true);
  });

  it('after a restart: the record keeps who activated the volume, and the chunk past the checkpoint may be discarded', async () => {
    const f = await setup();
    const { m, job, gate } = await heldAt(f, 3);
    const stopping = m.stop();
    gate.open();
    await stopping;
    // Stopped for shutdown: the volume stays active, the job resumes at the next start.
    expect(await active(f)).toBe(true);

    const block = new ScriptedBlock(f.host.block);
    block.before = failAt(2);
    const m2 = f.manager({ block, chunkBytes: CHUNK });
    await m2.start();
    const end = await settled(m2, job.id);
    expect(end).toMatchObject({ state: 'failed', doneBytes: 4 * CHUNK, volumeWasActive: false });
    expect(end.error).toContain(`and bytes ${4 * CHUNK} to ${5 * CHUNK} may be partly discarded`);
    expect(await active(f)).toBe(false);
  });

  it('adopted from a pool mark without a record: cancelling says the bytes past the mark may be discarded, and deactivates', async () => {
    const f = await setup();
    const { m, job, gate } = await heldAt(f, 3);
    const stopping = m.stop();
    gate.open();
    await stopping;
    // This host's records are lost; the pool's mark (written when the run began) is all there is.
    await rm(join(f.stateDir, 'jobs'), { recursive: true });
    const m2 = f.manager({ chunkBytes: CHUNK });
    await m2.start();
    await m2.poolActivated(f.poolName);
    const ending = settled(m2, job.id);
    const cancelled = await m2.cancel(job.id);
    expect(await ending).toEqual(cancelled);
    expect(cancelled).toMatchObject({ state: 'cancelled', volumeWasActive: false });
    expect(cancelled.error).toContain(`bytes ${cancelled.doneBytes} to ${VOLUME_BYTES}`);
    expect(cancelled.error).toContain('may be partly discarded');
    expect(await active(f)).toBe(false);
  });
});
