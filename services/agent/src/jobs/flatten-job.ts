/**
 * The `flatten` job kind: detaching a volume from its external origin (run by job-runner.ts).
 *
 * Phase `copy`: the job walks the volume in chunks of `chunkBytes` from its checkpoint and asks
 * the engine to copy each chunk's unwritten origin blocks into the volume (Pool.flattenChunk:
 * the volume, which may be open and written by a VM throughout, is suspended only while the
 * chunk's mappings are read and its blocks copied, so the chunk size bounds that pause; the
 * engine's module pool-flatten.ts says why no write of the VM is ever overwritten). Phase
 * `detach`: the engine drops the origin from the catalog and reloads an active volume's table
 * without it (Pool.detachExternalOrigin). Then the job clears its mark and the origin is free to
 * retire. A VM that discards a block after its chunk was copied makes it read zeros after the
 * detach (before it, the origin's content again), as a discard on any volume without an origin.
 *
 * The job marks its volume in the pool's catalog (`Pool.markJob`, kind `flatten`: job id,
 * checkpoint, phase) at the start of every run, every `markEveryMs` while it copies, when it
 * enters the detach phase and when it hands over; it clears the mark when it ends. The mark
 * travels with the pool: `adopt` (at each activation of the pool) adopts a flatten mark whose job
 * this host does not know, so the pool's next holder finishes the flatten from the checkpoint;
 * the mark of a job that ended here is cleared, not adopted.
 *
 * Crash story (with the runner's: each checkpoint is durable before the next chunk begins):
 * - a crash inside a chunk: the engine's crash story (the volume is resumed and a helper device
 *   left behind is removed at the pool's activation); copied blocks are durable or absent, and
 *   equal to the origin either way, so the resumed job copies the chunk again;
 * - a crash between chunks or before the detach: the job resumes from its checkpoint (or the
 *   pool's mark, whichever is further);
 * - a crash inside the detach transaction: recovered by the pool's activation (before: the
 *   volume still names its origin and the job detaches it; after: the job finds no origin and
 *   only clears its mark);
 * - a crash after the detach, before the record says succeeded: as the last case.
 *
 * A job that ends without detaching (cancelled, failed) clears its mark and removes its helper
 * device; the volume keeps its origin and reads exactly as before (a copied block holds what
 * the origin holds). The helper device is also removed whenever a run ends (done, stopped for a
 * shutdown or a hand-over, failed).
 */
import { EngineError, isEngineError, type JobMark, type Pool, type VolumeInfo } from '@thinfleet/engine';
import { AgentError } from '../agent-error.js';
import { requireOwnership } from './delete-job.js';
import type { JobKind, JobKindHost, JobRun, JobView, NewJob, RunResult } from './job-kind.js';
import type { JobRecord, MutableJobRecord } from './job-record.js';
import { adoptMarks, followVolume, markedRecord, newJobOn, resolveVolume, startingVolume, yieldToEventLoop } from './volume-job.js';

/** The flatten kind's name, the `kind` of its records and of its marks in the pool. */
export const FLATTEN_JOB_KIND = 'flatten';

/** Default bytes per flatten chunk: 4 MiB, which bounds the volume's pause per chunk. */
export const DEFAULT_FLATTEN_CHUNK_BYTES = 4 * 1024 * 1024;

/** The largest flatten chunk (the engine's limit: its origin bytes are held in memory). */
export const MAX_FLATTEN_CHUNK_BYTES = 64 * 1024 * 1024;

export interface FlattenJobOptions {
  /** The engine (or anything that finds active pools by name the way `Engine.pool` does). */
  readonly engine: { pool(name: string): Pool };
  /** Bytes per chunk (default 4 MiB, at most 64 MiB), rounded down to a multiple of the pool's data block size (at least one block). */
  readonly flattenChunkBytes?: number;
  /** How often a copying job also writes its checkpoint into its pool's mark (default 1000 ms; 0: after every chunk). */
  readonly markEveryMs?: number;
  /** Called with the pool's name once a volume's origin is detached (the agent releases origins no volume uses). Its failure is logged only. */
  readonly afterDetach?: (pool: string) => Promise<void>;
}

/** What `JobManager.startFlatten` asks: flatten volume `volume` of pool `pool`. */
export interface FlattenJobRequest {
  readonly pool: string;
  readonly volume: string;
}

/** The job mark of `r` at its checkpoint and phase. */
function markOf(r: JobRecord): JobMark {
  return { kind: FLATTEN_JOB_KIND, jobId: r.id, doneBytes: r.doneBytes, chunkBytes: r.chunkBytes, createdMs: r.createdMs, phase: r.phase === '' ? 'copy' : r.phase };
}

/** The record of a job adopted from its volume's flatten mark in pool `pool` (state queued, at the mark's checkpoint and phase). Pure. */
export function adoptedFlattenRecord(pool: string, volume: { readonly name: string; readonly uuid: string; readonly sizeBytes: number }, mark: JobMark, nowMs: number): MutableJobRecord {
  return markedRecord(FLATTEN_JOB_KIND, pool, volume, mark, nowMs, mark.phase);
}

/** What a flatten that stopped early left: the volume keeps its origin and reads as before. Pure. */
export function flattenLeftBehind(r: Pick<JobRecord, 'doneBytes' | 'totalBytes' | 'phase'>): string {
  if (r.phase === 'detach') return 'every block was copied; the volume may still name its external origin (volume show says), and reads the same either way';
  return `the volume keeps its external origin and reads as before; the origin's blocks in its first ${r.doneBytes} of ${r.totalBytes} bytes were copied into it`;
}

/**
 * The flatten kind over `options` (see the module comment).
 * @throws RangeError for a flattenChunkBytes that is not a whole number from 1 to 64 MiB
 */
export function flattenJobKind(options: FlattenJobOptions): JobKind<FlattenJobRequest> {
  const chunkBytes = options.flattenChunkBytes ?? DEFAULT_FLATTEN_CHUNK_BYTES;
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes <= 0 || chunkBytes > MAX_FLATTEN_CHUNK_BYTES) {
    throw new RangeError(`flattenChunkBytes ${chunkBytes} must be a whole number from 1 to ${MAX_FLATTEN_CHUNK_BYTES}`);
  }
  const markEveryMs = options.markEveryMs ?? 1000;

  /** Clears the job's mark if its volume still carries it and removes its helper device; failures are logged only. */
  const release = (job: JobView, pool: Pool): Promise<void> => {
    const { id, volume: name, volumeUuid } = job.record;
    return resolveVolume(pool, volumeUuid)
      .then(async (volume) => {
        if (volume?.job?.jobId === id) await pool.markJob(volume.name, null);
        if (volume !== null) await pool.removeFlattenHelper(volume.name);
      })
      .catch((err: unknown) => job.logger.warn({ volume: name, err }, 'could not clear the mark or remove the helper device of a flatten that stopped'));
  };

  /** The copy phase from the checkpoint; 'stopped' when the signal came first. */
  const copy = async (run: JobRun, pool: Pool, volume: VolumeInfo): Promise<'stopped' | { copiedBytes: number; longestPauseMs: number }> => {
    const r = run.record;
    let copiedBytes = 0;
    let longestPauseMs = 0;
    let markedAtMs = run.host.now();
    run.logger.info({ volume: volume.name, fromBytes: r.doneBytes, totalBytes: r.totalBytes, chunkBytes: r.chunkBytes }, 'copying the external origin into the volume chunk by chunk');
    while (r.doneBytes < r.totalBytes) {
      if (run.signal.aborted) return 'stopped';
      const lengthBytes = Math.min(r.chunkBytes, r.totalBytes - r.doneBytes);
      run.mayReach(r.doneBytes + lengthBytes);
      const chunk = await pool.flattenChunk(volume.name, r.doneBytes, lengthBytes);
      copiedBytes += chunk.copiedBytes;
      longestPauseMs = Math.max(longestPauseMs, chunk.pauseMs);
      if (chunk.pauseMs > 0) run.logger.debug({ offsetBytes: r.doneBytes, copiedBytes: chunk.copiedBytes, pauseMs: chunk.pauseMs }, 'flatten chunk');
      await run.update({ doneBytes: r.doneBytes + lengthBytes });
      if (run.host.now() - markedAtMs >= markEveryMs) {
        await pool.markJob(volume.name, markOf(r));
        markedAtMs = run.host.now();
      }
      await yieldToEventLoop();
    }
    return { copiedBytes, longestPauseMs };
  };

  return {
    name: FLATTEN_JOB_KIND,

    /**
     * The checks write nothing: the pool is active, the volume exists and has an external origin,
     * no job works on it (here, or marked in the pool).
     * @throws EngineError NO_SUCH_POOL, POOL_INACTIVE, NO_SUCH_VOLUME, INVALID_ARGUMENT (argument
     *   `volume`: no external origin); AgentError JOB_RUNNING
     */
    async start(request: FlattenJobRequest, host: JobKindHost): Promise<NewJob> {
      const { pool: poolName, volume: volumeName } = request;
      const { pool, volume } = await startingVolume(options.engine, poolName, volumeName);
      if (volume.externalOrigin === null) {
        throw new EngineError('INVALID_ARGUMENT', `volume "${volumeName}" has no external origin: there is nothing to flatten`, { argument: 'volume' });
      }
      const other = host.unfinishedJobOn(poolName, volume.uuid, volume.name);
      if (other !== null) throw new AgentError('JOB_RUNNING', `job ${other.id} (${other.kind}) is already working on volume "${volumeName}" of pool ${poolName}`);
      for (const mark of [volume.deleting, volume.job]) {
        if (mark !== null && !host.endedHere(mark.jobId)) {
          throw new AgentError('JOB_RUNNING', `job ${mark.jobId}, recorded in the pool, is working on volume "${volumeName}" of pool ${poolName}`);
        }
      }
      return newJobOn(pool, volume, chunkBytes, 'copy');
    },

    /** Marks the volume, copies from the checkpoint, detaches the origin, clears the mark. */
    async resume(run: JobRun, pool: Pool): Promise<RunResult> {
      const r = run.record;
      const volume = await followVolume(run, pool);
      if (volume === null) throw new EngineError('NO_SUCH_VOLUME', `volume "${r.volume}" of pool ${r.pool} is gone; there is nothing to flatten`);
      const mark = volume.job;
      for (const other of [volume.deleting, mark]) {
        if (other !== null && other.jobId !== r.id && !run.host.endedHere(other.jobId)) {
          throw new AgentError('JOB_RUNNING', `job ${other.jobId}, recorded in the pool, is working on volume "${volume.name}"; this job stops`);
        }
      }
      requireOwnership(pool, r, mark);
      if (mark?.jobId === r.id) {
        if (mark.doneBytes > r.doneBytes) await run.update({ doneBytes: Math.min(mark.doneBytes, r.totalBytes) });
        if (mark.phase === 'detach' && r.phase !== 'detach') await run.update({ phase: 'detach' });
      }
      if (r.phase === '') await run.update({ phase: 'copy' });
      const token = pool.writer.token.toString();
      if (volume.externalOrigin === null) {
        // A crash or an error after the detach committed: only the mark is left to clear.
        if (mark?.jobId === r.id) await pool.markJob(volume.name, null);
        return { done: 'its external origin is detached' };
      }
      if (mark?.jobId !== r.id || (token !== '0' && mark.ownerToken !== token)) await pool.markJob(volume.name, markOf(r));
      if (r.ownerToken !== token) await run.update({ ownerToken: token });
      try {
        let summary = 'the copy was complete';
        if (r.phase === 'copy') {
          const copied = await copy(run, pool, volume);
          if (copied === 'stopped') return 'stopped';
          summary = `copied ${copied.copiedBytes} bytes of the origin, longest pause ${copied.longestPauseMs} ms`;
          await run.update({ phase: 'detach' });
          await pool.markJob(volume.name, markOf(r));
        }
        if (run.signal.aborted) return 'stopped';
        await pool.detachExternalOrigin(volume.name);
        await pool.markJob(volume.name, null);
        await options.afterDetach?.(r.pool).catch((err: unknown) => run.logger.warn({ err }, 'could not release the detached origin'));
        return { done: `${summary}; external origin detached` };
      } finally {
        await pool.removeFlattenHelper(volume.name).catch((err: unknown) => run.logger.warn({ volume: volume.name, err }, 'could not remove the flatten helper device'));
      }
    },

    /** Hand-over: the mark gets the job's checkpoint and phase (the helper device went with the run). */
    async checkpoint(job: JobView, pool: Pool): Promise<void> {
      const volume = await resolveVolume(pool, job.record.volumeUuid);
      if (volume === null || volume.externalOrigin === null) return;
      await pool.markJob(volume.name, markOf(job.record));
      await pool.removeFlattenHelper(volume.name);
    },

    /** Clears the job's mark and removes its helper device; the volume keeps its origin. */
    async cancel(job: JobView, pool: Pool): Promise<string> {
      await release(job, pool);
      return '';
    },

    outcome: (record: JobRecord) => flattenLeftBehind(record),

    /** An error in the detach phase after the origin was detached (a failed reload of the table): done; the mark is cleared. */
    async errorMeansDone(job: JobView, pool: Pool, err: unknown): Promise<string | null> {
      if (job.record.phase !== 'detach' || isEngineError(err, 'STALE_OWNER')) return null;
      try {
        const volume = await resolveVolume(pool, job.record.volumeUuid);
        if (volume === null || volume.externalOrigin !== null) return null;
        await release(job, pool);
        return 'its external origin is detached (an active device still showing the old table is reloaded at its next activation)';
      } catch {
        return null;
      }
    },

    /**
     * Adopts the flatten jobs recorded in the pool's catalog: a volume with a flatten mark whose
     * job this host does not know gets a record (same id, the mark's checkpoint and phase), saved
     * before it runs; a known one moves to the mark's checkpoint when that is further; the mark of
     * a job that ended here is cleared.
     */
    async adopt(pool: Pool, host: JobKindHost): Promise<void> {
      // Copying again past an adopted mark's checkpoint is harmless (copied blocks equal the origin).
      await adoptMarks(pool, host, {
        kind: FLATTEN_JOB_KIND,
        markOf: (v) => (v.job?.kind === FLATTEN_JOB_KIND ? v.job : null),
        clear: (p, name) => p.markJob(name, null),
        record: adoptedFlattenRecord,
      });
    },
  };
}
