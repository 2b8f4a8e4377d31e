/**
 * The `delete` job kind: the chunked delete of a large volume (run by job-runner.ts).
 *
 * Deleting a thin volume that maps many blocks with one kernel `delete` message holds the pool
 * (its metadata lock) until every mapping is freed. A delete job instead discards the volume's
 * device chunk by chunk (each BLKDISCARD unmaps a bounded range; the pool takes other work
 * between chunks, and the job yields to the event loop after each), checkpointing how far it got,
 * and then deletes the volume, which no longer maps anything, through the engine
 * (`Pool.deleteVolume`, crash-safe on its own). A job always finds its volume by the volume's
 * catalog uuid, never by name alone, when it starts or resumes.
 *
 * Crash story (with the runner's: every step is durable before the next one begins):
 * - a crash before or during any chunk: the job resumes from its last checkpoint; the chunk in
 *   flight is discarded again, which is harmless (discard is idempotent);
 * - a crash after the last discard, before the engine's delete: the resumed job finds the volume,
 *   every chunk done, and deletes it;
 * - a crash inside the engine's delete: the pool's activation recovers the transaction (rolled
 *   back: the resumed job finds the volume and deletes it; rolled forward: as below);
 * - a crash after the engine's delete committed, before the record says succeeded: the resumed
 *   job finds no volume with its uuid, so the delete happened: succeeded.
 *
 * A job that ends without deleting its volume (cancelled, failed) first clears its mark, then
 * deactivates the volume unless it was active before the job began on this host (the record's
 * `volumeWasActive`; a job adopted from a mark counts it as not), and only then (the runner)
 * saves its terminal state. Its message says which bytes are discarded (`doneBytes`) and which
 * may be: the chunk in flight, the chunk past a resumed record's checkpoint, everything past an
 * adopted mark's checkpoint.
 *
 * The job also marks its volume in the pool's catalog (`Pool.markDelete`: job id, checkpoint),
 * at the start of every run, every `markEveryMs` while it runs, and when it hands over, and
 * clears the mark when it is cancelled or fails. The mark travels with the pool: `adopt` (at
 * each activation of the pool) adopts every marked volume whose job this host does not know (or
 * knows with an older checkpoint), so the pool's next holder finishes the delete; a mark naming
 * a job that ended here (its end could not clear the mark) is cleared, not adopted. At a
 * hand-over (`checkpoint`) the mark gets the job's checkpoint and the volume is deactivated.
 * Crash story of a hand-over: before the mark is written, the mark's older checkpoint is where
 * the next holder resumes (a chunk discarded twice is harmless); after it, this host resumes the
 * same job if it holds the pool again, and finds the volume gone if another host finished it.
 */
import type { BlockClient } from '@thinfleet/devmapper';
import { EngineError, isEngineError, type DeleteMark, type Pool } from '@thinfleet/engine';
import { AgentError } from '../agent-error.js';
import { leftBehind, releaseVolume } from './job-outcome.js';
import type { JobKind, JobKindHost, JobRun, JobView, NewJob, RunResult } from './job-kind.js';
import type { JobRecord, MutableJobRecord } from './job-record.js';
import { requireVolumeNotOpen } from './volume-openers.js';
import { adoptMarks, followVolume, markedRecord, newJobOn, resolveVolume, startingVolume, yieldToEventLoop } from './volume-job.js';

/** The delete kind's name, the `kind` of its records. */
export const DELETE_JOB_KIND = 'delete';

/**
 * Default bytes per discard: 32 MiB. One discard holds the pool while it unmaps its blocks;
 * bench:jobs measured in the VM a writer on another volume paused up to 151 ms by a 128 MiB
 * discard and up to 60 ms with 32 MiB steps (goal: p99 < 100 ms), at about the same MiB/s.
 */
export const DEFAULT_JOB_CHUNK_BYTES = 32 * 1024 * 1024;

export interface DeleteJobOptions {
  /** The engine (or anything that finds active pools by name the way `Engine.pool` does). */
  readonly engine: { pool(name: string): Pool };
  /** Where discards go: the block client of the engine's host. */
  readonly block: BlockClient;
  /** Bytes per discard (default 1 GiB), rounded down to a multiple of the pool's data block size (at least one block). */
  readonly chunkBytes?: number;
  /**
   * How often a running job also writes its checkpoint into its volume's delete mark in the
   * pool's catalog (default 1000 ms of the runner's clock; 0: after every chunk), so that a host
   * that takes the pool after this one died resumes near where it stopped, not from the run's start.
   */
  readonly markEveryMs?: number;
}

/** What `JobManager.startDelete` asks: delete volume `volume` of pool `pool`. */
export interface DeleteJobRequest {
  readonly pool: string;
  readonly volume: string;
}

/** The delete mark of `r` at its checkpoint. */
function markOf(r: JobRecord): DeleteMark {
  return { jobId: r.id, doneBytes: r.doneBytes, chunkBytes: r.chunkBytes, createdMs: r.createdMs };
}

/**
 * Refuses to resume a job another holder of the pool adopted and ended: the pool records an
 * owner token for the job newer than this host's record's, and no volume carries its mark any
 * more (the other holder cancelled it or it failed there). Re-marking the volume would delete a
 * volume whose delete was cancelled elsewhere. A job still marked in the pool is this holder's
 * to finish, from the mark's checkpoint. Pure. Any kind's mark (a delete mark, a job mark) will do.
 * @throws AgentError JOB_MOVED
 */
export function requireOwnership(pool: Pool, r: JobRecord, mark: { readonly jobId: string } | null): void {
  const owner = pool.jobOwnerToken(r.id);
  if (owner > BigInt(r.ownerToken) && mark?.jobId !== r.id) {
    throw new AgentError(
      'JOB_MOVED',
      `job ${r.id} was adopted by the holder of pool ${r.pool} with grant token ${owner} and ended there; this host's record of it (token ${r.ownerToken}) is stale`,
    );
  }
}

/**
 * The record of a job adopted from its volume's delete mark in pool `pool` (state queued, at the
 * mark's checkpoint). `volumeWasActive` is false: the adopting host never had the volume active
 * for a user, so the job's end deactivates it. Pure.
 */
export function adoptedRecord(pool: string, volume: { readonly name: string; readonly uuid: string; readonly sizeBytes: number }, mark: DeleteMark, nowMs: number): MutableJobRecord {
  return markedRecord(DELETE_JOB_KIND, pool, volume, mark, nowMs, '');
}

/**
 * The delete kind over `options` (see the module comment).
 * @throws RangeError for a chunkBytes that is not a positive whole number
 */
export function deleteJobKind(options: DeleteJobOptions): JobKind<DeleteJobRequest> {
  const chunkBytes = options.chunkBytes ?? DEFAULT_JOB_CHUNK_BYTES;
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes <= 0) throw new RangeError(`chunkBytes ${chunkBytes} must be a positive whole number`);
  const markEveryMs = options.markEveryMs ?? 1000;

  /** Clears the job's delete mark, if its volume still carries it; a failure is logged only. */
  const clearMark = async (job: JobView, pool: Pool): Promise<void> => {
    const r = job.record;
    try {
      const volume = await resolveVolume(pool, r.volumeUuid);
      if (volume?.deleting?.jobId === r.id) await pool.markDelete(volume.name, null);
    } catch (err) {
      job.logger.warn({ volume: r.volume, err }, 'could not clear the delete mark of a job that stopped');
    }
  };

  return {
    name: DELETE_JOB_KIND,

    /**
     * The checks write nothing: the pool is active, the volume exists, no job works on it, its
     * device is not open.
     * @throws EngineError NO_SUCH_POOL, POOL_INACTIVE, NO_SUCH_VOLUME, VOLUME_BUSY (open);
     *   AgentError JOB_RUNNING (a job here, or a delete mark in the pool)
     */
    async start(request: DeleteJobRequest, host: JobKindHost): Promise<NewJob> {
      const { pool: poolName, volume: volumeName } = request;
      const { pool, volume } = await startingVolume(options.engine, poolName, volumeName);
      const other = host.unfinishedJobOn(poolName, volume.uuid, volume.name);
      if (other !== null) throw new AgentError('JOB_RUNNING', `job ${other.id} is already deleting volume "${volumeName}" of pool ${poolName}`);
      if (volume.deleting !== null && !host.endedHere(volume.deleting.jobId)) {
        throw new AgentError('JOB_RUNNING', `job ${volume.deleting.jobId}, recorded in the pool, is deleting volume "${volumeName}" of pool ${poolName}`);
      }
      await requireVolumeNotOpen(pool, volume);
      return newJobOn(pool, volume, chunkBytes);
    },

    /** Marks the volume, discards it chunk by chunk from the checkpoint, then deletes it through the engine. */
    async resume(run: JobRun, pool: Pool): Promise<RunResult> {
      const r = run.record;
      let volume = await followVolume(run, pool);
      if (volume === null) return { done: 'its volume is gone: the delete had committed' };
      const mark = volume.deleting;
      if (mark !== null && mark.jobId !== r.id && !run.host.endedHere(mark.jobId)) {
        throw new AgentError('JOB_RUNNING', `job ${mark.jobId}, recorded in the pool, is deleting volume "${volume.name}"; this job stops`);
      }
      requireOwnership(pool, r, mark);
      if (mark?.jobId === r.id && mark.doneBytes > r.doneBytes) await run.update({ doneBytes: mark.doneBytes });
      const token = pool.writer.token.toString();
      // The mark names this host as the job's owner (a holder under a grant stamps its token).
      if (mark?.jobId !== r.id || (token !== '0' && mark.ownerToken !== token)) await pool.markDelete(volume.name, markOf(r));
      if (r.ownerToken !== token) await run.update({ ownerToken: token });
      if (r.doneBytes < r.totalBytes) {
        await requireVolumeNotOpen(pool, volume);
        const device = (await pool.activateVolume(volume.name)).devicePath;
        if (device === null) throw new EngineError('KERNEL_FAILED', `volume "${volume.name}" has no device after activation`);
        run.logger.info({ volume: r.volume, fromBytes: r.doneBytes, totalBytes: r.totalBytes }, 'discarding the volume chunk by chunk');
        let markedAtMs = run.host.now();
        while (r.doneBytes < r.totalBytes) {
          if (run.signal.aborted) return 'stopped';
          const lengthBytes = Math.min(r.chunkBytes, r.totalBytes - r.doneBytes);
          run.mayReach(r.doneBytes + lengthBytes);
          await options.block.discard(device, r.doneBytes, lengthBytes);
          await run.update({ doneBytes: r.doneBytes + lengthBytes });
          // The mark travels with the pool: a holder that dies leaves its next one this checkpoint
          // (never ahead of what was discarded; a chunk discarded twice is harmless).
          if (run.host.now() - markedAtMs >= markEveryMs) {
            await pool.markDelete(volume.name, markOf(r));
            markedAtMs = run.host.now();
          }
          await yieldToEventLoop();
        }
      }
      if (run.signal.aborted) return 'stopped';
      volume = await resolveVolume(pool, r.volumeUuid);
      if (volume === null) return { done: 'its volume is gone: the delete had committed' };
      await pool.deleteVolume(volume.name);
      return { done: 'volume deleted' };
    },

    /** Hand-over: the mark gets the job's checkpoint, and the volume is deactivated. */
    async checkpoint(job: JobView, pool: Pool): Promise<void> {
      const volume = await resolveVolume(pool, job.record.volumeUuid);
      if (volume === null) return;
      await pool.markDelete(volume.name, markOf(job.record));
      if (volume.active) await pool.deactivateVolume(volume.name);
    },

    /** Clears the job's mark, then deactivates the volume when the job activated it (job-outcome.ts). */
    async cancel(job: JobView, pool: Pool): Promise<string> {
      await clearMark(job, pool);
      return releaseVolume(pool, job.record);
    },

    outcome: leftBehind,

    /** NO_SUCH_VOLUME while no volume has the job's uuid: the delete happened. */
    async errorMeansDone(job: JobView, pool: Pool, err: unknown): Promise<string | null> {
      if (!isEngineError(err, 'NO_SUCH_VOLUME')) return null;
      const gone = await resolveVolume(pool, job.record.volumeUuid).then(
        (v) => v === null,
        () => false,
      );
      return gone ? 'its volume is gone' : null;
    },

    /**
     * Adopts the delete jobs recorded in the pool's catalog: a marked volume whose job this host
     * does not know gets a record (same id, the mark's checkpoint), saved before it runs; a known
     * one moves to the mark's checkpoint when that is further; the mark of a job that ended here
     * is cleared.
     */
    async adopt(pool: Pool, host: JobKindHost): Promise<void> {
      // A delete mark whose job ended here (cancelled, failed) is cleared: adopting it, here or on
      // the pool's next host, would delete the volume.
      await adoptMarks(pool, host, {
        kind: DELETE_JOB_KIND,
        markOf: (v) => v.deleting,
        clear: (p, name) => p.markDelete(name, null),
        record: adoptedRecord,
      });
    },
  };
}
