/**
 * A crash plan (packages/engine/test/support/crash-plan.ts) that also runs `freeze` at the
 * moment the "process" dies: the job crash tests copy the agent's jobs directory there, so the
 * restarted manager reads the records as they were at death.
 */
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engine, Pool } from '@thinfleet/engine';
import { CrashPlan, crashingBlock, crashingDm, type CrashMode } from '../../../../packages/engine/test/support/crash-plan.js';
import { expect } from 'vitest';
import { JobManager, type JobManagerOptions, type JobRecord } from '../../src/jobs/index.js';
import { jobFixture, settled, silentLogger, type JobFixture } from './job-harness.js';

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

/** What `runUntilCrash` found: no crash (the plan never reached its step), or the restart after one. */
export type CrashRun =
  | { readonly crashed: false; readonly first: JobRecord; readonly label: string }
  | { readonly crashed: true; readonly job: JobRecord; readonly frozen: JobRecord; readonly label: string; readonly paths: string[]; readonly engine: Engine; readonly manager: JobManager };

/**
 * Runs one job over `engine` (a freezingEngine's: the pool active in it) until its plan crashes
 * it: a manager over `f`'s state directory with `options` (and a mark write after every step),
 * its job started by `start`. After a crash, checks that the frozen record says running, reboots
 * the host and returns a new engine and a manager over the frozen state (`options` again; not
 * started), which `managers` gets too.
 */
export async function runUntilCrash(
  f: JobFixture,
  crash: { readonly plan: FreezingPlan; readonly engine: Engine; readonly frozenDir: string; readonly frozenJobs: string; readonly n: number; readonly mode: CrashMode },
  managers: JobManager[],
  options: Partial<JobManagerOptions>,
  start: (m: JobManager) => Promise<JobRecord>,
): Promise<CrashRun> {
  const m = new JobManager({ stateDir: f.stateDir, engine: crash.engine, block: f.host.block, logger: silentLogger, ...options, markEveryMs: 0 });
  managers.push(m);
  const { job, first, label } = await firstRun(crash.plan, m, start, crash.n, crash.mode);
  if (!crash.plan.dead) return { crashed: false, first, label };
  const frozen = JSON.parse(readFileSync(join(crash.frozenJobs, `${job.id}.json`), 'utf8')) as JobRecord;
  expect(frozen.state, label).toBe('running');
  const paths = await f.host.reboot();
  const engine = f.host.engine();
  const manager = new JobManager({ stateDir: crash.frozenDir, engine, block: f.host.block, logger: silentLogger, ...options });
  managers.push(manager);
  return { crashed: true, job, frozen, label, paths, engine, manager };
}

/**
 * The restart after a crash: starts `manager`, cancels job `jobId` first when `cancel`, activates
 * pool `poolName` over `paths` in `engine` and lets the manager adopt its jobs; resolves with the
 * pool and the job's end (cancelled, or settled), once the pool reconciles consistent.
 */
export async function resumeAfterCrash(
  manager: JobManager,
  engine: Engine,
  pool: { readonly name: string; readonly paths: string[] },
  jobId: string,
  cancel: boolean,
  label: string,
): Promise<{ pool: Pool; end: JobRecord }> {
  await manager.start();
  if (cancel) expect(await manager.cancel(jobId), label).toMatchObject({ state: 'cancelled' });
  const active = await engine.activatePool(pool.name, pool.paths);
  const ending = cancel ? Promise.resolve(manager.get(jobId)) : settled(manager, jobId);
  await manager.poolActivated(pool.name);
  const end = await ending;
  expect(await active.reconcile(), label).toMatchObject({ consistent: true });
  return { pool: active, end };
}
