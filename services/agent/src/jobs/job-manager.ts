/**
 * The agent's background jobs. One kind so far: `delete`, the chunked delete of a large volume.
 *
 * Deleting a thin volume that maps many blocks with one kernel `delete` message holds the pool
 * (its metadata lock) until every mapping is freed. A delete job instead discards the volume's
 * device chunk by chunk (each BLKDISCARD unmaps a bounded range; the pool takes other work
 * between chunks, and the job yields to the event loop after each), checkpointing how far it got,
 * and then deletes the volume, which no longer maps anything, through the engine
 * (`Pool.deleteVolume`, crash-safe on its own). A job always finds its volume by the volume's
 * catalog uuid, never by name alone, when it starts or resumes.
 *
 * Crash story (every step below is durable before the next one begins):
 * - a crash before the job's record is written: nothing happened (the preconditions only read);
 * - a crash after it, before or during any chunk: the next `start` resumes the job from its last
 *   checkpoint; the chunk in flight is discarded again, which is harmless (discard is idempotent);
 * - a crash after the last discard, before the engine's delete: the resumed job finds the volume,
 *   every chunk done, and deletes it;
 * - a crash inside the engine's delete: the pool's activation recovers the transaction (rolled
 *   back: the resumed job finds the volume and deletes it; rolled forward: as below);
 * - a crash after the engine's delete committed, before the record says succeeded: the resumed
 *   job finds no volume with its uuid, so the delete happened: succeeded.
 * Records of jobs that ended are pruned by the next `start`; until then `list` shows them.
 *
 * A job that ends without deleting its volume (cancelled, failed) first clears its mark, then
 * deactivates the volume unless it was active before the job began on this host (the record's
 * `volumeWasActive`; a job adopted from a mark counts it as not), and only then saves its
 * terminal state. A crash before that save leaves the job running in its record: the next start
 * resumes it (the cancel or failure did not happen); after it, nothing is left to do. Its
 * message says which bytes are discarded (`doneBytes`) and which may be: the chunk in flight,
 * the chunk past a resumed record's checkpoint, everything past an adopted mark's checkpoint.
 *
 * The records in `jobs/` are loaded once, before the first adoption (whichever of `start` and
 * `poolActivated` comes first), so a mark never replaces a record's newer checkpoint (the mark
 * is written only when a run begins and at a hand-over). A mark naming a job whose ended record
 * that loading pruned (its end could not clear the mark) is cleared, not adopted.
 *
 * The job also marks its volume in the pool's catalog (`Pool.markDelete`: job id, checkpoint),
 * at the start of every run, every `markEveryMs` while it runs, and when it hands over, and clears the mark when it is cancelled or
 * fails. The mark travels with the pool: `poolActivated` adopts every marked volume whose job this
 * host does not know (or knows with an older checkpoint), so the pool's next holder finishes
 * the delete. `handOver` (cluster mode, another host waits for the pool) stops the pool's jobs
 * after their current chunk, writes their checkpoint into the mark, deactivates their volume and
 * forgets them here. Crash story of a hand-over: before the mark is written, the mark's older
 * checkpoint is where the next holder resumes (a chunk discarded twice is harmless); after it and
 * before the local record is removed, this host resumes the same job (same id) if it holds the
 * pool again, and finds the volume gone if another host finished it (succeeded).
 *
 * What the agent must do around it: refuse other changes to a volume while `jobOnVolume` names a
 * job on it (a delete, rename or resize of a volume being discarded), await `poolActivated`
 * after activating a pool and before reporting it ready (so no call finds a marked volume before
 * its job is known), and `stop` before deactivating pools at shutdown.
 */
import type { BlockClient } from '@thinfleet/devmapper';
import { EngineError, isEngineError, Mutex, type DeleteMark, type Pool, type VolumeInfo } from '@thinfleet/engine';
import type { Logger } from 'pino';
import { AgentError } from '../agent-error.js';
import { errorCodeOf, leftBehind, releaseVolume } from './job-outcome.js';
import { adoptedRecord, isTerminalState, JOB_ID_PATTERN, JOB_STATES, newJobId, type JobRecord, type JobState, type MutableJobRecord } from './job-record.js';
import { JobStore } from './job-store.js';
import { requireVolumeNotOpen } from './volume-openers.js';

/** Default bytes per discard: 1 GiB. */
export const DEFAULT_JOB_CHUNK_BYTES = 1024 * 1024 * 1024;

export interface JobManagerOptions {
  /** The agent's state directory; records live in `<stateDir>/jobs`. */
  readonly stateDir: string;
  /** The engine (or anything that finds active pools by name the way `Engine.pool` does). */
  readonly engine: { pool(name: string): Pool };
  /** Where discards go: the block client of the engine's host. */
  readonly block: BlockClient;
  readonly logger: Logger;
  /** Bytes per discard (default 1 GiB), rounded down to a multiple of the pool's data block size (at least one block). */
  readonly chunkBytes?: number;
  /**
   * How often a running job also writes its checkpoint into its volume's delete mark in the
   * pool's catalog (default 1000 ms; 0: after every chunk), so that a host that takes the pool
   * after this one died resumes near where it stopped, not from the run's start.
   */
  readonly markEveryMs?: number;
  /** Job id source (default: 12 hex digits of a random uuid); ids must match JOB_ID_PATTERN. */
  readonly newId?: () => string;
  /** Called with every change of every job (made, progress, state), after the change is saved. */
  readonly onChange?: (job: JobRecord) => void;
}

/** Receives a job's changes; see `JobManager.watch`. */
export type JobListener = (job: JobRecord) => void;

interface Job {
  readonly record: MutableJobRecord;
  readonly listeners: Set<JobListener>;
  /** Told when the job leaves this host with its pool (see `handOver`). */
  readonly movedListeners: Set<(why: string) => void>;
  cancelRequested: boolean;
  /** Set by `handOver`: stop after the current chunk and leave the job to the pool's next holder. */
  yieldRequested: boolean;
  /** The job's work while it runs; settles when the job has ended, stopped or parked. */
  work: Promise<void> | null;
  /** The saves of this record, one after another. */
  saving: Promise<void>;
  /**
   * Where the furthest discard of any run may have reached (at least `record.doneBytes`): the
   * chunk in flight, or for a job from an earlier run, the chunk past its saved checkpoint.
   */
  possiblyDoneBytes: number;
}

/**
 * How one run of a job ended: `ended` (terminal state), `halted` (stopped for shutdown), `parked`
 * (its pool went away), `moved` (handed over with its pool: forgotten here).
 */
type RunEnd = 'ended' | 'halted' | 'parked' | 'moved';

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs, tracks and persists the agent's background jobs (see the module comment for the crash
 * story). One per agent, over the agent's state directory.
 */
export class JobManager {
  private readonly jobs = new Map<string, Job>();
  private readonly store: JobStore;
  /** Serializes startDelete's checks and record writes, so two calls cannot both pass the checks. */
  private readonly admission = new Mutex();
  private readonly chunkBytes: number;
  private readonly newId: () => string;
  private readonly logger: Logger;
  private stopping = false;
  /** The loading of `jobs/` (see `load`); null until the first call. */
  private loading: Promise<void> | null = null;
  /** Ids of the ended jobs whose records `load` pruned: their leftover marks are cleared, never adopted. */
  private readonly endedBefore = new Set<string>();

  /** Reads nothing yet; call `start`. @throws RangeError for a chunkBytes that is not a positive whole number. */
  constructor(private readonly options: JobManagerOptions) {
    const chunkBytes = options.chunkBytes ?? DEFAULT_JOB_CHUNK_BYTES;
    if (!Number.isSafeInteger(chunkBytes) || chunkBytes <= 0) throw new RangeError(`chunkBytes ${chunkBytes} must be a positive whole number`);
    this.chunkBytes = chunkBytes;
    this.newId = options.newId ?? newJobId;
    this.logger = options.logger;
    this.store = new JobStore(options.stateDir);
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
      this.logger.info({ job: job.record.id, pool: job.record.pool, volume: job.record.volume, doneBytes: job.record.doneBytes }, 'resuming job');
      await this.resume(job);
    }
  }

  /**
   * Loads the records of `jobs/` into memory, once (later calls wait for the first): before any
   * pool's delete marks are adopted (`poolActivated` calls it too), so adoption finds every job
   * this host knows, at its saved checkpoint, whichever of `start` and a pool's activation comes
   * first. Resumes nothing. @throws when the jobs directory cannot be listed.
   */
  private load(): Promise<void> {
    this.loading ??= (async () => {
      const { records, unreadable } = await this.store.loadAll();
      for (const { path, error } of unreadable) this.logger.warn({ path, err: error }, 'skipping an unreadable job record');
      records.sort((a, b) => a.createdMs - b.createdMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      for (const record of records) {
        if (this.jobs.has(record.id)) continue;
        if (isTerminalState(record.state)) {
          this.endedBefore.add(record.id);
          await this.store.remove(record.id).catch((err: unknown) => this.logger.warn({ job: record.id, err }, 'could not remove the record of an ended job'));
          continue;
        }
        // The run before may have discarded the chunk after its last checkpoint.
        this.add({ ...record }, record.doneBytes + record.chunkBytes);
      }
    })();
    return this.loading;
  }

  /**
   * Resumes the jobs waiting for pool `name` (call it after the pool becomes active), after
   * loading this host's records if `start` has not yet, then adopting the pool's delete marks.
   * Idempotent; never rejects (a failure to load, adopt or save a record is logged; marks are
   * not adopted while this host's records cannot be read, lest a record's checkpoint be lost).
   */
  async poolActivated(name: string): Promise<void> {
    const loaded = await this.load().then(
      () => true,
      (err: unknown) => (this.logger.error({ pool: name, err }, 'could not read the job records; the pool\'s delete marks wait for the next activation'), false),
    );
    if (loaded) await this.adoptMarks(name).catch((err: unknown) => this.logger.error({ pool: name, err }, 'could not read the delete marks of the pool'));
    for (const job of [...this.jobs.values()]) {
      if (job.record.pool === name && job.work === null && !isTerminalState(job.record.state)) await this.resume(job);
    }
  }

  /**
   * Starts deleting volume `volumeName` of pool `poolName` in the background and returns the
   * job (state running). The checks come first and write nothing: the pool is active, the volume
   * exists, no job works on it, its device is not open. Then the record is saved durably, and
   * only then does any work begin (see the crash story above).
   * @throws EngineError NO_SUCH_POOL, POOL_INACTIVE, NO_SUCH_VOLUME, VOLUME_BUSY (open);
   *   AgentError JOB_RUNNING (a job here, or a delete mark in the pool), SHUTTING_DOWN; the
   *   file system's error when the record cannot be saved (nothing was done then).
   */
  async startDelete(poolName: string, volumeName: string): Promise<JobRecord> {
    return this.admission.run(async () => {
      if (this.stopping) throw new AgentError('SHUTTING_DOWN', 'the agent is shutting down and starts no new jobs');
      const pool = this.options.engine.pool(poolName);
      if (!pool.isActive) throw new EngineError('POOL_INACTIVE', `pool ${poolName} is not active`);
      const volume = (await pool.list()).find((v) => v.name === volumeName);
      if (volume === undefined) throw new EngineError('NO_SUCH_VOLUME', `no volume "${volumeName}" in pool ${poolName}`);
      const other = [...this.jobs.values()].find(
        (j) => !isTerminalState(j.record.state) && j.record.pool === poolName && (j.record.volumeUuid === volume.uuid || j.record.volume === volume.name),
      );
      if (other !== undefined) throw new AgentError('JOB_RUNNING', `job ${other.record.id} is already deleting volume "${volumeName}" of pool ${poolName}`);
      if (volume.deleting !== null && !this.endedHere(volume.deleting)) {
        throw new AgentError('JOB_RUNNING', `job ${volume.deleting.jobId}, recorded in the pool, is deleting volume "${volumeName}" of pool ${poolName}`);
      }
      await requireVolumeNotOpen(pool, volume);
      const blockBytes = (await pool.status()).dataBlockBytes;
      const nowMs = Date.now();
      const record: MutableJobRecord = {
        id: this.freshId(),
        kind: 'delete',
        pool: poolName,
        volume: volume.name,
        volumeUuid: volume.uuid,
        state: 'running',
        doneBytes: 0,
        totalBytes: volume.sizeBytes,
        chunkBytes: Math.max(blockBytes, Math.floor(this.chunkBytes / blockBytes) * blockBytes),
        createdMs: nowMs,
        updatedMs: nowMs,
        error: null,
        errorCode: null,
        volumeWasActive: volume.active,
      };
      await this.store.save(record);
      const job = this.add(record, 0);
      this.logger.info({ job: record.id, pool: poolName, volume: volume.name, totalBytes: record.totalBytes, chunkBytes: record.chunkBytes }, 'delete job started');
      const snapshot = this.snapshot(job);
      this.notify(job, snapshot);
      this.launch(job, pool);
      return snapshot;
    });
  }

  /**
   * Cancels job `id` and resolves with it once it has stopped. A running job stops after its
   * current chunk (state cancelled; its volume stays, with the chunks done discarded, as `error`
   * says, deactivated unless it was active before the job); a job already deleting its volume
   * through the engine finishes that (succeeded). A queued job is cancelled at once (its mark
   * cleared and its volume deactivated the same way when its pool is active here). A job that
   * ended is returned as it ended (idempotent).
   * @throws AgentError NO_SUCH_JOB; the file system's error when the cancelled state of a job
   *   that was not running cannot be saved (it is cancelled in memory; after a restart it resumes).
   */
  async cancel(id: string): Promise<JobRecord> {
    const job = this.require(id);
    if (isTerminalState(job.record.state)) return this.snapshot(job);
    job.cancelRequested = true;
    if (job.work === null) {
      const pool = this.activePool(job.record.pool);
      let note = '';
      if (pool !== null) {
        await this.clearMark(job, pool);
        note = await releaseVolume(pool, job.record);
      }
      await this.change(job, { state: 'cancelled', error: `cancelled: ${leftBehind(job.record, job.possiblyDoneBytes)}${note}` });
      this.logger.info({ job: id, pool: job.record.pool, volume: job.record.volume }, 'job cancelled before it ran');
      return this.snapshot(job);
    }
    while (job.work !== null) await job.work;
    return this.snapshot(job);
  }

  /** Every job this manager knows (those that ended since start included), oldest first. */
  list(): JobRecord[] {
    return [...this.jobs.values()].map((j) => this.snapshot(j)).sort((a, b) => a.createdMs - b.createdMs);
  }

  /** Job `id` as it is now. @throws AgentError NO_SUCH_JOB */
  get(id: string): JobRecord {
    return this.snapshot(this.require(id));
  }

  /** The queued or running job on volume `volume` of pool `pool` (by the volume's current name), or null. */
  jobOnVolume(pool: string, volume: string): JobRecord | null {
    for (const job of this.jobs.values()) {
      if (job.record.pool === pool && job.record.volume === volume && !isTerminalState(job.record.state)) return this.snapshot(job);
    }
    return null;
  }

  /**
   * Calls `listener` with each change of job `id` (progress, state), the last one being its
   * terminal state, after which the listener is dropped. The job as it is now is not sent (read
   * it with `get`), except for a job that already ended: the listener is then called once, before
   * watch returns. `onMoved` is called instead of a final state when the job leaves this host
   * with its pool (`handOver`). Returns the unsubscribe function (idempotent). A listener that
   * throws is logged.
   * @throws AgentError NO_SUCH_JOB
   */
  watch(id: string, listener: JobListener, onMoved?: (why: string) => void): () => void {
    const job = this.require(id);
    if (isTerminalState(job.record.state)) {
      listener(this.snapshot(job));
      return () => undefined;
    }
    job.listeners.add(listener);
    if (onMoved !== undefined) job.movedListeners.add(onMoved);
    return () => {
      job.listeners.delete(listener);
      if (onMoved !== undefined) job.movedListeners.delete(onMoved);
    };
  }

  /**
   * Cluster mode, another host waits for pool `poolName`: stops its unfinished jobs after their
   * current chunk, writes each one's checkpoint into its volume's delete mark, deactivates the
   * volume and forgets the job here (record removed, watchers told through `onMoved`), so that
   * the pool's next holder resumes it. A job that finishes meanwhile just ends. Resolves with
   * the jobs handed over. On an error the jobs not yet handed over run on here, and the error is
   * thrown (the caller keeps the pool and tries again later). Idempotent.
   * Crash story: see the module comment.
   * @throws EngineError from writing a mark or deactivating a volume; the file system's error
   *   when a record cannot be removed
   */
  async handOver(poolName: string): Promise<JobRecord[]> {
    const mine = [...this.jobs.values()].filter((j) => j.record.pool === poolName && !isTerminalState(j.record.state));
    for (const job of mine) job.yieldRequested = true;
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
      throw failure;
    }
    return moved;
  }

  /** How many known jobs are in each state. */
  counts(): Record<JobState, number> {
    const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
    for (const job of this.jobs.values()) counts[job.record.state] += 1;
    return counts;
  }

  /**
   * For shutdown: refuses new jobs (SHUTTING_DOWN), asks running jobs to stop after their
   * current chunk, and resolves once they have. Their records stay `running` at their last
   * checkpoint, so the next `start` resumes them. Idempotent.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.admission.run(async () => undefined);
    for (const job of this.jobs.values()) {
      while (job.work !== null) await job.work;
    }
  }

  /** Makes a job of `record`; `possiblyDoneBytes` as for `Job`. */
  private add(record: MutableJobRecord, possiblyDoneBytes: number): Job {
    const possibly = Math.min(record.totalBytes, Math.max(record.doneBytes, possiblyDoneBytes));
    const job: Job = { record, listeners: new Set(), movedListeners: new Set(), cancelRequested: false, yieldRequested: false, work: null, saving: Promise.resolve(), possiblyDoneBytes: possibly };
    this.jobs.set(record.id, job);
    return job;
  }

  private require(id: string): Job {
    const job = typeof id === 'string' ? this.jobs.get(id) : undefined;
    if (job === undefined) throw new AgentError('NO_SUCH_JOB', `no job "${String(id)}" on this host`);
    return job;
  }

  private freshId(): string {
    for (let attempt = 0; attempt < 100; attempt++) {
      const id = this.newId();
      if (!JOB_ID_PATTERN.test(id)) throw new Error(`job id source returned "${id}", which is not a valid job id`);
      if (!this.jobs.has(id)) return id;
    }
    throw new Error('job id source keeps returning ids in use');
  }

  private snapshot(job: Job): JobRecord {
    return Object.freeze({ ...job.record });
  }

  /** Tells listeners and onChange about `snapshot`; drops the listeners once the job ended. */
  private notify(job: Job, snapshot: JobRecord): void {
    for (const listener of [...job.listeners]) {
      try {
        listener(snapshot);
      } catch (err) {
        this.logger.warn({ job: snapshot.id, err }, 'a job listener threw');
      }
    }
    if (isTerminalState(snapshot.state)) job.listeners.clear();
    try {
      this.options.onChange?.(snapshot);
    } catch (err) {
      this.logger.warn({ job: snapshot.id, err }, 'the job onChange callback threw');
    }
  }

  /**
   * Applies `patch` to the job, saves the record (after any earlier save of it) and then tells
   * listeners, even when the save failed. @throws the save's error.
   */
  private async change(job: Job, patch: Partial<MutableJobRecord>): Promise<void> {
    Object.assign(job.record, patch, { updatedMs: Date.now() });
    const snapshot = this.snapshot(job);
    const saved = job.saving.then(() => this.store.save(snapshot));
    job.saving = saved.catch(() => undefined);
    try {
      await saved;
    } finally {
      this.notify(job, snapshot);
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
    const r = job.record;
    this.logger.info({ job: r.id, pool: r.pool, volume: r.volume }, 'job waits for its pool to be active');
    if (r.state === 'queued') return;
    await this.change(job, { state: 'queued' }).catch((err: unknown) => this.logger.error({ job: r.id, err }, 'could not save a job record'));
  }

  /** Starts the job's work in the background unless it runs already. */
  private launch(job: Job, pool: Pool): void {
    if (job.work !== null || this.stopping || isTerminalState(job.record.state)) return;
    job.work = this.run(job, pool).then(
      (end) => {
        job.work = null;
        // The pool went away under the job; if it is back already (a new Pool object), go on.
        const again = end === 'parked' ? this.activePool(job.record.pool) : null;
        if (again !== null && again !== pool) this.launch(job, again);
      },
      (err: unknown) => {
        job.work = null;
        this.logger.error({ job: job.record.id, err }, 'job work ended unexpectedly');
      },
    );
  }

  /** The volume with catalog uuid `uuid`, or null when the pool has none. */
  private async resolve(pool: Pool, uuid: string): Promise<VolumeInfo | null> {
    return (await pool.list()).find((v) => v.uuid === uuid) ?? null;
  }

  /** One run of a delete job, from its checkpoint to an end, a stop or a park. Never rejects. */
  private async run(job: Job, pool: Pool): Promise<RunEnd> {
    const r = job.record;
    try {
      if (r.state !== 'running') await this.change(job, { state: 'running' });
      let volume = await this.resolve(pool, r.volumeUuid);
      if (volume === null) return await this.succeed(job, 'its volume is gone: the delete had committed');
      if (volume.name !== r.volume || volume.sizeBytes !== r.totalBytes) {
        await this.change(job, { volume: volume.name, totalBytes: volume.sizeBytes, doneBytes: Math.min(r.doneBytes, volume.sizeBytes) });
      }
      const mark = volume.deleting;
      if (mark !== null && mark.jobId !== r.id && !this.endedHere(mark)) {
        throw new AgentError('JOB_RUNNING', `job ${mark.jobId}, recorded in the pool, is deleting volume "${volume.name}"; this job stops`);
      }
      if (mark?.jobId === r.id && mark.doneBytes > r.doneBytes) await this.change(job, { doneBytes: mark.doneBytes });
      if (mark?.jobId !== r.id) await pool.markDelete(volume.name, this.markOf(r));
      if (r.doneBytes < r.totalBytes) {
        await requireVolumeNotOpen(pool, volume);
        const device = (await pool.activateVolume(volume.name)).devicePath;
        if (device === null) throw new EngineError('KERNEL_FAILED', `volume "${volume.name}" has no device after activation`);
        this.logger.info({ job: r.id, pool: r.pool, volume: r.volume, fromBytes: r.doneBytes, totalBytes: r.totalBytes }, 'discarding the volume chunk by chunk');
        let markedAtMs = Date.now();
        while (r.doneBytes < r.totalBytes) {
          if (job.cancelRequested || job.yieldRequested || this.stopping) return await this.halt(job, pool);
          const lengthBytes = Math.min(r.chunkBytes, r.totalBytes - r.doneBytes);
          job.possiblyDoneBytes = Math.max(job.possiblyDoneBytes, r.doneBytes + lengthBytes);
          await this.options.block.discard(device, r.doneBytes, lengthBytes);
          await this.change(job, { doneBytes: r.doneBytes + lengthBytes });
          // The mark travels with the pool: a holder that dies leaves its next one this checkpoint
          // (never ahead of what was discarded; a chunk discarded twice is harmless).
          if (Date.now() - markedAtMs >= (this.options.markEveryMs ?? 1000)) {
            await pool.markDelete(volume.name, this.markOf(r));
            markedAtMs = Date.now();
          }
          await yieldToEventLoop();
        }
      }
      if (job.cancelRequested || job.yieldRequested || this.stopping) return await this.halt(job, pool);
      volume = await this.resolve(pool, r.volumeUuid);
      if (volume === null) return await this.succeed(job, 'its volume is gone: the delete had committed');
      await pool.deleteVolume(volume.name);
      return await this.succeed(job, 'volume deleted');
    } catch (err) {
      return this.failed(job, pool, err);
    }
  }

  private async succeed(job: Job, why: string): Promise<RunEnd> {
    await this.change(job, { state: 'succeeded', doneBytes: job.record.totalBytes, error: null, errorCode: null });
    this.logger.info({ job: job.record.id, pool: job.record.pool, volume: job.record.volume }, `delete job succeeded: ${why}`);
    return 'ended';
  }

  /**
   * Stops a running job between chunks: cancelled (its delete mark cleared), handed over with
   * its pool, or (shutdown) left running at its checkpoint.
   */
  private async halt(job: Job, pool: Pool): Promise<RunEnd> {
    const r = job.record;
    if (job.cancelRequested) {
      await this.clearMark(job, pool);
      const note = await releaseVolume(pool, r);
      await this.change(job, { state: 'cancelled', error: `cancelled: ${leftBehind(r, job.possiblyDoneBytes)}${note}` });
      this.logger.info({ job: r.id, pool: r.pool, volume: r.volume, doneBytes: r.doneBytes }, 'job cancelled');
      return 'ended';
    }
    if (job.yieldRequested) {
      try {
        await this.moveAway(job, pool);
        return 'moved';
      } catch (err) {
        // Not a failure of the job: it stays here, at its checkpoint; handOver reports the error.
        this.logger.warn({ job: r.id, pool: r.pool, volume: r.volume, err }, 'could not hand the job over with its pool');
        return 'halted';
      }
    }
    this.logger.info({ job: r.id, pool: r.pool, volume: r.volume, doneBytes: r.doneBytes }, 'job stopped for shutdown; it resumes at the next start');
    return 'halted';
  }

  /** After an error: parks the job when its pool went away, else marks it failed. */
  private async failed(job: Job, pool: Pool, err: unknown): Promise<RunEnd> {
    const r = job.record;
    if (!pool.isActive) {
      this.logger.warn({ job: r.id, pool: r.pool, volume: r.volume, err }, 'the pool of a running job went inactive');
      if (!job.cancelRequested) {
        await this.park(job);
        return 'parked';
      }
      return this.halt(job, pool).catch((saveErr: unknown) => {
        this.logger.error({ job: r.id, err: saveErr }, 'could not save the cancelled state of a job');
        return 'ended' as const;
      });
    }
    if (isEngineError(err, 'NO_SUCH_VOLUME')) {
      const gone = await this.resolve(pool, r.volumeUuid).then((v) => v === null, () => false);
      if (gone) return this.succeed(job, 'its volume is gone').catch(() => 'ended' as const);
    }
    const errorCode = errorCodeOf(err);
    this.logger.error({ job: r.id, pool: r.pool, volume: r.volume, errorCode, doneBytes: r.doneBytes, err }, 'delete job failed');
    let note = '';
    // JOB_RUNNING: another job owns the volume (and this run touched nothing); leave both alone.
    if (errorCode !== 'JOB_RUNNING') {
      await this.clearMark(job, pool);
      note = await releaseVolume(pool, r);
    }
    const message = `${err instanceof Error ? err.message : String(err)}; ${leftBehind(r, job.possiblyDoneBytes)}${note}`;
    await this.change(job, { state: 'failed', error: message, errorCode }).catch((saveErr: unknown) =>
      this.logger.error({ job: r.id, err: saveErr }, 'could not save the failed state of a job; it resumes at the next start'),
    );
    return 'ended';
  }

  /** True when `mark` names a job this host knows to have ended (a mark its end could not clear). */
  private endedHere(mark: DeleteMark): boolean {
    const job = this.jobs.get(mark.jobId);
    return job === undefined ? this.endedBefore.has(mark.jobId) : isTerminalState(job.record.state);
  }

  /** The delete mark of `r` at its checkpoint. */
  private markOf(r: JobRecord): DeleteMark {
    return { jobId: r.id, doneBytes: r.doneBytes, chunkBytes: r.chunkBytes, createdMs: r.createdMs };
  }

  /** Clears the job's delete mark, if its volume still carries it; a failure is logged only. */
  private async clearMark(job: Job, pool: Pool): Promise<void> {
    const r = job.record;
    try {
      const volume = await this.resolve(pool, r.volumeUuid);
      if (volume?.deleting?.jobId === r.id) await pool.markDelete(volume.name, null);
    } catch (err) {
      this.logger.warn({ job: r.id, pool: r.pool, volume: r.volume, err }, 'could not clear the delete mark of a job that stopped');
    }
  }

  /**
   * Hands a stopped job over with its pool: checkpoint into the mark, volume deactivated, record
   * removed, the job forgotten here and its watchers told. @throws what those steps throw
   */
  private async moveAway(job: Job, pool: Pool): Promise<void> {
    const r = job.record;
    const volume = await this.resolve(pool, r.volumeUuid);
    if (volume !== null) {
      await pool.markDelete(volume.name, this.markOf(r));
      if (volume.active) await pool.deactivateVolume(volume.name);
    }
    await job.saving;
    await this.store.remove(r.id);
    this.jobs.delete(r.id);
    const why = `job ${r.id} was handed over with pool ${r.pool} to the host that holds it next, at ${r.doneBytes} of ${r.totalBytes} bytes`;
    this.logger.info({ job: r.id, pool: r.pool, volume: r.volume, doneBytes: r.doneBytes }, 'job handed over with its pool');
    for (const onMoved of [...job.movedListeners]) {
      try {
        onMoved(why);
      } catch (err) {
        this.logger.warn({ job: r.id, err }, 'a job listener threw');
      }
    }
    job.movedListeners.clear();
    job.listeners.clear();
  }

  /**
   * Adopts the delete jobs recorded in pool `name`'s catalog: a marked volume whose job this
   * host does not know gets a record (same id, the mark's checkpoint), saved before it runs; a
   * known one moves to the mark's checkpoint when that is further.
   */
  private async adoptMarks(name: string): Promise<void> {
    const pool = this.activePool(name);
    if (pool === null) return;
    await this.admission.run(async () => {
      for (const v of await pool.list()) {
        const mark = v.deleting;
        if (mark === null) continue;
        if (this.endedHere(mark)) {
          // Its end (cancelled, failed) could not clear the mark (or its pool was not active
          // then); adopting it, here or on the pool's next host, would delete the volume.
          this.logger.warn({ pool: name, volume: v.name, job: mark.jobId }, 'clearing the delete mark of a job that ended here');
          await pool.markDelete(v.name, null).catch((err: unknown) => this.logger.error({ pool: name, volume: v.name, job: mark.jobId, err }, 'could not clear the delete mark of a job that ended here'));
          continue;
        }
        const known = this.jobs.get(mark.jobId);
        if (known !== undefined) {
          if (known.record.volumeUuid === v.uuid && !isTerminalState(known.record.state) && mark.doneBytes > known.record.doneBytes) {
            await this.change(known, { doneBytes: mark.doneBytes });
          }
          continue;
        }
        if (!JOB_ID_PATTERN.test(mark.jobId)) {
          this.logger.warn({ pool: name, volume: v.name, job: mark.jobId }, 'a delete mark names a job id this agent cannot use; ignored');
          continue;
        }
        const record = adoptedRecord(name, v, mark, Date.now());
        await this.store.save(record);
        // How far the pool's earlier holder discarded past the mark's checkpoint is not known.
        const job = this.add(record, record.totalBytes);
        this.logger.info({ job: record.id, pool: name, volume: v.name, doneBytes: record.doneBytes, totalBytes: record.totalBytes }, 'delete job adopted from the pool');
        this.notify(job, this.snapshot(job));
      }
    });
  }
}
