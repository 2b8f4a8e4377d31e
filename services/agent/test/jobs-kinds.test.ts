/**
 * The job runner is generic: a second kind of job, defined here and nowhere in src/, is
 * registered beside the chunked delete and run, stopped, resumed, cancelled and handed over by
 * the runner, which is not changed for it (issue 12, item 3). Also: the runner's injectable
 * clock decides when a running delete writes its checkpoint into the pool (no sleeping).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from '@thinfleet/engine';
import { deleteJobKind, JobKindRegistry, JobManager, JobRunner, type JobKind, type JobRecord, type JobRun, type JobView, type RunResult } from '../src/jobs/index.js';
import { Gate, jobFixture, KiB, MiB, recordingLogger, ScriptedBlock, settled, silentLogger, type JobFixture } from './support/job-harness.js';

const fixtures: JobFixture[] = [];
const runners: JobRunner[] = [];
afterEach(async () => {
  for (const r of runners.splice(0)) await r.stop();
  for (const f of fixtures.splice(0)) await f.teardown();
});

/** What the test kind was asked to do, in order. */
type Call = `step ${number}` | 'checkpoint' | `cancel ${number}`;

/**
 * A tiny test-only kind, `tally`: it "works" on a volume by counting it off in steps of 64 KiB,
 * touching nothing; `hold(n)` may hold step n. It keeps what it was asked in `calls`.
 */
function tallyKind(engine: { pool(name: string): Pool }, calls: Call[], hold: (n: number) => Promise<void> | void = () => undefined): JobKind<{ pool: string; volume: string }> {
  return {
    name: 'tally',
    async start(request, host) {
      const pool = engine.pool(request.pool);
      const volume = (await pool.list()).find((v) => v.name === request.volume)!;
      const other = host.unfinishedJobOn(request.pool, volume.uuid, volume.name);
      if (other !== null) throw new Error(`job ${other.id} works on it`);
      return {
        pool,
        fields: { pool: request.pool, volume: volume.name, volumeUuid: volume.uuid, doneBytes: 0, totalBytes: volume.sizeBytes, chunkBytes: 64 * KiB, volumeWasActive: volume.active },
      };
    },
    async resume(run: JobRun): Promise<RunResult> {
      const r = run.record;
      while (r.doneBytes < r.totalBytes) {
        if (run.signal.aborted) return 'stopped';
        const step = r.doneBytes / r.chunkBytes + 1;
        run.mayReach(r.doneBytes + r.chunkBytes);
        await hold(step);
        calls.push(`step ${step}`);
        await run.update({ doneBytes: r.doneBytes + r.chunkBytes });
      }
      return { done: 'every step counted' };
    },
    async checkpoint() {
      calls.push('checkpoint');
    },
    async cancel(job: JobView) {
      calls.push(`cancel ${job.record.doneBytes}`);
      return '; the tally was undone';
    },
    outcome: (record: JobRecord, possiblyDoneBytes: number) => `${record.doneBytes} of ${record.totalBytes} bytes tallied, maybe ${possiblyDoneBytes}`,
    errorMeansDone: async () => null,
  };
}

async function setup(): Promise<JobFixture> {
  const f = await jobFixture();
  fixtures.push(f);
  await f.pool.createVolume('v', 512 * KiB);
  await f.pool.createVolume('w', MiB);
  return f;
}

function runner(f: JobFixture, kinds: JobKind[], logger = silentLogger): JobRunner {
  const r = new JobRunner({ stateDir: f.stateDir, engine: f.engine, logger, kinds: new JobKindRegistry(kinds) });
  runners.push(r);
  return r;
}

const onDisk = async (f: JobFixture, id: string): Promise<JobRecord> => JSON.parse(await readFile(join(f.stateDir, 'jobs', `${id}.json`), 'utf8')) as JobRecord;

describe('a second job kind, registered with the runner beside the delete', () => {
  it('runs to its end, its record saved with its kind, beside a delete job of the same runner', async () => {
    const f = await setup();
    const calls: Call[] = [];
    const { logger, lines } = recordingLogger();
    const r = runner(f, [deleteJobKind({ engine: f.engine, block: f.host.block, chunkBytes: 256 * KiB }), tallyKind(f.engine, calls)], logger);
    const tally = await r.startJob('tally', { pool: f.poolName, volume: 'v' });
    const del = await r.startJob('delete', { pool: f.poolName, volume: 'w' });
    expect(tally).toMatchObject({ kind: 'tally', state: 'running', doneBytes: 0, totalBytes: 512 * KiB });
    expect(await settled(r, tally.id)).toMatchObject({ kind: 'tally', state: 'succeeded', doneBytes: 512 * KiB, error: null });
    expect(await settled(r, del.id)).toMatchObject({ kind: 'delete', state: 'succeeded' });
    expect(calls).toEqual(Array.from({ length: 8 }, (_, k) => `step ${k + 1}`));
    expect(await onDisk(f, tally.id)).toMatchObject({ kind: 'tally', state: 'succeeded' });
    expect((await f.pool.list()).map((v) => v.name)).toEqual(['v']);
    expect(lines.find((l) => l.msg === 'tally job succeeded: every step counted')).toMatchObject({ job: tally.id, pool: f.poolName, volume: 'v' });
    await expect(r.startJob('flatten', {})).rejects.toThrow('no job kind "flatten" is registered');
  });

  it('stops at its checkpoint for shutdown and resumes there in a new runner; a runner without the kind skips its record', async () => {
    const f = await setup();
    const gate = new Gate();
    const first = runner(f, [tallyKind(f.engine, [], (n) => (n === 3 ? gate.hold() : undefined))]);
    const job = await first.startJob('tally', { pool: f.poolName, volume: 'v' });
    await gate.reached;
    const stopping = first.stop();
    gate.open();
    await stopping;
    expect(await onDisk(f, job.id)).toMatchObject({ kind: 'tally', state: 'running', doneBytes: 3 * 64 * KiB });

    const { logger, lines } = recordingLogger();
    const without = runner(f, [deleteJobKind({ engine: f.engine, block: f.host.block })], logger);
    await without.start();
    expect(without.list()).toEqual([]);
    expect(lines.find((l) => l.msg === 'skipping an unreadable job record')).toMatchObject({ path: join(f.stateDir, 'jobs', `${job.id}.json`) });

    const calls: Call[] = [];
    const second = runner(f, [tallyKind(f.engine, calls)]);
    await second.start();
    expect(await settled(second, job.id)).toMatchObject({ state: 'succeeded', doneBytes: 512 * KiB });
    expect(calls).toEqual(['step 4', 'step 5', 'step 6', 'step 7', 'step 8']);
  });

  it('is cancelled through its kind: the kind undoes, and says what it left', async () => {
    const f = await setup();
    const gate = new Gate();
    const calls: Call[] = [];
    const r = runner(f, [tallyKind(f.engine, calls, (n) => (n === 2 ? gate.hold() : undefined))]);
    const job = await r.startJob('tally', { pool: f.poolName, volume: 'v' });
    await gate.reached;
    const cancelling = r.cancel(job.id);
    gate.open();
    const end = await cancelling;
    expect(end).toMatchObject({ state: 'cancelled', doneBytes: 2 * 64 * KiB });
    expect(end.error).toBe(`cancelled: ${2 * 64 * KiB} of ${512 * KiB} bytes tallied, maybe ${2 * 64 * KiB}; the tally was undone`);
    expect(calls).toEqual(['step 1', 'step 2', `cancel ${2 * 64 * KiB}`]);
  });

  it('is handed over with its pool through its kind: checkpoint, record removed, watchers told', async () => {
    const f = await setup();
    const gate = new Gate();
    const calls: Call[] = [];
    const r = runner(f, [tallyKind(f.engine, calls, (n) => (n === 2 ? gate.hold() : undefined))]);
    const job = await r.startJob('tally', { pool: f.poolName, volume: 'v' });
    const moved: string[] = [];
    r.watch(
      job.id,
      () => undefined,
      (why) => moved.push(why),
    );
    await gate.reached;
    const handing = r.handOver(f.poolName);
    gate.open();
    expect(await handing).toMatchObject([{ id: job.id, doneBytes: 2 * 64 * KiB }]);
    expect(calls).toEqual(['step 1', 'step 2', 'checkpoint']);
    expect(moved).toEqual([`job ${job.id} was handed over with pool ${f.poolName} to the host that holds it next, at ${2 * 64 * KiB} of ${512 * KiB} bytes`]);
    expect(r.list()).toEqual([]);
    await expect(readFile(join(f.stateDir, 'jobs', `${job.id}.json`))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('cannot take a name a registry has, nor a malformed one', async () => {
    const f = await setup();
    const registry = new JobKindRegistry([tallyKind(f.engine, [])]);
    expect(() => registry.register(tallyKind(f.engine, []))).toThrow('job kind "tally" is registered already');
    expect(() => registry.register({ ...tallyKind(f.engine, []), name: 'Bad Name' })).toThrow('must be 1 to 32 lower-case letters');
    expect(registry.names()).toEqual(['tally']);
  });
});

describe('the runner clock', () => {
  it('decides when a running delete also writes its checkpoint into the pool mark', async () => {
    const f = await setup();
    await f.pool.deleteVolume('v');
    let nowMs = 1_000_000;
    const block = new ScriptedBlock(f.host.block);
    const marks: number[] = [];
    let pool: Pool = f.pool;
    // After each discard (whose checkpoint is then saved and the mark maybe written), look at the mark
    // of the discard before; move the clock past markEveryMs after discard 3 only.
    block.after = async (n) => {
      marks.push((await pool.show('w')).deleting?.doneBytes ?? -1);
      if (n === 3) nowMs += 5_000;
    };
    const m = new JobManager({ stateDir: f.stateDir, engine: f.engine, block, logger: silentLogger, chunkBytes: 128 * KiB, markEveryMs: 5_000, now: () => nowMs });
    runners.push(m);
    const job = await m.startDelete(f.poolName, 'w');
    expect(job.createdMs).toBe(1_000_000);
    pool = f.engine.pool(f.poolName);
    await settled(m, job.id);
    // The run's first mark is at 0; the clock reached markEveryMs only with discard 3's checkpoint.
    expect(marks).toEqual([0, 0, 0, 3 * 128 * KiB, 3 * 128 * KiB, 3 * 128 * KiB, 3 * 128 * KiB, 3 * 128 * KiB]);
  });
});
