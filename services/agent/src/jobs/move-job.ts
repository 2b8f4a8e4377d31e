/**
 * The `move` job kind: a live move of an active (possibly open and written) volume from one pool
 * of this host to another (run by job-runner.ts; the kernel side is the engine's volume-move.ts).
 * The job's record names the source pool (`pool`) and the volume (`volume`, `volumeUuid`); its
 * args the target pool. The mirror's log volume there is `move-log.<job id>`.
 * Progress: `doneBytes` are the regions in sync times the region size (`chunkBytes`), so
 * doneBytes / chunkBytes regions of totalBytes / chunkBytes are done.
 *
 * Phases and what each leaves (the catalogs; the engine's module comment has the kernel):
 * - `prepare`: the source volume gets the job's mark (kind `move`); the target pool gets, in one
 *   transaction, the destination volume (same name, same uuid, same size) and the log volume,
 *   both with the job's mark: the agent refuses every other change to marked volumes, and
 *   start-up leaves their devices to the job;
 * - `mirror`: the top device is reloaded onto the mirror (one pause) and the job polls its status
 *   (every `movePollMs`) until every region is in sync, saving the progress;
 * - `switch`: the switch (one pause): the destination's mark is cleared in one transaction of the
 *   target pool, the SWITCH POINT: before it the source is authoritative, after it the destination;
 * - `cleanup`: helper devices removed, the log volume and then the source volume deleted (the
 *   engine's delete; the source's device was renamed away, so it is inactive).
 *
 * Crash story (the record is saved before any work; every step is idempotent and the job
 * resumed at start-up reads where things stand from the catalogs and the kernel):
 * - agent crash (the kernel keeps every device): the resumed job finds the mirror loaded and goes
 *   on polling; past the switch it renames and cleans up;
 * - host crash (every device gone): before the switch transaction the volume's device is gone
 *   with the mirror, and the job undoes the move (throws VOLUME_INACTIVE, then `cancel` deletes the
 *   destination and the log volume and clears the source's mark): the volume stays in the source
 *   pool, with every write acknowledged before the crash (the source is the mirror's first leg:
 *   every write reached it). After the switch transaction the destination wins: the job deletes
 *   the log and the source. Either way exactly one pool holds the volume afterwards.
 * - cancel: before the switch, the mirror is undone (one pause: the top device back onto the
 *   source alone), helpers removed, destination and log deleted, the source's mark cleared; after
 *   the switch, cancelling cannot undo: the cleanup is finished instead and the message says so.
 * - hand-over of the source pool to another host: as cancel (a live move is local to a host).
 * A crash at any step leaves the volume readable and writable on one side.
 */
import {
  EngineError,
  finishMoveSwitch,
  isEngineError,
  moveLogBytes,
  readMoveStage,
  startMoveMirror,
  undoMoveMirror,
  removeMoveHelpers,
  type JobMark,
  type MoveSides,
  type Pool,
  type VolumeInfo,
} from '@thinfleet/engine';
import { AgentError } from '../agent-error.js';
import type { JobKind, JobKindHost, JobRun, JobView, NewJob, RunResult } from './job-kind.js';
import type { JobRecord } from './job-record.js';
import { newJobOn, startingVolume } from './volume-job.js';

/** The move kind's name, the `kind` of its records and marks. */
export const MOVE_JOB_KIND = 'move';

export interface MoveJobOptions {
  /** The engine (finds active pools by name). */
  readonly engine: { pool(name: string): Pool };
  /** How often the job reads the mirror's status while the kernel resyncs, in milliseconds (default 200). */
  readonly movePollMs?: number;
}

/** What `JobManager.startMove` asks: move volume `volume` of pool `pool` into pool `targetPool` of this host. */
export interface MoveJobRequest {
  readonly pool: string;
  readonly volume: string;
  readonly targetPool: string;
}

interface MoveArgs {
  readonly targetPool: string;
  readonly logName: string;
}

function argsOf(r: JobRecord): MoveArgs {
  const a = r.args ?? {};
  if (typeof a.targetPool !== 'string') throw new Error(`move job ${r.id}: its record names no target pool`);
  // The log volume's name comes from the job's id (known once the record exists).
  return { targetPool: a.targetPool, logName: `move-log.${r.id}` };
}

const markOf = (r: JobRecord, phase: string): JobMark => ({ kind: MOVE_JOB_KIND, jobId: r.id, doneBytes: 0, chunkBytes: r.chunkBytes, createdMs: r.createdMs, phase });
const isMine = (v: VolumeInfo | undefined, id: string): boolean => v?.job?.kind === MOVE_JOB_KIND && v.job.jobId === id;
/** How many polls a switched move waits for its mirror to be in sync again before giving up. */
const MAX_SWITCH_WAITS = 3000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Where a move stands in the catalogs. */
interface Found {
  readonly target: Pool;
  readonly sides: MoveSides;
  /** The source volume (by the record's uuid), if still there. */
  readonly source: VolumeInfo | undefined;
  readonly destination: VolumeInfo | undefined;
  readonly log: VolumeInfo | undefined;
  /** The destination is the volume (its uuid) and carries no mark of this job: past the switch point. */
  readonly switched: boolean;
}

/**
 * The move kind over `options` (see the module comment).
 */
export function moveJobKind(options: MoveJobOptions): JobKind<MoveJobRequest> {
  const pollMs = options.movePollMs ?? 200;

  const find = async (r: JobRecord, pool: Pool): Promise<Found> => {
    const a = argsOf(r);
    const target = options.engine.pool(a.targetPool);
    const [src, dst] = [await pool.list(), await target.list()];
    const source = src.find((v) => v.uuid === r.volumeUuid);
    const destination = dst.find((v) => v.name === r.volume && v.uuid === r.volumeUuid);
    const log = dst.find((v) => v.name === a.logName && isMine(v, r.id));
    const switched = destination !== undefined && !isMine(destination, r.id);
    return { target, sides: { source: pool, target, name: r.volume, logName: a.logName }, source, destination, log, switched };
  };

  /**
   * Waits until the move's target pool is active here, polling every `pollMs`: a restarted agent
   * activates its pools one after another, and the job resumes as soon as its SOURCE pool is
   * active, maybe before the target. False when the run is stopped first (cancel, hand-over,
   * shutdown), true at once when the target is active.
   */
  const targetActive = async (run: JobRun): Promise<boolean> => {
    const name = argsOf(run.record).targetPool;
    for (let logged = false; ; logged = true) {
      try {
        options.engine.pool(name);
        return true;
      } catch (err) {
        if (!isEngineError(err, 'NO_SUCH_POOL')) throw err;
      }
      if (run.signal.aborted) return false;
      if (!logged) run.logger.info({ targetPool: name }, 'move: waiting for the target pool to be active here');
      await sleep(pollMs);
    }
  };

  /**
   * After the switch point: the top device put on the destination alone and renamed (when a
   * crash came between the switch transaction and the reload, or the reload and the rename),
   * then helpers, log volume, source volume (each only when it is the job's).
   */
  const cleanup = async (job: JobView, pool: Pool, f: Found): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      const { stage } = await readMoveStage(f.sides);
      if (stage !== 'mirror' && stage !== 'target-unrenamed') break;
      if ((await finishMoveSwitch(f.sides, job.record.id)) !== null) continue;
      if (attempt >= MAX_SWITCH_WAITS)
        throw new EngineError('DEVICE_MISMATCH', `the move's mirror of volume "${job.record.volume}" does not get back in sync; the volume is readable, its target pool is authoritative`);
      await sleep(pollMs);
    }
    await removeMoveHelpers(f.sides);
    if (f.log !== undefined) await f.target.deleteVolume(f.log.name);
    if (f.source !== undefined && isMine(f.source, job.record.id)) await pool.deleteVolume(f.source.name);
  };

  /** Before the switch point: the mirror undone, destination and log deleted, the source's mark cleared. */
  const undo = async (job: JobView, pool: Pool, f: Found): Promise<void> => {
    if (f.source !== undefined) await undoMoveMirror(f.sides);
    if (f.destination !== undefined && isMine(f.destination, job.record.id)) await f.target.deleteVolume(f.destination.name);
    if (f.log !== undefined) await f.target.deleteVolume(f.log.name);
    if (f.source !== undefined && isMine(f.source, job.record.id)) await pool.markJob(f.source.name, null);
  };

  return {
    name: MOVE_JOB_KIND,

    /**
     * Checks, writing nothing: both pools active and different, the volume there, active, without
     * an external origin, no job on it, its name free in the target pool.
     * @throws EngineError NO_SUCH_POOL, POOL_INACTIVE, NO_SUCH_VOLUME, INVALID_ARGUMENT (`target_pool`,
     *   `volume`), NAME_EXISTS, VOLUME_INACTIVE; AgentError JOB_RUNNING
     */
    async start(request: MoveJobRequest, host: JobKindHost): Promise<NewJob> {
      const { pool, volume } = await startingVolume(options.engine, request.pool, request.volume);
      if (request.targetPool === request.pool)
        throw new EngineError('INVALID_ARGUMENT', `volume "${volume.name}" is already in pool ${request.pool}; name another pool`, { argument: 'targetPool' });
      const target = options.engine.pool(request.targetPool);
      if (!target.isActive) throw new EngineError('POOL_INACTIVE', `pool ${request.targetPool} is not active`);
      if (volume.externalOrigin !== null)
        throw new EngineError('INVALID_ARGUMENT', `volume "${volume.name}" has an external origin; flatten it first (volume flatten), then move it`, { argument: 'volume' });
      if (!volume.active) {
        throw new EngineError(
          'VOLUME_INACTIVE',
          `volume "${volume.name}" is not active: a live move moves an active volume; activate it first, or copy it (volume copy) and delete the source, or use volume move --host`,
        );
      }
      const other = host.unfinishedJobOn(request.pool, volume.uuid, volume.name);
      if (other !== null) throw new AgentError('JOB_RUNNING', `job ${other.id} (${other.kind}) is already working on volume "${volume.name}" of pool ${request.pool}`);
      for (const mark of [volume.deleting, volume.job]) {
        if (mark !== null && !host.endedHere(mark.jobId))
          throw new AgentError('JOB_RUNNING', `job ${mark.jobId}, recorded in the pool, is working on volume "${volume.name}" of pool ${request.pool}`);
      }
      if ((await target.list()).some((v) => v.name === volume.name))
        throw new EngineError('NAME_EXISTS', `pool ${target.name} already has a volume "${volume.name}"`, { argument: 'targetPool' });
      // chunkBytes: the region size (the target pool's data block size, at most the volume).
      const regionBytes = Math.min((await target.status()).dataBlockBytes, volume.sizeBytes);
      const job = await newJobOn(pool, volume, regionBytes, 'prepare');
      return { pool, fields: { ...job.fields, chunkBytes: regionBytes, args: { targetPool: target.name } } };
    },

    async resume(run: JobRun, pool: Pool): Promise<RunResult> {
      const r = run.record;
      if (!(await targetActive(run))) return 'stopped';
      let f = await find(r, pool);
      if (!f.switched) {
        if (f.source === undefined) throw new EngineError('NO_SUCH_VOLUME', `volume "${r.volume}" is gone from pool ${r.pool}; there is nothing to move`);
        const stage = (await readMoveStage(f.sides)).stage;
        if (stage === 'inactive') {
          throw new EngineError(
            'VOLUME_INACTIVE',
            `volume "${r.volume}" of pool ${r.pool} is no longer active (the host restarted?); the move is undone, the volume stays in pool ${r.pool}`,
          );
        }
        if (!isMine(f.source, r.id)) {
          if (f.source.job !== null || f.source.deleting !== null) throw new AgentError('JOB_RUNNING', `another job is working on volume "${r.volume}"; this move stops`);
          await pool.markJob(f.source.name, markOf(r, 'mirror'));
        }
        if (f.destination === undefined || f.log === undefined) {
          if (f.destination === undefined && (await f.target.list()).some((v) => v.name === r.volume)) {
            throw new EngineError('NAME_EXISTS', `a volume "${r.volume}" was made in pool ${f.target.name} before the move could make it; it is left alone`);
          }
          const logBytes = moveLogBytes((await f.target.status()).dataBlockBytes, r.totalBytes);
          await f.target.batch([
            ...(f.destination === undefined
              ? [
                  { item: 'destination', op: 'create' as const, volume: r.volume, sizeBytes: r.totalBytes, uuid: r.volumeUuid },
                  { item: 'destination-mark', op: 'mark-job' as const, volume: r.volume, mark: markOf(r, 'mirror') },
                ]
              : []),
            ...(f.log === undefined
              ? [
                  { item: 'log', op: 'create' as const, volume: f.sides.logName, sizeBytes: logBytes },
                  { item: 'log-mark', op: 'mark-job' as const, volume: f.sides.logName, mark: markOf(r, 'log') },
                ]
              : []),
          ]);
          f = await find(r, pool);
        }
        if (r.phase === 'prepare') await run.update({ phase: 'mirror' });
        const started = await startMoveMirror(f.sides);
        let switchPauseMs = 0;
        run.logger.info({ target: f.target.name, regions: started.regionCount, cleanRegions: started.cleanRegions, pauseMs: started.pauseMs }, 'move: resyncing');
        for (;;) {
          if (run.signal.aborted) return 'stopped';
          const { stage: now, status } = await readMoveStage(f.sides);
          if (now !== 'mirror' || status === null) break;
          const doneBytes = Math.min(r.totalBytes, Math.round((status.inSyncRegions / status.totalRegions) * r.totalBytes));
          if (doneBytes !== r.doneBytes) await run.update({ doneBytes });
          if (status.inSync) {
            if (r.phase !== 'switch') await run.update({ phase: 'switch' });
            const switched = await finishMoveSwitch(f.sides, r.id);
            if (switched !== null) {
              switchPauseMs = switched.pauseMs;
              break;
            }
          }
          await sleep(pollMs);
        }
        await finishMoveSwitch(f.sides, r.id);
        run.logger.info({ mirrorPauseMs: started.pauseMs, switchPauseMs }, 'move: switched');
        f = await find(r, pool);
        if (!f.switched) throw new EngineError('DEVICE_MISMATCH', `volume "${r.volume}" left the move's mirror before the switch; the move is undone`);
      }
      // Past the switch point (cleanup finishes a switch a crash cut short).
      await run.update({ phase: 'cleanup', doneBytes: r.totalBytes });
      await cleanup(run, pool, f);
      return { done: `moved to pool ${f.target.name}` };
    },

    /** Hand-over of the source pool: a live move is local to this host, so it is undone (or finished past the switch). */
    async checkpoint(job: JobView, pool: Pool): Promise<void> {
      const f = await find(job.record, pool);
      if (f.switched) await cleanup(job, pool, f);
      else await undo(job, pool, f);
    },

    async cancel(job: JobView, pool: Pool): Promise<string> {
      try {
        const f = await find(job.record, pool);
        if (f.switched) {
          await cleanup(job, pool, f);
          return `the move had passed its switch point: the volume is in pool ${f.target.name}, the source was deleted`;
        }
        await undo(job, pool, f);
        return `the move was undone: the volume stays in pool ${job.record.pool}`;
      } catch (err) {
        job.logger.warn({ err }, 'could not undo or finish the move');
        return `the move could not be undone or finished (${err instanceof Error ? err.message.slice(0, 200) : 'error'}); the volume is readable in pool ${job.record.pool} or its target`;
      }
    },

    outcome: (record: JobRecord) =>
      record.phase === 'cleanup'
        ? 'the volume is in its target pool; the source may still have to be deleted'
        : `the volume stays in pool ${record.pool} (the move was undone, or is undone when it resumes)`,

    async errorMeansDone(job: JobView, pool: Pool, err: unknown): Promise<string | null> {
      if (isEngineError(err, 'STALE_OWNER')) return null;
      try {
        const f = await find(job.record, pool);
        if (!f.switched) return null;
        await cleanup(job, pool, f);
        return `moved to pool ${f.target.name}`;
      } catch {
        return null;
      }
    },
  };
}
