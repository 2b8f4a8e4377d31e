/**
 * The jobs a runner knows: in memory, their records on disk (job-store.ts), and what callers
 * read of them (look-ups, frozen snapshots, watchers). Starts no work: the runner (job-runner.ts)
 * runs the jobs; this keeps them, saves their changes in order and tells watchers.
 *
 * The records in `jobs/` are loaded once (`load`), before any pool's jobs are adopted, so an
 * adoption never replaces a local record's newer checkpoint; the ids of ended jobs whose records
 * that loading pruned are remembered (`endedHere`), so their leftover marks are never adopted.
 */
import type { Logger } from 'pino';
import { AgentError } from '../agent-error.js';
import type { JobKind, JobKindHost, JobKindRegistry } from './job-kind.js';
import { isTerminalState, JOB_ID_PATTERN, JOB_STATES, newJobId, type JobRecord, type JobState, type MutableJobRecord } from './job-record.js';
import { JobStore } from './job-store.js';

/** Receives a job's changes; see `KnownJobs.watch`. */
export type JobListener = (job: JobRecord) => void;

/** One job the runner knows. */
export interface Job {
  readonly record: MutableJobRecord;
  readonly kind: JobKind;
  /** The agent's logger bound to the job's id and pool. */
  readonly logger: Logger;
  readonly listeners: Set<JobListener>;
  /** Told when the job leaves this host with its pool (see `JobRunner.handOver`). */
  readonly movedListeners: Set<(why: string) => void>;
  cancelRequested: boolean;
  /** Set by `handOver`: stop after the current step and leave the job to the pool's next holder. */
  yieldRequested: boolean;
  /** The abort controller of the job's run while it runs; aborted when it must stop after its current step. */
  controller: AbortController | null;
  /** The job's work while it runs; settles when the job has ended, stopped or parked. */
  work: Promise<void> | null;
  /** The saves of this record, one after another. */
  saving: Promise<void>;
  /**
   * Where the furthest step of any run may have reached (at least `record.doneBytes`): the step
   * in flight, or for a job from an earlier run, the step past its saved checkpoint.
   */
  possiblyDoneBytes: number;
}

/** What `KnownJobs` is built from (the runner's options). */
export interface KnownJobsOptions {
  /** The agent's state directory; records live in `<stateDir>/jobs`. */
  readonly stateDir: string;
  readonly logger: Logger;
  /** The kinds of job known; records of other kinds are skipped at load. */
  readonly kinds: JobKindRegistry;
  /** Clock, milliseconds since the epoch (default Date.now). */
  readonly now?: () => number;
  /** Job id source (default: nanoid, 12 lower-case letters and digits); ids must match JOB_ID_PATTERN. */
  readonly newId?: () => string;
  /** Called with every change of every job (made, progress, state), after the change is saved. */
  readonly onChange?: (job: JobRecord) => void;
}

/** The known jobs by id, their records, and what callers read of them. Base of `JobRunner`. */
export class KnownJobs {
  protected readonly jobs = new Map<string, Job>();
  protected readonly logger: Logger;
  protected readonly kinds: JobKindRegistry;
  protected readonly now: () => number;
  private readonly store: JobStore;
  private readonly newId: () => string;
  private readonly onChange: ((job: JobRecord) => void) | undefined;
  /** The loading of `jobs/` (see `load`); null until the first call. */
  private loading: Promise<void> | null = null;
  /** Ids of the ended jobs whose records `load` pruned: a kind never adopts them. */
  private readonly endedBefore = new Set<string>();
  /** What the kinds are given. */
  protected readonly host: JobKindHost;

  /** Reads nothing yet. */
  constructor(options: KnownJobsOptions) {
    this.logger = options.logger;
    this.kinds = options.kinds;
    this.now = options.now ?? Date.now;
    this.newId = options.newId ?? newJobId;
    this.onChange = options.onChange;
    this.store = new JobStore(options.stateDir, this.kinds.names());
    this.host = {
      logger: options.logger,
      now: () => this.now(),
      unfinishedJobOn: (pool, uuid, name) => {
        const other = [...this.jobs.values()].find((j) => !isTerminalState(j.record.state) && j.record.pool === pool && (j.record.volumeUuid === uuid || j.record.volume === name));
        return other === undefined ? null : this.snapshot(other);
      },
      endedHere: (id) => {
        const job = this.jobs.get(id);
        return job === undefined ? this.endedBefore.has(id) : isTerminalState(job.record.state);
      },
      known: (id) => {
        const job = this.jobs.get(id);
        return job === undefined ? null : this.snapshot(job);
      },
      progress: async (id, progress) => this.change(this.require(id), progress),
      adopt: async (record, possiblyDoneBytes) => {
        if (this.jobs.has(record.id)) throw new Error(`job ${record.id} is known already`);
        await this.save(record, possiblyDoneBytes);
      },
    };
  }

  /**
   * Loads the records of `jobs/` into memory, once (later calls wait for the first). Records of
   * ended jobs are removed (a failure is logged), unreadable ones logged and skipped; a loaded job
   * may have done the step past its checkpoint. Resumes nothing.
   * @throws when the jobs directory cannot be listed.
   */
  protected load(): Promise<void> {
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
        // The run before may have done the step after its last checkpoint.
        this.track({ ...record }, record.doneBytes + record.chunkBytes);
      }
    })();
    return this.loading;
  }

  /**
   * Saves `record` of a new job durably, then tracks it and tells watchers. Precondition: its id
   * is not known here. @throws the save's error (then nothing is tracked)
   */
  protected async save(record: MutableJobRecord, possiblyDoneBytes: number): Promise<Job> {
    await this.store.save(record);
    const job = this.track(record, possiblyDoneBytes);
    this.notify(job, this.snapshot(job));
    return job;
  }

  /**
   * Applies `patch` to the job, saves the record (after any earlier save of it) and then tells
   * listeners, even when the save failed. @throws the save's error.
   */
  protected async change(job: Job, patch: Partial<MutableJobRecord>): Promise<void> {
    Object.assign(job.record, patch, { updatedMs: this.now() });
    const snapshot = this.snapshot(job);
    const saved = job.saving.then(() => this.store.save(snapshot));
    job.saving = saved.catch(() => undefined);
    try {
      await saved;
    } finally {
      this.notify(job, snapshot);
    }
  }

  /**
   * Forgets a job that left this host: after its pending saves, its record is removed durably and
   * it is no longer known. @throws the file system's error (the job stays known)
   */
  protected async forget(job: Job): Promise<void> {
    await job.saving;
    await this.store.remove(job.record.id);
    this.jobs.delete(job.record.id);
  }

  /** A new job id, unused here. @throws Error when the id source returns invalid or used ids */
  protected freshId(): string {
    for (let attempt = 0; attempt < 100; attempt++) {
      const id = this.newId();
      if (!JOB_ID_PATTERN.test(id)) throw new Error(`job id source returned "${id}", which is not a valid job id`);
      if (!this.jobs.has(id)) return id;
    }
    throw new Error('job id source keeps returning ids in use');
  }

  /** How many known jobs are in each state. */
  counts(): Record<JobState, number> {
    const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
    for (const job of this.jobs.values()) counts[job.record.state] += 1;
    return counts;
  }

  /** How many known jobs are in each state, by kind: every registered kind, every state (0 included). */
  countsByKind(): Record<string, Record<JobState, number>> {
    const zero = (): Record<JobState, number> => Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
    const counts: Record<string, Record<JobState, number>> = Object.fromEntries(this.kinds.names().map((k) => [k, zero()]));
    for (const job of this.jobs.values()) (counts[job.record.kind] ??= zero())[job.record.state] += 1;
    return counts;
  }

  /** Every job this runner knows (those that ended since start included), oldest first. */
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
      if (isTerminalState(job.record.state)) continue;
      if (job.record.pool === pool && job.record.volume === volume) return this.snapshot(job);
      // A job working in a second pool (a live move, `args.targetPool`) holds its volume's name
      // there and its log volume `move-log.<id>` too.
      if (job.record.args?.targetPool === pool && (volume === job.record.volume || volume === `move-log.${job.record.id}`)) return this.snapshot(job);
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

  /** Tracks a job of `record` (its kind registered), with its own child logger; `possiblyDoneBytes` as for `Job`. */
  private track(record: MutableJobRecord, possiblyDoneBytes: number): Job {
    const possibly = Math.min(record.totalBytes, Math.max(record.doneBytes, possiblyDoneBytes));
    const job: Job = {
      record,
      kind: this.kinds.get(record.kind),
      logger: this.logger.child({ job: record.id, pool: record.pool }),
      listeners: new Set(),
      movedListeners: new Set(),
      cancelRequested: false,
      yieldRequested: false,
      controller: null,
      work: null,
      saving: Promise.resolve(),
      possiblyDoneBytes: possibly,
    };
    this.jobs.set(record.id, job);
    return job;
  }

  /** @throws AgentError NO_SUCH_JOB */
  protected require(id: string): Job {
    const job = typeof id === 'string' ? this.jobs.get(id) : undefined;
    if (job === undefined) throw new AgentError('NO_SUCH_JOB', `no job "${String(id)}" on this host`);
    return job;
  }

  protected snapshot(job: Job): JobRecord {
    return Object.freeze({ ...job.record });
  }

  /** Tells listeners and onChange about `snapshot`; drops the listeners once the job ended. */
  protected notify(job: Job, snapshot: JobRecord): void {
    for (const listener of [...job.listeners]) {
      try {
        listener(snapshot);
      } catch (err) {
        this.logger.warn({ job: snapshot.id, err }, 'a job listener threw');
      }
    }
    if (isTerminalState(snapshot.state)) job.listeners.clear();
    try {
      this.onChange?.(snapshot);
    } catch (err) {
      this.logger.warn({ job: snapshot.id, err }, 'the job onChange callback threw');
    }
  }

  /** Tells the job's watchers that it left this host (`why`), and drops them. */
  protected tellMoved(job: Job, why: string): void {
    for (const onMoved of [...job.movedListeners]) {
      try {
        onMoved(why);
      } catch (err) {
        this.logger.warn({ job: job.record.id, err }, 'a job listener threw');
      }
    }
    job.movedListeners.clear();
    job.listeners.clear();
  }
}
