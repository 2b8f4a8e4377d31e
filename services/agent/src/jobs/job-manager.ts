/**
 * The agent's job manager: the generic job runner (job-runner.ts: records, cancel, watch,
 * hand-over, shutdown, and their crash story) with the agent's job kinds registered: `delete`,
 * the chunked delete of a large volume (delete-job.ts: its crash story, its marks in the pool's
 * catalog); `flatten`, detaching a volume from its external origin (flatten-job.ts); `import`
 * and `export`, a volume from and to an image file on this host (import-job.ts, export-job.ts);
 * `merge`, a device snapshot merged back into its device (merge-job.ts), registered when the
 * manager is given the device-mapper client it needs; `move`, a live move of an active volume to
 * another pool of this host (move-job.ts); `copy`, a sparse copy of a volume into a new volume of
 * a pool held here (copy-job.ts). A new kind is a module beside delete-job.ts
 * implementing `JobKind` (job-kind.ts), registered here with a `start...` method; the runner does
 * not change. docs/agent.md, "Background jobs", says the same for operators.
 */
import { JobKindRegistry } from './job-kind.js';
import { isTerminalState, type JobRecord } from './job-record.js';
import { JobRunner, type JobRunnerOptions } from './job-runner.js';
import { DELETE_JOB_KIND, deleteJobKind, type DeleteJobOptions, type DeleteJobRequest } from './delete-job.js';
import { EXPORT_JOB_KIND, exportJobKind, type ExportJobRequest } from './export-job.js';
import type { ImageJobOptions } from './image-job-options.js';
import { IMPORT_JOB_KIND, importJobKind, type ImportJobRequest } from './import-job.js';
import { FLATTEN_JOB_KIND, flattenJobKind, type FlattenJobOptions, type FlattenJobRequest } from './flatten-job.js';
import { COPY_JOB_KIND, copyJobKind, type CopyJobOptions, type CopyJobRequest } from './copy-job.js';
import { MERGE_JOB_KIND, mergeJobKind, type MergeJobOptions, type MergeJobRequest } from './merge-job.js';
import { MOVE_JOB_KIND, moveJobKind, type MoveJobOptions, type MoveJobRequest } from './move-job.js';

export { DEFAULT_JOB_CHUNK_BYTES } from './delete-job.js';
export { DEFAULT_FLATTEN_CHUNK_BYTES } from './flatten-job.js';

/** The runner's options (its kinds are this manager's), the delete kind's, the flatten kind's, the image kinds' and the merge kind's. */
export interface JobManagerOptions
  extends
    Omit<JobRunnerOptions, 'kinds'>,
    DeleteJobOptions,
    FlattenJobOptions,
    Omit<ImageJobOptions, 'engine' | 'block'>,
    Omit<MoveJobOptions, 'engine'>,
    Omit<CopyJobOptions, 'engine' | 'block'> {
  /** The merge kind's options (its engine is the manager's); without them no merge kind is registered. */
  readonly merge?: Omit<MergeJobOptions, 'engine'>;
}

/**
 * Runs, tracks and persists the agent's background jobs (see job-runner.ts for the crash story).
 * One per agent, over the agent's state directory.
 */
export class JobManager extends JobRunner {
  /** Reads nothing yet; call `start`. @throws RangeError for a chunkBytes that is not a positive whole number. */
  constructor(options: JobManagerOptions) {
    const kinds = new JobKindRegistry([deleteJobKind(options), flattenJobKind(options), importJobKind(options), exportJobKind(options), moveJobKind(options), copyJobKind(options)]);
    if (options.merge !== undefined) kinds.register(mergeJobKind({ ...options.merge, engine: options.engine }));
    super({ ...options, kinds });
  }

  /**
   * Starts deleting volume `volumeName` of pool `poolName` in the background and returns the
   * job (state running). The checks come first and write nothing: the pool is active, the volume
   * exists, no job works on it, its device is not open. Then the record is saved durably, and
   * only then does any work begin (see the crash stories of job-runner.ts and delete-job.ts).
   * @throws EngineError NO_SUCH_POOL, POOL_INACTIVE, NO_SUCH_VOLUME, VOLUME_BUSY (open);
   *   AgentError JOB_RUNNING (a job here, or a delete mark in the pool), SHUTTING_DOWN; the
   *   file system's error when the record cannot be saved (nothing was done then).
   */
  startDelete(poolName: string, volumeName: string): Promise<JobRecord> {
    const request: DeleteJobRequest = { pool: poolName, volume: volumeName };
    return this.startJob(DELETE_JOB_KIND, request);
  }

  /**
   * Starts importing image `request.path` (on this host) into a new volume in the background and
   * returns the job (state running). The checks come first and write nothing (import-job.ts).
   * @throws EngineError NO_SUCH_POOL, POOL_INACTIVE, NAME_EXISTS; AgentError JOB_RUNNING,
   *   BAD_REQUEST (`path`, `size_bytes`), TOOL_MISSING, SHUTTING_DOWN; the file system's error
   *   when the record cannot be saved (nothing was done then).
   */
  startImport(request: ImportJobRequest): Promise<JobRecord> {
    return this.startJob(IMPORT_JOB_KIND, request);
  }

  /**
   * Starts exporting a volume to the new file `request.path` (on this host) in the background
   * and returns the job (state running). The checks come first and write nothing (export-job.ts).
   * @throws EngineError NO_SUCH_POOL, POOL_INACTIVE, NO_SUCH_VOLUME; AgentError JOB_RUNNING,
   *   BAD_REQUEST (`path`), FILE_EXISTS, TOOL_MISSING, SHUTTING_DOWN; the file system's error
   *   when the record cannot be saved (nothing was done then).
   */
  startExport(request: ExportJobRequest): Promise<JobRecord> {
    return this.startJob(EXPORT_JOB_KIND, request);
  }

  /**
   * Starts flattening volume `volumeName` of pool `poolName` in the background (copying its
   * external origin's blocks into it, then detaching the origin) and returns the job. The checks
   * come first and write nothing: the pool is active, the volume exists and has an external
   * origin, no job works on it. Then the record is saved durably, and only then does work begin
   * (see the crash stories of job-runner.ts and flatten-job.ts).
   * @throws EngineError NO_SUCH_POOL, POOL_INACTIVE, NO_SUCH_VOLUME, INVALID_ARGUMENT (no external
   *   origin; argument `volume`); AgentError JOB_RUNNING, SHUTTING_DOWN; the file system's error
   *   when the record cannot be saved (nothing was done then).
   */
  startFlatten(poolName: string, volumeName: string): Promise<JobRecord> {
    const request: FlattenJobRequest = { pool: poolName, volume: volumeName };
    return this.startJob(FLATTEN_JOB_KIND, request);
  }

  /**
   * Starts a live move of active volume `request.volume` of pool `request.pool` into pool
   * `request.targetPool` of this host and returns the job (state running). The checks come first
   * and write nothing (move-job.ts `start`); the record is saved durably before any work.
   * @throws EngineError NO_SUCH_POOL, POOL_INACTIVE, NO_SUCH_VOLUME, INVALID_ARGUMENT (`targetPool`,
   *   `volume`), NAME_EXISTS, VOLUME_INACTIVE; AgentError JOB_RUNNING, SHUTTING_DOWN
   */
  startMove(request: MoveJobRequest): Promise<JobRecord> {
    return this.startJob(MOVE_JOB_KIND, request);
  }

  /**
   * Starts merging device snapshot `name` of pool `poolName` back into its device and returns
   * the job (state running). The checks come first and write nothing (merge-job.ts `start`);
   * the record is saved durably before the job marks the store and loads `snapshot-merge`.
   * @throws EngineError NO_SUCH_POOL, POOL_INACTIVE, NO_SUCH_VOLUME, DEVICE_MISMATCH,
   *   DEVICE_UNUSABLE; AgentError JOB_RUNNING, SHUTTING_DOWN; Error when no merge kind is registered
   */
  startMerge(poolName: string, name: string): Promise<JobRecord> {
    const request: MergeJobRequest = { pool: poolName, name };
    return this.startJob(MERGE_JOB_KIND, request);
  }

  /**
   * Starts a sparse copy of volume `request.volume` of pool `request.pool` into the new volume
   * `request.targetName` of pool `request.targetPool` (held here) in the background and returns
   * the job (state running). The checks come first and write nothing (copy-job.ts `start`); the
   * new volume stays invisible until the copy is complete and verified.
   * @throws EngineError NO_SUCH_POOL, POOL_INACTIVE, NO_SUCH_VOLUME, NAME_EXISTS (each naming its
   *   argument: `pool`, `target_pool`, `name`, `target_name`); AgentError BAD_REQUEST
   *   (`target_name`, `target_pool`, `keep_origin`), JOB_RUNNING, SHUTTING_DOWN; the file
   *   system's error when the record cannot be saved (nothing was done then).
   */
  startCopy(request: CopyJobRequest): Promise<JobRecord> {
    return this.startJob(COPY_JOB_KIND, request);
  }

  /**
   * Moves volume `request.volume` (inactive) of pool `request.pool` to the new volume
   * `request.targetName` of pool `request.targetPool` (held here; the source's pool here or on
   * another host) in the background: a copy (as `startCopy`) whose destination keeps the source's
   * uuid, then the source is deleted (copy-move.ts has the steps and the crash story). The entry
   * point of `volume move POOL/NAME DSTPOOL --host H` (MoveVolume's `host`), run on H.
   * @throws as `startCopy`; EngineError VOLUME_ACTIVE (an active source, argument `name`);
   *   AgentError BAD_REQUEST `target_pool` (the source's own pool, or one holding the uuid)
   */
  startMoveToHost(request: Omit<CopyJobRequest, 'move'>): Promise<JobRecord> {
    return this.startCopy({ ...request, move: true });
  }

  /** The unfinished move whose source is volume `volume` of pool `pool` (by name), or null: the agent refuses changes to it. */
  moveFrom(pool: string, volume: string): JobRecord | null {
    return this.list().find((j) => j.kind === COPY_JOB_KIND && !isTerminalState(j.state) && j.args?.move === '1' && j.args.sourcePool === pool && j.args.sourceName === volume) ?? null;
  }
}
