/**
 * Crash tests of the delete job on the simulated kernel: the job and the engine share one crash
 * plan, which kills the "process" before or after each step that changes the kernel or a disk
 * (every discard, the volume's activation, each step of the engine's delete; torn for
 * multi-sector writes). The job records as they were at the moment of death are kept; then the
 * host reboots, a new engine activates the pool (recovering the engine's transaction), a new
 * job manager starts over the kept records, and the job must end succeeded: the volume gone,
 * the catalog and the kernel agreeing, the other volumes (a snapshot of the deleted one among
 * them) reading back their patterns, and the resumed job starting from its checkpoint. Every
 * other crash restarts in the standalone agent's order (the pool activated, its marks adopted,
 * before the manager's start), which must find the record's checkpoint all the same.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from '@thinfleet/engine';
import { JobManager, type JobRecord } from '../src/jobs/index.js';
import { crashingBlock, type CrashMode } from '../../../packages/engine/test/support/crash-plan.js';
import { crashFixture, firstRun, freezingEngine } from './support/freezing-plan.js';
import { expectSameBytes, filledVolume, KiB, MiB, readAt, ScriptedBlock, settled, silentLogger } from './support/job-harness.js';

const CHUNK = 256 * KiB;
const VOLUME_BYTES = MiB;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function crashOnce(n: number, mode: CrashMode): Promise<{ crashed: boolean; log: string[] }> {
  const { f, frozenDir, managers } = await crashFixture(cleanups);
  const keepBytes = await filledVolume(f.host, f.pool, 'keep', MiB, 1);
  const vBytes = await filledVolume(f.host, f.pool, 'v', VOLUME_BYTES, 2);
  await f.pool.snapshot('v', 'vs');

  const { plan, engine, frozenJobs } = freezingEngine(f, frozenDir, n, mode);
  const pool = await engine.activatePool(f.poolName, f.paths);
  const m = new JobManager({ stateDir: f.stateDir, engine, block: crashingBlock(f.host.block, plan), logger: silentLogger, chunkBytes: CHUNK });
  managers.push(m);
  const { job, first, label } = await firstRun(plan, m, (started) => started.startDelete(f.poolName, 'v'), n, mode);

  if (!plan.dead) {
    expect(first, label).toMatchObject({ state: 'succeeded' });
    expect((await pool.list()).map((v) => v.name)).toEqual(['keep', 'vs']);
    return { crashed: false, log: plan.log };
  }

  // Every step comes after the job's record was saved.
  const frozenFile = join(frozenJobs, `${job.id}.json`);
  expect(existsSync(frozenFile), `${label}: no record at the crash`).toBe(true);
  const frozen = JSON.parse(readFileSync(frozenFile, 'utf8')) as JobRecord;
  expect(frozen, label).toMatchObject({ state: 'running', volumeUuid: job.volumeUuid });

  const paths = await f.host.reboot();
  const engine2 = f.host.engine();
  const block2 = new ScriptedBlock(f.host.block);
  const m2 = new JobManager({ stateDir: frozenDir, engine: engine2, block: block2, logger: silentLogger, chunkBytes: CHUNK });
  managers.push(m2);
  let pool2: Pool;
  if (n % 2 === 1) {
    await m2.start();
    expect(m2.get(job.id).state, label).toBe('queued');
    pool2 = await engine2.activatePool(f.poolName, paths);
    const ending = settled(m2, job.id);
    await m2.poolActivated(f.poolName);
    expect(await ending, label).toMatchObject({ state: 'succeeded', doneBytes: VOLUME_BYTES });
  } else {
    // The standalone agent's order: its pools are activated (their marks adopted) before start.
    pool2 = await engine2.activatePool(f.poolName, paths);
    await m2.poolActivated(f.poolName);
    await m2.start();
    expect(await settled(m2, job.id), label).toMatchObject({ state: 'succeeded', doneBytes: VOLUME_BYTES });
  }

  // Resumed from the checkpoint, not from 0.
  const remaining = Array.from({ length: (VOLUME_BYTES - frozen.doneBytes) / CHUNK }, (_, k) => frozen.doneBytes + k * CHUNK);
  expect(
    block2.discards.map((d) => d.offsetBytes),
    label,
  ).toEqual(remaining);

  expect(
    (await pool2.list()).map((v) => v.name),
    label,
  ).toEqual(['keep', 'vs']);
  expect(await pool2.reconcile(), label).toMatchObject({ consistent: true });
  expectSameBytes(await readAt(f.host, pool2, 'keep', 0, MiB), keepBytes);
  expectSameBytes(await readAt(f.host, pool2, 'vs', 0, VOLUME_BYTES), vBytes);
  for (const d of await f.host.dm.list()) {
    if (d.name.includes(f.poolName)) expect((await f.host.dm.info(d.name)).suspended, `${label}: ${d.name} suspended`).toBe(false);
  }
  return { crashed: true, log: plan.log };
}

describe('delete job crash at every step', () => {
  it('resumes to a deleted volume after a crash before, after or inside any step', async () => {
    let n = 1;
    let crashes = 0;
    const labels: string[] = [];
    for (;;) {
      const outcome = await crashOnce(n, 'before');
      if (!outcome.crashed) break;
      const step = outcome.log[n - 1]!;
      labels.push(step);
      await crashOnce(n, 'after');
      crashes += 2;
      if (step.startsWith('block.write') && !step.endsWith(' 512B)')) {
        await crashOnce(n, 'torn');
        crashes += 1;
      }
      for (const c of cleanups.splice(0)) await c();
      n += 1;
    }
    // The plan covered every discard and the engine's delete.
    expect(labels.filter((l) => l.startsWith('block.discard'))).toHaveLength(VOLUME_BYTES / CHUNK);
    expect(labels.some((l) => l.startsWith('dm.message'))).toBe(true);
    expect(crashes).toBeGreaterThan((VOLUME_BYTES / CHUNK) * 2);
  }, 300_000);
});
