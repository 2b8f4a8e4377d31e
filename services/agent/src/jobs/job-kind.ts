/**
 * What a kind of background job (the chunked delete today; flatten, merge, copy next) gives the
 * job runner (job-runner.ts), and what the runner gives it. The runner owns everything a job of
 * any kind has: its record and its saves, its listeners, its AbortController, its logger, the
 * clock, the loading of `jobs/` at start, cancel, hand-over and shutdown. A kind owns only what
 * its work means: the checks that start a job, one run from a checkpoint, what it writes into
 * its pool for the pool's next holder, what it undoes when it stops early, and how it says what
 * it left behind. A new kind is a new `JobKind` registered with the runner; the runner does not
 * change.
 *
 * Every job, of any kind, works on one volume of one pool, in steps of `chunkBytes` from offset
 * 0 to `totalBytes`, and saves its checkpoint (`doneBytes`) after each step: the record format
 * (job-record.ts) is the same for every kind; only its `kind` field tells them apart.
 */
import type { Pool } from '@thinfleet/engine';
import type { Logger } from 'pino';
import type { JobRecord, MutableJobRecord } from './job-record.js';

/** The fields of a new job's record that its kind decides (the runner adds id, kind, state, times). */
export type NewJobFields = Pick<JobRecord, 'pool' | 'volume' | 'volumeUuid' | 'doneBytes' | 'totalBytes' | 'chunkBytes' | 'volumeWasActive'> & {
  /** The grant token the job starts under (the pool's writer token; default "0"). */
  readonly ownerToken?: string;
  /** The kind's first phase (default ''). */
  readonly phase?: string;
  /** The kind's own arguments, saved in the record (`JobRecord.args`; default none). */
  readonly args?: Readonly<Record<string, string>>;
};

/** What `JobKind.start` found: the job's pool (active) and its record's fields. */
export interface NewJob {
  readonly pool: Pool;
  readonly fields: NewJobFields;
}

/** The progress a run may save: its checkpoint and phase, the volume's name, uuid (once a job made it) and size as it finds them, and the token it owns the job under. */
export type JobProgress = Partial<Pick<MutableJobRecord, 'volume' | 'totalBytes' | 'doneBytes' | 'ownerToken' | 'phase' | 'volumeUuid'>>;

/** How one run of a job ended when it did not throw: its work is done (`why` is logged), or it stopped on its signal. */
export type RunResult = { readonly done: string } | 'stopped';

/**
 * What the runner offers a kind about the jobs it knows, outside and inside a run. Every method
 * is cheap; none writes unless its name says so.
 */
export interface JobKindHost {
  /** The agent's logger (not bound to a job). */
  readonly logger: Logger;
  /** The runner's clock, milliseconds since the epoch (the engine's clock in tests). */
  now(): number;
  /** The unfinished job (queued or running) of pool `pool` on the volume with uuid `uuid` or name `name`, or null. */
  unfinishedJobOn(pool: string, uuid: string, name: string): JobRecord | null;
  /** True when job `id` ended on this host (its record here is terminal, or start-up pruned its ended record). */
  endedHere(id: string): boolean;
  /** Job `id` as this host knows it, or null. */
  known(id: string): JobRecord | null;
  /** Saves `progress` of the known job `id` (after its earlier saves). @throws the save's error */
  progress(id: string, progress: JobProgress): Promise<void>;
  /**
   * Saves `record` durably as a new job of this host (an adoption from its pool: state queued),
   * then tracks it and tells watchers; the job runs when the runner resumes its pool's jobs.
   * `possiblyDoneBytes`: how far an earlier holder's steps may have reached past the checkpoint.
   * Precondition: the record's id is a valid job id this host does not know.
   * @throws the save's error (then nothing is tracked)
   */
  adopt(record: MutableJobRecord, possiblyDoneBytes: number): Promise<void>;
}

/** One job as a kind sees it outside a run (its record is live: it follows the job's saves). */
export interface JobView {
  /** The job's record now. Read-only for the kind: change it through `JobRun.update`. */
  readonly record: JobRecord;
  /** The job's own logger: every line carries the job's id and pool. */
  readonly logger: Logger;
}

/** One run of a job, as its kind's `resume` drives it. */
export interface JobRun extends JobView {
  /**
   * Aborted when the job must stop after its current step (cancelled, handed over with its
   * pool, agent shutdown); the kind then returns `'stopped'` at its next checkpoint, never in the
   * middle of a step. One AbortController per run.
   */
  readonly signal: AbortSignal;
  readonly host: JobKindHost;
  /** Saves `progress` durably (after the job's earlier saves) and tells watchers. @throws the save's error */
  update(progress: JobProgress): Promise<void>;
  /** Notes that the step now starting may reach `bytes` before its checkpoint is saved (for `outcome`). */
  mayReach(bytes: number): void;
}

/**
 * A kind of job. `Request` is what `JobRunner.startJob` passes to `start`. Every method but
 * `start` may run again for the same job after a crash or a restart: each is idempotent, and
 * `resume` starts from the record's checkpoint.
 */
export interface JobKind<Request = unknown> {
  /** The record's `kind` (`delete`): letters, digits and `-`; unique in a registry. */
  readonly name: string;
  /**
   * Checks `request` and returns the job to start; writes nothing (the runner saves the record
   * durably before any work begins). Runs under the runner's admission lock, so two starts
   * cannot both pass the checks.
   * @throws the error to answer the caller with (nothing was done)
   */
  start(request: Request, host: JobKindHost): Promise<NewJob>;
  /**
   * One run of the job from its checkpoint (a new job, or one resumed after a restart, a
   * hand-over or its pool's return) until its work is done or `run.signal` is aborted. Resolves
   * `'stopped'` only once the signal is aborted, and only between steps, with the checkpoint of
   * every finished step saved (`run.update`).
   * @throws what failed; the runner then asks `errorMeansDone`, else fails the job
   */
  resume(run: JobRun, pool: Pool): Promise<RunResult>;
  /**
   * The pool moves to another host (cluster hand-over) while the job is stopped: writes the
   * job's checkpoint into the pool, where its next holder finds it (`adopt`), and releases what
   * the job holds of the volume. The runner then forgets the job here.
   * @throws what failed (the job stays here, at its checkpoint)
   */
  checkpoint(job: JobView, pool: Pool): Promise<void>;
  /**
   * The job ends without finishing (cancelled, failed): undoes what it holds in its pool (a
   * mark, a device it activated), logging what it cannot undo. Never rejects. Resolves with
   * what to add to the job's message ('' when nothing is to be said).
   */
  cancel(job: JobView, pool: Pool): Promise<string>;
  /**
   * What a job that stopped early left of its volume, said truthfully: `record.doneBytes` are
   * done for certain, bytes up to `possiblyDoneBytes` may be in part. Pure.
   */
  outcome(record: JobRecord, possiblyDoneBytes: number): string;
  /** Why `err`, thrown by a run, means the job's work is done after all (`why` is logged), or null. Never rejects. */
  errorMeansDone(job: JobView, pool: Pool, err: unknown): Promise<string | null>;
  /**
   * Optional: after pool `pool` became active here, finds the jobs of this kind recorded in the
   * pool by an earlier holder and hands each to `host.adopt` (or moves a known one to a further
   * checkpoint with `host.progress`). Runs under the runner's admission lock.
   * @throws when the pool cannot be read (the runner logs it; the pool's next activation tries again)
   */
  adopt?(pool: Pool, host: JobKindHost): Promise<void>;
}

/**
 * The kinds a runner knows, by name. Built once, before the runner; a record of a kind not
 * registered is unreadable to the runner's store (skipped and reported, left in place).
 */
export class JobKindRegistry {
  private readonly kinds = new Map<string, JobKind>();

  /** @throws Error when a kind of that name is registered already, or the name is not a valid kind name */
  constructor(kinds: Iterable<JobKind> = []) {
    for (const kind of kinds) this.register(kind);
  }

  /** Adds `kind`. @throws Error when its name is taken or malformed */
  register(kind: JobKind): this {
    if (!/^[a-z0-9-]{1,32}$/.test(kind.name)) throw new Error(`job kind name "${kind.name.slice(0, 40)}" must be 1 to 32 lower-case letters, digits or '-'`);
    if (this.kinds.has(kind.name)) throw new Error(`job kind "${kind.name}" is registered already`);
    this.kinds.set(kind.name, kind);
    return this;
  }

  /** The kind called `name`. @throws Error when none is registered */
  get(name: string): JobKind {
    const kind = this.kinds.get(name);
    if (kind === undefined) throw new Error(`no job kind "${String(name).slice(0, 40)}" is registered`);
    return kind;
  }

  /** Every registered kind, in the order of registration. */
  all(): JobKind[] {
    return [...this.kinds.values()];
  }

  /** The names of the registered kinds. */
  names(): string[] {
    return [...this.kinds.keys()];
  }
}
