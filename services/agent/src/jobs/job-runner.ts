/**
 * The generic runner of the agent's background jobs: it keeps every job's record (saved whole in
 * `<stateDir>/jobs`, job-store.ts), runs each job's work through its kind (job-kind.ts; the
 * chunked delete is delete-job.ts), and owns what every kind shares: one AbortController per run,
 * one child logger per job, the injectable clock, listeners, cancel, hand-over and shutdown.
 *
 * Crash story (every step below is durable before the next one begins; the kind's own steps are
 * in its module):
 * - a crash before a job's record is written: nothing happened (the kind's `start` only reads);
 * - a crash after it, before or during any step: the next `start` resumes the job from its last
 *   checkpoint; the step in flight is done again, which each kind makes harmless;
 * - a job that ends without finishing (cancelled, failed) first undoes what it holds (the kind's
 *   `cancel`), and only then saves its terminal state: a crash before that save leaves the job
 *   running in its record, and the next start resumes it (the cancel or failure did not happen).
 * Records of jobs that ended are pruned by the next `start`; until then `list` shows them.
 *
 * The records in `jobs/` are loaded once, before the first adoption (whichever of `start` and
 * `poolActivated` comes first), so a pool's record of a job (adopted by its kind) never replaces
 * a local record's newer checkpoint. Ids of ended jobs that loading pruned are remembered
 * (`JobKindHost.endedHere`), so a kind never adopts a job that ended here.
 *
 * `handOver` (cluster mode, another host waits for the pool) stops the pool's jobs after their
 * current step, lets each kind write its checkpoint into the pool (`JobKind.checkpoint`), and
 * forgets them here. Crash story of a hand-over: before the kind's checkpoint is written, the
 * pool's older one is where the next holder resumes; after it and before the local record is
 * removed, this host resumes the same job (same id) if it holds the pool again.
 *
 * What the agent must do around it: refuse other changes to a volume while `jobOnVolume` names a
 * job on it, await `poolActivated` after activating a pool and before reporting it ready (so no
 * call finds a pool's recorded job before it is known here), and `stop` before deactivating pools
 * at shutdown.
 */
import { Mutex, type Pool } from '@thinfleet/engine';
import { AgentError } from '../agent-error.js';
import { errorCodeOf } from './job-outcome.js';
import type { JobProgress, JobRun } from './job-kind.js';
import { isTerminalState, type JobRecord, type MutableJobRecord } from './job-record.js';
import { KnownJobs, type Job, type KnownJobsOptions } from './known-jobs.js';

export type { JobListener, KnownJobsOptions } from './known-jobs.js';

export interface JobRunnerOptions extends KnownJobsOptions {
  /** The engine (or anything that finds active pools by name the way `Engine.pool` does). */
  readonly engine: { pool(name: string): Pool };
}

/**
 * How one run of a job ended: `ended` (terminal state), `halted` (stopped for shutdown), `parked`
 * (its pool went away), `moved` (handed over with its pool: forgotten here), `withdrawn` (asked
 * to stop, and the request was taken back before it stopped: it runs on).
 */
type RunEnd = 'ended' | 'halted' | 'parked' | 'moved' | 'withdrawn';

/**
 * Runs, tracks and persists the agent's background jobs of the registered kinds (see the module
 * comment for the crash story). One per agent, over the agent's state directory.
 */
export class JobRunner extends KnownJobs {
  /** Serializes starts' checks and record writes (and adoptions), so two calls cannot both pass the checks. */
  private readonly admission = new Mutex();
  private stopping = false;

  /** Reads nothing yet; call `start`. */
  constructor(private readonly options: JobRunnerOptions) {
    super(options);
  }

  /**
   * Loads the records an earlier run left. Those of ended jobs are removed; running and queued
   * ones resume from their checkpoint when their pool is active, and otherwise wait (state
   * queued) for `poolActivated`. Unreadable records are logged and skipped. Call once, at
   * agent start; resolves once every job has been started or parked (not when they finish).
   * @throws when the jobs directory cannot be listed.
   */
  async start(): Promise<void> {
    await this.load();
    const resumable = [...this.jobs.values()].filter((j) => j.work === null && !isTerminalState(j.record.state));
    for (const job of resumable.sort((a, b) => a.record.createdMs - b.record.createdMs)) {
      job.logger.info({ volume: job.record.volume, doneBytes: job.record.doneBytes }, 'resuming job');
      await this.resume(job);
    }
  }

  /**
   * Resumes the jobs waiting for pool `name` (call it after the pool becomes active), after
   * loading this host's records if `start` has not yet, then letting each kind adopt the jobs the
   * pool records. Idempotent; never rejects (a failure to load, adopt or save a record is logged;
   * nothing is adopted while this host's records cannot be read, lest a record's checkpoint be lost).
   */
  async poolActivated(name: string): Promise<void> {
    const loaded = await this.load().then(
      () => true,
      (err: unknown) => (this.logger.error({ pool: name, err }, 'could not read the job records; the jobs the pool records wait for the next activation'), false),
    );
    if (loaded) await this.adopt(name);
    for (const job of [...this.jobs.values()]) {
      if (job.record.pool === name && job.work === null && !isTerminalState(job.record.state)) await this.resume(job);
    }
  }

  /** Lets every kind adopt the jobs pool `name` records, under the admission lock. Never rejects. */
  private async adopt(name: string): Promise<void> {
    const pool = this.activePool(name);
    if (pool === null) return;
    await this.admission.run(async () => {
      for (const kind of this.kinds.all()) {
        await kind.adopt?.(pool, this.host).catch((err: unknown) => this.logger.error({ pool: name, kind: kind.name, err }, 'could not read the jobs the pool records'));
      }
    });
  }

  /**
   * Starts a job of kind `kindName` for `request` in the background and returns it (state
   * running). The kind's checks come first and write nothing; then the record is saved durably,
   * and only then does any work begin (see the crash story above).
   * @throws AgentError SHUTTING_DOWN; what the kind's `start` throws; the file system's error
   *   when the record cannot be saved (nothing was done then); Error for a kind not registered
   */
  async startJob(kindName: string, request: unknown): Promise<JobRecord> {
    const kind = this.kinds.get(kindName);
    return this.admission.run(async () => {
      if (this.stopping) throw new AgentError('SHUTTING_DOWN', 'the agent is shutting down and starts no new jobs');
      const { pool, fields: f } = await kind.start(request, this.host);
      const nowMs = this.now();
      const record: MutableJobRecord = {
        id: this.freshId(),
        kind: kind.name,
        pool: f.pool,
        volume: f.volume,
        volumeUuid: f.volumeUuid,
        state: 'running',
        doneBytes: f.doneBytes,
        totalBytes: f.totalBytes,
        chunkBytes: f.chunkBytes,
        createdMs: nowMs,
        updatedMs: nowMs,
        error: null,
        errorCode: null,
        volumeWasActive: f.volumeWasActive,
        ownerToken: f.ownerToken ?? '0',
        phase: f.phase ?? '',
        ...(f.args === undefined ? {} : { args: f.args }),
      };
      const job = await this.save(record, 0);
      job.logger.info({ volume: record.volume, totalBytes: record.totalBytes, chunkBytes: record.chunkBytes }, `${kind.name} job started`);
      this.launch(job, pool);
      return this.snapshot(job);
    });
  }

  /**
   * Cancels job `id` and resolves with it once it has stopped. A running job stops after its
   * current step (state cancelled; its kind's `cancel` undoes what it holds, and `error` says
   * what it left behind); a job past its last step finishes (succeeded). A queued job is
   * cancelled at once (its kind's `cancel` runs when its pool is active here). A job that ended
   * is returned as it ended (idempotent).
   * @throws AgentError NO_SUCH_JOB; the file system's error when the cancelled state of a job
   *   that was not running cannot be saved (it is cancelled in memory; after a restart it resumes).
   */
  async cancel(id: string): Promise<JobRecord> {
    const job = this.require(id);
    if (isTerminalState(job.record.state)) return this.snapshot(job);
    job.cancelRequested = true;
    job.controller?.abort();
    if (job.work === null) {
      const pool = this.activePool(job.record.pool);
      const note = pool === null ? '' : await job.kind.cancel(job, pool);
      await this.change(job, { state: 'cancelled', error: `cancelled: ${job.kind.outcome(job.record, job.possiblyDoneBytes)}${note}` });
      job.logger.info({ volume: job.record.volume }, 'job cancelled before it ran');
      return this.snapshot(job);
    }
    while (job.work !== null) await job.work;
    return this.snapshot(job);
  }

  /**
   * Cluster mode, another host waits for pool `poolName`: stops its unfinished jobs after their
   * current step, has each one's kind write its checkpoint into the pool (`JobKind.checkpoint`)
   * and forgets the job here (record removed, watchers told through `onMoved`), so that the
   * pool's next holder resumes it. A job that finishes meanwhile just ends. Resolves with the
   * jobs handed over. On an error the jobs not yet handed over run on here, and the error is
   * thrown (the caller keeps the pool and tries again later). Idempotent.
   * Crash story: see the module comment.
   * @throws what the kind's checkpoint throws; the file system's error when a record cannot be removed
   */
  async handOver(poolName: string): Promise<JobRecord[]> {
    const mine = [...this.jobs.values()].filter((j) => j.record.pool === poolName && !isTerminalState(j.record.state));
    for (const job of mine) {
      job.yieldRequested = true;
      job.controller?.abort();
    }
    const moved: JobRecord[] = [];
    let failure: unknown = null;
    for (const job of mine) {
      while (job.work !== null) await job.work;
      if (!this.jobs.has(job.record.id)) {
        moved.push(this.snapshot(job));
        continue;
      }
      if (isTerminalState(job.record.state) || failure !== null) continue;
      try {
        const pool = this.options.engine.pool(poolName);
        await this.moveAway(job, pool);
        moved.push(this.snapshot(job));
      } catch (err) {
        failure = err;
      }
    }
    for (const job of mine) job.yieldRequested = false;
    if (failure !== null) {
      await this.poolActivated(poolName);
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows what moving a job away threw, as it was
      throw failure;
    }
    return moved;
  }

  /**
   * For shutdown: refuses new jobs (SHUTTING_DOWN), asks running jobs to stop after their
   * current step, and resolves once they have. Their records stay `running` at their last
   * checkpoint, so the next `start` resumes them. Idempotent.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const job of this.jobs.values()) job.controller?.abort();
    await this.admission.run(async () => undefined);
    for (const job of this.jobs.values()) {
      while (job.work !== null) await job.work;
    }
  }

  private activePool(name: string): Pool | null {
    try {
      const pool = this.options.engine.pool(name);
      return pool.isActive ? pool : null;
    } catch {
      return null;
    }
  }

  /** Runs a job whose pool is active; parks it (state queued) otherwise. Never rejects. */
  private async resume(job: Job): Promise<void> {
    if (this.stopping || job.work !== null || isTerminalState(job.record.state)) return;
    const pool = this.activePool(job.record.pool);
    if (pool !== null) {
      this.launch(job, pool);
      return;
    }
    await this.park(job);
  }

  private async park(job: Job): Promise<void> {
    job.logger.info({ volume: job.record.volume }, 'job waits for its pool to be active');
    if (job.record.state === 'queued') return;
    await this.change(job, { state: 'queued' }).catch((err: unknown) => job.logger.error({ err }, 'could not save a job record'));
  }

  /** Starts the job's work in the background, with a new AbortController, unless it runs already. */
  private launch(job: Job, pool: Pool): void {
    if (job.work !== null || this.stopping || isTerminalState(job.record.state)) return;
    const controller = new AbortController();
    job.controller = controller;
    if (job.cancelRequested || job.yieldRequested) controller.abort();
    job.work = this.run(job, pool, controller.signal).then(
      (end) => {
        job.work = null;
        job.controller = null;
        // The pool went away under the job; if it is back already (a new Pool object), go on.
        const again = end === 'parked' ? this.activePool(job.record.pool) : null;
        if (again !== null && again !== pool) this.launch(job, again);
        if (end === 'withdrawn') void this.resume(job); // never rejects
      },
      (err: unknown) => {
        job.work = null;
        job.controller = null;
        job.logger.error({ err }, 'job work ended unexpectedly');
      },
    );
  }

  /** One run of a job, from its checkpoint to an end, a stop or a park. Never rejects. */
  private async run(job: Job, pool: Pool, signal: AbortSignal): Promise<RunEnd> {
    const run: JobRun = {
      get record() {
        return job.record;
      },
      logger: job.logger,
      signal,
      host: this.host,
      update: (progress: JobProgress) => this.change(job, progress),
      mayReach: (bytes: number) => {
        job.possiblyDoneBytes = Math.max(job.possiblyDoneBytes, bytes);
      },
    };
    try {
      if (job.record.state !== 'running') await this.change(job, { state: 'running' });
      const result = await job.kind.resume(run, pool);
      if (result === 'stopped') return await this.halt(job, pool);
      return await this.succeed(job, result.done);
    } catch (err) {
      return this.failed(job, pool, err);
    }
  }

  private async succeed(job: Job, why: string): Promise<RunEnd> {
    await this.change(job, { state: 'succeeded', doneBytes: job.record.totalBytes, error: null, errorCode: null });
    job.logger.info({ volume: job.record.volume }, `${job.record.kind} job succeeded: ${why}`);
    return 'ended';
  }

  /**
   * Stops a job whose run stopped on its signal: cancelled (its kind's `cancel` first), handed
   * over with its pool, or (shutdown) left running at its checkpoint.
   */
  private async halt(job: Job, pool: Pool): Promise<RunEnd> {
    const r = job.record;
    if (job.cancelRequested) {
      const note = await job.kind.cancel(job, pool);
      await this.change(job, { state: 'cancelled', error: `cancelled: ${job.kind.outcome(r, job.possiblyDoneBytes)}${note}` });
      job.logger.info({ volume: r.volume, doneBytes: r.doneBytes }, 'job cancelled');
      return 'ended';
    }
    if (job.yieldRequested) {
      try {
        await this.moveAway(job, pool);
        return 'moved';
      } catch (err) {
        // Not a failure of the job: it stays here, at its checkpoint; handOver reports the error.
        job.logger.warn({ volume: r.volume, err }, 'could not hand the job over with its pool');
        return 'halted';
      }
    }
    if (!this.stopping) return 'withdrawn';
    job.logger.info({ volume: r.volume, doneBytes: r.doneBytes }, 'job stopped for shutdown; it resumes at the next start');
    return 'halted';
  }

  /** After an error: parks the job when its pool went away, else marks it failed (or succeeded, when its kind says the error means done). */
  private async failed(job: Job, pool: Pool, err: unknown): Promise<RunEnd> {
    const r = job.record;
    if (!pool.isActive) {
      job.logger.warn({ volume: r.volume, err }, 'the pool of a running job went inactive');
      if (!job.cancelRequested) {
        await this.park(job);
        return 'parked';
      }
      return this.halt(job, pool).catch((saveErr: unknown) => {
        job.logger.error({ err: saveErr }, 'could not save the cancelled state of a job');
        return 'ended' as const;
      });
    }
    const done = await job.kind.errorMeansDone(job, pool, err);
    if (done !== null) return this.succeed(job, done).catch(() => 'ended' as const);
    const errorCode = errorCodeOf(err);
    // The job is another holder's now (it adopted it, or the catalog shows this host stale): it
    // is not this host's to end, undo or answer for. Forgotten here; the holder answers for it.
    if (errorCode === 'JOB_MOVED' || errorCode === 'STALE_OWNER') return this.disown(job, err);
    job.logger.error({ volume: r.volume, errorCode, doneBytes: r.doneBytes, err }, `${r.kind} job failed`);
    // JOB_RUNNING: another job owns the volume (and this run touched nothing); leave both alone.
    const note = errorCode === 'JOB_RUNNING' ? '' : await job.kind.cancel(job, pool);
    const message = `${err instanceof Error ? err.message : String(err)}; ${job.kind.outcome(r, job.possiblyDoneBytes)}${note}`;
    await this.change(job, { state: 'failed', error: message, errorCode }).catch((saveErr: unknown) =>
      job.logger.error({ err: saveErr }, 'could not save the failed state of a job; it resumes at the next start'),
    );
    return 'ended';
  }

  /**
   * Forgets a job another holder of its pool owns (see `failed`): record removed, watchers told
   * it moved; nothing is written into the pool. If the record cannot be removed the job stays
   * known (queued) and the next activation decides again.
   */
  private async disown(job: Job, err: unknown): Promise<RunEnd> {
    const r = job.record;
    const why = err instanceof Error ? err.message : String(err);
    job.logger.warn({ volume: r.volume, doneBytes: r.doneBytes, err }, 'the job belongs to another holder of its pool; forgetting it here');
    try {
      await this.forget(job);
    } catch (removeErr) {
      job.logger.error({ err: removeErr }, 'could not remove the record of a job another holder owns');
      await this.park(job);
      return 'parked';
    }
    this.tellMoved(job, `job ${r.id} belongs to another holder of pool ${r.pool}: ${why}`);
    return 'moved';
  }

  /**
   * Hands a stopped job over with its pool: its kind's checkpoint into the pool, record removed,
   * the job forgotten here and its watchers told. @throws what those steps throw
   */
  private async moveAway(job: Job, pool: Pool): Promise<void> {
    const r = job.record;
    await job.kind.checkpoint(job, pool);
    await this.forget(job);
    job.logger.info({ volume: r.volume, doneBytes: r.doneBytes }, 'job handed over with its pool');
    this.tellMoved(job, `job ${r.id} was handed over with pool ${r.pool} to the host that holds it next, at ${r.doneBytes} of ${r.totalBytes} bytes`);
  }
}
