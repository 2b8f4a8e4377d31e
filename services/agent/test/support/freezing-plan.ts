/**
 * A crash plan (packages/engine/test/support/crash-plan.ts) that also runs `freeze` at the
 * moment the "process" dies: the job crash tests copy the agent's jobs directory there, so the
 * restarted manager reads the records as they were at death.
 */
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engine } from '@thinfleet/engine';
import { CrashPlan, crashingBlock, crashingDm, type CrashMode } from '../../../../packages/engine/test/support/crash-plan.js';
import type { JobManager, JobRecord } from '../../src/jobs/index.js';
import { jobFixture, settled, type JobFixture } from './job-harness.js';

/** A crash plan that calls `freeze` once, when the step it dies at fails. */
export class FreezingPlan extends CrashPlan {
  /** The label of the step the process died at, once it died. */
  diedAt: string | null = null;

  constructor(
    crashAt: number,
    mode: CrashMode,
    private readonly freeze: () => void,
  ) {
    super(crashAt, mode);
  }

  override async step<T>(label: string, run: () => Promise<T>, tear?: () => Promise<void>): Promise<T> {
    try {
      return await super.step(label, run, tear);
    } catch (err) {
      if (this.dead && this.diedAt === null) {
        this.diedAt = label;
        this.freeze();
      }
      throw err;
    }
  }
}

/**
 * A FreezingPlan crashing at step `n` in `mode` that copies `f`'s jobs directory into
 * `frozenDir/jobs` at death, and an engine of `f`'s host whose kernel and disk steps it counts.
 */
export function freezingEngine(f: JobFixture, frozenDir: string, n: number, mode: CrashMode): { plan: FreezingPlan; engine: Engine; frozenJobs: string } {
  const liveJobs = join(f.stateDir, 'jobs');
  const frozenJobs = join(frozenDir, 'jobs');
  const plan = new FreezingPlan(n, mode, () => {
    if (existsSync(liveJobs)) cpSync(liveJobs, frozenJobs, { recursive: true });
    else mkdirSync(frozenJobs);
  });
  return { plan, engine: f.host.engine({ dm: crashingDm(f.host.dm, plan), block: crashingBlock(f.host.block, plan) }), frozenJobs };
}

/**
 * Starts manager `m`, arms `plan`, starts a job with `start` and waits for its first end (the
 * crash makes it fail, or it succeeds when the plan never reached step `n`). `label` names the
 * crash for failure messages.
 */
export async function firstRun(
  plan: FreezingPlan,
  m: JobManager,
  start: (m: JobManager) => Promise<JobRecord>,
  n: number,
  mode: CrashMode,
): Promise<{ job: JobRecord; first: JobRecord; label: string }> {
  await m.start();
  plan.arm();
  const job = await start(m);
  const first = await settled(m, job.id);
  return { job, first, label: `crash ${mode} step ${n} (${plan.log[n - 1] ?? 'none'})` };
}

/**
 * A fresh job fixture and a directory for the jobs frozen at a crash; `cleanups` gets what stops
 * the managers the caller adds to `managers`, tears the fixture down and removes the directory.
 */
export async function crashFixture(cleanups: Array<() => Promise<void>>): Promise<{ f: JobFixture; frozenDir: string; managers: JobManager[] }> {
  const f = await jobFixture();
  const frozenDir = await mkdtemp(join(tmpdir(), 'thinfleet-jobs-frozen-'));
  const managers: JobManager[] = [];
  cleanups.push(async () => {
    for (const m of managers) await m.stop();
    await f.teardown();
    await rm(frozenDir, { recursive: true, force: true });
  });
  return { f, frozenDir, managers };
}
